"""What the flow-file tests share: a small flow's text (its line numbers are the ones the expected messages name),
writing a flow to a folder, and the one `ConfigError` a broken flow gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from checkins.config.flows import (
    load_flow,
)
from checkins.config.yamlsource import ConfigError

SHIPPED_FLOW = Path(__file__).resolve().parent.parent / "flows" / "pre_session.yaml"

# Line numbers in the cases below refer to this text (after the case's replacement).
BASE_FLOW = """\
id: demo
default_language: fi
title: Otsikko
intro: Johdanto
questions:
  - id: mood
    type: scale
    text:
      fi: Miten menee?
      en: How are you?
"""
MOOD_TEXT = "    text:\n      fi: Miten menee?\n      en: How are you?\n"
MOOD_QUESTION = "  - id: mood\n    type: scale\n" + MOOD_TEXT


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def flow_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> ConfigError:
    # Load by relative path so the message shows the file as a user would have named it.
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "flow.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_flow(Path("flow.yaml"))
    return caught.value
