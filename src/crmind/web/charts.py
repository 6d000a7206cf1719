"""ECharts options for the dashboard's charts, as plain dicts (JSON in ``data-chart``).

Pages build an option here and hand it to the template's ``chart(option, name)``; the browser
draws it with the vendored ECharts (static/js/app.js, SVG renderer). Only data and labels go
in: no functions, so an option is safe JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

PALETTE = ["#2f6fde", "#1f9d61", "#d98a00", "#d4493f", "#7a5cc7", "#1a9fb0", "#8c6d3f", "#c2478f"]
SENTIMENT_COLOURS = {"positive": "#1f9d61", "neutral": "#9aa3b2", "negative": "#d4493f"}

_GRID = {"left": 56, "right": 16, "top": 28, "bottom": 40, "containLabel": True}


def _base() -> dict[str, Any]:
    return {"color": PALETTE, "tooltip": {"trigger": "axis"}, "grid": dict(_GRID)}


def bar(
    categories: Sequence[str],
    values: Sequence[float | int | None],
    *,
    name: str = "",
    horizontal: bool = False,
    colour: str | None = None,
) -> dict[str, Any]:
    """One series of bars (horizontal ones suit long category names)."""
    category_axis = {
        "type": "category",
        "data": list(categories),
        "axisLabel": {"hideOverlap": True},
    }
    value_axis = {"type": "value"}
    option = _base()
    option["xAxis"], option["yAxis"] = (
        (value_axis, {**category_axis, "inverse": True})
        if horizontal
        else (category_axis, value_axis)
    )
    series: dict[str, Any] = {"type": "bar", "name": name, "data": list(values)}
    if colour:
        series["itemStyle"] = {"color": colour}
    option["series"] = [series]
    return option


def line(
    categories: Sequence[str],
    series: dict[str, Sequence[float | int | None]],
    *,
    area: bool = False,
) -> dict[str, Any]:
    """Lines over ordered categories (months), one per named series."""
    option = _base()
    option["xAxis"] = {"type": "category", "data": list(categories), "boundaryGap": False}
    option["yAxis"] = {"type": "value"}
    if len(series) > 1:
        option["legend"] = {"top": 0}
    option["series"] = [
        {
            "type": "line",
            "name": name,
            "data": list(values),
            "smooth": True,
            "showSymbol": len(categories) < 30,
            **({"areaStyle": {"opacity": 0.15}} if area else {}),
        }
        for name, values in series.items()
    ]
    return option


def stacked_bars(
    categories: Sequence[str],
    series: dict[str, Sequence[float | int]],
    colours: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Bars of several named parts stacked per category (e.g. sentiment per month)."""
    option = _base()
    option["legend"] = {"top": 0}
    option["grid"]["top"] = 36
    option["xAxis"] = {"type": "category", "data": list(categories)}
    option["yAxis"] = {"type": "value"}
    option["series"] = [
        {
            "type": "bar",
            "name": name,
            "stack": "total",
            "data": list(values),
            **({"itemStyle": {"color": colours[name]}} if colours and name in colours else {}),
        }
        for name, values in series.items()
    ]
    return option


def donut(parts: Sequence[tuple[str, float]]) -> dict[str, Any]:
    """Shares of a whole, as a ring with a legend."""
    return {
        "color": PALETTE,
        "tooltip": {"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
        "legend": {"type": "scroll", "bottom": 0},
        "series": [
            {
                "type": "pie",
                "radius": ["42%", "70%"],
                "center": ["50%", "44%"],
                "label": {"show": False},
                "data": [{"name": name, "value": value} for name, value in parts],
            }
        ],
    }


def histogram(
    edges: Sequence[float], counts: Sequence[int], *, digits: int = 0, name: str = ""
) -> dict[str, Any]:
    """Bars of counts per bin, each labelled ``low–high``."""
    labels = [f"{edges[i]:,.{digits}f}–{edges[i + 1]:,.{digits}f}" for i in range(len(counts))]
    option = bar(labels, list(counts), name=name)
    option["xAxis"]["axisLabel"] = {"rotate": 30, "hideOverlap": True}
    option["series"][0]["barCategoryGap"] = "8%"
    return option


def heatmap(
    x_labels: Sequence[str],
    y_labels: Sequence[str],
    cells: Sequence[tuple[int, int, float]],
    *,
    name: str = "",
) -> dict[str, Any]:
    """A grid of cells ``(x index, y index, value)`` shaded by value (the RFM grid)."""
    top = max((v for _, _, v in cells), default=1) or 1
    return {
        "tooltip": {"position": "top"},
        "grid": {"left": 60, "right": 16, "top": 16, "bottom": 70, "containLabel": True},
        "xAxis": {
            "type": "category",
            "data": list(x_labels),
            "name": "",
            "splitArea": {"show": True},
        },
        "yAxis": {"type": "category", "data": list(y_labels), "splitArea": {"show": True}},
        "visualMap": {
            "min": 0,
            "max": top,
            "calculable": True,
            "orient": "horizontal",
            "left": "center",
            "bottom": 0,
            "inRange": {"color": ["#eef3fc", "#2f6fde"]},
        },
        "series": [
            {
                "type": "heatmap",
                "name": name,
                "data": [[x, y, v] for x, y, v in cells],
                "label": {"show": True},
            }
        ],
    }
