"""What a Finnish word can be: its readings from the Voikko analyser, loaded on first use and cached per word.

Voikko (the analyser LibreOffice uses, here through the pure-Python `pyvoikko` and its bundled voikko-fi
transducer) turns a word form into base forms with a word class: "kertun" → Kerttu (first name) and kerttu (noun),
"toivon" → toivo (noun), toivoa (verb) and Toivo (first name). Redaction asks it two questions: is this word a
person's name, and is it also an ordinary word. Loading the transducer takes about 0.6 s (with kfst-rs), holds
the interpreter while it does, and keeps some 220 MB, so the analyser runs in a process of its own
(`analyser_worker.py`), started beside the bot's start-up (`start`) or on first use; the bot sends it words in
batches (`prime`) and caches the answers. Without the package, or without the process, every word is unknown and
redaction falls back to its literal name stems and capitalisation.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# Voikko's word classes for people's names; places and everything else are ordinary words for redaction.
FIRST_NAME = "etunimi"
SURNAME = "sukunimi"
PLACE = "paikannimi"
PERSON_CLASSES = frozenset({FIRST_NAME, SURNAME})
PROPER_CLASSES = frozenset({FIRST_NAME, SURNAME, PLACE})
# A word longer than this is no name, and analysing it could take long.
MAX_WORD = 40


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


class _Worker:
    """The analyser process (`analyser_worker.py`) and the pipe to it. Started on first use or by `start`."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self._failed = False

    def start(self) -> None:
        with self._lock:
            self._spawn()

    def _spawn(self) -> subprocess.Popen[str] | None:
        if self._process is None and not self._failed:
            try:
                self._process = subprocess.Popen(
                    [sys.executable, str(_WORKER)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    text=True,
                    encoding="utf-8",
                )
            except OSError:
                self._failed = True
        return self._process

    def analyse(self, words: list[str]) -> list[list[list[str | None]]] | None:
        """Readings per word, or None when the process cannot be had (then every word is unknown)."""
        with self._lock:
            process = self._spawn()
            if process is None or process.stdin is None or process.stdout is None:
                return None
            try:
                process.stdin.write(json.dumps(words, ensure_ascii=False) + "\n")
                process.stdin.flush()
                line = process.stdout.readline()
            except (OSError, ValueError):
                line = ""
            if not line:  # it died: try once more next time, with a new process
                self._process = None
                return None
            answer: list[list[list[str | None]]] = json.loads(line)
            return answer


_WORKER = Path(__file__).with_name("analyser_worker.py")
_worker = _Worker()


def start() -> None:
    """Start loading the analyser now, in its own process (the bot does it at start-up); returns at once."""
    _worker.start()


def prime(words: Iterable[str]) -> None:
    """Look up every word not yet cached in one exchange with the analyser, instead of one each."""
    wanted = [word for word in dict.fromkeys(w.lower() for w in words) if 0 < len(word) <= MAX_WORD]
    missing = [word for word in wanted if word not in _cache]
    if not missing:
        return
    answer = _worker.analyse(missing)
    if answer is None:
        return  # no analyser now: nothing cached, so the words are asked again once there is one
    for word, found in zip(missing, answer, strict=True):
        _remember(word, _readings_of(found))


def _readings_of(found: list[list[str | None]]) -> Readings:
    unique = dict.fromkeys(Reading(str(base), str(kind), case, mood) for base, kind, case, mood in found)
    return Readings(tuple(unique))


_cache: dict[str, Readings] = {}
CACHE_SIZE = 65_536


def _remember(word: str, found: Readings) -> None:
    if len(_cache) >= CACHE_SIZE:
        _cache.clear()  # a group's words repeat round after round; starting over now and then is cheap
    _cache[word] = found


def readings(word: str) -> Readings:
    """What the lower-cased letters of `word` can be, cached: a group writes the same words round after round."""
    word = word.lower()
    if not word or len(word) > MAX_WORD:
        return Readings(())
    if word not in _cache:
        prime([word])
    return _cache.get(word, Readings(()))
