"""Bias: slide the share of group B in the training data and watch each group's accuracy.

A thin view over :func:`playground.bias.train_with_share`: each slider release trains the
playground's network again and shows per-group test accuracy, the training points (circles for
A, diamonds for B) over the network's decision, and every share tried so far.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import plotly.graph_objects as go

from playground import bias
from playground.mlp_inspect import decision_surface
from widgets._common import Notice, ShowsFigures, compact, figure, guarded
from widgets.network_views import BINARY_SCALE, CLASS_COLOURS

GROUP_COLOURS = {"A": "#455a64", "B": "#c2185b"}


class BiasWidget(ShowsFigures, w.VBox):
    """Per-group accuracy against the share of group B: "the network sees what it is trained to see"."""

    def __init__(self, share: float = 0.05, steps: int = 300, device: str = "auto", **kwargs: Any) -> None:
        self.steps, self.device = steps, device
        self.notice = Notice()
        self.share = w.FloatSlider(value=share, min=0.0, max=0.5, step=0.01, readout_format=".0%",
                                   description="Group B share", continuous_update=False,
                                   style={"description_width": "110px"})
        self.summary = w.HTML()
        self.points = figure(
            go.Heatmap(colorscale=BINARY_SCALE, zmin=0, zmax=1, showscale=False, hoverinfo="skip"),
            go.Scatter(name="group A", mode="markers", marker=dict(symbol="circle", size=7)),
            go.Scatter(name="group B", mode="markers", marker=dict(symbol="diamond", size=9,
                                                                   line=dict(width=1, color="black"))),
            height=400, width=460, title="Training data and the network's answer",
            legend=dict(orientation="h", y=-0.1))
        self.bars = figure(go.Bar(x=list(bias.GROUPS), marker_color=list(GROUP_COLOURS.values()),
                                  texttemplate="%{y:.0%}", textposition="outside"),
                           height=400, width=300, title="Test accuracy per group",
                           yaxis=dict(range=[0, 1.1], tickformat=".0%"))
        self.curve = figure(
            go.Scatter(name="group A", mode="markers+lines", line=dict(color=GROUP_COLOURS["A"])),
            go.Scatter(name="group B", mode="markers+lines", line=dict(color=GROUP_COLOURS["B"])),
            height=300, title="Every share you tried", xaxis=dict(title="share of group B", tickformat=".0%"),
            yaxis=dict(title="test accuracy", tickformat=".0%"))
        self.tried: dict[float, bias.BiasResult] = {}
        self.result: bias.BiasResult | None = None
        super().__init__([self.share, self.notice, self.summary, w.HBox([self.points, self.bars]),
                          self.curve], **kwargs)
        self.add_class("np-bias")
        self.share.observe(lambda _c: self.update(), names="value")
        self.update()

    def update(self) -> None:
        """Train with the slider's share and redraw."""
        with guarded(self.notice):
            r = bias.train_with_share(float(self.share.value), steps=self.steps, device=self.device)
            self.result = r
            self.tried[round(r.share, 4)] = r
            s = decision_surface(r.trainer, 60)
            with self.points.batch_update():
                heat = self.points.data[0]
                heat.x, heat.y, heat.z = s.xs, s.ys, compact(s.z)
                for k, trace in enumerate(self.points.data[1:3]):
                    m = r.g_train == k
                    trace.x, trace.y = r.x_train[m, 0], r.x_train[m, 1]
                    trace.marker.color = [CLASS_COLOURS[int(c)] for c in r.y_train[m]]
            with self.bars.batch_update():
                self.bars.data[0].y = [r.accuracy[g] for g in bias.GROUPS]
            shares = sorted(self.tried)
            with self.curve.batch_update():
                for trace, g in zip(self.curve.data, bias.GROUPS):
                    trace.x, trace.y = shares, [self.tried[s_].accuracy[g] for s_ in shares]
            self.summary.value = (
                f"<p>Trained on {r.train_counts['A']} people of group A and {r.train_counts['B']} of "
                f"group B. On new people: group A <b>{r.accuracy['A']:.0%}</b> right, group B "
                f"<b>{r.accuracy['B']:.0%}</b> right (a coin toss is 50%). The network sees what it "
                f"is trained to see.</p>")
