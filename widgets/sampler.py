"""The sampling playground: drag the temperature and watch the next-character distribution change.

One prompt, one model, and the distribution of the character after it: at T = 1 (the model's
own) beside the one after temperature, top-k and top-p, with the softmax written out in live
numbers. ``Step`` draws one character and marks it; ``Generate`` streams many, each coloured by
the probability it had, from a background thread you can stop; ``Compare`` samples the same
prompt at several temperatures in one batched pass. Every number comes from
:mod:`playground.sampling`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as w
import plotly.graph_objects as go
import torch

from playground import sampling
from playground.errors import SamplingError
from playground.model import CharLSTM
from widgets._common import Notice, figure, guarded
from widgets.sampler_stream import Stream
from widgets.sampler_views import (
    MAX_COMPARE,
    bar_colours,
    bars,
    column_html,
    formula_html,
    output_html,
    parse_temperatures,
    unseen_note,
)
from widgets.textgen_parts import ModelChoice, ShowsFigures, tail

log = logging.getLogger("widgets")

DEFAULT_TEMPERATURES = "0.2, 0.5, 1.0, 1.2"


class SamplingPlayground(ShowsFigures, w.VBox):
    """Prompt, temperature, top-k and top-p; the next-character bars; Step, Generate, Compare.

    Parameters
    ----------
    model:
        A :class:`CharLSTM`, the name of a shipped model, or ``None`` for the first available.
    name:
        The label of ``model`` in the picker when it is a ``CharLSTM``.
    models:
        More models by label, offered beside the shipped ones.
    prompt, temperature, seed:
        Starting values of the controls.
    """

    def __init__(
        self, model: CharLSTM | str | None = None, *, name: str = "your model",
        models: Mapping[str, CharLSTM] | None = None, prompt: str = "ROMEO:\n", temperature: float = 1.0,
        seed: int = 0, **kwargs: Any,
    ) -> None:
        self.notice = Notice()
        self.choice = ModelChoice(model, name, models)
        self.picker = self.choice.dropdown()
        wide = dict(style={"description_width": "100px"}, layout=w.Layout(width="420px"))
        self.prompt = w.Textarea(value=prompt, description="Prompt", continuous_update=False,
                                 layout=w.Layout(width="95%", height="80px"))
        self.temperature = w.FloatSlider(value=temperature, min=0.0, max=3.0, step=0.05,
                                         description="Temperature", readout_format=".2f", **wide)
        self.top_k = w.IntSlider(value=0, min=0, max=100, description="top-k (0 off)", **wide)
        self.top_p = w.FloatSlider(value=1.0, min=0.01, max=1.0, step=0.01, description="top-p (1 off)",
                                   readout_format=".2f", **wide)
        self.formula = w.HTML()
        self.dist = figure(
            go.Bar(name="T = 1 (the model)", marker=dict(color=[])),
            go.Bar(name="after your settings", marker=dict(color=[])),
            height=330, barmode="group", yaxis=dict(title="probability", range=[0, 1]),
            xaxis=dict(tickmode="array", tickfont=dict(size=15)), legend=dict(orientation="h", x=1.0, xanchor="right", y=1.02, yanchor="bottom"),
            title=dict(text="", font=dict(size=14)))
        self.seed = w.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="Seed",
                                     layout=w.Layout(width="180px"))
        self.step_button = w.Button(description="Step", icon="forward", tooltip="Draw one character")
        self.length = w.BoundedIntText(value=300, min=1, max=sampling.MAX_LENGTH, description="Characters",
                                       layout=w.Layout(width="200px"))
        self.generate_button = w.Button(description="Generate", icon="play", button_style="primary")
        self.stop_button = w.Button(description="Stop", icon="stop", disabled=True)
        self.clear_button = w.Button(description="Clear", tooltip="Forget what was generated")
        self.output = w.HTML()
        self.temperatures = w.Text(value=DEFAULT_TEMPERATURES, description="Temperatures")
        self.compare_length = w.BoundedIntText(value=200, min=1, max=2000, description="Characters",
                                               layout=w.Layout(width="200px"))
        self.compare_button = w.Button(description="Compare temperatures", icon="columns",
                                       layout=w.Layout(width="200px"))
        self.columns = [w.HTML(layout=w.Layout(flex="1 1 0", min_width="160px")) for _ in range(MAX_COMPARE)]
        self.comparison = w.HBox(self.columns, layout=w.Layout(width="100%"))
        self.generated: list[tuple[str, float]] = []  # (character, probability it had)
        self._logits: tuple[tuple[int, str], torch.Tensor] | None = None  # cache: (model, context) -> (V,)
        self._gen = torch.Generator()
        self._stream: Stream | None = None
        self._listeners: list[Callable[[str], None]] = []
        self._quiet = False
        self._shown: tuple[list[str], list[float], list[str]] | None = None
        super().__init__([
            w.HBox([self.picker, self.seed]), self.prompt,
            w.HBox([self.temperature, self.top_k, self.top_p], layout=w.Layout(flex_flow="row wrap")),
            self.notice, self.dist, self.formula,
            w.HBox([self.step_button, self.length, self.generate_button, self.stop_button, self.clear_button]),
            self.output,
            w.HBox([self.temperatures, self.compare_length, self.compare_button]), self.comparison,
        ], **kwargs)
        self.add_class("np-sampler")
        for control in (self.temperature, self.top_k, self.top_p):
            control.observe(self._redraw, names="value")
        self.prompt.observe(self._on_prompt, names="value")
        self.seed.observe(self._on_prompt, names="value")
        self.picker.observe(self._on_model, names="value")
        self.step_button.on_click(lambda _: self.step())
        self.generate_button.on_click(lambda _: self.generate())
        self.stop_button.on_click(lambda _: self.stop())
        self.clear_button.on_click(lambda _: self._on_prompt())
        self.compare_button.on_click(lambda _: self.compare())
        self._on_model()

    # -- public API -------------------------------------------------------------------------
    def model(self) -> CharLSTM:
        """The model the picker names (raises a ``ValueError`` with a sentence if none)."""
        return self.choice.get(self.picker.value)

    def settings(self) -> tuple[float, int | None, float | None]:
        """``(temperature, top_k or None, top_p or None)`` as the sliders set them."""
        k = self.top_k.value or None
        p = self.top_p.value if self.top_p.value < 1.0 else None
        return float(self.temperature.value), k, p

    def context(self) -> str:
        """The prompt followed by everything generated since it was typed."""
        return self.prompt.value + "".join(c for c, _ in list(self.generated))

    def engine_prompt(self) -> str:
        """What the engine is given: the end of the context it reads (the same result, fewer chars).

        A typed prompt over the engine's limit is passed whole, so the engine refuses it with its
        own sentence; generated text never pushes an accepted prompt over the limit.
        """
        if len(self.prompt.value) > sampling.MAX_PROMPT_CHARS:
            return self.prompt.value
        return self.context()[-sampling.CONTEXT_CHARS:]

    @property
    def last_generation(self) -> str:
        """The prompt and what was generated after it: the text the gate explorer can read."""
        return self.context()

    def on_generated(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(text)`` after each Step, Generate or Clear (possibly from a thread)."""
        self._listeners.append(callback)

    def distribution(self) -> sampling.Distribution:
        """The distribution of the next character under the current settings."""
        logits = self._next_logits()
        t, k, p = self.settings()
        probs = sampling.probabilities(logits, t, k, p)
        return sampling.Distribution(list(self.model().vocab.chars), torch.softmax(logits, -1), probs)

    def step(self) -> str | None:
        """Draw one character from the current distribution, mark it on the bars, append it."""
        with guarded(self.notice):
            if self.running:
                raise SamplingError("Stop the generation before stepping.")
            dist = self.distribution()
            i = int(sampling.draw(dist.probs.unsqueeze(0), self._gen)[0])
            title = f"Drew {dist.chars[i]!r} (p = {float(dist.probs[i]):.3f}) after \u201c{tail(self.context())}\u201d"
            self._draw(dist, drawn=i, title=title)
            self.generated.append((dist.chars[i], float(dist.probs[i])))
            self._render_output()
            self._notify()
            return dist.chars[i]
        return None

    @property
    def running(self) -> bool:
        return self._stream is not None and self._stream.running

    def generate(self) -> None:
        """Stream ``length`` characters into the page from a background thread (see :meth:`stop`)."""
        with guarded(self.notice):
            if self.running:
                return
            t, k, p = self.settings()
            sampling.check(t, k, p)
            chars = sampling.stream(self.model(), self.engine_prompt(), int(self.length.value), t, k, p,
                                    int(self.seed.value))
            self._stream = Stream(chars, self.generated, self._render_output, self._finished)
            self._busy(True)
            self._stream.start()

    def stop(self) -> None:
        """Ask a running generation to stop after the character it is on."""
        if self._stream is not None:
            self._stream.stop()

    def join(self, timeout: float | None = None) -> None:
        """Wait for a running generation to end (for scripts and tests)."""
        if self._stream is not None:
            self._stream.join(timeout)

    def compare(self) -> list[str]:
        """The same prompt at each temperature, in one batched pass; shown side by side."""
        with guarded(self.notice):
            temps = parse_temperatures(self.temperatures.value)
            _, k, p = self.settings()
            texts = sampling.generate_many(self.model(), self.engine_prompt(), int(self.compare_length.value),
                                           temps, k, p, int(self.seed.value))
            for i, col in enumerate(self.columns):
                if i < len(texts):
                    col.value = column_html(temps[i], texts[i])
                    col.layout.display = ""
                else:
                    col.layout.display = "none"
            return texts
        return []

    # -- handlers ---------------------------------------------------------------------------
    def _on_model(self, change: Any = None) -> None:
        self.stop()
        self.join(5)
        ready = False
        with guarded(self.notice):
            model = self.model()
            self._quiet = True
            try:
                self.top_k.max = len(model.vocab)
            finally:
                self._quiet = False
            ready = True
        for b in (self.step_button, self.generate_button, self.compare_button):
            b.disabled = not ready
        if ready:
            self._on_prompt()

    def _on_prompt(self, change: Any = None) -> None:
        if self.running:
            self.stop()
            self.join(5)
        self.generated = []
        self._gen.manual_seed(int(self.seed.value))
        self._render_output()
        self._redraw()
        self._notify()

    def _redraw(self, change: Any = None) -> None:
        if self._quiet:
            return
        with guarded(self.notice):
            dist = self.distribution()
            self._draw(dist, drawn=None, title=self._title())
            self._warn_unseen()

    def _title(self) -> str:
        context = self.context()
        if not context:
            return "Next character at the start of a text"
        return f"Next character after \u201c{tail(context)}\u201d"

    def _next_logits(self) -> torch.Tensor:
        """Logits of the next character ``(V,)``, read once per (model, context) and cached."""
        model, context = self.model(), self.engine_prompt()
        key = (id(model), context)
        if self._logits is None or self._logits[0] != key:
            logits, _ = sampling.prime(model, context)
            self._logits = (key, logits[0].cpu())
        return self._logits[1]

    def _warn_unseen(self) -> None:
        note = unseen_note(self.model().vocab, self.context())
        if note:
            self.notice.show(note, "warning")

    def _draw(self, dist: sampling.Distribution, drawn: int | None, title: str) -> None:
        logits = self._next_logits()
        t, k, p = self.settings()
        b = bars(dist)
        raw_c, set_c = bar_colours(b, drawn)
        self.formula.value = formula_html(dist, logits, t, k, p)
        shown = (b.labels, b.raw, raw_c)  # what a temperature move leaves as it was
        with self.dist.batch_update():
            if shown != self._shown:  # a new prompt or model: the bars' places and the T = 1 heights
                x = list(range(len(b.labels)))
                self.dist.data[0].x, self.dist.data[0].y, self.dist.data[0].marker.color = x, b.raw, raw_c
                self.dist.data[1].x = x
                self.dist.layout.xaxis.tickvals, self.dist.layout.xaxis.ticktext = x, b.labels
                self._shown = shown
            self.dist.data[1].y, self.dist.data[1].marker.color = b.probs, set_c
            self.dist.layout.title.text = title

    def _render_output(self) -> None:
        self.output.value = output_html(list(self.generated), self.prompt.value)  # a snapshot: the thread appends

    def _busy(self, running: bool) -> None:
        self.generate_button.disabled = running
        self.step_button.disabled = running
        self.compare_button.disabled = running
        self.prompt.disabled = running
        self.picker.disabled = running
        self.stop_button.disabled = not running

    def _finished(self, error: str | None) -> None:
        self._busy(False)
        if error is not None:
            self.notice.show(error, "error")
        else:
            self._redraw()  # the distribution after everything generated
        self._notify()

    def _notify(self) -> None:
        text = self.context()
        for fn in list(self._listeners):
            try:
                fn(text)
            except Exception:  # a listener's bug must not break sampling
                log.exception("a sampler listener failed")
