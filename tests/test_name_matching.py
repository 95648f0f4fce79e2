"""The indexed name matcher finds exactly what one case-insensitive regular expression per name would find."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from checkins.privacy.name_matching import END, NameIndex, NameRule, fold
from checkins.privacy.redaction import Redactor

NAMES = [
    "Maija", "Meikäläinen", "Maija Meikäläinen", "Pekka", "Antti", "Virtanen", "Kristian", "Tobias", "Anna-Liisa",
    "maija_m", "Al", "O'Brien", "Åsa", "Ida", "Ilkka", "Stina", "Jean-Luc Picard", "Matti", "Mattila",
]  # fmt: skip
INDEX = Redactor.for_names(NAMES).names


def reference_pattern(rule: NameRule) -> re.Pattern[str]:
    """The rule as the single expression the matcher stands in for."""
    stems = "|".join(re.escape(stem) + after.pattern.removesuffix(END) for stem, after in rule.stems)
    lead = "".join(re.escape(word) + r"\s+" for word in rule.lead)
    return re.compile(rf"(?<![^\W\d])@?{lead}(?:{stems}){END}", re.IGNORECASE)


REFERENCE = [reference_pattern(rule) for rule in INDEX]

PIECES = st.sampled_from(
    [
        *" -@_'’:.,2\n\tMmAaIiJjPpKkEeTtNnSsLlÄäÖöÅåıſKİß",
        *NAMES,
        "Maijan", "Pekan", "Pekkojen", "Virtasille", "Tobiaksen", "Anna-Liisan", "Liisalle", "antia", "Mattilan",
        "maija_m:n", "Maija's", "MAIJA  MEIKÄLÄISEN", "@maija", "@@pekka", "xMaija", "2Maija", "Maija2",
    ]
)  # fmt: skip
TEXTS = st.one_of(st.lists(PIECES, max_size=30).map("".join), st.text(max_size=60))


@settings(max_examples=400, deadline=None)
@given(text=TEXTS)
def test_the_index_finds_what_one_expression_per_name_finds(text: str) -> None:
    expected = sorted({match.span() for pattern in REFERENCE for match in pattern.finditer(text)})
    assert sorted(set(INDEX.spans(text))) == expected


def test_a_text_is_only_tried_where_a_name_could_start() -> None:
    index = NameIndex([NameRule.for_word("Pekka")])
    assert list(index.spans("Kävin Pekan kanssa; pekkaa ei näkynyt, vain Pekkojen auto.")) == [
        (6, 11),
        (20, 26),
        (44, 52),
    ]


def test_folding_keeps_every_position() -> None:
    for text in ("İstanbul", "Straße", "ſara", "Kelvin", "MAIJA"):
        assert len(fold(text)) == len(text)
    assert fold("ſara Kelvin") == "sara kelvin"
