"""Watch it learn: train a character LSTM live, on stage, and scrub back through what it wrote.

A thin view over :class:`playground.live.Session`. The session trains in a background thread
and tells this view from that thread that something changed; a painter thread redraws at most
every ``refresh_seconds``, mostly while training is inside torch (which releases the GIL), so
watching costs the run little.
Without a GPU, or without time, the same view plays the shipped run's learning snapshots.
When a run ends its model (a copy) can be handed to the other views and saved.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from playground import live, pretrained
from playground.live_corpus import CHOICES, LABELS
from playground.model import CharLSTM
from widgets._common import Notice, ShowsFigures, guarded
from widgets.trainer_views import LossCurves, Timeline
from widgets.upload import UploadWidget

#: Log-spaced choices, from too timid to far too high (10 diverges: try it).
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.3, 1.0, 10.0)


class TrainerWidget(ShowsFigures, w.VBox):
    """Corpus, size, settings and controls above live loss curves and a sample timeline.

    Parameters
    ----------
    corpus:
        ``"shakespeare"``, ``"python"``, ``"folk"`` or ``"user"`` (upload or paste first).
    preset:
        A key of :data:`playground.live.PRESETS` or a :class:`playground.live.Preset`; by default
        the first suited to the device.
    mode:
        ``"live"``, ``"snapshots"`` or ``"auto"`` (snapshots on a CPU when they are installed).
    device, refresh_seconds, session_kwargs:
        Passed to the session; the slowest redraw rate on steps.

    Attributes
    ----------
    model:
        The last model handed on with "Use this model" (a CPU copy), or ``None``.
    session:
        The :class:`playground.live.Session` being driven.
    """

    def __init__(self, corpus: str = "shakespeare", preset: str | live.Preset | None = None, mode: str = "auto",
                 device: str = "auto", refresh_seconds: float = 1.0, **session_kwargs: Any) -> None:
        self.notice = Notice()
        self.refresh_seconds = refresh_seconds
        self.model: CharLSTM | None = None
        self._listeners: list[Callable[[CharLSTM], None]] = []
        self._reported = self._drawn = 0  # events told, and events drawn, by the painter
        self._draw_lock = threading.Lock()
        self._dirty = threading.Event()
        self._painter: threading.Thread | None = None
        self._quiet = False
        self.upload = UploadWidget()
        self.session = live.Session(None if corpus == "user" else corpus, preset, device=device, **session_kwargs)
        s = self.session
        self.mode = w.ToggleButtons(options=[("Train live", "live"), ("Shipped snapshots", "snapshots")],
                                    value=self._pick_mode(mode))
        self.corpus = w.Dropdown(options=[(LABELS[c], c) for c in CHOICES], value=corpus, description="Corpus")
        names = live.presets_for(s.device, s.presets)
        if s.preset.name not in names:
            names.append(s.preset.name)
        self.preset = w.Dropdown(options=[(s.presets[p].label, p) for p in names],
                                 value=s.preset.name, description="Model size", style={"description_width": "80px"},
                                 layout=w.Layout(width="340px"))
        rates = sorted({*LEARNING_RATES, *(p.lr for p in s.presets.values()), s.lr})
        self.lr = w.SelectionSlider(options=[(f"{r:g}", r) for r in rates], value=s.lr, description="Learning rate",
                                    style={"description_width": "100px"}, layout=w.Layout(width="360px"))
        box = dict(layout=w.Layout(width="170px"), style={"description_width": "80px"})
        self.seq_len = w.BoundedIntText(value=s.seq_len, min=2, max=4096, step=16, description="Seq. length", **box)
        self.batch = w.BoundedIntText(value=s.batch_size, min=1, max=4096, step=8, description="Batch", **box)
        self.minutes = w.BoundedFloatText(value=s.minutes, min=0.1, max=600, step=0.5, description="Minutes",
                                          layout=w.Layout(width="180px"))
        self.start = w.Button(description="Start", icon="play", button_style="success")
        self.pause = w.Button(description="Pause", icon="pause")
        self.resume = w.Button(description="Resume", icon="step-forward")
        self.stop = w.Button(description="Stop", icon="stop", button_style="danger")
        self.hand = w.Button(description="Use this model", icon="share", tooltip="Hand a copy to the other views")
        self.save_path = w.Text(value="runs/live-model", description="Save as", layout=w.Layout(width="320px"))
        self.save = w.Button(description="Save", icon="save")
        self.status = w.HTML()
        self.snapshot_name = w.Dropdown(options=pretrained.available(), description="Shipped run")
        self.curves = LossCurves()
        self.timeline = Timeline()
        self.upload_box = w.Accordion([self.upload], titles=("Your own text",),
                                      selected_index=0 if corpus == "user" else None)
        self.live_controls = w.VBox([
            w.HBox([self.corpus, self.preset]), self.upload_box,
            w.HBox([self.lr, self.seq_len, self.batch, self.minutes]),
            w.HBox([self.start, self.pause, self.resume, self.stop]),
            w.HBox([self.hand, self.save_path, self.save])])
        self.snapshot_controls = w.HBox([self.snapshot_name])
        super().__init__([self.mode, self.live_controls, self.snapshot_controls, self.status, self.notice,
                          self.curves, self.timeline])
        self.add_class("np-trainer")
        self._wire()
        self._show_mode()

    def _pick_mode(self, mode: str) -> str:
        if mode not in ("auto", "live", "snapshots"):
            raise ValueError(f"The mode must be auto, live or snapshots, not {mode!r}.")
        if mode == "auto":
            return "snapshots" if self.session.device.type == "cpu" and pretrained.available() else "live"
        return mode

    def _wire(self) -> None:
        self.mode.observe(lambda _: self._show_mode(), names="value")
        self.snapshot_name.observe(lambda _: self._show_mode(), names="value")
        self.corpus.observe(self._on_corpus, names="value")
        self.preset.observe(self._on_preset, names="value")
        for control in (self.lr, self.seq_len, self.batch, self.minutes):
            control.observe(self._on_setting, names="value")
        self.start.on_click(lambda _: self._act(self.session.start))
        self.pause.on_click(lambda _: self._act(self.session.pause))
        self.resume.on_click(lambda _: self._act(self.session.resume))
        self.stop.on_click(lambda _: self._act(self.session.stop))
        self.hand.on_click(lambda _: self.hand_on())
        self.save.on_click(lambda _: self.save_model())
        self.upload.on_corpus(self._on_upload)
        self.session.subscribe(self._on_event)

    # ------------------------------------------------------------ public API

    def on_model(self, fn: Callable[[CharLSTM], None]) -> None:
        """Call ``fn(model)`` with a CPU copy each time "Use this model" is pressed."""
        self._listeners.append(fn)

    def hand_on(self) -> CharLSTM | None:
        """Copy the run's model, keep it as ``.model`` and give it to every ``on_model`` listener."""
        with guarded(self.notice):
            self.model = self.session.model_copy()
            for fn in list(self._listeners):
                fn(self.model)
            self.notice.show(f"Handed on: {self.model!r}.", "info")
        return self.model

    def save_model(self) -> None:
        """Save the run's model (safetensors + JSON) under the path in the box."""
        with guarded(self.notice):
            weights, meta = self.session.save(self.save_path.value.strip() or "runs/live-model")
            self.notice.show(f"Saved {weights} and {meta.name}.", "info")

    def refresh(self) -> None:
        """Redraw status, curves and timeline from the session now."""
        if self.mode.value != "live":
            return
        with self._draw_lock:
            prog = self.session.progress()
            self.curves.draw(prog.steps, prog.evals)
            self.timeline.set_moments(prog.timeline)
            self._status(prog)

    # ------------------------------------------------------------ handlers

    def _act(self, action: Callable[[], Any]) -> None:
        with guarded(self.notice):
            action()
        self.refresh()

    def _on_event(self, kind: str, _session: live.Session) -> None:
        # Runs in the training thread, so it only marks the view dirty: the painter thread draws,
        # mostly while the training thread is inside torch (which releases the GIL).
        self._reported += 1
        self._dirty.set()
        if self._painter is None or not self._painter.is_alive():
            self._painter = threading.Thread(target=self._paint, name="trainer-widget-painter", daemon=True)
            self._painter.start()

    def _paint(self) -> None:
        """Redraw when dirty, at most every ``refresh_seconds``; end once the run is over and drawn."""
        while True:
            if not self._dirty.wait(timeout=5.0):
                if not self.session.running:
                    return
                continue
            self._dirty.clear()
            seen = self._reported
            try:
                self.refresh()
            except Exception as err:  # a view must never kill the run
                self.notice.show(f"Drawing failed ({type(err).__name__}): {err}", "error")
            self._drawn = seen
            time.sleep(self.refresh_seconds)

    def wait_drawn(self, timeout: float = 10.0) -> None:
        """Block until the painter has drawn everything the run reported (for scripts and tests)."""
        end = time.monotonic() + timeout
        while self._drawn < self._reported and time.monotonic() < end:
            time.sleep(0.01)

    def _on_corpus(self, change: dict[str, Any]) -> None:
        name = change["new"]
        self.upload_box.selected_index = 0 if name == "user" else None
        with guarded(self.notice):
            if name == "user":
                if self.upload.corpus is None:
                    self.notice.show("Upload or paste your text below; training switches to it once loaded.", "info")
                    return
                self.session.set_corpus(self.upload.corpus)
            else:
                self.session.set_corpus(name)
        self.refresh()

    def _on_upload(self, corpus: Any) -> None:
        if self.corpus.value == "user":
            with guarded(self.notice):
                self.session.set_corpus(corpus)
            self.refresh()

    def _on_preset(self, change: dict[str, Any]) -> None:
        with guarded(self.notice):
            self.session.set_preset(change["new"])
            s = self.session
            self._quiet = True
            try:
                self.lr.value, self.minutes.value = s.lr, s.minutes
                self.seq_len.value, self.batch.value = s.seq_len, s.batch_size
            finally:
                self._quiet = False
            self._note_next_run()

    def _on_setting(self, _change: Any) -> None:
        if self._quiet:
            return
        with guarded(self.notice):
            self.session.configure(lr=self.lr.value, seq_len=self.seq_len.value, batch_size=self.batch.value,
                                   minutes=self.minutes.value)
            self._note_next_run()

    def _note_next_run(self) -> None:
        if self.session.running:
            self.notice.show("New settings apply to the next run: stop and start again to use them.", "info")

    # ------------------------------------------------------------ drawing

    def _show_mode(self) -> None:
        live_mode = self.mode.value == "live"
        self.live_controls.layout.display = None if live_mode else "none"
        self.snapshot_controls.layout.display = "none" if live_mode else None
        if live_mode:
            self.refresh()
            return
        with guarded(self.notice):
            name = self.snapshot_name.value
            if not name:
                self.notice.show("No shipped snapshots are installed yet; train live instead.", "info")
                return
            moments = live.shipped_timeline(name)
            self.timeline.follow.value = False
            self.curves.draw_moments(moments)
            self.timeline.set_moments(moments)
            self.status.value = (f"<b>Shipped {html.escape(name)} run</b>: {len(moments)} snapshots, "
                                 "scrub the slider to watch it learn.")

    def _status(self, prog: live.Progress) -> None:
        s = self.session
        corpus = LABELS.get(s.corpus_name, s.corpus_name) if s.corpus is not None else "no text yet"
        rate = f", {prog.chars_per_second:,.0f} characters/s" if prog.chars_per_second else ""
        self.status.value = (
            f"<b>{html.escape(prog.state.capitalize())}</b> on {html.escape(prog.device)}{rate}; "
            f"step {prog.step:,}; {html.escape(corpus)}, {html.escape(s.preset.label)}. "
            f"{html.escape(prog.message)}")
        running = prog.state in ("running", "paused", "stopping")
        self.start.disabled = running
        self.pause.disabled = prog.state != "running"
        self.resume.disabled = prog.state != "paused"
        self.stop.disabled = not running
        if prog.state == "diverged" and self.notice.text != prog.message:
            self.notice.show(prog.message, "warning")
