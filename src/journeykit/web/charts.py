"""The analytics charts: a typed analysis result in, a plotly figure and its CSV rows out.

Pure functions, no I/O: the page embeds the figure, the PNG download renders the same figure in
Chromium, and the CSV download writes the rows — the numbers the chart draws, unrounded, with
English column names so scripts can read any language's download.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go

from journeykit.analytics.funnel import Funnel, FunnelStep
from journeykit.analytics.paths import LEFT, OTHER, Paths
from journeykit.analytics.retention import CohortRetention
from journeykit.analytics.stage_kpis import KpiResult, StageKpis
from journeykit.analytics.transitions import TransitionMatrix
from journeykit.maps.kpis import METRICS
from journeykit.web import numbers

Translate = Callable[[str], str]
FONT = "DejaVu Sans, Segoe UI, system-ui, sans-serif"
INK = "#1d2433"
ACCENT = "#0f766e"
PALETTE = ("#0f766e", "#1e3a5f", "#c2410c", "#7c3aed", "#0369a1", "#a16207", "#be185d", "#4d7c0f")
STATUS_COLORS = {"met": "#15803d", "missed": "#b42318"}
MAX_GROUPS = 6
MAX_LINKS = 60
KIND_COLORS = {
    "forward": "rgba(15,118,110,0.40)",
    "back": "rgba(180,35,24,0.45)",
    "loop": "rgba(152,162,179,0.40)",
    "same-stage": "rgba(30,58,95,0.35)",
}
KPI_AXIS_CAP = 200


@dataclass
class Chart:
    """A figure and the table behind it; ``name`` is the download's file name without suffix."""

    name: str
    figure: go.Figure
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    traces: int = 0

    def csv_text(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows(["" if v is None else v for v in row] for row in self.rows)
        return buffer.getvalue()


def funnel_chart(result: Funnel, names: Mapping[str, str], t: Translate, lang: str) -> Chart:
    """Customers per step as a funnel; with a breakdown, grouped bars of the conversion from
    start per group (the largest groups), so groups of different size compare."""
    figure = go.Figure()
    groups = sorted(result.groups or [], key=lambda g: -g.entered)[:MAX_GROUPS]
    if groups:
        for i, group in enumerate(groups):
            label = group.value if group.value is not None else t("an.none")
            color = PALETTE[i % len(PALETTE)]
            figure.add_trace(_group_trace(label, group.steps, names, t, lang, color))
        figure.update_layout(barmode="group", bargroupgap=0.08)
        figure.update_xaxes(
            title=f"% {t('an.of_start')}",
            ticksuffix="%",
            range=[0, 128],
            tickvals=list(range(0, 101, 20)),
        )
        figure.update_yaxes(autorange="reversed")
        height = max(380, 40 * len(groups) * len(result.steps) + 120)
    else:
        figure.add_trace(_funnel_trace(t("an.all"), result.steps, names, t, ACCENT))
        height = max(360, 90 * len(result.steps) + 80)
    figure.update_layout(showlegend=bool(groups))
    _style(figure, lang, height=height)
    columns = ["group", "step", "customers", "conversion_from_start", "conversion_from_previous"]
    columns += [f"{q}_seconds_from_previous" for q in ("median", "p25", "p75", "p90")]
    rows = [_step_row(None, step) for step in result.steps]
    for group in result.groups or []:
        rows += [_step_row(group.value, step) for step in group.steps]
    traces = max(1, len(groups)) if result.entered else 0
    return Chart("funnel", figure, columns, rows, traces)


def _group_trace(
    label: str,
    steps: list[FunnelStep],
    names: Mapping[str, str],
    t: Translate,
    lang: str,
    color: str,
) -> go.Bar:
    return go.Bar(
        name=label,
        orientation="h",
        y=[names.get(s.step, s.step) for s in steps],
        x=[s.conversion_from_start * 100 for s in steps],
        marker={"color": color},
        text=[
            f"{numbers.count(s.customers, lang)} · {numbers.percent(s.conversion_from_start, lang)}"
            for s in steps
        ],
        textposition="outside",
        cliponaxis=False,
        hovertemplate=f"{label} · %{{y}}<br>%{{text}}<extra></extra>",
    )


def _funnel_trace(
    label: str, steps: list[FunnelStep], names: Mapping[str, str], t: Translate, color: str
) -> go.Funnel:
    previous = [numbers.percent(s.conversion_from_previous, "en") for s in steps]
    return go.Funnel(
        name=label,
        y=[names.get(s.step, s.step) for s in steps],
        x=[s.customers for s in steps],
        textinfo="value+percent initial",
        marker={"color": color},
        connector={"fillcolor": "#e6f4f1", "line": {"color": "#dde1e8"}},
        customdata=previous,
        hovertemplate=f"%{{y}}<br>%{{x:,}} {t('an.customers')}<br>"
        f"%{{percentInitial:.1%}} {t('an.of_start')}<br>"
        f"%{{customdata}} {t('an.of_previous')}<extra>{label}</extra>",
    )


def _step_row(group: str | None, step: FunnelStep) -> list[Any]:
    return [
        group,
        step.step,
        step.customers,
        step.conversion_from_start,
        step.conversion_from_previous,
        step.median_seconds_from_previous,
        step.p25_seconds_from_previous,
        step.p75_seconds_from_previous,
        step.p90_seconds_from_previous,
    ]


def paths_chart(result: Paths, names: Mapping[str, str], t: Translate, lang: str) -> Chart:
    """The paths as a Sankey: one column per position, 'other' and 'left' as their own nodes."""
    sankey = result.sankey()
    special = {OTHER: t("an.other"), LEFT: t("an.left")}
    labels = [special.get(n["label"], names.get(n["label"], n["label"])) for n in sankey["nodes"]]
    colors = [_node_color(n["label"], names) for n in sankey["nodes"]]
    links = sankey["links"]
    figure = go.Figure(
        _sankey(
            labels,
            colors,
            _sankey_positions(sankey["nodes"], links),
            links,
            {"color": [_fade(colors[link["target"]]) for link in links]},
            pad=18,
            valuesuffix=f" {t('an.customers')}",
        )
    )
    _style(figure, lang, height=560)
    width = result.steps
    columns = [*(f"step_{i + 1}" for i in range(width)), "customers", "share"]
    total = result.customers
    rows = [[*p.steps, p.customers, _share(p.customers, total)] for p in result.paths]
    rows.append([OTHER, *[None] * (width - 1), result.other, _share(result.other, total)])
    rows.append([LEFT, *[None] * (width - 1), result.left, _share(result.left, total)])
    return Chart("paths", figure, columns, rows, 1 if result.customers else 0)


def _sankey(
    labels: list[str],
    colors: list[str],
    positions: tuple[list[float], list[float]],
    links: list[dict[str, Any]],
    link_style: dict[str, Any],
    *,
    pad: int,
    **trace: Any,
) -> go.Sankey:
    """A Sankey trace with our node look at fixed ``positions`` and ``links`` styled by
    ``link_style`` (colours, hover)."""
    x, y = positions
    return go.Sankey(
        arrangement="snap",
        valueformat=",d",
        node={
            "label": labels,
            "color": colors,
            "x": x,
            "y": y,
            "pad": pad,
            "thickness": 16,
            "line": {"width": 0},
        },
        link={
            "source": [link["source"] for link in links],
            "target": [link["target"] for link in links],
            "value": [link["value"] for link in links],
            **link_style,
        },
        **trace,
    )


def transitions_chart(
    result: TransitionMatrix, names: Mapping[str, str], t: Translate, lang: str
) -> Chart:
    """The transitions as a Sankey from a "from" column to a "to" column, links coloured by
    kind (forward, back-step, loop, same stage), the ``MAX_LINKS`` largest drawn."""
    sankey = result.sankey()
    drawn = sorted(sankey.links, key=lambda link: -link["value"])[:MAX_LINKS]
    used = sorted({link[end] for link in drawn for end in ("source", "target")})
    index = {old: new for new, old in enumerate(used)}
    nodes = [sankey.nodes[i] for i in used]
    links = [
        {**link, "source": index[link["source"]], "target": index[link["target"]]} for link in drawn
    ]
    labels = [names.get(n["label"], n["label"]) for n in nodes]
    colors = [_node_color(n["label"], names) for n in nodes]
    kinds = [link.get("kind") or "none" for link in links]
    style = {
        "color": [KIND_COLORS.get(kind, "rgba(152,162,179,0.35)") for kind in kinds],
        "customdata": [t(f"an.kind.{kind}") for kind in kinds],
        "hovertemplate": "%{source.label} → %{target.label}<br>%{value:,d} · "
        "%{customdata}<extra></extra>",
    }
    positions = _sankey_positions(nodes, links, by_size=False)
    figure = go.Figure(_sankey(labels, colors, positions, links, style, pad=14))
    _style(figure, lang, height=max(420, 40 * len(result.nodes) + 120))
    columns = ["from", "to", "count", "probability", "kind"]
    rows = [[c.source, c.target, c.count, c.probability, c.kind] for c in result.transitions]
    return Chart("transitions", figure, columns, rows, 1 if result.transitions else 0)


def _sankey_positions(
    nodes: list[dict[str, Any]], links: list[dict[str, Any]], *, by_size: bool = True
) -> tuple[list[float], list[float]]:
    """Node centres: x by column (so 'left' shows where customers left), y stacked within a
    column — largest first (``by_size``) or in the given order — with 'other' and 'left' last."""
    inflow, outflow = [0] * len(nodes), [0] * len(nodes)
    for link in links:
        outflow[link["source"]] += link["value"]
        inflow[link["target"]] += link["value"]
    size = [max(i, o) for i, o in zip(inflow, outflow, strict=True)]
    last = max((n["column"] for n in nodes), default=0) or 1
    x, y = [0.0] * len(nodes), [0.0] * len(nodes)
    for column in {n["column"] for n in nodes}:
        members = [i for i, n in enumerate(nodes) if n["column"] == column]
        members.sort(key=lambda i: (nodes[i]["label"] in (OTHER, LEFT), -size[i] if by_size else i))
        total = sum(size[i] for i in members) or 1
        gap = min(0.04, 0.3 / (len(members) - 1)) if len(members) > 1 else 0.0
        scale = (0.96 - gap * (len(members) - 1)) / total
        top = 0.02
        for i in members:
            x[i] = min(0.999, max(0.001, column / last))
            y[i] = top + size[i] * scale / 2
            top += size[i] * scale + gap
    return x, y


def _node_color(label: str, names: Mapping[str, str]) -> str:
    if label == LEFT:
        return "#b42318"
    if label == OTHER:
        return "#98a2b3"
    order = list(names)
    index = order.index(label) if label in order else sum(map(ord, label))
    return PALETTE[index % len(PALETTE)]


def _fade(color: str) -> str:
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},0.35)"


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def retention_chart(result: CohortRetention, t: Translate, lang: str) -> Chart:
    """The cohort table as a heatmap of retention rates (period 0 is the cohort itself)."""
    offsets = list(range(result.periods + 1))
    unit = t(f"an.period.{result.period}")
    x = [f"{unit} {k}" for k in offsets]
    y = [f"{c.period} ({numbers.count(c.size, lang)})" for c in result.cohorts]
    z = [[None if r is None else r * 100 for r in c.rates()] for c in result.cohorts]
    figure = go.Figure(
        go.Heatmap(
            x=x,
            y=y,
            z=z,
            zmin=0,
            zmax=100,
            colorscale=[[0, "#f4f6f9"], [0.25, "#99d5c9"], [1, ACCENT]],
            text=[
                [numbers.percent(r, lang) if r is not None else "" for r in c.rates()]
                for c in result.cohorts
            ],
            texttemplate="%{text}",
            hovertemplate=f"{t('an.cohort')} %{{y}}<br>%{{x}}: %{{z:.1f}}%<extra></extra>",
            colorbar={"title": {"text": "%"}, "ticksuffix": "%"},
            xgap=2,
            ygap=2,
        )
    )
    figure.update_yaxes(autorange="reversed", title=t("an.cohort"), showgrid=False)
    figure.update_xaxes(side="top", showgrid=False)
    _style(figure, lang, height=max(320, 34 * len(y) + 140))
    columns = ["cohort", "customers", "offset", "retained", "rate"]
    rows = [
        [c.period, c.size, k, c.retained[k], c.rates()[k]] for c in result.cohorts for k in offsets
    ]
    return Chart("retention", figure, columns, rows, 1 if result.cohorts else 0)


def kpi_chart(result: StageKpis, stage_names: Mapping[str, str], t: Translate, lang: str) -> Chart:
    """Each targeted KPI's actual as a share of its target, green when met and red when missed.

    Bars stop at ``KPI_AXIS_CAP`` percent of the target, so one far-off metric does not squash
    the rest; the label and hover always say the actual value.
    """
    charted = [r for r in result.results if r.target and r.value is not None]
    shares = [(r.value or 0) / (r.target or 1) * 100 for r in charted]
    figure = go.Figure(
        go.Bar(
            orientation="h",
            y=[
                f"{stage_names.get(r.stage or '', r.stage or '')} · {_metric(r, lang)}"
                for r in charted
            ],
            x=[min(share, KPI_AXIS_CAP) for share in shares],
            marker={"color": [STATUS_COLORS.get(r.status, "#98a2b3") for r in charted]},
            customdata=[
                [
                    numbers.metric(r.value, r.unit, lang),
                    _target_text(r, lang),
                    t(f"an.status.{r.status}"),
                    numbers.percent(share / 100, lang, 0),
                ]
                for r, share in zip(charted, shares, strict=True)
            ],
            texttemplate="%{customdata[0]}  (%{customdata[3]})",
            textposition="outside",
            cliponaxis=False,
            hovertemplate=f"%{{y}}<br>{t('an.actual')}: %{{customdata[0]}}<br>"
            f"{t('an.target')}: %{{customdata[1]}} (%{{customdata[3]}})<br>"
            "%{customdata[2]}<extra></extra>",
        )
    )
    figure.add_vline(x=100, line={"color": INK, "width": 1, "dash": "dot"})
    figure.add_annotation(
        x=100, y=1, yref="paper", yanchor="bottom", text=t("an.target"), showarrow=False
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(
        title=t("an.of_target"), ticksuffix="%", range=[0, KPI_AXIS_CAP * 1.3], dtick=50
    )
    _style(figure, lang, height=max(320, 30 * len(charted) + 130))
    columns = ["stage", "metric", "unit", "value", "target", "comparison", "status", "needs_events"]
    rows = [
        [r.stage, r.metric, r.unit, r.value, r.target, r.comparison, r.status, " ".join(r.needs)]
        for r in result.results
    ]
    return Chart("kpis", figure, columns, rows, 1 if charted else 0)


def _metric(result: KpiResult, lang: str) -> str:
    known = METRICS.get(result.metric)
    return known.label(lang) if known else result.metric


def _target_text(result: KpiResult, lang: str) -> str:
    sign = {"at-least": "≥ ", "at-most": "≤ "}.get(result.comparison or "", "")
    return sign + numbers.metric(result.target, result.unit, lang)


def _style(figure: go.Figure, lang: str, *, height: int) -> None:
    figure.update_layout(
        template="plotly_white",
        height=height,
        separators=numbers.PLOTLY_SEPARATORS.get(lang, ".,"),
        font={"family": FONT, "size": 13, "color": INK},
        margin={"l": 20, "r": 20, "t": 40, "b": 30},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        hoverlabel={"font": {"family": FONT}},
        legend={"orientation": "h", "y": -0.08},
    )
    figure.update_yaxes(automargin=True)


def titled(figure: go.Figure, title: str) -> go.Figure:
    """A copy of ``figure`` with a title, for the PNG (the page has its own heading)."""
    copy = go.Figure(figure)
    top = max(70, int(copy.layout.margin.t or 0))
    copy.update_layout(title={"text": title, "x": 0.01, "font": {"size": 18}}, margin={"t": top})
    return copy
