"""Charts drawn on the server as SVG: bars, axes and labels placed here, the
shapes written by templates/admin/_charts.html.

Drawn here rather than by a JavaScript chart library: the page stays within its
content security policy (no inline styles or scripts), shows in the user's
language through the same formatters as every other figure, and needs nothing
installed beyond the app.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

WIDTH, HEIGHT = 600, 240
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 64, 28, 10
TICKS = 4


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int  # 0, 1...: its colour in the stylesheet
    title: str   # shown on hover and read by screen readers


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    x_labels: list[tuple[float, str]] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    baseline: float = 0
    plot_left: float = MARGIN_LEFT


def nice_step(maximum: int, ticks: int = TICKS) -> int:
    """A round step (1, 2 or 5 times a power of ten) so that ``ticks`` steps reach
    ``maximum``."""
    raw = max(maximum, 1) / ticks
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    for multiple in (1, 2, 5, 10):
        if multiple * magnitude >= raw:
            return int(multiple * magnitude)
    return int(10 * magnitude)


def column_chart(points: Sequence[tuple[str, Sequence[int]]], *, axis_text: Callable[[int], str],
                 bar_title: Callable[[str, int, int], str], label_every: int = 1) -> Chart:
    """Vertical bars side by side, one group per point: ``points`` is
    [(x label, [value of each series]), ...]; ``bar_title(label, series, value)``
    says what a bar is; every ``label_every``-th x label is written."""
    chart = Chart(WIDTH, HEIGHT)
    series = max((len(values) for _label, values in points), default=1)
    top = max((v for _label, values in points for v in values), default=0)
    step = nice_step(top)
    scale_max = step * TICKS
    plot_width = WIDTH - MARGIN_LEFT
    plot_height = HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    chart.baseline = MARGIN_TOP + plot_height
    slot = plot_width / max(len(points), 1)
    bar_width = slot * 0.8 / series
    for tick in range(TICKS + 1):
        y = chart.baseline - plot_height * tick / TICKS
        chart.y_ticks.append((y, axis_text(step * tick)))
    for index, (label, values) in enumerate(points):
        left = MARGIN_LEFT + slot * index + slot * 0.1
        for number, value in enumerate(values):
            height = plot_height * value / scale_max
            chart.bars.append(Bar(left + bar_width * number, chart.baseline - height, bar_width,
                                  height, number, bar_title(label, number, value)))
        if index % label_every == 0:
            chart.x_labels.append((MARGIN_LEFT + slot * (index + 0.5), label))
    return chart


@dataclass
class Row:
    label: str
    value_text: str
    width: float  # share of the longest bar, 0..1


def bar_rows(rows: Sequence[tuple[str, int, str]]) -> list[Row]:
    """Horizontal bars: [(label, value, value as written), ...] -> each bar's width
    as a share of the largest value."""
    top = max((value for _label, value, _text in rows), default=0) or 1
    return [Row(label, text, value / top) for label, value, text in rows]
