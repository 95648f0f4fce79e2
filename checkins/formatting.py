"""Dates, times and numbers in the reader's language, through Babel's locale data (fi_FI, sv_FI, en_GB).

Finnish readers expect "ti 1.12.2026 klo 14.00" and a decimal comma; Finland-Swedish ones "tis 1.12.2026 kl. 14.00";
English ones "Tue 1 Dec 2026, 14:00". Times are shown in the deployment's time zone (config.yaml `timezone`).
Plurals are not here: they come from the gettext catalogs (`Catalog.ngettext`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_datetime
from babel.dates import format_skeleton, format_time
from babel.numbers import format_decimal

LOCALES = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}
_DATE_TIME_PATTERNS = {
    "fi": "EEE d.M.yyyy 'klo' H.mm",
    "sv": "EEE d.M.yyyy 'kl.' H.mm",
    "en": "EEE d MMM yyyy, HH:mm",
}
_DATE_PATTERNS = {"fi": "EEE d.M.yyyy", "sv": "EEE d.M.yyyy", "en": "EEE d MMM yyyy"}
_SHORT_DATE_PATTERNS = {"fi": "d.M.", "sv": "d.M.", "en": "d MMM"}


def _locale(language: str) -> str:
    return LOCALES.get(language, LOCALES["en"])


def _moment(timestamp: float, timezone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=timezone)


def format_date_time(timestamp: float, timezone: ZoneInfo, language: str) -> str:
    pattern = _DATE_TIME_PATTERNS.get(language, _DATE_TIME_PATTERNS["en"])
    return babel_datetime(_moment(timestamp, timezone), pattern, locale=_locale(language))


def format_date(timestamp: float, timezone: ZoneInfo, language: str) -> str:
    pattern = _DATE_PATTERNS.get(language, _DATE_PATTERNS["en"])
    return babel_datetime(_moment(timestamp, timezone), pattern, locale=_locale(language))


def format_short_date(timestamp: float, timezone: ZoneInfo, language: str) -> str:
    """Day and month only, for chart axes and narrow table columns."""
    pattern = _SHORT_DATE_PATTERNS.get(language, _SHORT_DATE_PATTERNS["en"])
    return babel_datetime(_moment(timestamp, timezone), pattern, locale=_locale(language))


def format_number(value: float, language: str, decimals: int = 1) -> str:
    """A mean or median with a fixed number of decimals: "3,5" in Finnish and Swedish, "3.5" in English."""
    pattern = "0." + "0" * decimals if decimals else "0"
    # Half up, as a reader expects (3,25 → 3,3), not Python's half to even; str() gives the shortest decimal that
    # is the float, so 3.15 (stored as 3.1499…) is rounded as the 3.15 it stands for.
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return format_decimal(rounded, pattern, locale=_locale(language))


def format_day(moment: datetime, zone: ZoneInfo, language: str) -> str:
    return format_skeleton("yMMMEd", moment, tzinfo=zone, locale=language)


def format_moment(moment: datetime, zone: ZoneInfo, language: str) -> str:
    """A date and time as people of `language` write it, on the clock of `zone`."""
    return f"{format_day(moment, zone, language)} {format_time(moment, 'short', tzinfo=zone, locale=language)}"
