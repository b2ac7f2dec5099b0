"""The network playground's figures: built once here, redrawn in place from the engine's output.

Each ``*_figure`` function builds one ``FigureWidget``; the matching ``draw_*`` function writes
new engine values into it inside ``batch_update``. :func:`explain_html` renders "how wrong was
that?" for one point.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import plotly.graph_objects as go
from numpy.typing import NDArray

from playground.mlp import Trainer
from playground.mlp_inspect import PointExplanation, Surface
from widgets._common import compact, figure

CLASS_COLOURS = ("#e66101", "#1f6feb", "#2e7d32", "#6a1b9a", "#c2185b", "#00838f", "#4e342e",
                 "#827717", "#37474f", "#ad1457")
#: Orange for "no" (0), blue for "yes" (1), as in the points' colours.
BINARY_SCALE = [[0.0, "#f4a261"], [0.5, "#ffffff"], [1.0, "#6fa8dc"]]
#: Tiles hold -1..1; the space between tiles holds GAP, drawn white. (Not NaN: Jupyter's
#: message packer refuses NaN in JSON, and 2-D heatmap data travel as JSON lists.)
GAP = 1.2
TILE_SCALE = [[0.0, "#e66101"], [1 / (1 + GAP), "#ffffff"], [2 / (1 + GAP), "#1f6feb"],
              [2 / (1 + GAP) + 1e-6, "#ffffff"], [1.0, "#ffffff"]]
POS, NEG = "#1f6feb", "#e66101"
WIDTHS = (0.6, 1.2, 2.0, 3.2, 5.0)
MAX_EDGES = 4000
COLUMN_GAP = 2.5  # tile widths between two layers
ROW_GAP = 1.3  # tile heights between two neurons


def surface_figure() -> go.FigureWidget:
    """Decision surface with train points (circles), test points (outlined) and a chosen point."""
    return figure(
        go.Heatmap(name="network", colorscale=BINARY_SCALE, zmin=0, zmax=1, showscale=False,
                   hoverinfo="skip"),
        go.Scatter(name="train", mode="markers", marker=dict(size=7, line=dict(width=0.5, color="white"))),
        go.Scatter(name="test", mode="markers", marker=dict(size=7, symbol="circle-open", line=dict(width=2))),
        go.Scatter(name="explained point", mode="markers",
                   marker=dict(size=18, symbol="circle-open", color="black", line=dict(width=3))),
        height=420, width=440, title="Decision surface", showlegend=False,
        xaxis=dict(constrain="domain"), yaxis=dict(scaleanchor="x"))


def draw_surface(fig: go.FigureWidget, trainer: Trainer, s: Surface, show_test: bool,
                 points: bool = True) -> None:
    """Write the surface ``s`` (and, when ``points``, the data points) into ``fig``."""
    data = trainer.data
    with fig.batch_update():
        heat = fig.data[0]
        heat.x, heat.y, heat.z = s.xs, s.ys, compact(s.z)
        if data.task == "regression":
            lim = float(max(np.abs(data.y_train).max(), 1e-6))
            heat.colorscale, heat.zmin, heat.zmax = BINARY_SCALE, -lim, lim
        elif data.n_classes == 2:
            heat.colorscale, heat.zmin, heat.zmax = BINARY_SCALE, 0, 1
        else:
            k = data.n_classes
            heat.colorscale = _class_scale(k)
            heat.zmin, heat.zmax = 0, k
        if not points:
            return
        for trace, x, y in ((fig.data[1], data.x_train, data.y_train), (fig.data[2], data.x_test, data.y_test)):
            trace.x, trace.y = x[:, 0], x[:, 1]
            if data.task == "regression":
                trace.marker.color, trace.marker.colorscale = y, BINARY_SCALE
                trace.marker.cmin, trace.marker.cmax = heat.zmin, heat.zmax
            else:
                trace.marker.color = [CLASS_COLOURS[int(c) % len(CLASS_COLOURS)] for c in y]
                if trace is fig.data[2]:
                    trace.marker.line.color = trace.marker.color
        fig.data[2].visible = show_test


def _class_scale(k: int) -> list[list[Any]]:
    """A stepped colour scale: band ``[c, c + 1)`` fades from white to class ``c``'s colour."""
    scale: list[list[Any]] = []
    for c in range(k):
        colour = CLASS_COLOURS[c % len(CLASS_COLOURS)]
        scale += [[c / k, "#ffffff"], [(c + 0.999) / k, colour]]
    scale[-1][0] = 1.0
    return scale


def loss_figure() -> go.FigureWidget:
    """Train and test loss against the step."""
    return figure(go.Scatter(name="train loss", mode="lines", line=dict(color="#37474f")),
                  go.Scatter(name="test loss", mode="lines", line=dict(color="#c62828", dash="dot")),
                  height=260, width=440, title="Loss", xaxis_title="step",
                  legend=dict(orientation="h", y=1.12))


def draw_loss(fig: go.FigureWidget, trainer: Trainer) -> None:
    """Write the trainer's history into ``fig``."""
    h = trainer.history
    steps = h.column("step")
    with fig.batch_update():
        fig.data[0].x, fig.data[0].y = steps, h.column("train_loss")
        fig.data[1].x, fig.data[1].y = steps, h.column("test_loss")


def diagram_figure() -> go.FigureWidget:
    """The network drawn as tiles (each neuron's own surface) joined by weighted connections."""
    edges = [go.Scatter(mode="lines", hoverinfo="skip", name=f"{sign} {i}",
                        line=dict(color=POS if sign == "+" else NEG, width=wd))
             for sign in "+-" for i, wd in enumerate(WIDTHS)]
    tiles = go.Heatmap(name="neurons", colorscale=TILE_SCALE, zmin=-1, zmax=GAP, showscale=False,
                       hoverinfo="skip")
    return figure(*edges, tiles, height=420, width=620, showlegend=False,
                  title="Every neuron's own surface; connections: blue +, orange \u2212, width = size",
                  xaxis=dict(visible=False), yaxis=dict(visible=False, autorange="reversed"),
                  margin=dict(l=10, r=10, t=40, b=10))


def layout_columns(sizes: list[int]) -> list[list[tuple[float, float]]]:
    """Top-left corner ``(x, y)`` of every neuron's unit tile, column by column, centred."""
    tallest = max(sizes)
    return [[(c * (1 + COLUMN_GAP), (tallest - m) * ROW_GAP / 2 + j * ROW_GAP) for j in range(m)]
            for c, m in enumerate(sizes)]


def _normalise(tile: NDArray[Any]) -> NDArray[Any]:
    """Scale one neuron's surface to -1..1 (a constant or broken surface becomes 0)."""
    if not np.isfinite(tile).all():
        return np.zeros_like(tile)
    lo, hi = float(tile.min()), float(tile.max())
    if hi - lo < 1e-9:
        return np.zeros_like(tile)
    return (tile - lo) / (hi - lo) * 2.0 - 1.0


def draw_diagram(fig: go.FigureWidget, trainer: Trainer, inputs: list[NDArray[Any]],
                 hidden: list[list[NDArray[Any]]], outputs: list[NDArray[Any]],
                 weights: list[NDArray[Any]]) -> int:
    """Draw tiles for ``inputs`` + ``hidden`` + ``outputs`` surfaces (each (r, r)) and the
    ``weights`` (one (out, in) matrix per layer). Returns how many connections were drawn."""
    columns = [inputs, *hidden, outputs]
    sizes = [len(c) for c in columns]
    corners = layout_columns(sizes)
    r = inputs[0].shape[0]
    tallest = max(sizes)
    width_px = int(round(((len(columns) - 1) * (1 + COLUMN_GAP) + 1) * r))
    height_px = int(round(((tallest - 1) * ROW_GAP + 1) * r))
    mosaic = np.full((height_px, width_px), GAP, dtype=np.float32)
    for col, tiles in zip(corners, columns):
        for (x0, y0), tile in zip(col, tiles):
            i, j = int(round(y0 * r)), int(round(x0 * r))
            mosaic[i:i + r, j:j + r] = _normalise(tile)[::-1]  # rows top-down; y axis is reversed
    all_w = np.concatenate([w_.ravel() for w_ in weights]) if weights else np.zeros(1)
    finite = all_w[np.isfinite(all_w)]
    biggest = float(np.abs(finite).max()) if finite.size else 1.0
    keep = np.inf
    if all_w.size > MAX_EDGES:  # draw only the strongest connections of a huge network
        keep = float(np.sort(np.abs(np.nan_to_num(all_w)))[-MAX_EDGES])
    # Every connection as a segment (x0, y0) -> (x1, y1), grouped by sign and width bucket;
    # NaN between segments breaks the line, and numpy arrays travel as binary buffers.
    seg_x: list[NDArray[Any]] = []
    seg_y: list[NDArray[Any]] = []
    seg_v: list[NDArray[Any]] = []
    for li, wm in enumerate(weights):
        src = np.asarray(corners[li])  # (in, 2)
        dst = np.asarray(corners[li + 1])  # (out, 2)
        o, k = np.meshgrid(np.arange(wm.shape[0]), np.arange(wm.shape[1]), indexing="ij")
        seg_x.append(np.stack([src[k.ravel(), 0] + 1.0, dst[o.ravel(), 0]], 1))
        seg_y.append(np.stack([src[k.ravel(), 1] + 0.5, dst[o.ravel(), 1] + 0.5], 1))
        seg_v.append(wm.ravel())
    sx, sy, sv = np.concatenate(seg_x), np.concatenate(seg_y), np.concatenate(seg_v)
    ok = np.isfinite(sv)
    if keep != np.inf:
        ok &= np.abs(np.nan_to_num(sv)) >= keep
    bucket = np.minimum(len(WIDTHS) - 1, (np.abs(np.nan_to_num(sv)) / max(biggest, 1e-9) * len(WIDTHS)).astype(int))
    gap = np.full((len(sv), 1), np.nan)
    segs = {}
    for sign in "+-":
        for i in range(len(WIDTHS)):
            m = ok & (bucket == i) & ((sv >= 0) if sign == "+" else (sv < 0))
            segs[(sign, i)] = (np.hstack([sx[m], gap[m]]).ravel(), np.hstack([sy[m], gap[m]]).ravel())
    drawn = int(ok.sum())
    with fig.batch_update():
        for t, (xs, ys) in zip(fig.data[:-1], segs.values()):
            t.x, t.y = xs, ys
        tiles = fig.data[-1]
        tiles.z, tiles.x0, tiles.dx, tiles.y0, tiles.dy = compact(mosaic), 0.5 / r, 1.0 / r, 0.5 / r, 1.0 / r
        fig.layout.height = int(min(900, max(300, 60 + tallest * 28)))
    return drawn


def _row(values: NDArray[Any], limit: int = 8) -> str:
    cells = " ".join(f"{v:+.3f}" for v in values[:limit])
    return cells + (f" \u2026 (+{len(values) - limit})" if len(values) > limit else "")


def explain_html(e: PointExplanation, trainer: Trainer) -> str:
    """"How wrong was that?" for one point, as a small HTML report."""
    data = trainer.data
    if data.task == "regression":
        said = f"the network says <b>{e.prediction:.3f}</b>, the answer is <b>{e.target:.3f}</b>"
    elif data.n_classes == 2:
        said = (f"the network gives class {data.classes[1]} a probability of <b>{e.prediction:.3f}</b>; "
                f"the true class is <b>{data.classes[int(e.target)]}</b>")
    else:
        said = (f"the network says class <b>{data.classes[int(e.prediction)]}</b>; "
                f"the true class is <b>{data.classes[int(e.target)]}</b>")
    parts = [f"<p><b>Point {e.index}</b> at ({e.x[0]:.2f}, {e.x[1]:.2f}): {said}. "
             f"How wrong was that? loss = <b>{e.loss:.4f}</b>.</p>",
             "<table class='np-explain' style='font-family:monospace;font-size:12px'>"
             "<tr><th>layer</th><th>weighted sums z</th><th>activations</th>"
             "<th>largest gradients dloss/dw (to\u2190from)</th><th>one SGD step changes it by</th></tr>",
             f"<tr><td>input</td><td></td><td>{_row(e.activations[0])}</td><td></td><td></td></tr>"]
    for li, g in enumerate(e.grads):
        flat = np.abs(g).ravel()
        top = np.argsort(flat)[::-1][:3]
        grads = ", ".join(f"w[{t // g.shape[1]}\u2190{t % g.shape[1]}] {g.flat[t]:+.4f}" for t in top)
        moves = ", ".join(f"{e.updates[li].flat[t]:+.5f}" for t in top)
        name = "output" if li == len(e.grads) - 1 else f"hidden {li + 1}"
        parts.append(f"<tr><td>{name}</td><td>{_row(e.sums[li])}</td>"
                     f"<td>{_row(e.activations[li + 1])}</td><td>{html.escape(grads)}</td>"
                     f"<td>{moves}</td></tr>")
    parts.append("</table><p style='font-size:12px'>Backpropagation sends the error from the "
                 "output back through every layer: each gradient says how much the loss would "
                 "grow if that weight grew a little, and the step moves the weight the other way.</p>")
    return "".join(parts)
