"""Identifying details that are not names or contact details: birth dates, ages, street addresses, vehicle plates.

A date alone is an appointment; a date after "s." / "syntynyt" / "född" / "born" is a person. Likewise a number
is a number, but "87-vuotias", "87-åring" and "87-year-old" describe someone, a number after a street name
("Kauppakatu 5 B 12", "Hämeenkadulla 12") is a home, and "ABC-123" is a car. Each pattern runs over the text's
skeleton (see `folding`) and yields (kind, start, end); the word that introduces a birth date stays, only the date
goes. Ages are recognised only with the word that makes them an age, so "87 %" and "asteikolla 4" stay.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import StrEnum


class DetailKind(StrEnum):
    BIRTH_DATE = "birth_date"
    AGE = "age"
    ADDRESS = "address"
    PLATE = "plate"


_MONTHS = (
    r"(?:tammi|helmi|maalis|huhti|touko|kesä|heinä|elo|syys|loka|marras|joulu)kuu(?:ta|n)?"
    r"|jan(?:uar[iy])?|feb(?:ruar[iy])?|mars?|march|apr(?:il)?|maj|may|jun[ie]?|jul[iy]?|aug(?:ust[i]?)?"
    r"|sep(?:t(?:ember)?)?|o[ck]t(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DATE = (
    rf"(?:[0-3]?[0-9][./-][01]?[0-9][./-](?:1[89]|20)?[0-9]{{2}}"  # 12.3.1950, 12/3/50
    rf"|[0-3]?[0-9]\.?\s(?:{_MONTHS})\s(?:1[89]|20)[0-9]{{2}}"  # 12. maaliskuuta 1950, 12 mars 1950
    rf"|(?:{_MONTHS})\s[0-3]?[0-9],?\s(?:1[89]|20)[0-9]{{2}}"  # March 12, 1950
    rf"|(?:1[89]|20)[0-9]{{2}})"  # 1950
)
_BIRTH = re.compile(
    rf"(?<![^\W\d])(?:s\.|synt\.|syntynyt|syntyi|syntyneen|syntynyttä|f\.|född|född\s+den|born|b\.|DOB:?|d\.o\.b\.:?)"
    rf"\s*(?:vuonna\s|år\s|in\s|on\s)?(?P<date>{_DATE})(?![0-9])",
    re.IGNORECASE,
)
# Not after "yli", "alle", "over", "under": "yli 75-vuotiaat" is a group of people, not someone.
_AGE = re.compile(
    r"(?<![\w.,])(?<!yli\s)(?<!alle\s)(?<!over\s)(?<!under\s)(?<!över\s)[0-9]{1,3}(?:\s?[-–]\s?|\s)"
    r"(?:vuotia[a-zäö]*|kuukautis[a-zäö]*|åri[a-zåäö]*|årig[a-z]*|år\s+gammal[a-z]*"
    r"|years?[- ]old|yo\b|month[- ]old)(?![\w])"
    r"|(?<![^\W\d])(?:aged|age|ikä|iältään|ålder)\s+[0-9]{1,3}(?![\w])",
    re.IGNORECASE,
)
# A Finnish or Swedish street name (in any case: "Hämeenkadulla") or an English one, then a house number with an
# optional staircase letter and flat: "Kauppakatu 5 B 12", "Storgatan 3a", "12 Baker Street".
_LOC = r"(?:ll[aä]|lt[aä]|lle|n|ss[aä]|st[aä])"
_STREET = (
    rf"[^\W\d_]{{2,}}(?:katu|kadu{_LOC}|katua|tie|tie(?:{_LOC}|t[aä]|hen)|kuja|kuja(?:{_LOC}|a|an)|polku|polu{_LOC}"
    rf"|väylä|väylä(?:{_LOC}|ä)|raitti|raiti{_LOC}|kaari|kaare{_LOC}|rinne|rintee{_LOC}|puistikko|puistiko{_LOC}"
    r"|gata[n]?|gränd(?:en)?|väg(?:en)?|stig(?:en)?|backe[n]?|allé[n]?)"
)
_HOUSE = r"[0-9]{1,3}(?:[-–][0-9]{1,3})?(?:\s?[a-zA-Z](?![^\W\d]))?(?:\s(?:as\.\s?)?[0-9]{1,3}(?![0-9]))?"
_ADDRESS = re.compile(
    rf"(?<![^\W\d])(?:{_STREET})\s(?:nro\s|nr\s)?{_HOUSE}(?::[a-zäö]+)?(?![0-9])"
    rf"|(?<![\w.,])[0-9]{{1,4}}[a-z]?\s(?:[A-Z][a-z]+\s){{1,2}}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Close|Drive)\b",
    re.IGNORECASE,
)
# Finnish plates (ABC-123, also lower case) and the Swedish form with a space, only when called a plate.
_PLATE = re.compile(
    r"(?<![\w-])[A-ZÅÄÖ]{2,3}-[0-9]{1,3}(?![\w-])"
    r"|(?:rekisteri(?:numero|kilpi)?[a-zäö]*|rekkari[a-zäö]*|registreringsnummer[a-z]*|regnr\.?|plate)"
    r"\s+(?P<plate>[A-ZÅÄÖ]{2,3}[- ]?[0-9]{1,3}[A-Z]?)(?![\w])",
    re.IGNORECASE,
)
# Upper-case only for the bare form: "covid-19" or "sote-2" in lower case are not plates.
_BARE_PLATE = re.compile(r"[A-ZÅÄÖ]{2,3}-[0-9]{1,3}")


_DIGIT = re.compile(r"[0-9]")


def detail_spans(plain: str) -> Iterator[tuple[DetailKind, int, int]]:
    """Every birth date, age, street address and plate in a skeleton text."""
    if not _DIGIT.search(plain):
        return  # each of them has a number in it, and most texts have none: skip four scans
    for match in _BIRTH.finditer(plain):
        yield DetailKind.BIRTH_DATE, match.start("date"), match.end("date")
    for match in _AGE.finditer(plain):
        yield DetailKind.AGE, match.start(), match.end()
    for match in _ADDRESS.finditer(plain):
        yield DetailKind.ADDRESS, match.start(), match.end()
    for match in _PLATE.finditer(plain):
        if match["plate"]:
            yield DetailKind.PLATE, match.start("plate"), match.end("plate")
        elif _BARE_PLATE.fullmatch(match[0]):
            yield DetailKind.PLATE, match.start(), match.end()
