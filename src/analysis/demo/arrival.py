"""Why towns come first: the demo's remoteness, and how it orders reports and tilts votes.

Each desa has a *remoteness* from 0 (a town centre on the main road) to 1 (far from any road): a
kecamatan part (its distance from the kab/kota seat) and a desa part (on the road or up the river);
a kelurahan is a town, and a kota's kecamatan lie closer together than a kabupaten's. Remoteness
slows a TPS's report to the desk and KPU's upload of its form, and it tilts votes: in every contest
some paslon are stronger in towns and others in remote desa. So the TPS in early are not like the
TPS in late — the order a naive estimate mistakes for a random sample (``docs/domain.md`` §11).

Field staff report the TPS of the PVT sample first (:func:`report_hours`), except a few whose
first report fails (no signal) and who report with everyone else.

The simulation of :mod:`analysis.reconcile.simulation` draws nights with these same functions.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from analysis.demo import timeline
from analysis.domain import regions

#: The demo's parameters of remoteness and its effects (a desk's experience, not measured data).
KECAMATAN_RANGE = (0.15, 0.85)  # kecamatan part: uniform between these
DESA_SD = 0.12  # desa part: normal noise around its kecamatan
KELURAHAN_SCALE = 0.15  # a kelurahan (town) keeps this much of its kecamatan's remoteness
KOTA_SCALE = 0.5  # a kota's units keep this much
DELAY_INTERNAL = (
    1.3  # reports are ordered by hours × exp(1.3 × (r − mean r)) (:func:`ordered_hours`)
)
DELAY_KPU = 0.9  # KPU's uploads: the same, milder (operators upload at the kecamatan)
VOTE_TILT = 0.8  # a paslon's strength × exp(0.8 × (r − mean r) × its lean), lean ~ N(0, 1)
SAMPLE_HOURS = (0.3, 2.5)  # a sampled TPS is reported this many hours after 14:00 (× delay)
SAMPLE_DELAY = 0.5  # ... its delay from remoteness, milder: staff call it in from the TPS
SAMPLE_MISSED = 0.08  # × r: share of sampled TPS whose first report fails (no signal)


def remoteness(tps: pl.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Remoteness 0–1 of each TPS (its desa's), from ``kode_kec`` and ``kode_desa``."""
    kec_u, kec_i = np.unique(tps["kode_kec"].to_numpy(), return_inverse=True)
    desa_u, desa_i = np.unique(tps["kode_desa"].to_numpy(), return_inverse=True)
    r = (
        rng.uniform(*KECAMATAN_RANGE, kec_u.size)[kec_i]
        + rng.normal(0, DESA_SD, desa_u.size)[desa_i]
    )
    codes = tps.select(
        regions.kelurahan_expr("kode_desa").alias("kel"),
        regions.kota_expr("kode_desa").alias("kota"),
    )
    r = np.where(codes["kel"].to_numpy(), r * KELURAHAN_SCALE, r)
    r = np.where(codes["kota"].to_numpy(), r * KOTA_SCALE, r)
    return np.clip(r, 0.0, 1.0)


def delay(remote: np.ndarray, strength: float) -> np.ndarray:
    """Factor on report hours: ``exp(strength × (r − mean r))`` (towns below 1, remote above)."""
    return np.exp(strength * (remote - remote.mean()))


def ordered_hours(
    u: np.ndarray, remote: np.ndarray, strength: float, cdf: tuple[tuple[float, float], ...]
) -> np.ndarray:
    """Hours from uniform draws ``u`` that keep the arrival curve ``cdf`` exactly, in an order
    biased by remoteness: each TPS's hours × :func:`delay` give its rank, and the rank its hours."""
    late = timeline.interp_hours(u, cdf) * delay(remote, strength)
    rank = np.argsort(np.argsort(late, kind="stable"), kind="stable")
    return timeline.interp_hours((rank + 0.5) / remote.size, cdf)


def tilt(remote: np.ndarray, lean: np.ndarray) -> np.ndarray:
    """Factor on each paslon's strength at each row: ``remote`` per row, ``lean`` per row × slot."""
    centred = (remote - remote.mean())[:, None]
    return np.exp(VOTE_TILT * centred * lean)


def kab_speed(rng: np.random.Generator, n_kab: int) -> np.ndarray:
    """A pace factor per kab/kota (some organise their reporting better than others)."""
    return np.exp(rng.normal(0, 0.25, n_kab))


def report_hours(
    rng: np.random.Generator,
    remote: np.ndarray,
    speed: np.ndarray,
    first: np.ndarray | None = None,
    first_rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Hours after 14:00 local at which each TPS's count reaches the desk.

    ``speed``: a factor per TPS (its kab/kota's pace); ``first``: TPS of the PVT sample, reported
    first unless their first report fails (:data:`SAMPLE_MISSED`), drawn from ``first_rng``
    (default ``rng``).
    """
    u = rng.random(remote.size)
    hours = ordered_hours(u, remote, DELAY_INTERNAL, timeline.INTERNAL_CDF) * speed
    if first is None:
        return hours
    f = first_rng or rng
    early = f.uniform(*SAMPLE_HOURS, remote.size) * delay(remote, SAMPLE_DELAY)
    missed = f.random(remote.size) < SAMPLE_MISSED * remote
    return np.where(first & ~missed, np.minimum(hours, early), hours)
