"""The scenario's clock: voting day, when reports arrive, when KPU publishes and is pulled.

Times inside the generator are epoch seconds (UTC). Hours in the tables below count from voting
day 00:00 WIB unless their name says otherwise.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

VOTING_DAY = dt.date(2024, 11, 27)
WIB = dt.timezone(dt.timedelta(hours=7))

#: Hours after voting day 00:00 WIB at which the demo's KPU pulls happen (pull folder names).
PULL_HOURS_WIB: tuple[float, ...] = (20.0, 32.0, 37.5)
#: Collection batches of the internal count (hours after voting day 00:00 WIB); as_of closes the last.
BATCH_HOURS_WIB: tuple[float, ...] = (16, 18, 20, 22, 24, 27, 30, 33, 36)
#: Internal report arrival: hours after 14:00 local on voting day → cumulative share of TPS × contest.
INTERNAL_CDF: tuple[tuple[float, float], ...] = (
    (0, 0),
    (1, 0.04),
    (2, 0.12),
    (4, 0.30),
    (6, 0.45),
    (8, 0.56),
    (12, 0.68),
    (18, 0.80),
    (24, 0.90),
    (36, 0.97),
    (72, 1.0),
)
#: KPU publication: hours after 14:00 WIB on voting day → cumulative share (≈35/60/75% at the pulls).
KPU_CDF: tuple[tuple[float, float], ...] = (
    (0, 0),
    (2, 0.06),
    (6, 0.41),
    (12, 0.53),
    (18, 0.63),
    (23.5, 0.80),
    (36, 0.88),
    (72, 0.97),
    (168, 1.0),
)


def epoch(t: dt.datetime) -> int:
    """Epoch seconds of an aware datetime."""
    return int(t.timestamp())


def day0_utc() -> int:
    """Voting day 00:00 UTC."""
    return epoch(dt.datetime.combine(VOTING_DAY, dt.time(0), dt.UTC))


def day0_wib() -> int:
    """Voting day 00:00 WIB."""
    return day0_utc() - 7 * 3600


def pulls(as_of: int) -> list[int]:
    """The KPU pulls taken by ``as_of``."""
    d0 = day0_wib()
    return [d0 + int(h * 3600) for h in PULL_HOURS_WIB if d0 + h * 3600 <= as_of]


def batch_cutoffs(as_of: int) -> list[int]:
    """The closing times of the internal count's batches up to ``as_of`` (which closes the last)."""
    d0 = day0_wib()
    cut = [d0 + int(h * 3600) for h in BATCH_HOURS_WIB]
    return [c for c in cut if c < as_of] + [as_of]


def label_wib(t: int) -> str:
    """``YYYYMMDDTHHMM`` in WIB: the name of a pull folder or a batch."""
    return wib(t).strftime("%Y%m%dT%H%M")


def wib(t: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, WIB)


def local_text(t: int, off: int, iso: bool = False) -> str:
    """``2024-11-27 16:05`` at UTC+``off`` (ISO with the offset when ``iso``)."""
    d = dt.datetime.fromtimestamp(t, dt.timezone(dt.timedelta(hours=off)))
    return d.isoformat() if iso else d.strftime("%Y-%m-%d %H:%M")


def interp_hours(u: np.ndarray, cdf: tuple[tuple[float, float], ...]) -> np.ndarray:
    """Hours at which cumulative shares ``u`` are reached on the piecewise-linear ``cdf``."""
    hours = np.array([h for h, _ in cdf])
    share = np.array([s for _, s in cdf])
    return np.interp(u, share, hours)
