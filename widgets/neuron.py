"""The neuron widget: inputs, weights and bias as sliders, the sum written out, the decision drawn.

Three views of one :class:`playground.neuron.Neuron`: the weighted sum with the live numbers, the
activation curve with the current point on it, and the neuron's output over the plane of its
first two inputs (the other inputs held where their sliders are), with the line where the sum
crosses zero.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w
import numpy as np
import plotly.graph_objects as go
import torch

from playground import neuron as eng
from widgets._common import Notice, ShowsFigures, compact, figure, guarded

MAX_INPUTS = 5
PLANE_RES = 60


def _set_range(slider: w.FloatSlider, lo: float, hi: float, value: float) -> None:
    """Move a slider's bounds without tripping its own clamping on the way."""
    if lo >= slider.max:
        slider.max, slider.min = hi, lo
    else:
        slider.min, slider.max = lo, hi
    slider.value = value


class NeuronWidget(ShowsFigures, w.VBox):
    """One neuron you can push around.

    Parameters
    ----------
    preset:
        ``"concert"`` ("go to the concert?", step activation) or ``"free"``.
    """

    def __init__(self, preset: str = "concert", **kwargs: Any) -> None:
        self.notice = Notice()
        self.preset = w.Dropdown(options=[(p.title, k) for k, p in eng.PRESETS.items()],
                                 value=preset, description="Story")
        self.n_inputs = w.IntSlider(value=2, min=2, max=MAX_INPUTS, description="Inputs")
        self.activation = w.Dropdown(options=list(eng.ACTIVATIONS), value="step", description="Activation")
        slider = dict(continuous_update=True, step=0.1, readout_format=".1f",
                      style={"description_width": "110px"}, layout=w.Layout(width="300px"))
        self.inputs = [w.FloatSlider(description=f"x{i + 1}", **slider) for i in range(MAX_INPUTS)]
        self.weights = [w.FloatSlider(description=f"weight {i + 1}", **slider) for i in range(MAX_INPUTS)]
        self.bias = w.FloatSlider(description="bias", **slider)
        for i, (x, wt) in enumerate(zip(self.inputs, self.weights)):
            x.add_class(f"np-neuron-x{i + 1}")
            wt.add_class(f"np-neuron-w{i + 1}")
        self.rows = [w.HBox([x, wt]) for x, wt in zip(self.inputs, self.weights)]
        self.formula = w.HTML()
        self.curve = figure(
            go.Scatter(name="activation", mode="lines", line=dict(color="#1f6feb")),
            go.Scatter(name="this input", mode="markers", marker=dict(size=14, color="#c62828")),
            height=280, title="Activation: output for each weighted sum", showlegend=False,
            xaxis_title="weighted sum z", yaxis_title="output")
        self.plane = figure(
            go.Heatmap(name="output", colorscale="RdBu", zmid=0.5, opacity=0.75, showscale=True),
            go.Scatter(name="sum = 0", mode="lines", line=dict(color="black", width=3)),
            go.Scatter(name="you", mode="markers", marker=dict(size=14, color="#ffb300",
                                                               line=dict(width=2, color="black"))),
            height=320, title="Decision over the first two inputs", showlegend=False)
        self.plane.add_class("np-neuron-plane")
        self._quiet = False
        super().__init__([
            w.HBox([self.preset, self.n_inputs, self.activation]), *self.rows, self.bias,
            self.formula, self.notice, w.HBox([self.curve, self.plane])], **kwargs)
        self.add_class("np-neuron")
        self.load_preset(preset)
        self.preset.observe(lambda ch: self.load_preset(ch["new"]), names="value")
        for control in [self.n_inputs, self.activation, self.bias, *self.inputs, *self.weights]:
            control.observe(self._update, names="value")

    # -- public API -------------------------------------------------------------------------
    def load_preset(self, key: str) -> None:
        """Set every slider from :data:`playground.neuron.PRESETS` ``[key]`` and redraw once."""
        p = eng.PRESETS[key]
        self._quiet = True
        try:
            self.n_inputs.value = len(p.names)
            self.activation.value = p.activation
            for i in range(MAX_INPUTS):
                name = p.names[i] if i < len(p.names) else f"x{i + 1}"
                self.inputs[i].description = name
                self.weights[i].description = f"importance of {name}" if key == "concert" else f"w{i + 1}"
                x = p.inputs[i] if i < len(p.inputs) else 0.0
                wt = p.weights[i] if i < len(p.weights) else 0.0
                _set_range(self.inputs[i], *p.input_range, x)
                _set_range(self.weights[i], *p.weight_range, wt)
            _set_range(self.bias, *p.bias_range, p.bias)
        finally:
            self._quiet = False
        self._update()

    def neuron(self) -> eng.Neuron:
        """The neuron the sliders describe (raises ``NeuronError`` for unusable values)."""
        n = self.n_inputs.value
        return eng.Neuron([s.value for s in self.weights[:n]], self.bias.value,
                          self.activation.value, [s.description for s in self.inputs[:n]])

    def values(self) -> list[float]:
        """The current input values."""
        return [s.value for s in self.inputs[:self.n_inputs.value]]

    # -- drawing ----------------------------------------------------------------------------
    def _update(self, change: Any = None) -> None:
        if self._quiet:
            return
        with guarded(self.notice):
            for i, row in enumerate(self.rows):
                row.layout.display = "" if i < self.n_inputs.value else "none"
            cell = self.neuron()
            x = self.values()
            z = round(float(cell.weighted_sum(x)), 12)
            out = float(cell(x))
            self.formula.value = self._formula_html(cell, x, z, out)
            self._draw_curve(cell, z, out)
            self._draw_plane(cell, x)

    def _formula_html(self, cell: eng.Neuron, x: list[float], z: float, out: float) -> str:
        verdict = ""
        if self.preset.value == "concert" and cell.activation == "step":
            verdict = " \u2192 <b>go to the concert!</b>" if out >= 0.5 else " \u2192 <b>stay home.</b>"
        return (f"<div class='np-formula' style='font-family:monospace;font-size:15px'>"
                f"z = {html.escape(cell.formula(x))}<br>output = {cell.activation}({z:.4g}) = "
                f"<b>{out:.4g}</b>{verdict}</div>")

    def _draw_curve(self, cell: eng.Neuron, z: float, out: float) -> None:
        half = max(5.0, abs(z) * 1.5)
        zs = torch.linspace(-half, half, 401, dtype=torch.float64)
        ys = eng.activation(cell.activation)(zs)
        with self.curve.batch_update():
            self.curve.data[0].x, self.curve.data[0].y = zs.numpy(), ys.numpy()
            self.curve.data[1].x, self.curve.data[1].y = [z], [out]

    def _draw_plane(self, cell: eng.Neuron, x: list[float]) -> None:
        lo, hi = self.inputs[0].min, self.inputs[0].max
        lo2, hi2 = self.inputs[1].min, self.inputs[1].max
        g1 = np.linspace(lo, hi, PLANE_RES)
        g2 = np.linspace(lo2, hi2, PLANE_RES)
        a, b = np.meshgrid(g1, g2)  # (R, R): row i is input 2 = g2[i]
        pts = np.tile(np.asarray(x, dtype=np.float64), (a.size, 1))
        pts[:, 0], pts[:, 1] = a.ravel(), b.ravel()
        z = cell(torch.from_numpy(pts)).numpy().reshape(a.shape)
        w1, w2 = cell.weights[0], cell.weights[1]
        rest = cell.bias + sum(wi * xi for wi, xi in zip(cell.weights[2:], x[2:]))
        lx: list[float | None]
        ly: list[float | None]
        if w2 != 0.0:  # x2 = -(w1 x1 + rest) / w2
            lx, ly = [lo, hi], [-(w1 * lo + rest) / w2, -(w1 * hi + rest) / w2]
        elif w1 != 0.0:
            lx, ly = [-rest / w1] * 2, [lo2, hi2]
        else:
            lx, ly = [], []
        with self.plane.batch_update():
            heat = self.plane.data[0]
            heat.x, heat.y, heat.z = g1, g2, compact(z)
            heat.zmid = 0.5 if cell.activation in ("step", "sigmoid") else 0.0
            self.plane.data[1].x, self.plane.data[1].y = lx, ly
            self.plane.data[2].x, self.plane.data[2].y = [x[0]], [x[1]]
            self.plane.layout.xaxis.title = self.inputs[0].description
            self.plane.layout.xaxis.range = [lo, hi]
            self.plane.layout.yaxis.range = [lo2, hi2]
            self.plane.layout.yaxis.title = self.inputs[1].description
