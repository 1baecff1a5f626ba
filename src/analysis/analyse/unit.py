"""Every analytic table for one unit: the analyst notebook's entry point.

:func:`analyse` picks the per-TPS results in force and runs the TPS screens once (the analyse stage
runs the same call); :func:`unit_tables` then slices incidents, kerawanan and screens for any unit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from analysis.analyse import incidents, screens
from analysis.analyse.digits import digit_screens, fingerprint
from analysis.analyse.inputs import Inputs, parse_time
from analysis.analyse.kerawanan import DEEPEST, hotspots, kerawanan_scores
from analysis.domain.regions import (
    TIERS,
    ancestor_expr,
    check_unit,
    depth,
    inside_expr,
    tps_desa_expr,
)
from analysis.settings import Settings, default_settings


@dataclass(frozen=True)
class Analysis:
    """Screens computed once for all units, as of a time; ``unit_tables`` slices it per unit."""

    inputs: Inputs
    as_of: dt.datetime | None
    since: dt.datetime | None
    tps: pl.DataFrame  # version in force per TPS × contest
    votes: pl.DataFrame
    hits: pl.DataFrame  # screens.tps_screens output


def analyse(
    inputs: Inputs,
    as_of: dt.datetime | str | None = None,
    since: dt.datetime | str | None = None,
    settings: Settings | None = None,
) -> Analysis:
    """Pick the results in force as of ``as_of`` (default: the run's as_of) and run the per-TPS
    screens once. ``since`` (default: the run's previous report) marks what is new."""
    as_of_t = parse_time(as_of) or inputs.as_of
    since_t = parse_time(since) or inputs.previous_as_of
    tps, votes = screens.current_results(inputs.tps, inputs.votes, as_of_t)
    hits = screens.tps_screens(tps, votes, settings=settings, current=True)
    return Analysis(inputs, as_of_t, since_t, tps, votes, hits)


def _incident_tables(an: Analysis, unit: str) -> dict[str, pl.DataFrame]:
    i = an.inputs.incidents
    since = an.since or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    new = incidents.new_incidents(i, unit, since, an.as_of)
    return {
        "ringkasan": pl.DataFrame([incidents.incident_summary(i, unit, an.since, an.as_of)]),
        "insiden_per_kategori": incidents.incident_counts(i, unit, an.as_of),
        "insiden_per_wilayah": incidents.counts_by_child(i, unit, an.as_of, an.since),
        # no previous report: nothing is "new"
        "insiden_baru": new if an.since is not None else new.clear(),
        "insiden_serius_terbuka": incidents.open_serious(i, unit, an.as_of),
        "waktu_penanganan": incidents.handling_times(i, unit, an.as_of),
    }


def unit_tables(
    an: Analysis, unit: str, settings: Settings | None = None, digits: bool = True
) -> dict[str, pl.DataFrame]:
    """Every incident/kerawanan/screen table for one unit (dotted code, "00" national).

    Keys (each a polars frame with Indonesian-ready columns):
    ``ringkasan`` (one row: incident headline numbers), ``insiden_per_kategori``
    (stage × category × severity), ``insiden_per_wilayah`` (per child unit), ``insiden_baru``
    (since the previous report), ``insiden_serius_terbuka``, ``waktu_penanganan``, ``titik_rawan``
    (ranked kerawanan of the children), ``kerawanan_unit`` (the unit's own score),
    ``penapisan_tps`` (per-TPS screen hits in the unit), ``penapisan_digit`` (digit screens of the
    children's tier, only units in this unit; left out when ``digits`` is False),
    ``sidik_jari`` (fingerprint histogram).
    """
    s = settings or default_settings()
    check_unit(unit)
    i, ready = an.inputs.incidents, an.inputs.readiness
    in_u = inside_expr(tps_desa_expr("kode_tps"), unit)
    tps_u, votes_u = an.tps.filter(in_u), an.votes.filter(in_u)
    hits_u = an.hits.filter(in_u).with_columns(
        ancestor_expr("kode_desa", TIERS.index("kecamatan")).alias("kode_kecamatan")
    )
    out = _incident_tables(an, unit) | {
        "titik_rawan": hotspots(i, unit, an.as_of, an.hits, an.tps, ready, s),
        "kerawanan_unit": kerawanan_scores(i, [unit], an.as_of, an.hits, an.tps, ready, s),
        "penapisan_tps": incidents.with_names(hits_u, "kode_kecamatan", "nama_kecamatan"),
        "sidik_jari": fingerprint(tps_u, votes_u, settings=s, current=True),
    }
    if digits:
        tier = TIERS[min(depth(unit) + 1, DEEPEST)]
        dg = digit_screens(tps_u, votes_u, tier=tier, settings=s, current=True)
        out["penapisan_digit"] = incidents.with_names(dg)
    return out
