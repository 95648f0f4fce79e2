"""Translation catalogs: every text the bot sends goes through here, in Finnish, Swedish or English.

The catalogs are gettext `.po` files under `locales/<lang>/LC_MESSAGES/messages.po`, with the English text as the
message id. They are read with Babel and compiled in memory at start-up, so there is no separate compile step and no
binary file in the repository. `Translator.for_language(lang)` gives a `Catalog` with `gettext`/`ngettext`; the
`{placeholders}` in a message are filled with `str.format` by the caller. `N_` marks a text for extraction where it
is only translated later (a table of labels). `tests/test_i18n.py` extracts every marked text from the source with
Babel and fails when a language lacks one.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from checkins.config.flows import LANGUAGES

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark a text for extraction without translating it here."""
    return message


def normalise_language(code: str | None, fallback: str) -> str:
    """Map a Telegram `language_code` such as "fi", "sv-FI" or "en-GB" to one of ours."""
    if code:
        base = code.split("-")[0].split("_")[0].lower()
        if base in LANGUAGES:
            return base
    return fallback


@dataclass(frozen=True)
class Catalog:
    """One language's translations."""

    language: str
    _translations: gettext.NullTranslations

    def gettext(self, message: str) -> str:
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self._translations.ngettext(singular, plural, count)


class Translator:
    """All catalogs, loaded once."""

    def __init__(self, catalogs: Mapping[str, Catalog]) -> None:
        self._catalogs = dict(catalogs)

    @classmethod
    def load(cls, locales_dir: Path = LOCALES_DIR) -> Translator:
        catalogs: dict[str, Catalog] = {}
        for language in LANGUAGES:
            po_path = locales_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=language)
            buffer = io.BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            catalogs[language] = Catalog(language, gettext.GNUTranslations(buffer))
        return cls(catalogs)

    def for_language(self, language: str) -> Catalog:
        return self._catalogs.get(language) or self._catalogs["en"]
