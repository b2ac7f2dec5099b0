"""What the gate explorer draws: the stacked heatmaps, the one-step view and the coloured text.

Figure builders (each called once per explorer) and pure functions from a
:class:`playground.model.Trace` to figure data and HTML.
"""

from __future__ import annotations

import html
from typing import Any

import plotly.graph_objects as go
import torch

from playground import interpret, sampling
from playground.interpret import QUANTITIES, QUANTITY_NAMES, Unit
from playground.model import Trace
from widgets._common import figure
from widgets.textgen_parts import activation_colour, coloured, show_char, text_box

WINDOW = 160  #: characters shown across the heatmaps at once
ROW_PX = 120  #: height of one heatmap
TOP = 20  #: bars of the next-character distribution

_GATE_SCALE = [[0.0, "#ffffff"], [1.0, "#b2182b"]]  # 0 closed (white) .. 1 open (red)
_SIGNED_SCALE = "RdBu_r"  # blue negative, white 0, red positive


def value_range(name: str, values: torch.Tensor) -> tuple[float, float]:
    """Colour range of a quantity: ``[0, 1]`` for a gate, ``[-1, 1]`` for tanh outputs, symmetric for c."""
    if name in ("input", "forget", "output"):
        return 0.0, 1.0
    if name in ("cell", "h"):
        return -1.0, 1.0
    m = float(values.abs().max()) if values.numel() else 1.0
    return -(m or 1.0), (m or 1.0)


def heat_figure() -> go.FigureWidget:
    """Six heatmaps stacked on one shared character axis: i, f, o, g, c, h (units x characters)."""
    n = len(QUANTITIES)
    gap = 0.035
    size = (1.0 - gap * (n - 1)) / n
    traces, layout = [], {}
    for k, q in enumerate(QUANTITIES):
        axis = "" if k == 0 else str(k + 1)
        top = 1.0 - k * (size + gap)
        gate = q in ("input", "forget", "output")
        traces.append(go.Heatmap(
            name=QUANTITY_NAMES[q], yaxis=f"y{axis}", xaxis="x", showscale=False,
            colorscale=_GATE_SCALE if gate else _SIGNED_SCALE,
            hovertemplate=f"{QUANTITY_NAMES[q]}<br>character %{{x}}<br>unit %{{y}}<br>%{{z:.3f}}<extra></extra>"))
        layout[f"yaxis{axis}"] = dict(domain=[top - size, top], anchor="x", title=dict(text=QUANTITY_NAMES[q], font=dict(size=11)))
    return figure(*traces, height=ROW_PX * n + 90, xaxis=dict(anchor=f"y{n}", tickmode="array", tickfont=dict(size=11, family="monospace"), tickangle=0),
                  title=dict(text="", font=dict(size=14)), margin=dict(l=70, r=10, t=40, b=30), **layout)


def step_figure() -> go.FigureWidget:
    """Left: the six quantities at one character (rows) over the units; right: the next-char bars."""
    return figure(
        go.Heatmap(name="at this character", colorscale=_SIGNED_SCALE, zmin=-1, zmax=1, xaxis="x", yaxis="y",
                   colorbar=dict(x=0.535, len=0.9, thickness=10),
                   hovertemplate="%{y}<br>unit %{x}<br>%{z:.3f}<extra></extra>"),
        go.Bar(name="next character (T = 1)", xaxis="x2", yaxis="y2", marker=dict(color=[])),
        height=340, showlegend=False, title=dict(text="", font=dict(size=14)),
        xaxis=dict(domain=[0.0, 0.52], title="unit"), yaxis=dict(autorange="reversed"),
        xaxis2=dict(domain=[0.66, 1.0], anchor="y2", tickmode="array", tickfont=dict(size=14)),
        yaxis2=dict(anchor="x2", range=[0, 1]))


def window_for(position: int, start: int, length: int) -> int:
    """A window start that keeps ``position`` in view, moving as little as possible."""
    if start <= position < start + WINDOW:
        return start
    return max(0, min(position - WINDOW // 2, length - WINDOW))


def heat_data(trace: Trace, layer: int, start: int) -> dict[str, Any]:
    """z (units x characters), x and tick labels of each quantity over the window from ``start``."""
    end = min(len(trace.text), start + WINDOW)
    x = list(range(start, end))
    zs, ranges = [], []
    for q in QUANTITIES:
        full = interpret.quantity(trace, layer, q)  # (T, H)
        part = full[start:end].T.contiguous()  # (H, W): a row per unit
        zs.append(part.numpy())
        ranges.append(value_range(q, part))
    return dict(x=x, z=zs, ranges=ranges, labels=[show_char(c) for c in trace.text[start:end]])


def step_data(trace: Trace, layer: int, t: int) -> dict[str, Any]:
    """The quantities of ``layer`` at character ``t`` ``(6, H)`` and the distribution it predicts."""
    z = torch.stack([interpret.quantity(trace, layer, q)[t] for q in QUANTITIES])  # (6, H)
    probs = torch.softmax(sampling.known(trace.logits[t]), dim=-1)  # (V,) the next character, T = 1
    n = min(TOP, probs.numel())
    idx = torch.topk(probs, n).indices.tolist()
    return dict(z=z.numpy(), rows=[QUANTITY_NAMES[q] for q in QUANTITIES], idx=idx,
                probs=[float(probs[i]) for i in idx] + [max(0.0, 1.0 - float(probs[idx].sum()))])


def unit_html(trace: Trace, unit: Unit, limit: int | None = None) -> str:
    """``trace.text`` coloured character by character by one unit's activation."""
    values = interpret.activation(trace, unit)  # (T,)
    lo, hi = value_range(unit.quantity, values)
    chars = list(trace.text if limit is None else trace.text[:limit])
    colours = [activation_colour(float(v), lo, hi) for v in values[: len(chars)]]
    return text_box(coloured(chars, colours), "260px")


def found_html(trace: Trace, found: dict[str, list[interpret.UnitScore]], snippet: int = 240) -> str:
    """The best units per feature, each with its correlation and the text coloured by it."""
    if not found:
        return "<i>None of the features varies over this text (no quotes, brackets, lines or speakers).</i>"
    rows = []
    for feature, scores in found.items():
        rows.append(f"<h4 style='margin:8px 0 2px'>{html.escape(feature)}</h4>")
        for s in scores:
            rows.append(f"<div><b>{html.escape(str(s.unit))}</b>: correlation {s.correlation:+.3f}</div>")
            rows.append(unit_html(trace, s.unit, snippet))
    return "".join(rows)
