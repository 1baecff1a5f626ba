"""The pack's charts: Altair specs rendered to static SVG by vl-convert (nothing needed at view time).

Every function takes an already aggregated, small frame (Altair refuses more than 5,000 rows; a pack
never needs that many marks) and returns an SVG string to embed inline. Labels are in Bahasa
Indonesia. vl-convert writes text as XML-escaped ``<text>`` elements, so names from the data cannot
inject markup; :func:`svg` also strips the XML prolog so the string can sit inside HTML.
"""

from __future__ import annotations

import re

import altair as alt
import polars as pl
import vl_convert as vlc

from analysis.fmt import BULAN

MAX_ROWS = 5000
LEBAR = 340  # fits a 390-px phone screen with margins; scales up via CSS (viewBox kept)
FONT = "sans-serif"
_WARNA_SUMBER = {"Hitung internal": "#1f5f8b", "KPU (Sirekap)": "#d98c1f"}
_WARNA_KEPARAHAN = {
    "kritis": "#8b1a1a",
    "tinggi": "#d9531e",
    "sedang": "#e0a526",
    "rendah": "#8fa8b8",
}


# d3 locales for Indonesian axes (1.234.567 · 83,82% · day and month names); vl-convert ships no id-ID.
_ANGKA_ID = {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["Rp", ""]}
_WAKTU_ID = {
    "dateTime": "%A, %e %B %Y %H.%M",
    "date": "%d/%m/%Y",
    "time": "%H.%M.%S",
    "periods": ["", ""],
    "days": ["Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu"],
    "shortDays": ["Min", "Sen", "Sel", "Rab", "Kam", "Jum", "Sab"],
    "months": list(BULAN),
    "shortMonths": [b[:3] for b in BULAN],
}


class ChartError(ValueError):
    """A chart was asked for with data it cannot draw (too many rows, missing columns)."""


def _frame(df: pl.DataFrame, needed: tuple[str, ...], name: str) -> pl.DataFrame:
    """``df`` checked: the columns a chart needs, no more rows than Altair takes. Altair reads a
    polars frame itself (through narwhals), so a kernel never imports pandas (~2 s of its start)."""
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ChartError(f"grafik {name}: kolom tidak ada: {missing}")
    if df.height > MAX_ROWS:
        raise ChartError(f"grafik {name}: {df.height} baris > {MAX_ROWS}; agregasikan dulu")
    return df


def svg(chart: alt.TopLevelMixin) -> str:
    """Render an Altair chart to an SVG string (no XML prolog, no external references)."""
    # Altair's JSON-schema validation costs ~40 ms a chart; the specs here are fixed and tested.
    return spec_svg(chart.to_dict(validate=False))


def spec_svg(spec: dict) -> str:
    """Render a Vega-Lite spec to an SVG string with Indonesian number and time formats (no XML
    prolog, no external references)."""
    out = vlc.vegalite_to_svg(
        spec, format_locale=_ANGKA_ID, time_format_locale=_WAKTU_ID, allowed_base_urls=[]
    )
    out = re.sub(r"^<\?xml[^>]*>\s*", "", out)
    return out


def _config(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return (
        chart.configure(font=FONT)
        .configure_axis(labelFontSize=11, titleFontSize=11)
        .configure_legend(labelFontSize=11, titleFontSize=11, orient="bottom")
        .configure_view(stroke=None)
    )


def turnout_vs_target(df: pl.DataFrame) -> str:
    """Turnout against target per child unit.

    ``df``: one row per child unit with ``nama``, ``partisipasi`` (share 0..1) and ``target``.
    """
    pdf = _frame(df, ("nama", "partisipasi", "target"), "partisipasi")
    shown = pl.col("partisipasi").is_not_null()
    if pdf.schema["partisipasi"].is_float():
        shown = shown & pl.col("partisipasi").is_not_nan()
    pdf = pdf.filter(shown)
    tinggi = max(60, 18 * pdf.height)
    base = alt.Chart(pdf).encode(
        y=alt.Y("nama:N", sort="-x", title=None, axis=alt.Axis(labelLimit=150)),
    )
    bars = base.mark_bar(color="#1f5f8b").encode(
        x=alt.X(
            "partisipasi:Q",
            title="Partisipasi pemilih (TPS yang sudah masuk)",
            axis=alt.Axis(format=".0%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
    )
    target = base.mark_tick(color="#b22222", thickness=2, size=16).encode(x="target:Q")
    return svg(_config((bars + target).properties(width=LEBAR - 150, height=tinggi)))


def internal_vs_kpu(df: pl.DataFrame) -> str:
    """Votes per paslon, internal count beside KPU's, for one contest.

    ``df``: one row per paslon × sumber with ``paslon`` (label), ``sumber`` ("Hitung internal" |
    "KPU (Sirekap)") and ``suara``.
    """
    pdf = _frame(df, ("paslon", "sumber", "suara"), "internal_vs_kpu")
    chart = (
        alt.Chart(pdf)
        .mark_bar()
        .encode(
            y=alt.Y("paslon:N", title=None, axis=alt.Axis(labelLimit=140)),
            yOffset=alt.YOffset("sumber:N"),
            x=alt.X("suara:Q", title="Suara", axis=alt.Axis(format=",d")),
            color=alt.Color(
                "sumber:N",
                title=None,
                scale=alt.Scale(domain=list(_WARNA_SUMBER), range=list(_WARNA_SUMBER.values())),
            ),
        )
        .properties(width=LEBAR - 140, height=max(60, 34 * pdf["paslon"].n_unique()))
    )
    return svg(_config(chart))


def count_progress(df: pl.DataFrame) -> str:
    """Coverage of the internal count and of KPU over time, for one unit and contest.

    ``df``: one row per sumber × waktu with ``waktu`` (local, naive datetime), ``sumber`` and
    ``cakupan`` (share of TPS in, 0..1).
    """
    pdf = _frame(df, ("waktu", "sumber", "cakupan"), "progres")
    chart = (
        alt.Chart(pdf)
        .mark_line(interpolate="step-after", point=True)
        .encode(
            x=alt.X("waktu:T", title="Waktu (setempat)", axis=alt.Axis(format="%d/%m %H.%M")),
            y=alt.Y(
                "cakupan:Q",
                title="TPS masuk",
                axis=alt.Axis(format=".0%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color(
                "sumber:N",
                title=None,
                scale=alt.Scale(domain=list(_WARNA_SUMBER), range=list(_WARNA_SUMBER.values())),
            ),
        )
        .properties(width=LEBAR - 60, height=160)
    )
    return svg(_config(chart))


def projection_over_night(df: pl.DataFrame) -> str:
    """Projected share ± margin of error per paslon over the night, for one contest.

    ``df``: one row per run × metode × paslon with ``waktu`` (local, naive datetime), ``paslon``
    (label), ``metode`` (label), ``persen`` (share 0..1), ``bawah`` and ``atas`` (the interval).
    Lines for the projection, a vertical bar for its interval; one line style per method.
    """
    pdf = _frame(df, ("waktu", "paslon", "metode", "persen", "bawah", "atas"), "proyeksi")
    x = alt.X("waktu:T", title="Waktu (setempat)", axis=alt.Axis(format="%d/%m %H.%M"))
    color = alt.Color("paslon:N", title=None, legend=alt.Legend(columns=1, labelLimit=300))
    dash = alt.StrokeDash(
        "metode:N", title=None, legend=alt.Legend(symbolType="stroke", symbolStrokeWidth=2)
    )
    base = alt.Chart(pdf).encode(x=x, color=color)
    lines = base.mark_line(point=True).encode(
        y=alt.Y("persen:Q", title="Proyeksi (% suara sah)", axis=alt.Axis(format=".0%")),
        strokeDash=dash,
    )
    bars = base.mark_rule(opacity=0.6).encode(y="bawah:Q", y2="atas:Q")
    return svg(_config((bars + lines).properties(width=LEBAR - 60, height=180)))


def incidents_by_stage(df: pl.DataFrame) -> str:
    """Incidents by stage and category: a grid of counts, with the kritis/tinggi share of each cell.

    ``df``: one row per tahapan × kategori × tingkat_keparahan with ``tahapan``, ``kategori``
    (display labels, short) and ``jumlah``; ``tingkat_keparahan`` is optional. Cells are coloured
    by the number of incidents; a cell holding any kritis/tinggi incident gets a dark outline.
    """
    pdf = _frame(df, ("tahapan", "kategori", "jumlah"), "insiden")
    if "tingkat_keparahan" not in pdf.columns:
        pdf = pdf.with_columns(pl.lit(None, dtype=pl.String).alias("tingkat_keparahan"))
    serius = pl.col("tingkat_keparahan").is_in(["kritis", "tinggi"]).fill_null(False)
    pdf = pdf.with_columns(pl.when(serius).then(pl.col("jumlah")).otherwise(0).alias("serius"))
    cells = pdf.group_by("tahapan", "kategori", maintain_order=True).agg(
        pl.col("jumlah").sum(), pl.col("serius").sum()
    )
    tahapan = list(dict.fromkeys(pdf["tahapan"].to_list()))  # the caller's order (the schedule's)
    kategori = (
        cells.group_by("kategori")
        .agg(pl.col("jumlah").sum())
        .sort("kategori")
        .sort("jumlah", descending=True, maintain_order=True)["kategori"]
        .to_list()
    )
    base = alt.Chart(cells).encode(
        x=alt.X(
            "tahapan:N", title=None, sort=tahapan, axis=alt.Axis(labelAngle=-40, labelLimit=110)
        ),
        y=alt.Y("kategori:N", title=None, sort=kategori, axis=alt.Axis(labelLimit=150)),
    )
    rect = base.mark_rect().encode(
        color=alt.Color(
            "jumlah:Q", title="Jumlah insiden", scale=alt.Scale(scheme="oranges"), legend=None
        ),
        stroke=alt.condition("datum.serius > 0", alt.value("#5a0f0f"), alt.value(None)),
        strokeWidth=alt.condition("datum.serius > 0", alt.value(2), alt.value(0)),
    )
    text = base.mark_text(fontSize=10).encode(
        text=alt.Text("jumlah:Q", format="d"),
        color=alt.condition("datum.jumlah > 10", alt.value("white"), alt.value("black")),
    )
    n_x = max(1, len(tahapan))
    n_y = max(1, cells["kategori"].n_unique())
    chart = (rect + text).properties(width=min(LEBAR - 150, 34 * n_x), height=22 * n_y)
    return svg(_config(chart))


def warm_up() -> None:
    """Render one small chart of each kind, so a worker pays vl-convert's start-up (its
    JavaScript engine, the Vega bundles, the fonts) before its first pack rather than during it."""
    import datetime as dt

    t0 = dt.datetime(2024, 11, 27, 14)
    turnout_vs_target(pl.DataFrame({"nama": ["A"], "partisipasi": [0.5], "target": [0.8]}))
    internal_vs_kpu(
        pl.DataFrame({"paslon": ["1. A"] * 2, "sumber": list(_WARNA_SUMBER), "suara": [1, 2]})
    )
    count_progress(
        pl.DataFrame({"waktu": [t0, t0], "sumber": list(_WARNA_SUMBER), "cakupan": [0.1, 0.2]})
    )
    incidents_by_stage(
        pl.DataFrame(
            {"tahapan": ["A"], "kategori": ["B"], "tingkat_keparahan": ["kritis"], "jumlah": [1]}
        )
    )
    projection_over_night(
        pl.DataFrame(
            {
                "waktu": [t0],
                "paslon": ["1. A"],
                "metode": ["strata"],
                "persen": [0.5],
                "bawah": [0.4],
                "atas": [0.6],
            }
        )
    )
