"""Seeded randomness and the fixed clock every generated row is stamped against.

Each phase draws from its own stream, derived from ``(seed, name, *keys)``, so
adding a row to one phase never shifts the values of another, and the same seed
always gives the same rows. Nothing here reads the wall clock.
"""

from __future__ import annotations

import hashlib
import random
import string
from datetime import UTC, datetime, timedelta

import numpy as np

#: "Now" for the demo organization: every timestamp is before this instant.
ANCHOR = datetime(2026, 10, 1, tzinfo=UTC)
#: Annotation activity spans the eight weeks before the anchor.
WINDOW_DAYS = 56
WINDOW_START = ANCHOR - timedelta(days=WINDOW_DAYS)
ANCHOR_S = int(ANCHOR.timestamp())
WINDOW_START_S = int(WINDOW_START.timestamp())

_ID_ALPHABET = np.frombuffer((string.ascii_letters + string.digits + "_-").encode(), dtype="S1")


def _stream_seed(seed: int, name: str, keys: tuple[object, ...]) -> int:
    text = "\x1f".join([str(seed), name, *map(str, keys)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


def streams(seed: int, name: str, *keys: object) -> tuple[random.Random, np.random.Generator]:
    """A ``random.Random`` and a numpy Generator private to one phase (and chunk)."""
    s = _stream_seed(seed, name, keys)
    return random.Random(s), np.random.default_rng(s)


def iso(ts: datetime | float | int) -> str:
    """A timestamptz literal (UTC) for one instant given as datetime or epoch seconds."""
    if not isinstance(ts, datetime):
        ts = datetime.fromtimestamp(float(ts), tz=UTC)
    return ts.astimezone(UTC).isoformat()


def iso_array(seconds: np.ndarray) -> list[str]:
    """Timestamptz literals for an array of epoch seconds (vectorised)."""
    micro = np.round(np.asarray(seconds, dtype=np.float64) * 1e6).astype("datetime64[us]")
    return [s + "Z" for s in np.datetime_as_string(micro, unit="ms").tolist()]


def before_anchor(rnd: random.Random, min_days: float, max_days: float) -> datetime:
    """A random instant ``min_days``..``max_days`` before the anchor, at whole seconds."""
    delta = timedelta(seconds=round(rnd.uniform(min_days, max_days) * 86400))
    return ANCHOR - delta


def uuid4_strings(gen: np.random.Generator, n: int) -> list[str]:
    """``n`` RFC 4122 version-4 UUID strings drawn from a seeded generator."""
    raw = gen.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexes = raw.tobytes().hex()
    out = []
    for i in range(0, 32 * n, 32):
        h = hexes[i : i + 32]
        out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return out


def region_ids(gen: np.random.Generator, n: int) -> list[str]:
    """``n`` Label Studio–style 10-character region ids (e.g. ``"wR3d8_kz1P"``)."""
    idx = gen.integers(0, len(_ID_ALPHABET), size=(n, 10))
    return _ID_ALPHABET[idx].view("S10").ravel().astype(str).tolist()


def hex_string(rnd: random.Random, nbytes: int) -> str:
    """A seeded hex string (md5-, sha-like identifiers)."""
    return rnd.getrandbits(8 * nbytes).to_bytes(nbytes, "big").hex()
