"""The layout's promises that import-linter cannot check: the two top-level scripts do not import each other."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_demo_does_not_import_the_command_line() -> None:
    assert "bot" not in imported_modules(ROOT / "demo.py")


def test_no_package_imports_the_command_line_or_the_demo() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("checkins", "handlers", "botsim")
        for path in (ROOT / package).rglob("*.py")
        if imported_modules(path) & {"bot", "demo"}
    ]
    assert offenders == []


def test_readme_layout_names_every_module_under_its_package() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout") :]
    layout = layout[: layout.index("\n## ", 1)]
    tables: dict[str, set[str]] = {}
    package = ""
    for line in layout.splitlines():
        if line.startswith("**`"):
            package = line[3 : line.index("`**")].rstrip("/")
        elif line.startswith("| `") and package:
            tables.setdefault(package, set()).add(line.split("`")[1])
    for folder in (
        "checkins",
        "checkins/config",
        "checkins/privacy",
        "checkins/digest",
        "checkins/rounds",
        "checkins/schedule",
        "checkins/storage",
        "handlers",
        "botsim",
        "benchmarks",
    ):
        modules = {path.name for path in (ROOT / folder).glob("*.py") if path.name != "__init__.py"}
        assert tables.get(folder) == modules, folder
