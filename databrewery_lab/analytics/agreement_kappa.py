"""Cohen's kappa from confusion cells: every annotator pair from one grouped scan.

DuckDB codes each rating as (annotator, value) in one integer, collects every task's sorted
codes and counts identical lists — a million ratings become a few thousand *patterns* (far
less memory than a self-join of the ratings). numpy expands each pattern into its rater
pairs once and sums (annotator_a, annotator_b, value_a, value_b) confusion cells weighted by
the pattern's frequency; the kappas are then finished for all pairs at once:

``kappa = 1 − (N − A) / (N − Σ_c r_c s_c / N)``

over the N items both annotators rated, with A of them agreeing and r_c, s_c each one's
label counts on those items — ``sklearn.metrics.cohen_kappa_score`` with its default
(unweighted) arguments. It is NaN when undefined (both used one and the same label
throughout), as scikit-learn returns. Labels neither used do not change kappa.

Each pattern is sorted by annotator, so an annotator who rated a task twice shows up as two
neighbours with the same annotator: the one-rating-per-(task, annotator) contract is
checked for free.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .agreement_bootstrap import BootstrapSpec, bootstrap_interval
from .agreement_input import AgreementInputError, require_rows
from .agreement_units import DICTIONARY_SQL, flatten_patterns

# Tasks with two or more ratings as sorted lists of rater * V + value code (V values).
_RATER_PATTERNS_SQL = """
WITH domain AS (
    SELECT value, CAST(row_number() OVER (ORDER BY value) - 1 AS BIGINT) AS code
    FROM (SELECT DISTINCT value FROM dbl_ratings)
),
raters AS (
    SELECT annotator_id, CAST(row_number() OVER (ORDER BY annotator_id) - 1 AS BIGINT) AS rater
    FROM (SELECT DISTINCT annotator_id FROM dbl_ratings)
),
width AS (
    SELECT count(*) AS v FROM domain
),
units AS (
    SELECT list_sort(list(a.rater * w.v + d.code)) AS pattern
    FROM dbl_ratings AS r
    JOIN domain AS d ON r.value = d.value
    JOIN raters AS a ON r.annotator_id = a.annotator_id
    CROSS JOIN width AS w
    GROUP BY r.task_id
    HAVING count(*) >= 2
)
SELECT pattern, count(*) AS freq FROM units GROUP BY pattern ORDER BY pattern
"""

_DUPLICATE_SQL = """
SELECT task_id, annotator_id, count(*) AS n
FROM dbl_ratings GROUP BY ALL HAVING count(*) > 1
ORDER BY task_id, annotator_id LIMIT 1
"""


@dataclass(frozen=True)
class KappaCells:
    """Confusion cells of several comparisons (``group``), values coded into ``domain``."""

    group: np.ndarray
    code_a: np.ndarray
    code_b: np.ndarray
    count: np.ndarray
    n_groups: int
    n_values: int

    def table(self) -> dict[str, np.ndarray]:
        """n_items, observed and chance agreement and kappa of every group."""
        return kappa_from_cells(
            self.group,
            self.code_a,
            self.code_b,
            self.count[None, :],
            self.n_groups,
            self.n_values,
        )

    def intervals(self, spec: BootstrapSpec | None) -> tuple[np.ndarray, np.ndarray]:
        """Bootstrap interval of each group's kappa, resampling that group's items."""
        low = np.full(self.n_groups, np.nan)
        high = np.full(self.n_groups, np.nan)
        if spec is None:
            return low, high
        order = np.argsort(self.group, kind="stable")
        bounds = np.searchsorted(self.group[order], np.arange(self.n_groups + 1))
        for g in range(self.n_groups):
            cells = order[bounds[g] : bounds[g + 1]]
            code_a, code_b = self.code_a[cells], self.code_b[cells]
            zeros = np.zeros(len(cells), dtype=np.int64)

            def kappa(weights: np.ndarray, a=code_a, b=code_b, z=zeros) -> np.ndarray:
                return kappa_from_cells(z, a, b, weights, 1, self.n_values)["kappa"][:, 0]

            low[g], high[g] = bootstrap_interval(self.count[cells].astype(np.int64), kappa, spec)
        return low, high


def kappa_from_cells(
    group: np.ndarray,
    code_a: np.ndarray,
    code_b: np.ndarray,
    weights: np.ndarray,
    n_groups: int,
    n_values: int,
) -> dict[str, np.ndarray]:
    """Cohen's kappa per group for each row of ``weights`` (replicates × cells)."""
    replicates = weights.shape[0]
    agree = (code_a == code_b).astype(np.float64)
    n = _group_sum(weights, group, n_groups)
    agreeing = _group_sum(weights * agree, group, n_groups)
    rows = _group_sum(weights, group * n_values + code_a, n_groups * n_values)
    cols = _group_sum(weights, group * n_values + code_b, n_groups * n_values)
    rows = rows.reshape(replicates, n_groups, n_values)
    cols = cols.reshape(replicates, n_groups, n_values)
    with np.errstate(divide="ignore", invalid="ignore"):
        chance_pairs = (rows * cols).sum(axis=2) / n
        denominator = n - chance_pairs
        kappa = np.where(denominator > 0, 1.0 - (n - agreeing) / denominator, np.nan)
        return {
            "n_items": n,
            "observed_agreement": agreeing / n,
            "chance_agreement": chance_pairs / n,
            "kappa": kappa,
        }


def _group_sum(weights: np.ndarray, index: np.ndarray, size: int) -> np.ndarray:
    """Sum each weight row's cells into ``size`` bins (a one-hot product when it is small)."""
    if weights.shape[0] > 1 and len(index) * size <= 1_000_000:
        one_hot = np.zeros((len(index), size))
        one_hot[np.arange(len(index)), index] = 1.0
        return weights @ one_hot
    out = np.zeros((weights.shape[0], size))
    for row in range(weights.shape[0]):
        out[row] = np.bincount(index, weights[row], minlength=size)
    return out


def encode_values(*columns: pa.ChunkedArray) -> tuple[list[np.ndarray], pa.Array]:
    """Code equal values of the columns with one shared, sorted domain (returned too)."""
    arrays = [column.combine_chunks() for column in columns]
    domain = pc.unique(pa.concat_arrays(arrays))
    domain = domain.take(pc.array_sort_indices(domain))
    codes = [pc.index_in(array, value_set=domain).to_numpy().astype(np.int64) for array in arrays]
    return codes, domain


def pair_cells(relation: duckdb.DuckDBPyRelation) -> tuple[KappaCells, np.ndarray, np.ndarray]:
    """Confusion cells of every annotator pair, and the pairs' (annotator_a, annotator_b)."""
    dictionary = relation.query("dbl_ratings", DICTIONARY_SQL).to_arrow_table()
    n_values = len(dictionary.column("domain").combine_chunks().flatten())
    require_rows(n_values)
    annotators = dictionary.column("annotators").combine_chunks().flatten().to_numpy()
    table = relation.query("dbl_ratings", _RATER_PATTERNS_SQL).to_arrow_table()
    owner, keys = flatten_patterns(table)
    rater = keys // n_values
    if np.any((owner[1:] == owner[:-1]) & (rater[1:] == rater[:-1])):
        _raise_duplicate(relation)
    freq = table.column("freq").to_numpy().astype(np.float64)
    cells, count = _cell_counts(owner, keys, freq, len(annotators), n_values)
    pair, values = np.divmod(cells, n_values * n_values)
    pairs, group = np.unique(pair, return_inverse=True)
    code_a, code_b = np.divmod(values, n_values)
    result = KappaCells(
        group=group.reshape(-1),
        code_a=code_a,
        code_b=code_b,
        count=count,
        n_groups=len(pairs),
        n_values=n_values,
    )
    n_raters = len(annotators)
    return result, annotators[pairs // n_raters], annotators[pairs % n_raters]


#: Rater pairs expanded at once: bounds memory when nearly every task is its own pattern.
_PAIRS_PER_BLOCK = 200_000
#: Up to this many possible cells they are summed in a dense array, else by sorting.
_DENSE_CELLS = 1 << 21


def _cell_counts(
    owner: np.ndarray, keys: np.ndarray, freq: np.ndarray, n_raters: int, n_values: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted cell keys ((a·R + b)·V + value_a)·V + value_b and their weighted counts."""
    space = n_raters * n_raters * n_values * n_values
    if space >= 2**62:
        raise AgreementInputError(
            f"{n_raters} annotators × {n_values} distinct values are too many for a kappa "
            "matrix; select fewer annotators or bin the values"
        )
    lengths = np.bincount(owner, minlength=len(freq))
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    pairs_before = np.concatenate([[0], np.cumsum(lengths * (lengths - 1) // 2)])
    targets = np.arange(_PAIRS_PER_BLOCK, pairs_before[-1], _PAIRS_PER_BLOCK)
    cuts = np.unique(np.concatenate([[0], np.searchsorted(pairs_before, targets), [len(freq)]]))
    dense = np.zeros(space) if space <= _DENSE_CELLS else None
    partial: list[tuple[np.ndarray, np.ndarray]] = []
    for lo, hi in itertools.pairwise(cuts):
        local = owner[bounds[lo] : bounds[hi]] - lo
        first, second = _pairs_within(local)
        a, b = keys[bounds[lo] + first], keys[bounds[lo] + second]
        (rater_a, code_a), (rater_b, code_b) = np.divmod(a, n_values), np.divmod(b, n_values)
        cell = ((rater_a * n_raters + rater_b) * n_values + code_a) * n_values + code_b
        weight = freq[lo + local[first]]
        if dense is not None:
            dense += np.bincount(cell, weight, minlength=space)
        else:
            unique, inverse = np.unique(cell, return_inverse=True)
            partial.append((unique, np.bincount(inverse.reshape(-1), weight)))
    if dense is not None:
        cells = np.flatnonzero(dense)
        return cells, dense[cells]
    if not partial:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    unique, inverse = np.unique(np.concatenate([u for u, _ in partial]), return_inverse=True)
    return unique, np.bincount(inverse.reshape(-1), np.concatenate([c for _, c in partial]))


def _pairs_within(owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i, j), i < j, of elements that belong to the same (sorted) pattern."""
    lengths = np.bincount(owner)
    starts = np.cumsum(lengths) - lengths
    later = lengths[owner] - (np.arange(len(owner)) - starts[owner]) - 1
    first = np.repeat(np.arange(len(owner)), later)
    offset = np.arange(len(first)) - np.repeat(np.cumsum(later) - later, later)
    return first, first + 1 + offset


def _raise_duplicate(relation: duckdb.DuckDBPyRelation) -> None:
    row = relation.query("dbl_ratings", _DUPLICATE_SQL).fetchone()
    where = f" (task {row[0]}, annotator {row[1]}: {row[2]} rows)" if row else ""
    raise AgreementInputError(
        "the ratings table has more than one row for the same (task_id, annotator_id)"
        f"{where}; pairwise and per-annotator metrics need one rating per annotator and task: "
        "keep each annotator's latest annotation of a task"
    )


def raise_if_duplicated(relation: duckdb.DuckDBPyRelation) -> None:
    """Fail clearly when an annotator rated a task twice (metrics that pair annotators)."""
    if relation.query("dbl_ratings", _DUPLICATE_SQL).fetchone() is not None:
        _raise_duplicate(relation)
