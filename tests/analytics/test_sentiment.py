"""The tone reader measured on labelled messages that ship with the tests.

``sentiment_labelled.csv`` is the development set the lexicon was tuned on; ``sentiment_heldout``
was written before tuning and never tuned on: its accuracy is the honest figure (README).
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from niaga.analytics import sentiment

HERE = Path(__file__).parent


def _rows(name: str) -> list[tuple[str, str]]:
    with (HERE / name).open(encoding="utf-8") as fh:
        return [(row["label"], row["text"]) for row in csv.DictReader(fh)]


def _measure(rows: list[tuple[str, str]]) -> tuple[float, dict[str, float], list[str]]:
    """Accuracy, recall per label, and the misses (for the failure message)."""
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    misses = []
    for expected, text in rows:
        got = sentiment.label(text)
        total[expected] += 1
        if got == expected:
            right[expected] += 1
        else:
            misses.append(f"{expected} read as {got}: {text!r}")
    recall = {k: right[k] / total[k] for k in total}
    return sum(right.values()) / len(rows), recall, misses


@pytest.mark.parametrize(
    ("name", "accuracy", "negative_recall"),
    [("sentiment_labelled.csv", 0.95, 0.9), ("sentiment_heldout.csv", 0.85, 0.75)],
)
def test_accuracy_on_the_labelled_sets(name: str, accuracy: float, negative_recall: float) -> None:
    rows = _rows(name)
    assert len(rows) >= 40 and {label for label, _ in rows} == {"positive", "neutral", "negative"}
    measured, recall, misses = _measure(rows)
    print(f"{name}: accuracy {measured:.1%} on {len(rows)}, recall {recall}")
    assert measured >= accuracy, "\n".join(misses)
    assert recall["negative"] >= negative_recall, "\n".join(misses)


def test_the_sets_do_not_overlap() -> None:
    """A held-out message that is also in the development set measures nothing."""
    tuned = {text.casefold() for _, text in _rows("sentiment_labelled.csv")}
    assert not [t for _, t in _rows("sentiment_heldout.csv") if t.casefold() in tuned]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Barangnya bagus banget kak", "positive"),
        ("barangnya gak bagus", "negative"),
        ("gak jelek kok", "positive"),
        ("kurang puas sama pelayanannya", "negative"),
        ("mantul kak 👍", "positive"),
        ("paketnya belum sampai juga 😡", "negative"),
        ("kak ini ready ukuran L?", "neutral"),
        ("Thank you so much, love it", "positive"),
        ("not good, the package was damaged", "negative"),
        ("", "neutral"),
        (None, "neutral"),
    ],
)
def test_the_rules_that_decide(text: str | None, expected: str) -> None:
    """Negation, softeners, slang, emoji and English, each on its own."""
    assert sentiment.label(text) == expected, sentiment.score(text)


def test_the_words_that_decided_are_given() -> None:
    found = sentiment.score("pengirimannya lama banget, kecewa 😭")
    assert found.label == "negative" and found.score <= -sentiment.THRESHOLD
    assert "😭" in found.hits and any("kecewa" in h for h in found.hits)
