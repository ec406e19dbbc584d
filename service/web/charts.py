"""Plotly figures (as plain JSON-able dicts, drawn by the Plotly.js the service serves itself)."""

from __future__ import annotations

from typing import Any

from service.domain import texts
from service.domain.statuses import STATUS_COLOURS, STATUS_ICONS, VERDICTS
from service.domain.wording import fmt_value, unit_words
from service.web.i18n import t

FONT = {"family": "system-ui, 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif", "size": 13}


def _layout(title: str, y_title: str, x_title: str | None = None, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": title, "font": {"size": 15}},
        "font": FONT,
        "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        # plain figures on the value axis: 150, 20000 (no 1.5E+2, no 20k)
        "yaxis": {
            "title": {"text": y_title},
            "zeroline": False,
            "exponentformat": "none",
            "automargin": True,
        },
        "legend": {"orientation": "h", "y": -0.3, "yanchor": "top"},
        "hovermode": "closest",
    }
    if x_title:
        layout["xaxis"] = {"title": {"text": x_title}, "tickformat": "d"}
    layout.update(extra)
    return layout


def year_axis(first: int, last: int, title: str) -> dict[str, Any]:
    """A year axis with whole-year ticks only (never "2023 2023 2024"): one a year on a plan's term,
    every 2 or 5 years on longer spans, half a year of room at each end."""
    span = max(0, last - first)
    step = 1 if span <= 12 else 2 if span <= 24 else 5
    return {
        "title": {"text": title},
        "tickmode": "linear",
        "tick0": first,
        "dtick": step,
        "tickformat": "d",
        "range": [first - 0.5, last + 0.5],
        "automargin": True,
    }


def _shown(values: list[Any], unit: str, lang: str) -> list[str]:
    """Hover texts of the values, formatted by ``fmt_value`` (3.7%, 20000亿元, no 4.10000000)."""
    return [fmt_value(v, unit, lang) if v is not None else "" for v in values]


def status_counts(plans: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    """Stacked horizontal bars: targets per status for each plan."""
    statuses = list(STATUS_COLOURS)
    names = [p["title"] for p in plans]
    traces = []
    for s in statuses:
        counts = [p["counts"].get(s, 0) for p in plans]
        if not any(counts):
            continue
        label = f"{STATUS_ICONS[s]} {t('status_' + s, lang)}"
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": label,
                "y": names,
                "x": counts,
                "marker": {"color": STATUS_COLOURS[s], "line": {"color": "#333", "width": 0.5}},
                "text": [str(c) if c else "" for c in counts],
                "textposition": "inside",
                "hovertemplate": "%{y}<br>" + label + ": %{x}<extra></extra>",
            }
        )
    layout = _layout(t("status_counts", lang), "", barmode="stack", height=120 + 60 * max(1, len(plans)))
    layout["xaxis"] = {"title": {"text": t("targets_count", lang)}, "rangemode": "tozero"}
    if max((sum(p["counts"].values()) for p in plans), default=0) <= 10:
        layout["xaxis"]["dtick"] = 1  # counts of targets: no half steps on a short axis
    layout["yaxis"] = {"automargin": True}
    return {"data": traces, "layout": layout}


def target_chart(d: dict[str, Any], lang: str) -> dict[str, Any]:
    """A target's trajectory: observations (revisions as such), baseline, reference path, target,
    band/range/stretch, projection and the required remaining path; with no data yet it says so and
    still shows the target (and the baseline when known) on the target's years."""
    traces = [
        *_series_traces(d, lang),
        *_path_traces(d, lang),
        *_target_traces(d, lang),
    ]
    return {"data": traces, "layout": _target_layout(d, traces, lang)}


def _points(name_key: str, pts: list[list[float]], unit: str, lang: str, **style: Any) -> dict[str, Any]:
    """One scatter trace of (year, value) points, named in the page's language, values shown with their
    unit on hover."""
    name = t(name_key, lang)
    return {
        "type": "scatter",
        "name": name,
        "x": [p[0] for p in pts],
        "y": [p[1] for p in pts],
        "customdata": _shown([p[1] for p in pts], unit, lang),
        "hovertemplate": name + "<br>%{x}: %{customdata}<extra></extra>",
        **style,
    }


def _series_traces(d: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """What was observed: values since revised (open circles), the series that counts, the baseline."""
    unit = d["unit"]
    traces: list[dict[str, Any]] = []
    if d["revised"]:
        traces.append(
            _points(
                "revised",
                d["revised"],
                unit,
                lang,
                mode="markers",
                marker={"symbol": "circle-open", "size": 9, "color": "#777"},
            )
        )
    if d["series"]:
        traces.append(
            _points(
                "observations",
                d["series"],
                unit,
                lang,
                mode="lines+markers",
                line={"color": "#0072B2", "width": 2.5},
                marker={"size": 7},
            )
        )
    if d.get("base") is not None:
        traces.append(
            _points(
                "baseline",
                [d["base"]],
                unit,
                lang,
                mode="markers",
                marker={"symbol": "square", "size": 11, "color": "#000"},
            )
        )
    return traces


_PATHS = (  # the page data's key, the legend's text key, colour and dash
    ("reference", "reference_path", "#999999", "dash"),
    ("required", "required_path", "#D55E00", "dot"),
    ("projection", "projection", "#56B4E9", "dashdot"),
)


def _path_traces(d: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """The paths the page data carries (序时进度 reference, the pace still required, the projection) and
    the trend's value at the target year."""
    unit = d["unit"]
    traces: list[dict[str, Any]] = []
    for key, name_key, colour, dash in _PATHS:
        path = d.get(key)
        if path:
            traces.append(
                _points(
                    name_key, path, unit, lang, mode="lines", line={"color": colour, "dash": dash, "width": 2}
                )
            )
    if d.get("trend") is not None:
        traces.append(
            _points(
                "trend",
                [[d["target_year"], d["trend"]]],
                unit,
                lang,
                mode="markers",
                marker={"symbol": "x", "size": 10, "color": "#56B4E9"},
            )
        )
    return traces


def _target_traces(d: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """The target at its year (a star; with its band as error bars for 左右 / a range) and the stretch
    level (力争)."""
    unit = d["unit"]
    traces: list[dict[str, Any]] = []
    if d.get("target_level") is not None:
        band = d.get("band")
        target_trace = _points(
            "band" if band else "target_point",
            [[d["target_year"], d["target_level"]]],
            unit,
            lang,
            mode="markers",
            marker={"symbol": "star", "size": 16, "color": "#009E73", "line": {"color": "#000", "width": 1}},
        )
        if band:
            target_trace["error_y"] = {
                "type": "data",
                "symmetric": False,
                "array": [band[1] - d["target_level"]],
                "arrayminus": [d["target_level"] - band[0]],
                "color": "#009E73",
                "thickness": 3,
                "width": 12,
            }
        traces.append(target_trace)
    if d.get("stretch") is not None:
        traces.append(
            _points(
                "stretch",
                [[d["target_year"], d["stretch"]]],
                unit,
                lang,
                mode="markers",
                marker={"symbol": "triangle-up", "size": 13, "color": "#CC79A7"},
            )
        )
    return traces


def _target_layout(d: dict[str, Any], traces: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    """Title, axes over every drawn year (back to the first year of the term), and the words the chart
    needs: no data yet, or a target that cannot be drawn on this axis; an empty axis hides its ticks."""
    en = lang == "en"
    indicator = (d.get("indicator_en") if en else None) or d["indicator"]
    region = (d.get("region_en") if en else None) or d["region"]
    # the unit on the value axis (the indicator is in the title: a long name would be cut off there)
    y_title = unit_words(d["unit"], lang) or t("value", lang)
    years = [int(x) for tr in traces for x in tr["x"]] + [
        d["target_year"],
        d.get("first_year") or d["target_year"] - 5,
    ]
    layout = _layout(f"{indicator} · {region}", y_title)
    layout["xaxis"] = year_axis(min(years), max(years), t("year", lang))
    annotations = []
    if not d["series"]:
        annotations.append(
            {
                "text": t("no_data_yet", lang),
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
                "font": {"size": 18, "color": "#555"},
            }
        )
    if d.get("target_level") is None and d.get("words"):
        # a target not drawn on this axis (下降10% before its base is known, a rate's target): said in words
        words = d["words"].get(lang) or ""
        annotations.append(
            {
                "text": t("target_in_words", lang).format(words=words),
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 1.0,
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 12, "color": "#333"},
            }
        )
    if annotations:
        layout["annotations"] = annotations
    if not any(tr["y"] for tr in traces):
        layout["yaxis"]["range"] = [0, 1]
        layout["yaxis"]["showticklabels"] = False
    elif not d["series"]:  # only the target (and base): the axis from 0, not a sliver around one point
        layout["yaxis"]["rangemode"] = "tozero"
    return layout


def regions_chart(rows: list[dict[str, Any]], indicator: str, unit: str, lang: str) -> dict[str, Any]:
    """An indicator across regions: latest values as bars coloured by status, targets as markers."""
    names = [
        f"{(r.get('region_en') if lang == 'en' else None) or r['region']} {r['target_year']}" for r in rows
    ]
    bars = {
        "type": "bar",
        "name": t("latest", lang),
        "x": names,
        "y": [r["latest_value"] for r in rows],
        "marker": {
            "color": [STATUS_COLOURS[r["status"]] for r in rows],
            "line": {"color": "#333", "width": 0.5},
        },
        "text": [f"{STATUS_ICONS[r['status']]} {r['status_label']}" for r in rows],
        "textposition": "outside",
        "customdata": [[r["latest_year"], fmt_value(r["latest_value"], unit, lang)] for r in rows],
        "hovertemplate": "%{x}<br>%{customdata[0]}: %{customdata[1]}<br>%{text}<extra></extra>",
    }
    targets = {
        "type": "scatter",
        "mode": "markers",
        "name": t("target_point", lang),
        "x": names,
        "y": [r["target_level"] for r in rows],
        "marker": {"symbol": "star", "size": 14, "color": "#009E73", "line": {"color": "#000", "width": 1}},
        "customdata": _shown([r["target_level"] for r in rows], unit, lang),
        "hovertemplate": "%{x}<br>" + t("target_point", lang) + ": %{customdata}<extra></extra>",
    }
    unit_shown = unit_words(unit, lang)
    sep, y_title = texts.colon(lang), indicator + texts.paren(unit_shown, lang)
    layout = _layout(f"{indicator}{sep}{t('regions_vs_targets', lang)}", y_title if unit_shown else indicator)
    layout["xaxis"] = {"automargin": True}
    return {"data": [bars, targets], "layout": layout}


def verdict_chart(counts: dict[str, int], labels: dict[str, str], lang: str) -> dict[str, Any]:
    keys = [k for k in VERDICTS if counts.get(k)]
    colours = {k: STATUS_COLOURS[k] for k in keys}
    trace = {
        "type": "bar",
        "x": [labels[k] for k in keys],
        "y": [counts[k] for k in keys],
        "marker": {"color": [colours[k] for k in keys], "line": {"color": "#333", "width": 0.5}},
        "text": [str(counts[k]) for k in keys],
        "textposition": "outside",
        "hovertemplate": "%{x}: %{y}<extra></extra>",
    }
    return {"data": [trace], "layout": _layout(t("end_of_term", lang), t("targets_count", lang))}
