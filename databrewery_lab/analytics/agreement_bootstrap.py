"""Bootstrap confidence intervals that never re-run SQL and never loop over rows.

Every agreement metric here is a function of sums, over units (tasks, or co-rated items), of
per-unit statistics; units with the same statistics form one *pattern* with a frequency.
Resampling units with replacement is then the same as drawing pattern counts from a
multinomial(U, freq / U), so one replicate is one row of a weight matrix W and the metric
is recomputed for a block of replicates at once from ``W @ per-pattern statistics``. Few
patterns (choices: a few hundred at any size) cost microseconds per replicate; when nearly
every unit is its own pattern (continuous numbers) units are drawn directly and counted.

The interval is the percentile interval of the replicates (NaN replicates — a resample
where the metric is undefined — are left out), seeded by ``seed`` for reproducibility.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

#: Array cells per block of replicates: bounds the memory of one block (~8 MB an array).
_BLOCK_CELLS = 1_000_000

#: Computes one metric value per replicate from a (replicates × patterns) weight matrix.
Statistic = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class BootstrapSpec:
    """What the caller asked for: the confidence level, replicates and seed."""

    level: float
    n_boot: int = 1000
    seed: int | np.random.Generator | None = None


def bootstrap_spec(
    ci: float | None, n_boot: int, seed: int | np.random.Generator | None
) -> BootstrapSpec | None:
    """Validate the public ``ci``/``n_boot``/``seed`` arguments; None when no CI is wanted."""
    if ci is None:
        return None
    if not 0.0 < float(ci) < 1.0:
        raise ValueError(f"ci is a confidence level strictly between 0 and 1 (e.g. 0.95), not {ci}")
    if int(n_boot) < 2:
        raise ValueError(f"n_boot must be at least 2 resamples, not {n_boot}")
    return BootstrapSpec(float(ci), int(n_boot), seed)


def replicate_weights(
    freq: np.ndarray, n_boot: int, rng: np.random.Generator, cost: int = 0
) -> Iterator[np.ndarray]:
    """Blocks of bootstrap weight rows: how often each pattern is drawn in one resample.

    ``cost`` is how many array cells the statistic touches per replicate (at least one
    per pattern); blocks are sized so that one block stays within ``_BLOCK_CELLS``.
    """
    freq = np.asarray(freq, dtype=np.int64)
    patterns = len(freq)
    units = int(freq.sum())
    block = max(1, min(n_boot, _BLOCK_CELLS // max(patterns, cost, 1)))
    few_patterns = patterns * 8 <= units
    unit_pattern = None if few_patterns else np.repeat(np.arange(patterns), freq)
    done = 0
    while done < n_boot:
        size = min(block, n_boot - done)
        if few_patterns:
            weights = rng.multinomial(units, freq / units, size=size)
        else:
            weights = np.empty((size, patterns), dtype=np.int64)
            for row in range(size):
                drawn = unit_pattern[rng.integers(0, units, size=units)]
                weights[row] = np.bincount(drawn, minlength=patterns)
        done += size
        yield weights.astype(np.float64)


def bootstrap_interval(
    freq: np.ndarray, statistic: Statistic, spec: BootstrapSpec | None, cost: int = 0
) -> tuple[float, float]:
    """Percentile interval of ``statistic`` over resampled units; (nan, nan) when not asked."""
    if spec is None or len(freq) == 0 or int(np.sum(freq)) == 0:
        return (np.nan, np.nan)
    rng = np.random.default_rng(spec.seed)
    samples = np.concatenate(
        [
            np.asarray(statistic(w), dtype=np.float64)
            for w in replicate_weights(freq, spec.n_boot, rng, cost)
        ]
    )
    return percentile_interval(samples, spec.level)


def percentile_interval(samples: np.ndarray, level: float) -> tuple[float, float]:
    """The central ``level`` interval of the finite samples."""
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return (np.nan, np.nan)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(finite, [tail, 1.0 - tail])
    return (float(low), float(high))


def ratio_intervals(
    groups: np.ndarray,
    numerator: np.ndarray,
    denominator: np.ndarray,
    spec: BootstrapSpec | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Interval of Σnumerator / Σdenominator within each group, resampling its units.

    One entry per unit (a task) with its group index 0..G-1; identical (numerator,
    denominator) units of a group share a pattern, so counts-like statistics (F1 from
    matches and region counts, an exact-match rate) resample in microseconds.
    """
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    low, high = np.full(n_groups, np.nan), np.full(n_groups, np.nan)
    if spec is None:
        return low, high
    rng = np.random.default_rng(spec.seed)
    for group in range(n_groups):
        mine = groups == group
        units = np.stack([numerator[mine], denominator[mine]], axis=1).astype(np.float64)
        patterns, freq = np.unique(units, axis=0, return_counts=True)

        def ratio(weights: np.ndarray, patterns: np.ndarray = patterns) -> np.ndarray:
            totals = weights @ patterns
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(totals[:, 1] > 0, totals[:, 0] / totals[:, 1], np.nan)

        samples = np.concatenate(list(map(ratio, replicate_weights(freq, spec.n_boot, rng))))
        low[group], high[group] = percentile_interval(samples, spec.level)
    return low, high
