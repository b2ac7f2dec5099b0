"""Classical machine learning beside the network: six decision surfaces on the same points,
and k-means / PCA on scikit-learn's digits.

:class:`ClassicalGrid` fits logistic regression, kNN, a decision tree, a random forest, gradient
boosting and an SVM (:mod:`playground.classical`) and draws their surfaces with their test
scores; linked to a :class:`~widgets.network.NetworkPlayground` it uses the same data, adds the
network's own surface and refits when the playground's data change. :class:`DigitsExplorer`
shows k-means centroids and a PCA map of the digits.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import numpy as np
import plotly.graph_objects as go

from playground import classical, toydata
from playground.mlp import Trainer
from playground.mlp_inspect import decision_surface
from widgets._common import Notice, ShowsFigures, compact, figure, guarded
from widgets.network_views import BINARY_SCALE, CLASS_COLOURS, _class_scale

ROWS, COLS = 2, 4


class ClassicalGrid(ShowsFigures, w.VBox):
    """Six classical models (and optionally the network) side by side on one data set.

    Parameters
    ----------
    playground:
        A :class:`~widgets.network.NetworkPlayground` to share data with, or ``None``.
    data:
        A data set to use when there is no playground (default: the moons).
    """

    def __init__(self, playground: Any = None, data: toydata.Dataset | None = None,
                 resolution: int = 50, **kwargs: Any) -> None:
        self.playground = playground
        self.resolution = resolution
        self.notice = Notice()
        self.kind = w.Dropdown(options=list(toydata.KINDS), value="moons", description="Data")
        self.noise = w.FloatSlider(value=0.15, min=0.0, max=1.0, step=0.05, description="Noise",
                                   continuous_update=False)
        self.refit_button = w.Button(description="refit", icon="refresh")
        names = [classical.METHODS[k][0] for k in classical.METHODS]
        titles = [*names, "Network (live)", "Test scores"]
        self.fig = figure(height=560, showlegend=False, margin=dict(l=30, r=10, t=50, b=30))
        self.fig.set_subplots(ROWS, COLS, subplot_titles=titles, horizontal_spacing=0.04,
                              vertical_spacing=0.1)
        for i in range(ROWS * COLS - 1):
            r, c = divmod(i, COLS)
            self.fig.add_trace(go.Heatmap(showscale=False, hoverinfo="skip"), row=r + 1, col=c + 1)
            self.fig.add_trace(go.Scatter(mode="markers", marker=dict(size=5, line=dict(width=0.5, color="white"))),
                               row=r + 1, col=c + 1)
        self.fig.add_trace(go.Bar(orientation="h", marker_color="#1f6feb"), row=ROWS, col=COLS)
        self.results: list[classical.ClassicalResult] = []
        self.data = data or toydata.make("moons")
        controls = [] if playground is not None else [w.HBox([self.kind, self.noise, self.refit_button])]
        super().__init__([*controls, self.notice, self.fig], **kwargs)
        self.add_class("np-classical")
        self.kind.observe(self._on_data, names="value")
        self.noise.observe(self._on_data, names="value")
        self.refit_button.on_click(lambda _b: self.refit())
        if playground is not None:
            playground.trainer.add_callback("reset", self._on_playground_reset)
            self.data = playground.trainer.data
        self.refit()

    def _on_data(self, _change: Any) -> None:
        with guarded(self.notice):
            self.data = toydata.make(self.kind.value, noise=self.noise.value)
            self.refit()

    def _on_playground_reset(self, trainer: Trainer) -> None:
        if trainer.data is not self.data:
            self.data = trainer.data
            self.refit()
        else:
            self.draw_network(trainer)

    def refit(self) -> None:
        """Fit all six methods on the current data and redraw every panel."""
        with guarded(self.notice):
            self.results = classical.fit_all(self.data, self.resolution)
            d = self.data
            with self.fig.batch_update():
                for i, res in enumerate(self.results):
                    self._panel(i, res.xs, res.ys, res.z)
                    self.fig.layout.annotations[i].text = f"{res.label}<br>test {res.metric} {res.score:.1%}" \
                        if res.metric == "accuracy" else f"{res.label}<br>test R² {res.score:.3f}"
                for k in range(ROWS * COLS - 1):
                    pts = self.fig.data[2 * k + 1]
                    pts.x, pts.y = d.x_test[:, 0], d.x_test[:, 1]
                    if d.task == "regression":
                        pts.marker.color, pts.marker.colorscale = d.y_test, BINARY_SCALE
                    else:
                        pts.marker.color = [CLASS_COLOURS[int(c) % 10] for c in d.y_test]
            self.draw_network(self.playground.trainer if self.playground is not None else None)

    def _panel(self, i: int, xs: Any, ys: Any, z: Any) -> None:
        heat = self.fig.data[2 * i]
        d = self.data
        if d.task == "regression":
            lim = float(np.abs(d.y_train).max())
            heat.colorscale, heat.zmin, heat.zmax = BINARY_SCALE, -lim, lim
        elif d.n_classes == 2:
            heat.colorscale, heat.zmin, heat.zmax = BINARY_SCALE, 0, 1
        else:
            heat.colorscale, heat.zmin, heat.zmax = _class_scale(d.n_classes), 0, d.n_classes
            if i < len(self.results):  # classical models give the class; shift into its band
                z = np.asarray(z) + 0.5
        heat.x, heat.y, heat.z = xs, ys, compact(z)

    def draw_network(self, trainer: Trainer | None) -> None:
        """The network's surface and score in the seventh panel, and the score bars."""
        names = [r.name for r in self.results]
        scores = [r.score for r in self.results]
        with self.fig.batch_update():
            idx = len(classical.METHODS)
            if trainer is not None and trainer.data is self.data:
                s = decision_surface(trainer, self.resolution)
                self._panel(idx, s.xs, s.ys, s.z)
                m = trainer.history.points[-1]
                score = m.test_accuracy if self.data.task == "classification" else float("nan")
                self.fig.layout.annotations[idx].text = (f"Network at step {trainer.steps}<br>test accuracy {score:.1%}"
                                                         if self.data.task == "classification" else
                                                         f"Network at step {trainer.steps}<br>test loss {m.test_loss:.3f}")
                if not np.isnan(score):
                    names, scores = [*names, "network"], [*scores, score]
            bars = self.fig.data[-1]
            bars.x, bars.y = scores, names


class DigitsExplorer(ShowsFigures, w.VBox):
    """k-means clusters and a PCA map of scikit-learn's 8x8 handwritten digits."""

    def __init__(self, k: int = 10, **kwargs: Any) -> None:
        self.notice = Notice()
        self.k = w.IntSlider(value=k, min=2, max=20, description="Clusters k", continuous_update=False)
        self.colour_by = w.ToggleButtons(options=[("true digit", "digit"), ("k-means cluster", "cluster")],
                                         value="digit", description="Colour by")
        self.summary = w.HTML()
        self.centroids = figure(go.Heatmap(colorscale="Greys", showscale=False, hoverinfo="skip"),
                                height=260, title="k-means centroids (the 'average digit' of each cluster)",
                                xaxis=dict(visible=False), yaxis=dict(visible=False, autorange="reversed",
                                                                      scaleanchor="x"))
        self.pca = figure(go.Scattergl(mode="markers", marker=dict(size=5, colorscale="Turbo",
                                                                   showscale=True)),
                          height=420, title="PCA: 64 pixels squashed to 2 numbers")
        self.pca_result = classical.digits_pca()
        super().__init__([w.HBox([self.k, self.colour_by]), self.notice, self.summary,
                          self.centroids, self.pca], **kwargs)
        self.add_class("np-digits")
        self.k.observe(lambda _c: self.update(), names="value")
        self.colour_by.observe(lambda _c: self.update(), names="value")
        self.update()

    def update(self) -> None:
        """Cluster with the current k and redraw both figures."""
        with guarded(self.notice):
            km = classical.digits_kmeans(self.k.value)
            self.kmeans = km
            tiles = np.zeros((8, km.k * 9 - 1))  # blank (white) columns between centroids; no NaN in JSON
            for c in range(km.k):
                tiles[:, c * 9:c * 9 + 8] = km.centroids[c]
            p = self.pca_result
            colour = p.labels if self.colour_by.value == "digit" else km.clusters
            with self.centroids.batch_update():
                self.centroids.data[0].z = tiles
            with self.pca.batch_update():
                t = self.pca.data[0]
                t.x, t.y, t.marker.color = p.points[:, 0], p.points[:, 1], colour
                t.text = [f"digit {d}, cluster {c}" for d, c in zip(p.labels, km.clusters)]
                self.pca.layout.xaxis.title = f"PC 1 ({p.explained[0]:.0%} of the variance)"
                self.pca.layout.yaxis.title = f"PC 2 ({p.explained[1]:.0%})"
            self.summary.value = (f"<p>{km.k} clusters found without any labels. Agreement with the "
                                  f"true digits (adjusted Rand index, 1 = perfect, 0 = chance): "
                                  f"<b>{km.rand_index:.2f}</b>. Most common digit per cluster: "
                                  f"{', '.join(map(str, km.majority))}.</p>")
