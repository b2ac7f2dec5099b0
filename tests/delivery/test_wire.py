"""What figures send to the browser: grids rounded to the places their labels show."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
from plotly.serializers import _py_to_js

from widgets._common import compact, figure


def test_compact_grid_rounds_to_three_places_and_keeps_gaps() -> None:
    grid = np.random.default_rng(0).normal(size=(37, 5)).astype(np.float32)
    grid[3, 2] = np.nan
    back = compact(grid)
    assert back[3][2] is None
    got = np.asarray(back, dtype=float)
    np.testing.assert_allclose(got[~np.isnan(got)], grid[~np.isnan(grid)], atol=5e-4)
    assert all(len(repr(v)) <= 6 for row in back for v in row if v is not None)


def test_a_grid_of_small_numbers_keeps_three_significant_digits() -> None:
    grid = np.linspace(-0.004, 0.004, 61).reshape(1, -1)  # a regression target this small
    back = np.asarray(compact(grid), dtype=float)
    assert len(np.unique(back)) == 61
    np.testing.assert_allclose(back, grid, atol=5e-6)


def test_a_heatmap_update_sends_under_half_of_the_plain_message() -> None:
    grid = np.random.default_rng(1).random((384, 160)).astype(np.float32)  # 08_gates' window
    sent: list[dict] = []
    fig = figure(go.Heatmap())
    fig.observe(lambda change: sent.append(change["new"]), names=["_py2js_restyle"])
    fig.data[0].z = grid
    fig.data[0].z = compact(grid * 2)
    plain, small = (len(json.dumps(_py_to_js(m, None))) for m in sent if m)
    assert small * 2.5 < plain
