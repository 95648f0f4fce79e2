"""The YAML reader's bounds: an alias bomb or a deep nesting is one `file:line` error in well under a second."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from checkins.config.yamlsource import MAX_DEPTH, MAX_VALUES, ConfigError, load_yaml
from tests.test_cli import run_cli


def alias_bomb() -> str:
    """The "billion laughs": nine levels of nine aliases each, 9**9 values once expanded, in about 600 bytes."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level, name in enumerate("bcdefghi"):
        previous = "abcdefghi"[level]
        lines.append(f"{name}: &{name} [{','.join(f'*{previous}' for _ in range(9))}]")
    return "\n".join(lines) + "\n"


def deep_nesting(levels: int) -> str:
    return "a: " + "[" * levels + "]" * levels + "\n"


def load_error(path: Path) -> tuple[ConfigError, float]:
    started = time.perf_counter()
    with pytest.raises(ConfigError) as caught:
        load_yaml(path)
    return caught.value, time.perf_counter() - started


def test_the_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb(), encoding="utf-8")
    assert len(path.read_bytes()) < 700
    error, seconds = load_error(path)
    assert seconds < 1.0
    # a to e expand to 66,430 values together, f to 597,871: the count passes the limit in f, at line 6.
    assert str(error) == (
        f"{path}:6: f: the file holds more than {MAX_VALUES:,} values once its aliases (*name) are expanded"
    )


def test_twenty_thousand_levels_of_nesting_are_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(deep_nesting(20_000), encoding="utf-8")
    error, seconds = load_error(path)
    assert seconds < 1.0
    assert str(error) == f"{path}:1: invalid YAML: nested more than {MAX_DEPTH} levels deep"


def test_nesting_up_to_the_limit_loads(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(deep_nesting(MAX_DEPTH - 1), encoding="utf-8")  # the mapping at the top is one level
    value = load_yaml(path).value["a"]
    for _ in range(MAX_DEPTH - 2):
        value = value[0]
    assert value == []


def test_aliases_that_stay_small_still_work(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("a: &x [1, 2]\nb: *x\n", encoding="utf-8")
    assert load_yaml(path).value == {"a": [1, 2], "b": [1, 2]}


@pytest.mark.parametrize("text", [alias_bomb(), deep_nesting(20_000)], ids=["alias-bomb", "deep-nesting"])
def test_check_reports_a_runaway_flow_in_one_line(tmp_path: Path, text: str) -> None:
    config = tmp_path / "config.yaml"
    config.write_text((Path(__file__).parent.parent / "config.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "pre_session.yaml").write_text(text, encoding="utf-8")
    started = time.perf_counter()
    result = run_cli("check", "--config", str(config))
    assert time.perf_counter() - started < 30  # the interpreter's start-up included; the load itself is measured above
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "pre_session.yaml:" in result.stderr
