"""The YAML reader under config.yaml and the flows: one `file:line: key: problem` message per kind of broken file,
and the lines, paths and key texts it keeps for those messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from checkins.config.app import load_config
from checkins.config.yamlsource import ConfigError, load_yaml

# --- the YAML reader ---


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", "config.yaml: file is empty", id="empty"),
        pytest.param("# only comments\n", "config.yaml: file is empty", id="only-comments"),
        pytest.param("- a\n- b\n", "config.yaml:1: must contain 'key: value' lines (got a list)", id="list"),
        pytest.param(
            "a: 1\n---\nb: 2\n",
            "config.yaml:2: invalid YAML: expected a single document in the stream but found another document",
            id="two-documents",
        ),
        pytest.param(
            "a: &x {b: 1}\nc:\n  <<: *x\n",
            "config.yaml:3: c: merge keys (<<) are not supported; write the keys out",
            id="merge-key",
        ),
        pytest.param(
            "a:\n  when: 2024-13-45\n",
            "config.yaml:2: a.when: cannot read value '2024-13-45': month must be in 1..12",
            id="bad-date",
        ),
    ],
)
def test_yaml_reader_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str) -> None:
    monkeypatch.chdir(tmp_path)
    Path("config.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_yaml(Path("config.yaml"))
    assert str(caught.value) == expected


def test_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_config(Path("config.yaml"))
    assert str(caught.value) == "config.yaml: file not found"


def test_reader_keeps_lines_paths_and_key_text(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("# header\nitems:\n  - name: a\n    no: 1\n  -\n    name: b\nempty:\n", encoding="utf-8")
    root = load_yaml(path)

    first, second = root.items("items")
    assert (first.line, first.path_str) == (3, "items[0]")
    assert first.key_names() == ("name", "no")  # `no:` stays the text "no", not False
    assert (second.child("name").line, second.child("name").path_str) == (6, "items[1].name")
    assert root.get("empty", int, 7) == 7  # an empty value means "use the default"
    assert root.section("missing").get("deep", str, "default") == "default"
    assert root.section("missing").child("deep").line is None
    with pytest.raises(ConfigError) as caught:
        root.require("empty", int)
    assert str(caught.value) == f"{path}:7: empty: needs a value"


def test_config_error_formats_without_line_or_key() -> None:
    assert str(ConfigError(Path("flows"), None, "", "flows folder not found")) == "flows: flows folder not found"
    assert str(ConfigError(Path("c.yaml"), 3, "", "invalid YAML: x")) == "c.yaml:3: invalid YAML: x"
    assert str(ConfigError(Path("c.yaml"), None, "groups", "required key is missing")) == (
        "c.yaml: groups: required key is missing"
    )
