"""When people work: sample annotation times with weekday and office-hour rhythm.

The eight-week window is cut into half-hour slots weighted by the annotator's
local hour, weekday and a ramp-up over the first two weeks (plus a quiet public
holiday). Sampling inverts the cumulative weights from a lower bound (a task can
only be annotated after it arrived), so the pattern survives the bound.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from databrewery_lab.demo.rng import ANCHOR_S, WINDOW_START_S

SLOT_S = 1800
N_SLOTS = (ANCHOR_S - WINDOW_START_S) // SLOT_S

#: Relative activity by local hour of day.
HOUR_WEIGHTS = np.array(
    [
        0.01,
        0.01,
        0.01,
        0.01,
        0.01,
        0.02,
        0.04,
        0.10,
        0.35,
        0.85,
        1.0,
        1.0,
        0.55,
        0.80,
        0.95,
        1.0,
        0.90,
        0.60,
        0.30,
        0.22,
        0.18,
        0.10,
        0.05,
        0.02,
    ]
)
#: Relative activity by weekday, Monday first.
WEEKDAY_WEIGHTS = np.array([1.0, 1.05, 1.05, 1.0, 0.85, 0.12, 0.05])
#: Days into the window that were public holidays for the demo workforce (lighter load).
HOLIDAYS = (31, 40)  # 2026-09-07 (Labor Day) and 2026-09-16


@cache
def _cdf(offset_h: float) -> np.ndarray:
    slots = np.arange(N_SLOTS)
    utc = WINDOW_START_S + slots * SLOT_S
    local = utc + offset_h * 3600.0
    hour = ((local % 86400) // 3600).astype(int)
    weekday = ((local // 86400).astype(int) + 3) % 7  # 1970-01-01 was a Thursday
    day = slots * SLOT_S // 86400
    ramp = np.minimum(1.0, 0.4 + 0.6 * day / 14.0)
    holiday = np.where(np.isin(day, HOLIDAYS), 0.25, 1.0)
    weights = HOUR_WEIGHTS[hour] * WEEKDAY_WEIGHTS[weekday] * ramp * holiday
    cdf = np.cumsum(weights)
    return cdf / cdf[-1]


def sample_times(
    gen: np.random.Generator, offsets_h: np.ndarray, not_before: np.ndarray
) -> np.ndarray:
    """Epoch seconds (float) for each annotation, after ``not_before``, before the anchor.

    ``offsets_h`` is each annotator's UTC offset in hours; ``not_before`` the earliest
    allowed time (epoch seconds). Times are clipped into the last slot if the bound
    is already past the window.
    """
    out = np.empty(len(offsets_h), dtype=np.float64)
    for offset in np.unique(offsets_h):
        sel = np.nonzero(offsets_h == offset)[0]
        cdf = _cdf(float(offset))
        first = np.clip((not_before[sel] - WINDOW_START_S) // SLOT_S, 0, N_SLOTS - 1).astype(int)
        low = np.where(first > 0, cdf[first - 1], 0.0)
        q = low + gen.random(len(sel)) * (1.0 - low)
        slot = np.minimum(np.searchsorted(cdf, q, side="right"), N_SLOTS - 1)
        t = WINDOW_START_S + slot * SLOT_S + gen.random(len(sel)) * SLOT_S
        out[sel] = np.maximum(t, not_before[sel])
    return np.minimum(out, ANCHOR_S - 1.0)
