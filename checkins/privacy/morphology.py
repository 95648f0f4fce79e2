"""What a Finnish word can be: its readings from the Voikko analyser, loaded on first use and cached per word.

Voikko (the analyser LibreOffice uses, here through the pure-Python `pyvoikko` and its bundled voikko-fi
transducer) turns a word form into base forms with a word class: "kertun" → Kerttu (first name) and kerttu (noun),
"toivon" → toivo (noun), toivoa (verb) and Toivo (first name). Redaction asks it two questions: is this word a
person's name, and is it also an ordinary word. Loading the transducer takes about 0.6 s (with kfst-rs) and some
220 MB of memory, so it happens when the first text is scrubbed, never at start-up. Without the package every word
is unknown and redaction falls back to its literal name stems and capitalisation.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass

# Voikko's word classes for people's names; places and everything else are ordinary words for redaction.
FIRST_NAME = "etunimi"
SURNAME = "sukunimi"
PLACE = "paikannimi"
PERSON_CLASSES = frozenset({FIRST_NAME, SURNAME})
PROPER_CLASSES = frozenset({FIRST_NAME, SURNAME, PLACE})
# A word longer than this is no name, and analysing it could take long.
MAX_WORD = 40

Analyse = Callable[[str], list]  # pyvoikko.analyse


@dataclass(frozen=True)
class Reading:
    base: str  # the base form as Voikko writes it: "Kerttu", "toivoa"
    word_class: str  # Voikko's class: "etunimi", "nimisana", "teonsana", …
    case: str | None = None  # Voikko's case of a noun or name: "nimento", "omanto", "sisaolento", …
    mood: str | None = None  # of a verb: "indicative", "imperative", …

    @property
    def is_person(self) -> bool:
        return self.word_class in PERSON_CLASSES


@dataclass(frozen=True)
class Readings:
    """Everything one lower-cased word form can be; empty when the analyser does not know it."""

    readings: tuple[Reading, ...]

    @property
    def known(self) -> bool:
        return bool(self.readings)

    @property
    def person(self) -> bool:
        """Some reading is a first name or a surname."""
        return any(r.is_person for r in self.readings)

    @property
    def surname(self) -> bool:
        return any(r.word_class == SURNAME for r in self.readings)

    @property
    def only_proper(self) -> bool:
        """Known, and every reading is a name of a person or place: "virtasen", "maija", "helsingissä"."""
        return self.known and all(r.word_class in PROPER_CLASSES for r in self.readings)

    @property
    def only_place(self) -> bool:
        return self.known and all(r.word_class == PLACE for r in self.readings)

    @property
    def common(self) -> tuple[Reading, ...]:
        """The readings that are ordinary words."""
        return tuple(r for r in self.readings if r.word_class not in PROPER_CLASSES)

    def person_bases(self) -> frozenset[str]:
        """The lower-cased base forms of the name readings: "kertun" → {"kerttu"}."""
        return frozenset(r.base.lower().replace("=", "") for r in self.readings if r.is_person)


@functools.cache
def _analyser() -> Analyse | None:
    """pyvoikko's `analyse`, loading the transducer (seconds) on the first call; None without the package."""
    try:
        module = importlib.import_module("pyvoikko")
    except ImportError:
        return None
    analyse: Analyse = module.analyse
    return analyse


@functools.lru_cache(maxsize=65_536)
def readings(word: str) -> Readings:
    """What the lower-cased letters of `word` can be, cached: a group writes the same words round after round."""
    analyse = _analyser()
    if analyse is None or not word or len(word) > MAX_WORD:
        return Readings(())
    found = dict.fromkeys(Reading(str(a.BASEFORM), str(a.CLASS), a.SIJAMUOTO, a.MOOD) for a in analyse(word.lower()))
    return Readings(tuple(found))
