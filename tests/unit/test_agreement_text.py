"""TextArea agreement: normalisation, character-exact edit similarity, Python fallback."""

from __future__ import annotations

import itertools
import re
import unicodedata

import numpy as np
import pandas as pd
import pytest

from databrewery_lab.analytics.agreement import text_agreement
from databrewery_lab.analytics.agreement_text import levenshtein

TOL = 1e-9


def normalise(text: str) -> str:
    return re.sub(r"[\t\n\f\r ]+", " ", unicodedata.normalize("NFC", text)).strip(" ").lower()


def classic_levenshtein(a: str, b: str) -> int:
    table = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        previous, table[0] = table[0], i
        for j, y in enumerate(b, start=1):
            previous, table[j] = table[j], min(table[j] + 1, table[j - 1] + 1, previous + (x != y))
    return table[-1]


def similarity(a: str, b: str) -> float:
    a, b = normalise(a), normalise(b)
    if not a and not b:
        return 1.0
    return 1.0 - classic_levenshtein(a, b) / max(len(a), len(b))


def texts(rows: list[tuple[int, int, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["task_id", "annotator_id", "text"])


def test_text_agreement_on_hand_computed_cases() -> None:
    frame = texts(
        [
            (1, 1, "  Hello\t\tWorld "),
            (1, 2, "hello world"),
            (2, 1, "日本語"),
            (2, 2, "日本人"),
            (3, 1, ""),
            (3, 2, ""),
            (4, 1, "abc"),
            (4, 2, None),  # missing: task 4 has no pair
        ]
    )
    result = text_agreement(frame, by="task").set_index("task_id")
    assert list(result.index) == [1, 2, 3]
    assert result.loc[1, "exact_rate"] == 1.0 and result.loc[1, "mean_similarity"] == 1.0
    assert result.loc[2, "exact_rate"] == 0.0
    assert result.loc[2, "mean_similarity"] == pytest.approx(2 / 3)
    assert result.loc[3, "mean_similarity"] == 1.0


ALPHABET = [*"abcde ÄÖéè日本語", "\t", "\n", "  "]


def random_texts(seed: int, wide: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    alphabet = ALPHABET + ([chr(0x4E00 + i) for i in range(200)] if wide else [])
    rows = []
    for task in range(30):
        base = "".join(rng.choice(alphabet, size=int(rng.integers(0, 12))))
        for annotator in (4, 9, 15):
            if rng.random() < 0.2:
                continue
            text = "".join(c if rng.random() > 0.3 else str(rng.choice(alphabet)) for c in base) + (
                "" if rng.random() < 0.7 else str(rng.choice(alphabet))
            )
            rows.append((task, annotator, text.upper() if rng.random() < 0.2 else text))
    if wide:
        rows.append((99, 4, "".join(chr(0x4E00 + i) for i in range(150))))
        rows.append((99, 9, "".join(chr(0x4E00 + i) for i in range(20, 180))))
    return texts(rows)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("wide", [False, True])
def test_text_agreement_equals_the_python_reference(seed: int, wide: bool) -> None:
    frame = random_texts(seed, wide)
    rows = []
    for task, group in frame.groupby("task_id"):
        for (a, x), (b, y) in itertools.combinations(
            sorted(zip(group["annotator_id"], group["text"], strict=True)), 2
        ):
            rows.append((task, a, b, float(normalise(x) == normalise(y)), similarity(x, y)))
    pairs = pd.DataFrame(rows, columns=["task_id", "annotator_a", "annotator_b", "exact", "sim"])
    result = text_agreement(frame).set_index(["annotator_a", "annotator_b"])
    expected = pairs.groupby(["annotator_a", "annotator_b"])[["exact", "sim"]].mean()
    np.testing.assert_allclose(result["exact_rate"], expected["exact"], atol=TOL)
    np.testing.assert_allclose(result["mean_similarity"], expected["sim"], atol=TOL)
    by_task = text_agreement(frame, by="task").set_index("task_id")
    np.testing.assert_allclose(
        by_task["mean_similarity"], pairs.groupby("task_id")["sim"].mean(), atol=TOL
    )
    mirrored = pairs.rename(columns={"annotator_a": "annotator_b", "annotator_b": "annotator_a"})
    per_annotator = pd.concat([pairs, mirrored]).groupby("annotator_a")["sim"].mean()
    by_annotator = text_agreement(frame, by="annotator").set_index("annotator_id")
    np.testing.assert_allclose(by_annotator["mean_similarity"], per_annotator, atol=TOL)


def test_text_against_ground_truth() -> None:
    frame = random_texts(1)
    truth = frame[frame["annotator_id"] == 4].drop(columns="annotator_id")
    rated = frame[frame["annotator_id"] != 4]
    result = text_agreement(rated, by="ground_truth", ground_truth=truth).set_index("annotator_id")
    merged = rated.merge(truth, on="task_id", suffixes=("", "_truth"))
    merged["sim"] = [
        similarity(a, b) for a, b in zip(merged["text"], merged["text_truth"], strict=True)
    ]
    expected = merged.groupby("annotator_id")["sim"].mean()
    np.testing.assert_allclose(result["mean_similarity"], expected, atol=TOL)


@pytest.mark.parametrize("seed", range(20))
def test_fallback_levenshtein_equals_the_classic_one(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = "".join(rng.choice(list("abcxyz日本"), size=int(rng.integers(0, 25))))
    b = "".join(rng.choice(list("abcxyz日本"), size=int(rng.integers(0, 25))))
    assert levenshtein(a, b) == classic_levenshtein(a, b)
