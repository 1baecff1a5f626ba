"""Charts for the exploration notebook: Altair charts over the frames of :mod:`.frames`, drawn
offline as SVG once :func:`enable_charts` has run (labels in Bahasa Indonesia, Indonesian number
formats, times in the desk's zone).

Each function returns the Altair chart, so an analyst can change it (``.properties(width=900)``,
``.encode(...)``) before it is drawn.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl

from analysis.domain.regions import desk_zone
from analysis.packs.charts import spec_svg
from analysis.packs.labels import SUMBER_INTERNAL, SUMBER_KPU

RENDERER = "desk_svg"
LEBAR = 560  # fits Lab's notebook column beside the file browser
MERAH = "#b0413e"  # TPS whose sources differ
SUMBER_KOLOM: dict[str, str] = {"internal": SUMBER_INTERNAL, "kpu": SUMBER_KPU}
FEW = 10  # up to this many, a count axis gets a tick per whole number
_SHARE = alt.Scale(domain=[0, 1])


def svg_bundle(spec: dict, **_metadata: Any) -> dict[str, str]:
    """An Altair renderer: the chart as static SVG, made in the kernel by vl-convert (no script, no
    request: Lab shows it offline, nbconvert embeds it)."""
    return {"image/svg+xml": spec_svg(spec)}


def enable_charts() -> None:
    """Draw every Altair chart of this kernel as SVG (Altair's default loads Vega from a CDN)."""
    alt.renderers.register(RENDERER, svg_bundle)
    alt.renderers.enable(RENDERER)


def _long(df: pl.DataFrame, prefix: str, index: list[str]) -> pl.DataFrame:
    """``<prefix>_internal`` and ``<prefix>_kpu`` as rows: one per source, named in words."""
    cols = [f"{prefix}_{s}" for s in SUMBER_KOLOM]
    return df.unpivot(cols, index=index, variable_name="sumber", value_name=prefix).with_columns(
        pl.col("sumber").str.strip_prefix(f"{prefix}_").replace_strict(SUMBER_KOLOM)
    )


def _count_axis(counts: pl.Series) -> alt.Axis:
    """An axis of counts: ``1.234``, and no ticks between whole numbers when the counts are few
    (the renderer does not honour ``tickMinStep``)."""
    top = int(counts.max() or 0)
    if top <= FEW:
        return alt.Axis(format=",d", values=list(range(top + 1)))
    return alt.Axis(format=",d")


def _sumber_color() -> alt.Color:
    return alt.Color("sumber:N", title=None, sort=list(SUMBER_KOLOM.values()))


def coverage_chart(count: pl.DataFrame, contest: str, unit: str) -> alt.Chart:
    """Share of expected TPS in, internal count beside KPU, per child unit of ``unit`` for one
    contest (``count``: :func:`.frames.count_per_unit`)."""
    rows = count.filter((pl.col("kode_kontestasi") == contest) & (pl.col("kode_wilayah") != unit))
    data = _long(rows, "cakupan", ["nama"]).to_pandas()
    return (
        alt.Chart(data, title=f"Cakupan TPS per wilayah — {contest}")
        .mark_bar()
        .encode(
            y=alt.Y("nama:N", title=None, sort="ascending"),
            yOffset=alt.YOffset("sumber:N", sort=list(SUMBER_KOLOM.values())),
            x=alt.X("cakupan:Q", title="TPS masuk", axis=alt.Axis(format=".0%"), scale=_SHARE),
            color=_sumber_color(),
            tooltip=["nama", "sumber", alt.Tooltip("cakupan:Q", format=".1%")],
        )
        .properties(width=LEBAR - 200)
    )


def discrepancy_chart(count: pl.DataFrame, contest: str, unit: str) -> alt.Chart:
    """TPS whose internal count and KPU's differ, per child unit of ``unit`` for one contest."""
    rows = count.filter((pl.col("kode_kontestasi") == contest) & (pl.col("kode_wilayah") != unit))
    return (
        alt.Chart(rows.select("nama", "n_tidak_cocok", "n_selisih_dijelaskan").to_pandas())
        .mark_bar(color=MERAH)
        .encode(
            y=alt.Y("nama:N", title=None, sort="-x"),
            x=alt.X(
                "n_tidak_cocok:Q", title="TPS tidak cocok", axis=_count_axis(rows["n_tidak_cocok"])
            ),
            tooltip=["nama", "n_tidak_cocok", "n_selisih_dijelaskan"],
        )
        .properties(title=f"TPS tidak cocok per wilayah — {contest}", width=LEBAR - 200)
    )


def votes_chart(votes: pl.DataFrame, contest: str) -> alt.Chart:
    """Votes per paslon, internal count beside KPU (``votes``: :func:`.frames.votes`)."""
    rows = votes.filter(pl.col("kode_kontestasi") == contest).with_columns(
        pl.format("{}. {}", "nomor_urut", pl.col("nama_paslon").fill_null("")).alias("paslon")
    )
    data = _long(rows, "suara", ["paslon"]).to_pandas()
    return (
        alt.Chart(data, title=f"Suara per paslon — {contest} (hitung internal bukan hasil resmi)")
        .mark_bar()
        .encode(
            y=alt.Y("paslon:N", title=None),
            yOffset=alt.YOffset("sumber:N", sort=list(SUMBER_KOLOM.values())),
            x=alt.X("suara:Q", title="Suara", axis=alt.Axis(format=",d")),
            color=_sumber_color(),
            tooltip=["paslon", "sumber", alt.Tooltip("suara:Q", format=",d")],
        )
        .properties(width=LEBAR - 200)
    )


def night_chart(night: pl.DataFrame, contest: str, unit: str) -> alt.VConcatChart:
    """Coverage of both sources and TPS not matching, through the night, for one contest
    (``night``: :func:`.frames.over_the_night` or :func:`.frames.kept_runs`); times in the desk's
    zone."""
    zona, tz = desk_zone(unit)
    rows = night.filter(pl.col("kode_kontestasi") == contest).with_columns(
        pl.col("waktu_acuan").dt.convert_time_zone(tz).dt.replace_time_zone(None).alias("waktu")
    )
    x = alt.X("waktu:T", title=f"Waktu ({zona})", axis=alt.Axis(format="%d/%m %H.%M"))
    cover = (
        alt.Chart(_long(rows, "cakupan", ["waktu"]).to_pandas())
        .mark_line(point=True, interpolate="step-after")
        .encode(
            x=x,
            y=alt.Y("cakupan:Q", title="TPS masuk", axis=alt.Axis(format=".0%"), scale=_SHARE),
            color=_sumber_color(),
        )
        .properties(title=f"Sepanjang malam — {contest}", width=LEBAR, height=180)
    )
    differ = (
        alt.Chart(rows.select("waktu", "n_tidak_cocok").to_pandas())
        .mark_line(point=alt.OverlayMarkDef(color=MERAH), color=MERAH, interpolate="step-after")
        .encode(
            x=x,
            y=alt.Y(
                "n_tidak_cocok:Q", title="TPS tidak cocok", axis=_count_axis(rows["n_tidak_cocok"])
            ),
        )
        .properties(width=LEBAR, height=120)
    )
    return alt.vconcat(cover, differ)
