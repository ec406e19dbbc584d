"""Plotly figures (as plain JSON-able dicts, drawn by the Plotly.js the service serves itself)."""

from __future__ import annotations

from typing import Any

from service.domain import texts
from service.reports.render import STATUS_COLOURS, STATUS_ICONS
from service.web.i18n import t

FONT = {"family": "system-ui, 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif", "size": 13}


def _layout(title: str, y_title: str, x_title: str | None = None, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": title, "font": {"size": 15}},
        "font": FONT,
        "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        "yaxis": {"title": {"text": y_title}, "zeroline": False},
        "legend": {"orientation": "h", "y": -0.3, "yanchor": "top"},
        "hovermode": "closest",
    }
    if x_title:
        layout["xaxis"] = {"title": {"text": x_title}, "tickformat": "d"}
    layout.update(extra)
    return layout


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
        traces.append({
            "type": "bar", "orientation": "h", "name": label, "y": names, "x": counts,
            "marker": {"color": STATUS_COLOURS[s], "line": {"color": "#333", "width": 0.5}},
            "text": [str(c) if c else "" for c in counts], "textposition": "inside",
            "hovertemplate": "%{y}<br>" + label + ": %{x}<extra></extra>",
        })  # fmt: skip
    layout = _layout(t("status_counts", lang), "", barmode="stack", height=120 + 60 * max(1, len(plans)))
    layout["xaxis"] = {"title": {"text": t("targets_count", lang)}, "rangemode": "tozero"}
    if max((sum(p["counts"].values()) for p in plans), default=0) <= 10:
        layout["xaxis"]["dtick"] = 1  # counts of targets: no half steps on a short axis
    layout["yaxis"] = {"automargin": True}
    return {"data": traces, "layout": layout}


def target_chart(d: dict[str, Any], lang: str) -> dict[str, Any]:
    """A target's trajectory: observations (revisions as such), baseline, reference path, target,
    band/range/stretch, projection and the required remaining path."""
    unit = texts.unit(d["unit"], lang).strip()
    hover = "%{x}: %{y:.4g} " + unit
    traces: list[dict[str, Any]] = []
    if d["revised"]:
        traces.append({
            "type": "scatter", "mode": "markers", "name": t("revised", lang),
            "x": [p[0] for p in d["revised"]], "y": [p[1] for p in d["revised"]],
            "marker": {"symbol": "circle-open", "size": 9, "color": "#777"},
            "hovertemplate": t("revised", lang) + "<br>" + hover + "<extra></extra>",
        })  # fmt: skip
    traces.append({
        "type": "scatter", "mode": "lines+markers", "name": t("observations", lang),
        "x": [p[0] for p in d["series"]], "y": [p[1] for p in d["series"]],
        "line": {"color": "#0072B2", "width": 2.5}, "marker": {"size": 7},
        "hovertemplate": t("observations", lang) + "<br>" + hover + "<extra></extra>",
    })  # fmt: skip
    if d.get("base") is not None:
        traces.append({
            "type": "scatter", "mode": "markers", "name": t("baseline", lang), "x": [d["base"][0]], "y": [d["base"][1]],
            "marker": {"symbol": "square", "size": 11, "color": "#000"},
            "hovertemplate": t("baseline", lang) + "<br>" + hover + "<extra></extra>",
        })  # fmt: skip
    for key, colour, dash in (("reference", "#999999", "dash"), ("required", "#D55E00", "dot"),
                              ("projection", "#56B4E9", "dashdot")):  # fmt: skip
        path = d.get(key)
        if path:
            name = t(
                {"reference": "reference_path", "required": "required_path", "projection": "projection"}[key],
                lang,
            )
            traces.append({
                "type": "scatter", "mode": "lines", "name": name, "x": [p[0] for p in path],
                "y": [p[1] for p in path], "line": {"color": colour, "dash": dash, "width": 2},
                "hovertemplate": name + "<br>" + hover + "<extra></extra>",
            })  # fmt: skip
    if d.get("trend") is not None:
        traces.append({
            "type": "scatter", "mode": "markers", "name": t("trend", lang), "x": [d["target_year"]], "y": [d["trend"]],
            "marker": {"symbol": "x", "size": 10, "color": "#56B4E9"},
            "hovertemplate": t("trend", lang) + "<br>" + hover + "<extra></extra>",
        })  # fmt: skip
    if d.get("target_level") is not None:
        target_trace: dict[str, Any] = {
            "type": "scatter", "mode": "markers", "name": t("target_point", lang), "x": [d["target_year"]],
            "y": [d["target_level"]], "marker": {"symbol": "star", "size": 16, "color": "#009E73",
                                                 "line": {"color": "#000", "width": 1}},
            "hovertemplate": t("target_point", lang) + "<br>" + hover + "<extra></extra>",
        }  # fmt: skip
        band = d.get("band")
        if band:
            target_trace["error_y"] = {
                "type": "data", "symmetric": False, "array": [band[1] - d["target_level"]],
                "arrayminus": [d["target_level"] - band[0]], "color": "#009E73", "thickness": 3, "width": 12,
            }  # fmt: skip
            target_trace["name"] = t("band", lang)
        traces.append(target_trace)
    if d.get("stretch") is not None:
        traces.append({
            "type": "scatter", "mode": "markers", "name": t("stretch", lang), "x": [d["target_year"]],
            "y": [d["stretch"]], "marker": {"symbol": "triangle-up", "size": 13, "color": "#CC79A7"},
            "hovertemplate": t("stretch", lang) + "<br>" + hover + "<extra></extra>",
        })  # fmt: skip
    en = lang == "en"
    indicator = str((d.get("indicator_en") if en else None) or d["indicator"])
    region = str((d.get("region_en") if en else None) or d["region"])
    title = f"{indicator} · {region}"
    y_title = indicator + texts.paren(texts.unit_name(d["unit"], lang), lang)
    return {"data": traces, "layout": _layout(title, y_title, t("year", lang))}


def regions_chart(rows: list[dict[str, Any]], indicator: str, unit: str, lang: str) -> dict[str, Any]:
    """An indicator across regions: latest values as bars coloured by status, targets as markers."""
    stored_unit, unit = unit, texts.unit(unit, lang).strip()
    names = [f"{r['region']} {r['target_year']}" for r in rows]
    bars = {
        "type": "bar", "name": t("latest", lang), "x": names, "y": [r["latest_value"] for r in rows],
        "marker": {"color": [STATUS_COLOURS[r["status"]] for r in rows], "line": {"color": "#333", "width": 0.5}},
        "text": [f"{STATUS_ICONS[r['status']]} {r['status_label']}" for r in rows], "textposition": "outside",
        "customdata": [r["latest_year"] for r in rows],
        "hovertemplate": "%{x}<br>%{customdata}: %{y:.4g} " + unit + "<br>%{text}<extra></extra>",
    }  # fmt: skip
    targets = {
        "type": "scatter", "mode": "markers", "name": t("target_point", lang), "x": names,
        "y": [r["target_level"] for r in rows],
        "marker": {"symbol": "star", "size": 14, "color": "#009E73", "line": {"color": "#000", "width": 1}},
        "hovertemplate": "%{x}<br>" + t("target_point", lang) + ": %{y:.4g} " + unit + "<extra></extra>",
    }  # fmt: skip
    layout = _layout(
        f"{indicator}{texts.colon(lang)}{t('regions_vs_targets', lang)}",
        indicator + texts.paren(texts.unit_name(stored_unit, lang), lang),
    )
    layout["xaxis"] = {"automargin": True}
    return {"data": [bars, targets], "layout": layout}


def verdict_chart(counts: dict[str, int], labels: dict[str, str], lang: str) -> dict[str, Any]:
    keys = [
        k
        for k in ("achieved_early", "achieved", "missed", "insufficient_data", "qualitative")
        if counts.get(k)
    ]
    colours = {k: STATUS_COLOURS[k] for k in keys}
    trace = {
        "type": "bar", "x": [labels[k] for k in keys], "y": [counts[k] for k in keys],
        "marker": {"color": [colours[k] for k in keys], "line": {"color": "#333", "width": 0.5}},
        "text": [str(counts[k]) for k in keys], "textposition": "outside",
        "hovertemplate": "%{x}: %{y}<extra></extra>",
    }  # fmt: skip
    return {"data": [trace], "layout": _layout(t("end_of_term", lang), t("targets_count", lang))}
