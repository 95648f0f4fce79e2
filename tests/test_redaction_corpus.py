"""The redaction corpus: recall of identifying spans and sentences that lost a word, in fi/sv/en (issue 17)."""

from __future__ import annotations

from collections import Counter

from benchmarks.redaction import LOST_WORD_TARGET, RECALL_TARGET, load, score


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
