"""Unit patterns: the sufficient statistics of alpha, Fleiss' kappa and percent agreement.

Krippendorff's alpha and Fleiss' kappa ignore who rated: all they need from a unit (task) is
the multiset of values it received. DuckDB groups the ratings by task into that sorted
multiset and then counts identical multisets, so a million ratings become a few hundred
*patterns* with frequencies (for choices; continuous numbers stay one pattern per task).
Everything below is vectorised numpy over (replicates × patterns) weight matrices: the point
estimate uses the observed frequencies as its single row, a bootstrap uses resampled ones
(see :mod:`.agreement_bootstrap`), so both run exactly the same arithmetic.

Definitions (checked against the references in the tests):

* Krippendorff's alpha = 1 − D_o / D_e, computed as ``krippendorff.alpha`` does from the
  coincidence matrix of *pairable* values (units with ≥ 2 ratings): with n pairable values,
  n_v of them equal to v, and m_u ratings in unit u,
  ``alpha = 1 − (n − 1) · Σ_u Σ_{i≠j∈u} δ(x_i, x_j) / (m_u − 1) / Σ_{v,w} n_v n_w δ(v, w)``.
  δ is 1[v≠w] (nominal), (v − w)² (interval) or, for ordinal data, (M_v − M_w)² with the
  midrank M_v = Σ_{g<v} n_g + n_v / 2 — algebraically the same as Krippendorff's
  ``(Σ_{g=v..w} n_g − (n_v + n_w)/2)²``, so ordinal alpha is interval alpha on midranks.
* Fleiss' kappa = (P̄ − P_e) / (1 − P_e) with the per-item agreement
  P_i = (Σ_c n_ic² − m_i) / (m_i (m_i − 1)) over items with m_i ≥ 2 ratings, P̄ their mean,
  p_c the share of those items' ratings in category c and P_e = Σ_c p_c². With a constant
  number of raters per item this is exactly Fleiss (1971) / statsmodels; with unequal counts
  each item uses its own m_i (the usual generalisation), or ``complete_only`` keeps only
  the items with the most ratings, as statsmodels requires.
* Percent agreement = P̄: the share of agreeing rater pairs, averaged over items.

Undefined cases return NaN, never raise: no unit with two ratings, or no variation at all
(every pairable rating identical: D_e = 0, or P_e = 1).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .agreement_input import Ratings, require_rows

Level = Literal["nominal", "ordinal", "interval"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval")

# The sorted distinct values and annotators; the pattern queries number them in this order.
DICTIONARY_SQL = """
SELECT (SELECT list(value ORDER BY value) FROM (SELECT DISTINCT value FROM dbl_ratings))
           AS domain,
       (SELECT list(annotator_id ORDER BY annotator_id)
          FROM (SELECT DISTINCT annotator_id FROM dbl_ratings)) AS annotators
"""

# One row per distinct multiset of value codes a task received, with how many tasks received
# it; sorted, so that a seeded bootstrap draws the same replicates on every run. Small
# integer codes instead of the values halve DuckDB's working memory for the lists.
_PATTERNS_SQL = """
WITH domain AS (
    SELECT value, CAST(row_number() OVER (ORDER BY value) - 1 AS BIGINT) AS code
    FROM (SELECT DISTINCT value FROM dbl_ratings)
),
units AS (
    SELECT list_sort(list(d.code)) AS pattern
    FROM dbl_ratings AS r JOIN domain AS d ON r.value = d.value
    GROUP BY r.task_id
)
SELECT pattern, count(*) AS freq FROM units GROUP BY pattern ORDER BY pattern
"""

# Multi-choice sets compare as whole sets: a canonical JSON text of the sorted distinct
# labels is a scalar key that equals another exactly when the sets are equal.
_SET_KEYS = "task_id, annotator_id, CAST(to_json(value) AS VARCHAR) AS value"


def nominal_keys(ratings: Ratings) -> duckdb.DuckDBPyRelation:
    """The ratings with a scalar, equality-comparable ``value`` (label sets become JSON)."""
    if ratings.value_kind == "label_set":
        return ratings.relation.project(_SET_KEYS)
    return ratings.relation


@dataclass(frozen=True)
class UnitPatterns:
    """Distinct value multisets of the units, as sparse (pattern, value, count) cells.

    Cells are sorted by pattern; every pattern has at least one cell. ``domain`` holds the
    distinct values, sorted (numbers ascending), and ``cell_value`` indexes it.
    """

    freq: np.ndarray
    size: np.ndarray
    cell_pattern: np.ndarray
    cell_value: np.ndarray
    cell_count: np.ndarray
    domain: pa.Array
    n_annotators: int

    # -- building ----------------------------------------------------------------------

    @classmethod
    def of(cls, ratings: Ratings) -> UnitPatterns:
        """Run the dictionary and pattern queries and decode them without Python loops."""
        keys = nominal_keys(ratings)
        dictionary = keys.query("dbl_ratings", DICTIONARY_SQL).to_arrow_table()
        domain = dictionary.column("domain").combine_chunks().flatten()
        require_rows(len(domain))
        table = keys.query("dbl_ratings", _PATTERNS_SQL).to_arrow_table()
        owner, codes = flatten_patterns(table)
        # Each multiset is sorted, so equal codes are adjacent: runs are the cells.
        boundary = np.ones(len(codes), dtype=bool)
        boundary[1:] = (owner[1:] != owner[:-1]) | (codes[1:] != codes[:-1])
        starts = np.flatnonzero(boundary)
        counts = np.diff(np.append(starts, len(codes)))
        return cls(
            freq=table.column("freq").to_numpy().astype(np.int64),
            size=np.bincount(owner, minlength=table.num_rows),
            cell_pattern=owner[starts],
            cell_value=codes[starts],
            cell_count=counts.astype(np.float64),
            domain=domain,
            n_annotators=len(dictionary.column("annotators")[0]),
        )

    def subset(self, keep: np.ndarray) -> UnitPatterns:
        """The patterns where ``keep`` is true, renumbered (the value domain stays)."""
        renumber = np.cumsum(keep) - 1
        cells = keep[self.cell_pattern]
        return UnitPatterns(
            freq=self.freq[keep],
            size=self.size[keep],
            cell_pattern=renumber[self.cell_pattern[cells]],
            cell_value=self.cell_value[cells],
            cell_count=self.cell_count[cells],
            domain=self.domain,
            n_annotators=self.n_annotators,
        )

    def pairable(self) -> UnitPatterns:
        """Units with at least two ratings: the only ones any agreement metric can use."""
        return self.subset(self.size >= 2)

    @property
    def units(self) -> int:
        return int(self.freq.sum())

    @property
    def ratings(self) -> int:
        return int((self.freq * self.size).sum())

    # -- sparse sums -------------------------------------------------------------------

    def by_pattern(self, per_cell: np.ndarray) -> np.ndarray:
        """Sum a (replicates × cells) array over each pattern's cells → (replicates × P)."""
        return np.add.reduceat(per_cell, self._pattern_starts, axis=1)

    def value_totals(self, weights: np.ndarray) -> np.ndarray:
        """n_v under each weight row: ratings of each domain value → (replicates × V)."""
        order, starts, present = self._value_layout
        per_cell = weights[:, self.cell_pattern[order]] * self.cell_count[order]
        totals = np.zeros((weights.shape[0], len(self.domain)))
        totals[:, present] = np.add.reduceat(per_cell, starts, axis=1)
        return totals

    def sum_of_squares(self) -> np.ndarray:
        """Σ_v n_pv² per pattern."""
        return np.bincount(self.cell_pattern, self.cell_count**2, minlength=len(self.freq))

    @property
    def replicate_cost(self) -> int:
        """Array cells one bootstrap replicate touches, to size the blocks of replicates."""
        return len(self.freq) + len(self.cell_value) + len(self.domain)

    @cached_property
    def _pattern_starts(self) -> np.ndarray:
        return np.flatnonzero(np.diff(self.cell_pattern, prepend=-1))

    @cached_property
    def _value_layout(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        order = np.argsort(self.cell_value, kind="stable")
        values = self.cell_value[order]
        starts = np.flatnonzero(np.diff(values, prepend=-1))
        return order, starts, values[starts]

    # -- metrics over weight rows ------------------------------------------------------

    def alpha(self, weights: np.ndarray, level: Level) -> np.ndarray:
        """Krippendorff's alpha for each weight row (patterns must be pairable)."""
        if level == "interval":
            # Distances between fixed values: both sums are linear in the pattern weights.
            observed_p, sum_z, sum_z2 = self._interval_statistics
            n = weights @ self.size.astype(np.float64)
            observed = weights @ observed_p
            expected = 2.0 * (n * (weights @ sum_z2) - (weights @ sum_z) ** 2)
        else:
            n_v = self.value_totals(weights)
            n = n_v.sum(axis=1)
            if level == "nominal":
                size = self.size.astype(np.float64)
                observed = weights @ ((size**2 - self.sum_of_squares()) / (size - 1))
                expected = n**2 - (n_v**2).sum(axis=1)
            else:
                observed, expected = self._ordinal_sums(weights, n_v, n)
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = 1.0 - (n - 1.0) * observed / expected
        return np.where(expected > 0, alpha, np.nan)

    @cached_property
    def _interval_statistics(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per pattern: Σ_{i≠j}(x_i − x_j)² / (m − 1), Σz and Σz², z = x − pairable mean.

        Centring on the mean (alpha does not move with a shift) keeps the expected
        disagreement 2(n·Σz² − (Σz)²) free of cancellation; the observed one is summed
        around each unit's own mean for the same reason.
        """
        counts = self.value_totals(self.freq[None, :].astype(np.float64))[0]
        values = self.numeric_domain()
        z = values - (counts @ values) / counts.sum()
        return self._unit_spread(z[None, :])[0], *self._unit_sums(z)

    def _unit_sums(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cell_z = z[self.cell_value]
        sum_z = self.by_pattern((self.cell_count * cell_z)[None, :])[0]
        sum_z2 = self.by_pattern((self.cell_count * cell_z**2)[None, :])[0]
        return sum_z, sum_z2

    def _unit_spread(self, z: np.ndarray) -> np.ndarray:
        """Σ_{i≠j∈u}(z_i − z_j)² / (m_u − 1) = 2·m·Σ(z − z̄_u)² / (m − 1), per row of z."""
        cell_z = z[:, self.cell_value]
        size = self.size.astype(np.float64)
        unit_mean = self.by_pattern(cell_z * self.cell_count) / size
        deviation = cell_z - unit_mean[:, self.cell_pattern]
        spread = self.by_pattern(self.cell_count * deviation**2)
        return 2.0 * size * spread / (size - 1.0)

    def _ordinal_sums(
        self, weights: np.ndarray, n_v: np.ndarray, n: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Interval sums on midranks, which move with every replicate's value counts."""
        positions = np.cumsum(n_v, axis=1) - n_v / 2.0
        with np.errstate(divide="ignore", invalid="ignore"):
            centre = (n_v * positions).sum(axis=1) / n
        z = positions - centre[:, None]
        expected = 2.0 * n * (n_v * z**2).sum(axis=1)
        observed = (weights * self._unit_spread(z)).sum(axis=1)
        return observed, expected

    def numeric_domain(self) -> np.ndarray:
        return self.domain.to_numpy(zero_copy_only=False).astype(np.float64)

    def item_agreement(self) -> np.ndarray:
        """Fleiss' P_i per pattern: the share of its rater pairs that agree."""
        size = self.size.astype(np.float64)
        return (self.sum_of_squares() - size) / (size * (size - 1.0))

    def percent_agreement(self, weights: np.ndarray) -> np.ndarray:
        """P̄ for each weight row."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return (weights @ self.item_agreement()) / weights.sum(axis=1)

    def fleiss_kappa(self, weights: np.ndarray) -> np.ndarray:
        """Fleiss' kappa for each weight row (patterns must be pairable)."""
        observed = self.percent_agreement(weights)
        n_v = self.value_totals(weights)
        with np.errstate(divide="ignore", invalid="ignore"):
            shares = n_v / n_v.sum(axis=1, keepdims=True)
            chance = (shares**2).sum(axis=1)
            kappa = (observed - chance) / (1.0 - chance)
        return np.where(chance < 1.0, kappa, np.nan)

    # -- per label ---------------------------------------------------------------------

    def label_cells(
        self, kind: str | None
    ) -> tuple[list[object], np.ndarray, np.ndarray, np.ndarray]:
        """(labels, pattern, label index, k): how many of a pattern's ratings include a label.

        A choice or number is its own label; a multi-choice set contributes each of its
        labels, so k counts the raters who ticked that label.
        """
        values = self.domain.to_pylist()
        if kind == "label_set":
            members = [json.loads(text) for text in values]
        else:
            members = [[value] for value in values]
        labels = sorted({label for member in members for label in member}, key=_sort_key)
        index = {label: i for i, label in enumerate(labels)}
        member_value = np.repeat(np.arange(len(members)), [len(m) for m in members])
        member_label = np.array([index[label] for m in members for label in m], dtype=np.int64)
        per_value = np.bincount(member_value, minlength=len(members))
        first = np.concatenate([[0], np.cumsum(per_value)[:-1]])
        repeat = per_value[self.cell_value]
        total = int(repeat.sum())
        offset = np.arange(total) - np.repeat(np.cumsum(repeat) - repeat, repeat)
        label_of = member_label[np.repeat(first[self.cell_value], repeat) + offset]
        pattern_of = np.repeat(self.cell_pattern, repeat)
        count_of = np.repeat(self.cell_count, repeat)
        key = pattern_of * max(len(labels), 1) + label_of
        unique, inverse = np.unique(key, return_inverse=True)
        k = np.bincount(inverse, count_of)
        return labels, unique // max(len(labels), 1), unique % max(len(labels), 1), k


def flatten_patterns(table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """(pattern index, code) of every element of the ``pattern`` list column."""
    patterns = table.column("pattern").combine_chunks()
    lengths = pc.list_value_length(patterns).to_numpy().astype(np.int64)
    codes = patterns.flatten().to_numpy().astype(np.int64)
    return np.repeat(np.arange(len(lengths)), lengths), codes


def _sort_key(label: object) -> tuple[str, object]:
    return (type(label).__name__, label)
