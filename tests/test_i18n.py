"""Translation catalogs: every text the code marks exists in Finnish and Swedish, with the same placeholders."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from checkins.i18n import LOCALES_DIR, Translator, normalise_language

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"gettext": None, "ngettext": (1, 2), "N_": None}
METHODS = [("bot.py", "python"), ("demo.py", "python"), ("checkins/**.py", "python"), ("handlers/**.py", "python")]
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")


def source_messages() -> set[str | tuple[str, ...]]:
    found = {message for _, _, message, _, _ in extract_from_dir(ROOT, METHODS, keywords=KEYWORDS)}
    assert len(found) > 50, "extraction found suspiciously few texts"
    return found


def marked_in_f_strings(tree: ast.AST) -> list[int]:
    """Lines where gettext/ngettext/N_ is called with a literal inside an f-string."""
    lines = []
    for joined in (node for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)):
        for call in (node for node in ast.walk(joined) if isinstance(node, ast.Call)):
            function = call.func
            name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
            if name in KEYWORDS and call.args and isinstance(call.args[0], ast.Constant):
                lines.append(call.lineno)
    return lines


def test_no_text_is_marked_inside_an_f_string() -> None:
    # Babel's extractor does not look inside f-strings: a text marked there is never translated.
    hidden = [
        f"{path.relative_to(ROOT)}:{line}"
        for pattern, _ in METHODS
        for path in ROOT.glob(pattern.replace("**", "**/*"))
        for line in marked_in_f_strings(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert hidden == []


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_every_marked_text_is_translated(language: str) -> None:
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    missing = []
    for message_id in source_messages():
        entry = catalog.get(message_id)
        strings = (entry.string if isinstance(entry.string, tuple) else (entry.string,)) if entry else ("",)
        # A fuzzy entry is a guess the catalog loader does not use: it counts as missing.
        if not all(strings) or (entry is not None and entry.fuzzy):
            missing.append(message_id)
            continue
        expected = set(PLACEHOLDER.findall(message_id if isinstance(message_id, str) else message_id[1]))
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == expected, f"{language}: placeholders differ in {string!r}"
    assert missing == [], f"{language}: {len(missing)} texts untranslated: {missing[:5]}"


def test_plurals_and_fallback() -> None:
    translator = Translator.load()
    fi = translator.for_language("fi")
    assert fi.ngettext("{count} answer", "{count} answers", 1) == "{count} vastaus"
    assert fi.ngettext("{count} answer", "{count} answers", 3) == "{count} vastausta"
    assert translator.for_language("de").gettext("Skip") == "Skip"


@pytest.mark.parametrize(
    ("code", "expected"), [("fi", "fi"), ("sv-FI", "sv"), ("en-GB", "en"), ("de", "fi"), (None, "fi"), ("", "fi")]
)
def test_language_from_telegram_code(code: str | None, expected: str) -> None:
    assert normalise_language(code, "fi") == expected


def test_no_translatable_text_inside_f_strings() -> None:
    """Babel's extractor cannot see a gettext call inside an f-string, so such a text would never be translated."""
    hidden = []
    for pattern, _ in METHODS:
        for path in ROOT.glob(pattern.replace("**", "**/*")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for joined in (node for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)):
                for call in (node for node in ast.walk(joined) if isinstance(node, ast.Call)):
                    name = getattr(call.func, "attr", getattr(call.func, "id", ""))
                    if name in KEYWORDS and call.args and isinstance(call.args[0], ast.Constant):
                        hidden.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert hidden == []
