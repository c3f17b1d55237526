"""Chart geometry (admin_app/charts.py): round axis steps, bars that fit the plot
and keep their proportions, and horizontal bars as shares of the largest."""
from __future__ import annotations

import pytest

from admin_app.charts import HEIGHT, MARGIN_LEFT, WIDTH, bar_rows, column_chart, nice_step


@pytest.mark.parametrize("maximum, step", [(0, 1), (3, 1), (4, 1), (5, 2), (9, 5), (40, 10),
                                           (41, 20), (1234, 500), (950_000, 500_000)])
def test_axis_steps_are_round_and_reach_the_largest_value(maximum, step):
    assert nice_step(maximum) == step
    assert nice_step(maximum) * 4 >= maximum


def test_bars_fit_the_plot_and_keep_their_proportions():
    chart = column_chart([("a", [10, 5]), ("b", [20, 0]), ("c", [0, 40])],
                         axis_text=str, bar_title=lambda label, s, v: f"{label}{s}={v}",
                         label_every=2)
    assert len(chart.bars) == 6
    for bar in chart.bars:
        assert MARGIN_LEFT <= bar.x and bar.x + bar.width <= WIDTH
        assert 0 <= bar.y and bar.y + bar.height == pytest.approx(chart.baseline)
    heights = {bar.title: bar.height for bar in chart.bars}
    assert heights["b0=20"] == pytest.approx(2 * heights["a0=10"])
    assert heights["b1=0"] == 0
    assert chart.baseline < HEIGHT
    assert [label for _x, label in chart.y_ticks] == ["0", "10", "20", "30", "40"]
    assert [label for _x, label in chart.x_labels] == ["a", "c"]


def test_an_empty_chart_has_axes_and_no_bars():
    chart = column_chart([], axis_text=str, bar_title=lambda *a: "")
    assert chart.bars == [] and len(chart.y_ticks) == 5


def test_horizontal_bars_are_shares_of_the_largest():
    rows = bar_rows([("Gold", 50, "50"), ("Silver", 25, "25"), ("Empty", 0, "0")])
    assert [(r.label, r.width) for r in rows] == [("Gold", 1.0), ("Silver", 0.5), ("Empty", 0.0)]
    assert bar_rows([]) == []
