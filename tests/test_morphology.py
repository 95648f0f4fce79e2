"""The Finnish analyser behind redaction: readings through the worker process, the cache, and staying out of the bot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from checkins.privacy import morphology
from checkins.privacy.details import DetailKind, detail_spans
from checkins.privacy.folding import skeleton, spaced_runs

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("word", "base", "word_class"),
    [
        ("kertun", "Kerttu", "etunimi"),
        ("virtasen", "Virtanen", "sukunimi"),
        ("lahden", "Lahti", "paikannimi"),
        ("toivon", "toivoa", "teonsana"),
    ],
)
def test_readings_come_from_the_analyser(word: str, base: str, word_class: str) -> None:
    assert morphology.Reading(base, word_class) in {
        morphology.Reading(r.base, r.word_class) for r in morphology.readings(word).readings
    }


def test_a_word_the_analyser_does_not_know_has_no_readings() -> None:
    assert not morphology.readings("xqzzy").known
    assert not morphology.readings("a" * 100).known


def test_the_bot_never_loads_the_analyser_itself() -> None:
    """It holds the interpreter for a second while loading: it lives in its own process (analyser_worker.py)."""
    code = (
        "import sys, bot; from checkins.privacy import morphology; morphology.readings('kertun');"
        "print('pyvoikko' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("text", "kind", "found"),
    [
        ("Asiakas (s. 12.3.1950) kiitti", DetailKind.BIRTH_DATE, "12.3.1950"),
        ("syntynyt 4.7.1938, muistisairaus", DetailKind.BIRTH_DATE, "4.7.1938"),
        ("född 3 mars 1944 i Vasa", DetailKind.BIRTH_DATE, "3 mars 1944"),
        ("born in 1939", DetailKind.BIRTH_DATE, "1939"),
        ("87-vuotias rouva", DetailKind.AGE, "87-vuotias"),
        ("78-vuotiaan miehen", DetailKind.AGE, "78-vuotiaan"),
        ("en 14-åring rymde", DetailKind.AGE, "14-åring"),
        ("the 16-year-old ran", DetailKind.AGE, "16-year-old"),
        ("Kauppakatu 5 B 12.", DetailKind.ADDRESS, "Kauppakatu 5 B 12"),
        ("asuu Hämeenkadulla 14 yksin", DetailKind.ADDRESS, "Hämeenkadulla 14"),
        ("på Storgatan 12 B.", DetailKind.ADDRESS, "Storgatan 12 B"),
        ("at 14 Baker Street", DetailKind.ADDRESS, "14 Baker Street"),
        ("auto ABC-123 pihalla", DetailKind.PLATE, "ABC-123"),
        ("registreringsnummer ABC 123 stod", DetailKind.PLATE, "ABC 123"),
    ],
)
def test_identifying_details(text: str, kind: DetailKind, found: str) -> None:
    assert [(k, text[start:end]) for k, start, end in detail_spans(text)] == [(kind, found)]


@pytest.mark.parametrize(
    "text",
    [
        "palaveri 12.12.2026 klo 9",
        "yli 75-vuotiaat",
        "asteikolla 4",
        "COVID-19",
        "covid-19",
        "sivu 5",
        "80 % asiakkaista",
    ],
)
def test_numbers_that_identify_no_one(text: str) -> None:
    assert list(detail_spans(text)) == []


def test_skeleton_keeps_positions_and_folds_look_alikes() -> None:
    for text in ("Ｍａｉｊａ", "Mаija", "Máija", "𝐌𝐚𝐢𝐣𝐚"):
        assert skeleton(text) == "Maija" and len(skeleton(text)) == len(text)
    assert skeleton("Björn Åström") == "Björn Åström"
    assert [joined for _, _, joined in spaced_runs("soita M a i j a l l e nyt")] == ["Maijalle"]
