"""The redaction corpus: recall of identifying spans and sentences that lost a word, in fi/sv/en (issue 17)."""

from __future__ import annotations

from collections import Counter

from benchmarks.redaction import LOST_WORD_TARGET, RECALL_TARGET, load, redaction, score


def test_the_corpus_is_big_enough_and_covers_each_language() -> None:
    corpus = load()
    languages = Counter(sentence.language for sentence in corpus.sentences)
    assert len(corpus.sentences) >= 300
    assert set(languages) == {"fi", "sv", "en"} and min(languages.values()) >= 50
    assert sum(not sentence.spans for sentence in corpus.sentences) >= 100  # sentences with nothing to remove


def test_recall_and_lost_words_on_the_corpus() -> None:
    result = score(load())
    print(result.line())  # the figures, for `pytest -s` and the CI log
    assert result.recall >= RECALL_TARGET, "\n".join(result.missed)
    assert result.lost_word_share <= LOST_WORD_TARGET, "\n".join(result.lost)


def test_the_benchmark_scenario_reports_the_same_figures() -> None:
    rows = {row.figure: row for row in redaction(1)}
    result = score(load())
    assert rows[f"recall of identifying spans ({result.spans})"].value == result.recall * 100
    assert rows[f"sentences with a wrongly removed word ({result.sentences})"].value == result.lost_word_share * 100
    assert 0 < rows["analyser load (once per process)"].value < 30
