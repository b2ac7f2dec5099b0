"""The network playground: data, an MLP and its training live in the notebook.

:class:`NetworkPlayground` is a thin composite over :class:`playground.mlp.Trainer` and
:class:`playground.mlp_loop.Player`. Play runs the trainer on a background thread that redraws
the figures in place after every tick, so the page stays responsive; *step* runs one tick on the
spot (that is what tests press). Every setting round-trips through :meth:`state` /
:meth:`from_state` and a URL query (:meth:`from_url` reads Voila's ``QUERY_STRING``).
"""

from __future__ import annotations

import os
import time
from typing import Any

import ipywidgets as w
import numpy as np

from playground import toydata
from playground.mlp import Trainer
from playground.mlp_code import to_code
from playground.mlp_config import MAX_LAYERS, OPTIMIZERS, NetworkConfig, PlaygroundConfig
from playground.mlp_inspect import decision_surface, explain_point, neuron_surfaces, weights
from playground.mlp_loop import Player
from playground.neuron import ACTIVATIONS
from widgets import network_views as views
from widgets._common import Notice, ShowsFigures, guarded

L2_CHOICES = (0.0, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)


class NetworkPlayground(ShowsFigures, w.VBox):
    """Train a network on two-feature data and watch it learn.

    Parameters
    ----------
    config:
        Starting settings (defaults: moons, two hidden layers of 4, tanh, SGD at 0.03).
    data:
        Your own :class:`~playground.toydata.Dataset` (from ``toydata.from_arrays`` or
        ``from_frame``); the data controls are then disabled.
    resolution:
        Decision-surface grid size (100 means 100 x 100).
    device:
        Passed to :func:`playground.device.pick`.
    """

    def __init__(self, config: PlaygroundConfig | None = None, data: toydata.Dataset | None = None,
                 resolution: int = 100, tile_resolution: int = 16, device: str = "auto",
                 **kwargs: Any) -> None:
        cfg = (config or PlaygroundConfig()).validate()
        self.resolution, self.tile_resolution = resolution, tile_resolution
        self.custom_data = data
        self.notice = Notice()
        self._quiet = False
        d, n = cfg.data, cfg.network
        style = {"description_width": "100px"}
        # data controls
        self.kind = w.Dropdown(options=list(toydata.KINDS), value=d.kind, description="Data", style=style)
        self.noise = w.FloatSlider(value=d.noise, min=0.0, max=1.0, step=0.05, description="Noise",
                                   continuous_update=False, style=style)
        self.n_points = w.IntSlider(value=d.n, min=50, max=2000, step=10, description="Points",
                                    continuous_update=False, style=style)
        self.test_fraction = w.FloatSlider(value=d.test_fraction, min=0.1, max=0.9, step=0.05,
                                           description="Test share", continuous_update=False, style=style)
        self.data_seed = w.IntText(value=d.seed, description="Data seed", style=style)
        self.show_test = w.Checkbox(value=True, description="Show test points")
        # network controls
        self.layers = w.IntSlider(value=len(n.hidden), min=0, max=MAX_LAYERS, description="Hidden layers", style=style)
        self.neurons = w.IntSlider(value=n.hidden[0] if n.hidden else 4, min=1, max=64,
                                   description="Neurons each", style=style)
        self.hidden = w.Text(value=", ".join(map(str, n.hidden)), description="Layer sizes",
                             continuous_update=False, style=style)
        self.activation = w.Dropdown(options=list(ACTIVATIONS), value=n.layer_activations[0] if n.hidden else "tanh",
                                     description="Activation", style=style)
        self.activations = w.Text(value=", ".join(n.activations), description="Per layer",
                                  continuous_update=False, style=style)
        self.lr = w.FloatText(value=n.lr, description="Learning rate", style=style)
        self.batch = w.IntSlider(value=n.batch_size, min=1, max=max(300, n.batch_size),
                                 description="Batch size", style=style)
        self.l2 = w.Dropdown(options=sorted({*L2_CHOICES, n.l2}), value=n.l2, description="L2", style=style)
        self.optimizer = w.Dropdown(options=list(OPTIMIZERS), value=n.optimizer, description="Optimiser", style=style)
        self.seed = w.IntText(value=n.seed, description="Weight seed", style=style)
        # transport
        self.play = w.ToggleButton(value=False, description="play", icon="play", tooltip="Train continuously")
        self.step_button = w.Button(description="step", icon="step-forward", tooltip="One tick of training")
        self.reset_button = w.Button(description="reset", icon="undo", tooltip="New initial weights")
        self.speed = w.IntSlider(value=5, min=1, max=100, description="Steps/tick", style=style)
        self.status = w.HTML()
        # views
        self.surface_fig = views.surface_figure()
        self.loss_fig = views.loss_figure()
        self.diagram_fig = views.diagram_figure()
        self.point = w.BoundedIntText(value=0, min=0, max=10**6, description="Point #", style=style)
        self.explain_button = w.Button(description="how wrong was that?", icon="search")
        self.explanation = w.HTML()
        self.edit_layer = w.IntText(value=0, description="layer", layout=w.Layout(width="140px"))
        self.edit_to = w.IntText(value=0, description="to", layout=w.Layout(width="140px"))
        self.edit_from = w.IntText(value=0, description="from", layout=w.Layout(width="140px"))
        self.edit_value = w.Text(value="1.0", description="weight", layout=w.Layout(width="200px"))
        self.edit_button = w.Button(description="set weight")
        self.code_toggle = w.ToggleButton(value=False, description="show the code", icon="code")
        self.code = w.Textarea(layout=w.Layout(width="100%", height="420px", display="none"))
        self.code.add_class("np-code")
        self.link = w.Text(description="Share", disabled=False, layout=w.Layout(width="100%"), style=style)

        self.trainer = Trainer(self._dataset(cfg.data), cfg.network, device=device)
        #: While playing, the network diagram (whose cost grows with the network) is redrawn at
        #: most this often, in seconds; the decision surface and the losses redraw every tick.
        self.diagram_interval = 0.5
        self._diagram_at = 0.0
        self.player = Player(self.trainer, on_tick=lambda _t: self.redraw(playing=True), on_stop=self._stopped,
                             steps_per_tick=self.speed.value)
        super().__init__(self._layout(), **kwargs)
        self.add_class("np-network")
        self._wire()
        self._sync_text()
        self.redraw(points=True)

    # -- construction -----------------------------------------------------------------------
    def _layout(self) -> list[w.Widget]:
        data_box = w.VBox([w.HTML("<b>Data</b>"), self.kind, self.noise, self.n_points,
                           self.test_fraction, self.data_seed, self.show_test])
        net_box = w.VBox([w.HTML("<b>Network</b>"), self.layers, self.neurons, self.hidden,
                          self.activation, self.activations])
        train_box = w.VBox([w.HTML("<b>Training</b>"), self.lr, self.batch, self.l2,
                            self.optimizer, self.seed, self.speed])
        transport = w.HBox([self.play, self.step_button, self.reset_button, self.status])
        explain = w.VBox([w.HTML("<b>How wrong was that?</b> Pick a training point (or click one)."),
                          w.HBox([self.point, self.explain_button]), self.explanation])
        editor = w.VBox([w.HTML("<b>Set a weight by hand</b>"),
                         w.HBox([self.edit_layer, self.edit_to, self.edit_from, self.edit_value, self.edit_button])])
        return [w.HBox([data_box, net_box, train_box]), transport, self.notice,
                w.HBox([self.surface_fig, self.diagram_fig]), self.loss_fig, explain, editor,
                self.code_toggle, self.code, self.link]

    def _wire(self) -> None:
        for c in (self.kind, self.noise, self.n_points, self.test_fraction, self.data_seed):
            c.observe(self._on_data, names="value")
        for c in (self.hidden, self.activations, self.lr, self.batch, self.l2, self.optimizer, self.seed):
            c.observe(self._on_network, names="value")
        self.layers.observe(self._on_shape_sliders, names="value")
        self.neurons.observe(self._on_shape_sliders, names="value")
        self.activation.observe(self._on_activation, names="value")
        self.show_test.observe(lambda _c: self.redraw(points=True), names="value")
        self.speed.observe(self._on_speed, names="value")
        self.play.observe(self._on_play, names="value")
        self.step_button.on_click(lambda _b: self.step())
        self.reset_button.on_click(lambda _b: self.reset())
        self.explain_button.on_click(lambda _b: self.explain(self.point.value))
        self.edit_button.on_click(lambda _b: self._on_edit())
        self.code_toggle.observe(self._on_code_toggle, names="value")
        self.surface_fig.data[1].on_click(self._on_point_click)
        if self.custom_data is not None:
            for c in (self.kind, self.noise, self.n_points, self.test_fraction, self.data_seed):
                c.disabled = True

    def _dataset(self, spec: toydata.DataSpec) -> toydata.Dataset:
        if self.custom_data is not None:
            return self.custom_data
        return toydata.make(spec.kind, spec.n, spec.noise, spec.test_fraction, spec.seed)

    # -- state ------------------------------------------------------------------------------
    def config(self) -> PlaygroundConfig:
        """The settings the controls describe (raises a ``ValueError`` subclass if unusable)."""
        spec = toydata.DataSpec(self.kind.value, self.n_points.value, self.noise.value,
                                self.test_fraction.value, self.data_seed.value)
        net = NetworkConfig(hidden=self.hidden.value, activations=self.activations.value,
                            lr=self.lr.value, batch_size=self.batch.value, l2=self.l2.value,
                            optimizer=self.optimizer.value, seed=self.seed.value)
        return PlaygroundConfig(spec, net).validate()

    def state(self) -> dict[str, Any]:
        """The whole configuration as a plain dictionary (see :class:`PlaygroundConfig`)."""
        return PlaygroundConfig(self.trainer.data.spec or toydata.DataSpec(), self.trainer.config).to_dict()

    def query(self) -> str:
        """The configuration as a URL query string."""
        return PlaygroundConfig.from_dict(self.state()).to_query()

    @classmethod
    def from_state(cls, state: dict[str, Any], **kwargs: Any) -> NetworkPlayground:
        """A playground built from :meth:`state` output."""
        return cls(PlaygroundConfig.from_dict(state), **kwargs)

    @classmethod
    def from_url(cls, query: str | None = None, **kwargs: Any) -> NetworkPlayground:
        """A playground from a query string; by default Voila's ``QUERY_STRING``. A bad link
        falls back to the defaults with a note saying why."""
        query = os.environ.get("QUERY_STRING", "") if query is None else query
        try:
            cfg = PlaygroundConfig.from_query(query)
        except ValueError as err:
            pg = cls(**kwargs)
            pg.notice.show(f"The link's settings were not used: {err}", "warning")
            return pg
        return cls(cfg, **kwargs)

    # -- actions ----------------------------------------------------------------------------
    def step(self, ticks: int = 1) -> None:
        """Run ``ticks`` ticks (``speed`` optimiser steps each) now, redrawing after each."""
        with guarded(self.notice):
            for _ in range(ticks):
                if not self.player.tick():
                    self.notice.show(self.player.error or "Training diverged.", "error")
                    break

    def reset(self) -> None:
        """New initial weights from the current settings; the history starts again."""
        self.play.value = False
        with guarded(self.notice):
            self.trainer.reset(config=self.config().network)
        self._after_reset()

    def explain(self, index: int) -> None:
        """Show "how wrong was that?" for training point ``index`` and ring it on the plot."""
        with guarded(self.notice):
            e = explain_point(self.trainer, index)
            self.explanation.value = views.explain_html(e, self.trainer)
            with self.surface_fig.batch_update():
                self.surface_fig.data[3].x, self.surface_fig.data[3].y = [float(e.x[0])], [float(e.x[1])]

    def redraw(self, points: bool = False, playing: bool = False) -> None:
        """Redraw every view from the trainer (``points``: the data points too; ``playing``:
        the diagram only if :attr:`diagram_interval` has passed)."""
        t = self.trainer
        with t.lock:
            s = decision_surface(t, self.resolution)
            views.draw_surface(self.surface_fig, t, s, self.show_test.value, points)
            views.draw_loss(self.loss_fig, t)
            now = time.perf_counter()
            if not playing or now - self._diagram_at >= self.diagram_interval:
                self._draw_diagram()
                self._diagram_at = now
            m = t.history.points[-1]
            acc = "" if np.isnan(m.test_accuracy) else f" \u00b7 test accuracy <b>{m.test_accuracy:.1%}</b>"
            self.status.value = (f"step <b>{t.steps}</b> \u00b7 epoch {t.epochs} \u00b7 train loss "
                                 f"<b>{m.train_loss:.4f}</b> \u00b7 test loss <b>{m.test_loss:.4f}</b>"
                                 f"{acc} \u00b7 {t.device}")

    def _draw_diagram(self) -> None:
        t = self.trainer
        widest = max([2, *t.config.hidden])
        r = self.tile_resolution if widest <= 8 else max(6, self.tile_resolution // (2 if widest <= 16 else 3))
        *hidden, out = neuron_surfaces(t, r, output=True)
        b = t.data.bounds()
        xs, ys = np.linspace(b[0], b[1], r), np.linspace(b[2], b[3], r)
        gx, gy = np.meshgrid(xs, ys)  # the inputs' own "surfaces": x1 and x2 themselves
        views.draw_diagram(self.diagram_fig, t, [gx, gy], hidden, out, weights(t))

    # -- handlers ---------------------------------------------------------------------------
    def _apply(self, new_data: bool) -> None:
        self.play.value = False
        with guarded(self.notice):
            cfg = self.config()
            data = self._dataset(cfg.data) if new_data else None
            self.trainer.reset(data=data, config=cfg.network)
            self._after_reset(points=new_data)

    def _after_reset(self, points: bool = True) -> None:
        self.point.max = max(0, len(self.trainer.data.x_train) - 1)
        self.explanation.value = ""
        with self.surface_fig.batch_update():
            self.surface_fig.data[3].x, self.surface_fig.data[3].y = [], []
        self._sync_text()
        self.redraw(points=points)

    def _on_data(self, _change: Any) -> None:
        if not self._quiet:
            self._apply(new_data=True)

    def _on_network(self, _change: Any) -> None:
        if not self._quiet:
            self._apply(new_data=False)

    def _on_shape_sliders(self, _change: Any) -> None:
        if self._quiet:
            return
        self.hidden.value = ", ".join([str(self.neurons.value)] * self.layers.value)

    def _on_activation(self, change: Any) -> None:
        if not self._quiet:
            self.activations.value = change["new"]

    def _on_speed(self, change: Any) -> None:
        self.player.steps_per_tick = int(change["new"])

    def _on_play(self, change: Any) -> None:
        if change["new"]:
            self.notice.clear()
            self.play.description, self.play.icon = "pause", "pause"
            self.player.play()
        else:
            self.play.description, self.play.icon = "play", "play"
            self.player.pause()

    def _stopped(self, reason: str) -> None:
        if reason.startswith("diverged") or self.player.error:
            self.notice.show(self.player.error or reason, "error")
        self.play.value = False

    def _on_edit(self) -> None:
        with guarded(self.notice):
            try:
                value = float(self.edit_value.value)
            except ValueError:
                raise ValueError(f"A weight must be a number; got {self.edit_value.value!r}.") from None
            self.trainer.set_weight(self.edit_layer.value, self.edit_to.value, self.edit_from.value, value)
            self.redraw()

    def _on_point_click(self, _trace: Any, points: Any, _state: Any) -> None:
        if points.point_inds:
            self.point.value = int(points.point_inds[0])
            self.explain(self.point.value)

    def _on_code_toggle(self, change: Any) -> None:
        self.code.layout.display = "" if change["new"] else "none"

    def _sync_text(self) -> None:
        """Code, share link and the shape sliders follow the trainer's settings."""
        t = self.trainer
        self._quiet = True
        try:
            self.layers.value = len(t.config.hidden)
            if t.config.hidden and len(set(t.config.hidden)) == 1:
                self.neurons.value = min(self.neurons.max, t.config.hidden[0])
            if len(t.config.activations) == 1:
                self.activation.value = t.config.activations[0]
        finally:
            self._quiet = False
        self.code.value = to_code(t.config, t.data.spec, t.data.task, t.data.n_outputs,
                                  steps=max(t.steps, 1000))
        if t.data.spec is not None:
            self.link.value = "?" + self.query()
        else:
            self.link.value = "(your own data: the link holds only the network) ?" + self.query()
