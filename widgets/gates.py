"""The gate explorer: every gate of the LSTM at every character, and the units that mean something.

Type or paste a text (or take the sampling playground's last generation). Per layer, six
heatmaps (units x characters) show the input, forget and output gates, the cell candidate, the
cell state and the hidden state, from :meth:`playground.model.CharLSTM.trace`. Pick a unit to
see the text coloured by it; "Find interpretable cells" ranks units by their correlation with
simple features of the text (:mod:`playground.interpret`). Pick a character to see the gates at
that step beside the distribution of the next character, updating together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from playground import interpret
from playground.errors import TextInputError
from playground.interpret import QUANTITIES, QUANTITY_NAMES, Unit
from playground.model import CharLSTM, Trace
from widgets._common import Notice, compact, guarded
from widgets.gates_views import (
    WINDOW,
    found_html,
    heat_data,
    heat_figure,
    step_data,
    step_figure,
    unit_html,
    window_for,
)
from widgets.sampler_views import MARK, OTHER, SET
from widgets.textgen_parts import ModelChoice, ShowsFigures, show_char, tail

if TYPE_CHECKING:
    from widgets.sampler import SamplingPlayground

MAX_TRACE_CHARS = 5_000  #: a longer text is read from its last this many characters
DEFAULT_TEXT = 'ROMEO:\nShe said "good night" (and went), as lovers do.\n\nJULIET:\nO Romeo, Romeo!\n'


class GateExplorer(ShowsFigures, w.VBox):
    """Text in; per-layer gate heatmaps, a unit's coloured text, found cells and one step's view.

    Parameters
    ----------
    model, name, models:
        As for :class:`widgets.sampler.SamplingPlayground`.
    text:
        The text to read at the start.
    """

    def __init__(
        self, model: CharLSTM | str | None = None, *, name: str = "your model",
        models: Mapping[str, CharLSTM] | None = None, text: str = DEFAULT_TEXT, **kwargs: Any,
    ) -> None:
        self.notice = Notice()
        self.choice = ModelChoice(model, name, models)
        self.picker = self.choice.dropdown()
        self.text = w.Textarea(value=text, description="Text", continuous_update=False,
                               layout=w.Layout(width="95%", height="90px"))
        self.take_button = w.Button(description="Use the playground's text", icon="arrow-down",
                                    layout=w.Layout(display="none", width="240px"))
        self.follow = w.Checkbox(value=False, description="Follow the playground",
                                 layout=w.Layout(display="none"))
        self.layer = w.Dropdown(options=[("layer 1", 0)], value=0, description="Layer")
        self.start = w.IntSlider(value=0, min=0, max=0, description="Window from",
                                 layout=w.Layout(width="420px"))
        self.position = w.IntSlider(value=0, min=0, max=0, description="Character",
                                    layout=w.Layout(width="95%"))
        self.heat = heat_figure()
        self.step = step_figure()
        self.quantity = w.Dropdown(options=[(QUANTITY_NAMES[q], q) for q in QUANTITIES], value="c",
                                   description="Show")
        self.unit = w.BoundedIntText(value=0, min=0, max=0, description="Unit", layout=w.Layout(width="160px"))
        self.unit_text = w.HTML()
        self.find_button = w.Button(description="Find interpretable cells", icon="search",
                                    layout=w.Layout(width="220px"))
        self.found_pick = w.Dropdown(options=[("(find cells first)", None)], value=None, description="Found")
        self.found = w.HTML()
        self.trace: Trace | None = None
        self.cells: dict[str, list[interpret.UnitScore]] = {}
        self._sampler: SamplingPlayground | None = None
        self._quiet = False
        super().__init__([
            w.HBox([self.picker, self.take_button, self.follow]), self.text, self.notice,
            w.HBox([self.layer, self.start]), self.heat, self.position, self.step,
            w.HBox([self.quantity, self.unit]), self.unit_text,
            w.HBox([self.find_button, self.found_pick]), self.found,
        ], **kwargs)
        self.add_class("np-gates")
        self.text.observe(self._retrace, names="value")
        self.picker.observe(self._retrace, names="value")
        self.layer.observe(self._on_layer, names="value")
        self.start.observe(self._draw_heat, names="value")
        self.position.observe(self._on_position, names="value")
        self.quantity.observe(self._draw_unit, names="value")
        self.unit.observe(self._draw_unit, names="value")
        self.found_pick.observe(self._on_found, names="value")
        self.find_button.on_click(lambda _: self.find_cells())
        self.take_button.on_click(lambda _: self.take())
        for tr in self.heat.data:
            tr.on_click(self._clicked)
        self._retrace()

    # -- public API -------------------------------------------------------------------------
    def model(self) -> CharLSTM:
        return self.choice.get(self.picker.value)

    def link(self, sampler: SamplingPlayground) -> None:
        """Share the sampler's models and choice, and offer its last generation as the text."""
        self._sampler = sampler
        self.choice = sampler.choice
        self._quiet = True
        try:
            self.picker.options = sampler.picker.options
        finally:
            self._quiet = False
        w.link((sampler.picker, "value"), (self.picker, "value"))
        self.take_button.layout.display = ""
        self.follow.layout.display = ""
        sampler.on_generated(self._sampler_changed)
        self._retrace()

    def take(self) -> None:
        """Read the linked sampler's prompt and generation."""
        if self._sampler is not None:
            self.text.value = self._sampler.last_generation

    def unit_choice(self) -> Unit:
        """The unit the controls pick."""
        return Unit(int(self.layer.value), str(self.quantity.value), int(self.unit.value))

    def find_cells(self, top: int = 3) -> dict[str, list[interpret.UnitScore]]:
        """Rank units of the cell and hidden states by correlation with each feature; list the best."""
        with guarded(self.notice):
            trace = self._need_trace()
            self.cells = interpret.find_cells(trace, top=top)
            self.found.value = found_html(trace, self.cells)
            options: list[tuple[str, Unit | None]] = [("(pick a found unit)", None)]
            for feature, scores in self.cells.items():
                options += [(f"{feature}: {s.unit} (r = {s.correlation:+.2f})", s.unit) for s in scores]
            self.found_pick.options = options
            return self.cells
        return {}

    # -- handlers ---------------------------------------------------------------------------
    def _need_trace(self) -> Trace:
        if self.trace is None:
            raise TextInputError("Type some text the model knows first.")
        return self.trace

    def _sampler_changed(self, text: str) -> None:
        if self.follow.value:
            self.text.value = text

    def _retrace(self, change: Any = None) -> None:
        if self._quiet:
            return
        self.trace = None
        with guarded(self.notice):
            model = self.model()
            text = self.text.value
            notes = []
            if len(text) > MAX_TRACE_CHARS:
                notes.append(f"Showing the last {MAX_TRACE_CHARS:,} of {len(text):,} characters.")
                text = text[-MAX_TRACE_CHARS:]
            enc = model.vocab.encode(text)
            if enc.unknown:
                shown = ", ".join(repr(c) for c in enc.unknown_chars[:5])
                notes.append(f"The model never saw {enc.unknown} of these characters ({shown}); they are left out.")
            if not text:
                raise TextInputError("The text is empty; type or paste some text for the model to read.")
            if not enc.ids:
                raise TextInputError("There is no character here the model knows; type or paste some text.")
            self.trace = model.trace(text)
            n, hidden = len(self.trace.text), model.config.hidden
            self._quiet = True
            try:
                self.layer.options = [(f"layer {k + 1}", k) for k in range(model.config.layers)]
                self.layer.value = min(self.layer.value or 0, model.config.layers - 1)
                self.position.max = n - 1
                self.position.value = min(self.position.value, n - 1)
                self.start.max = max(0, n - WINDOW)
                self.start.value = window_for(self.position.value, min(self.start.value, self.start.max), n)
                self.unit.max = hidden - 1
                self.found_pick.options = [("(find cells first)", None)]
            finally:
                self._quiet = False
            self.found.value = ""
            self._draw_all()
            if notes:
                self.notice.show(" ".join(notes), "warning")

    def _on_layer(self, change: Any = None) -> None:
        if not self._quiet:
            self._draw_all()

    def _on_position(self, change: Any = None) -> None:
        if self._quiet or self.trace is None:
            return
        start = window_for(self.position.value, self.start.value, len(self.trace.text))
        if start != self.start.value:
            self.start.value = start  # redraws the heatmaps, marker included
        else:
            self._draw_marker()
        self._draw_step()

    def _on_found(self, change: Any = None) -> None:
        unit = self.found_pick.value
        if unit is None or self._quiet:
            return
        self._quiet = True
        try:
            self.layer.value, self.quantity.value, self.unit.value = unit.layer, unit.quantity, unit.index
        finally:
            self._quiet = False
        self._draw_all()

    def _clicked(self, trace: Any, points: Any, state: Any) -> None:
        if points.xs:
            self.position.value = int(points.xs[0])

    # -- drawing ----------------------------------------------------------------------------
    def _draw_all(self) -> None:
        self._draw_heat()
        self._draw_step()
        self._draw_unit()

    def _draw_heat(self, change: Any = None) -> None:
        if self._quiet or self.trace is None:
            return
        with guarded(self.notice, clear=False):
            d = heat_data(self.trace, self.layer.value, self.start.value)
            with self.heat.batch_update():
                for tr, z, (lo, hi) in zip(self.heat.data, d["z"], d["ranges"]):
                    tr.x, tr.z, tr.zmin, tr.zmax = d["x"], compact(z), lo, hi
                self.heat.layout.xaxis.tickvals, self.heat.layout.xaxis.ticktext = d["x"], d["labels"]
                self.heat.layout.title.text = (
                    f"Layer {self.layer.value + 1}, characters {d['x'][0]}\u2013{d['x'][-1]} of "
                    f"{len(self.trace.text)} (click a column to pick that character)")
                self.heat.layout.shapes = [self._marker()]

    def _marker(self) -> dict[str, Any]:
        t = self.position.value
        return dict(type="rect", xref="x", yref="paper", x0=t - 0.5, x1=t + 0.5, y0=0, y1=1,
                    line=dict(color="black", width=2), fillcolor="rgba(0,0,0,0)")

    def _draw_marker(self) -> None:
        with self.heat.batch_update():
            self.heat.layout.shapes = [self._marker()]

    def _draw_step(self) -> None:
        if self._quiet or self.trace is None:
            return
        with guarded(self.notice, clear=False):
            t, text = self.position.value, self.trace.text
            d = step_data(self.trace, self.layer.value, t)
            chars = self.model().vocab.chars
            actual = self.trace.ids[t + 1].item() if t + 1 < len(text) else None
            colours = [MARK if i == actual else SET for i in d["idx"]] + [OTHER]
            x = list(range(len(d["idx"]) + 1))
            nxt = f"; the text goes on with {text[t + 1]!r} (red)" if actual is not None else ""
            with self.step.batch_update():
                self.step.data[0].z, self.step.data[0].y = compact(d["z"]), d["rows"]
                self.step.data[1].x, self.step.data[1].y = x, d["probs"]
                self.step.data[1].marker.color = colours
                self.step.layout.xaxis2.tickvals = x
                self.step.layout.xaxis2.ticktext = [show_char(chars[i]) for i in d["idx"]] + ["other"]
                self.step.layout.title.text = (
                    f"After \u201c{tail(text[: t + 1], 24)}\u201d (character {t}): layer "
                    f"{self.layer.value + 1} inside, and the next character{nxt}")

    def _draw_unit(self, change: Any = None) -> None:
        if self._quiet or self.trace is None:
            return
        with guarded(self.notice, clear=False):
            unit = self.unit_choice()
            self.unit_text.value = (f"<b>{unit}</b>, character by character "
                                    "(gates: white 0 to red 1; others: blue negative, red positive)"
                                    + unit_html(self.trace, unit))
