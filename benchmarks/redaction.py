"""Scenario 7: how well redaction does on a corpus of real-sounding sentences — recall, words lost, time per text.

The corpus (`tests/redaction_corpus.txt`) holds sentences in Finnish, Swedish and English from care, social work
and school, with every identifying span marked ⟦like this⟧, and the group's members and configured names. Recall is
the share of marked spans whose every letter and digit the redactor removes; a sentence "lost a word" when the
redactor removes a letter or digit outside every marked span. The same figures are checked by
tests/test_redaction_corpus.py. Time per text is measured warm (the analyser loaded and its cache filled by a first
pass), as at a round's close; the analyser's load (time and memory) is measured on its own in a fresh process.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.report import Result, Target
from checkins.privacy.redaction import Redactor, normalise

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "redaction_corpus.txt"
OPEN, CLOSE = "⟦", "⟧"
RECALL_TARGET = 0.98
LOST_WORD_TARGET = 0.02


@dataclass(frozen=True)
class Sentence:
    language: str
    text: str  # without the marks
    spans: tuple[tuple[int, int], ...]  # the marked spans in `text`


@dataclass(frozen=True)
class Corpus:
    people: tuple[tuple[str | None, str | None, str | None], ...]
    configured: tuple[str, ...]
    sentences: tuple[Sentence, ...]

    def redactor(self) -> Redactor:
        return Redactor.for_people(self.people, self.configured)


def _sentence(language: str, marked: str) -> Sentence:
    text, spans, start = "", [], None
    for char in marked:
        if char == OPEN:
            start = len(text)
        elif char == CLOSE and start is not None:
            spans.append((start, len(text)))
            start = None
        else:
            text += char
    return Sentence(language, text, tuple(spans))


def load(path: Path = CORPUS) -> Corpus:
    people, configured, sentences = [], [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition(":") if line.startswith(("member:", "configured:")) else line.partition("|")
        if key == "member":
            first, last, username = (part.strip() or None for part in value.split("|"))
            people.append((first, last, username))
        elif key == "configured":
            configured.append(value.strip())
        else:
            sentences.append(_sentence(key, value))
    return Corpus(tuple(people), tuple(configured), tuple(sentences))


@dataclass(frozen=True)
class Score:
    spans: int
    caught: int
    sentences: int
    lost_word: int
    missed: tuple[str, ...]  # the marked spans that leaked, for the test's message
    lost: tuple[str, ...]  # the sentences that lost a word, as the redactor left them

    @property
    def recall(self) -> float:
        return self.caught / self.spans if self.spans else 1.0

    @property
    def lost_word_share(self) -> float:
        return self.lost_word / self.sentences if self.sentences else 0.0

    def line(self) -> str:
        return (
            f"{self.sentences} sentences, {self.spans} identifying spans: recall {self.recall:.1%} "
            f"({self.caught}/{self.spans}), sentences with a wrongly removed word {self.lost_word_share:.1%} "
            f"({self.lost_word}/{self.sentences})"
        )


def score(corpus: Corpus, redactor: Redactor | None = None) -> Score:
    redactor = redactor or corpus.redactor()
    caught = lost_word = 0
    missed, lost = [], []
    for sentence in corpus.sentences:
        # The corpus is written in NFC without invisible characters, so spans of `normalise(text)` are its spans.
        assert normalise(sentence.text) == sentence.text, sentence.text
        removed = set()
        for _, start, end in redactor.findings(sentence.text):
            removed.update(range(start, end))
        marked = {i for start, end in sentence.spans for i in range(start, end)}
        for start, end in sentence.spans:
            if all(i in removed for i in range(start, end) if sentence.text[i].isalnum()):
                caught += 1
            else:
                missed.append(f"{sentence.text[start:end]!r} in {sentence.text!r}")
        if any(sentence.text[i].isalnum() for i in removed - marked):
            lost_word += 1
            lost.append(redactor.redact(sentence.text, {}))
    spans = sum(len(s.spans) for s in corpus.sentences)
    return Score(spans, caught, len(corpus.sentences), lost_word, tuple(missed), tuple(lost))


_LOAD = """
import time
def rss():
    return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) / 1024
before = rss()
start = time.perf_counter()
import pyvoikko
print(time.perf_counter() - start, rss() - before)
"""


def _analyser_load() -> tuple[float, float]:
    """The analyser's first load in a fresh interpreter (this one has it loaded already): seconds and MB of RSS."""
    done = subprocess.run([sys.executable, "-c", _LOAD], capture_output=True, text=True, check=True)
    seconds, megabytes = done.stdout.split()
    return float(seconds), float(megabytes)


def redaction(repeats: int) -> list[Result]:
    """Scenario 7: recall and lost words on the corpus, then the time to redact one text with a warm cache."""
    name = "7 redaction"
    corpus = load()
    redactor = corpus.redactor()
    result = score(corpus, redactor)
    details = {"sentences": result.sentences, "spans": result.spans}
    load_seconds, load_megabytes = _analyser_load()
    timings = []
    for _ in range(max(repeats, 1)):
        start = time.perf_counter()
        for sentence in corpus.sentences:
            redactor.redact(sentence.text, {})
        timings.append((time.perf_counter() - start) / len(corpus.sentences))
    return [
        Result(name, f"recall of identifying spans ({result.spans})", result.recall * 100, " %",
               target=Target(">=", RECALL_TARGET * 100), details=details),
        Result(name, f"sentences with a wrongly removed word ({result.sentences})", result.lost_word_share * 100,
               " %", target=Target("<=", LOST_WORD_TARGET * 100), details=details),
        Result(name, "time per text, analyser warm", statistics.median(timings) * 1000, " ms", details=details),
        Result(name, "analyser load (once per process)", load_seconds, " s", target=Target("<", 3.0)),
        Result(name, "memory the loaded analyser keeps (RSS)", load_megabytes, " MB"),
    ]  # fmt: skip
