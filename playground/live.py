"""A live training run a view can drive: presets, start / pause / resume / stop, and a timeline.

:class:`Session` wraps :class:`playground.training.Trainer` for a stage: it builds a fresh
:class:`CharLSTM` for the chosen corpus and size preset, runs it in the background, and keeps
what the audience watches: the training loss of every step, the validation loss every few
seconds, and a sample every few seconds on a timeline one can scrub back through. Every
control returns promptly from any thread, any number of times: stopping waits at most for the
step in flight, starting while a run is alive does nothing, and changing the corpus stops the
run, swaps the text and starts again. Listeners are called in the training thread; events of
an old run that arrive late are dropped, so the state never mixes two runs.
"""

from __future__ import annotations

import copy
import logging
import math
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from playground import checkpoint, sampling
from playground.corpora import Corpus
from playground.device import describe, pick
from playground.errors import TrainingConfigError
from playground.live_corpus import PROMPTS, resolve, split_for_training
from playground.live_records import (
    PRESETS,
    STATES,
    Moment,
    Preset,
    Progress,
    presets_for,
    shipped_timeline,
)
from playground.live_trainer import LockedTrainer
from playground.model import CharLSTM
from playground.text import Vocab
from playground.training import EndEvent, EvalEvent, StepEvent, TrainConfig

log = logging.getLogger("playground.live")

__all__ = ["PRESETS", "STATES", "Moment", "Preset", "Progress", "Session", "presets_for", "shipped_timeline"]


class Session:
    """A live character-model run on one corpus.

    Parameters
    ----------
    corpus:
        ``"shakespeare"``, ``"python"``, ``"folk"``, a :class:`Corpus` (uploaded text), or
        ``None`` to choose later with :meth:`set_corpus`.
    preset:
        A key of :data:`PRESETS` or a :class:`Preset`; by default the first one suited to the device.
    device:
        ``"auto"``, ``"cpu"``, ``"cuda"``...
    sample_seconds, eval_seconds:
        Training seconds between two timeline samples, and (roughly) between two validations.

    Examples
    --------
    >>> s = Session("shakespeare", "tiny")
    >>> s.start(); ...; s.stop()
    >>> s.progress().timeline[-1].text
    """

    def __init__(
        self, corpus: str | Corpus | None = "shakespeare", preset: str | Preset | None = None, *, device: str = "auto",
        sample_seconds: float = 4.0, eval_seconds: float = 3.0, sample_len: int = 160,
        eval_chars: int | None = None, seed: int = 0,
    ) -> None:
        self.device = pick(device)
        self.device_name = describe(self.device)
        self.sample_seconds = sample_seconds
        self.eval_seconds = eval_seconds
        self.sample_len = sample_len
        self.eval_chars = eval_chars or (20_000 if self.device.type == "cuda" else 4_000)
        self.seed = seed
        self.max_steps = 10_000_000  #: a run ends at this step or when its minutes are spent
        self.presets: dict[str, Preset] = dict(PRESETS)  #: the shipped presets, plus any given
        self.preset = PRESETS[presets_for(self.device)[0]]
        self.set_preset(preset or self.preset.name)
        self.trainer: LockedTrainer | None = None
        self._listeners: list[Callable[[str, Session], None]] = []
        self._lock = threading.RLock()
        self._control = threading.Lock()  # one start / stop / corpus change at a time
        self._run = 0  # id of the current run; late events of older runs are dropped
        self._stopping = False
        self._reset_records()
        self.corpus_name = ""
        self.corpus: Corpus | None = None
        self.vocab: Vocab | None = None
        self._train_text = self._valid_text = ""
        self._train_ids = torch.zeros(0, dtype=torch.long)
        threading.Thread(target=_warm_up, name="live-warm-up", daemon=True).start()
        if corpus is not None:
            self.set_corpus(corpus)

    # ------------------------------------------------------------ settings

    def set_preset(self, preset: str | Preset) -> None:
        """Take a size preset's shape and its learning rate, sequence length, batch and minutes.

        ``preset`` is a name in :attr:`presets` or a new :class:`Preset`, which is added there.
        """
        if isinstance(preset, Preset):
            self.presets[preset.name] = preset
            preset = preset.name
        if preset not in self.presets:
            raise TrainingConfigError(f"Unknown size preset {preset!r}: choose one of {', '.join(self.presets)}.")
        p = self.preset = self.presets[preset]
        self.lr: float
        self.seq_len: int
        self.batch_size: int
        self.minutes: float
        self.lr, self.seq_len, self.batch_size, self.minutes = p.lr, p.seq_len, p.batch_size, p.minutes

    def configure(self, lr: float | None = None, seq_len: int | None = None, batch_size: int | None = None,
                  minutes: float | None = None) -> None:
        """Change the next run's settings; each is checked now, so a bad one raises before any run."""
        new_lr = float(self.lr if lr is None else lr)
        new_seq = int(self.seq_len if seq_len is None else seq_len)
        new_batch = int(self.batch_size if batch_size is None else batch_size)
        mins = float(self.minutes if minutes is None else minutes)
        if not (math.isfinite(mins) and 0 < mins <= 24 * 60):
            raise TrainingConfigError(f"The time budget must be above 0 and at most a day, not {mins} minutes.")
        TrainConfig(batch_size=new_batch, seq_len=new_seq, lr=new_lr)  # validates: TrainingConfigError
        self.lr, self.seq_len, self.batch_size, self.minutes = new_lr, new_seq, new_batch, mins

    def train_config(self) -> TrainConfig:
        """The :class:`TrainConfig` the next run will use."""
        return TrainConfig(
            batch_size=self.batch_size, seq_len=self.seq_len, lr=self.lr, warmup=20,
            max_steps=self.max_steps, max_seconds=self.minutes * 60.0, eval_every=25,
            eval_chars=self.eval_chars, sample_every=10_000_000,  # the session samples by time instead
            sample_len=self.sample_len, sample_prompt=self.prompt, seed=self.seed, device=str(self.device),
        )

    @property
    def train_text(self) -> str:
        """The text the next run trains on (empty until a corpus is chosen)."""
        return self._train_text

    @property
    def valid_text(self) -> str:
        """The held-out documents it is validated on."""
        return self._valid_text

    @property
    def prompt(self) -> str:
        return PROMPTS.get(self.corpus_name, "\n")

    # ------------------------------------------------------------ corpus

    def set_corpus(self, corpus: str | Corpus) -> None:
        """Train on another corpus. A run in progress is stopped and a fresh one started on the new text."""
        chosen = resolve(corpus)  # raises before anything changes
        parts = split_for_training(chosen)  # prepared while the old run goes on
        vocab = Vocab.from_text([parts.train_text, parts.valid_text])
        ids = vocab.encode(parts.train_text).tensor()  # once per corpus, not on every start
        with self._control:
            was_live = self.running
            if was_live:
                self._stop_locked(wait=30.0)
            self._train_text, self._valid_text = parts.train_text, parts.valid_text
            self._train_ids = ids
            self.vocab = vocab
            self.corpus = chosen
            self.corpus_name = corpus if isinstance(corpus, str) else "user"
            if was_live:
                self._start_locked()

    # ------------------------------------------------------------ control

    @property
    def running(self) -> bool:
        """True while a run's thread is alive (also when paused)."""
        return self.trainer is not None and self.trainer.running

    @property
    def state(self) -> str:
        """One of :data:`STATES`, derived from the trainer so it cannot drift from it."""
        t = self.trainer
        if t is None:
            return "idle"
        if t.result is not None:  # set just before on_end, while the thread is still finishing
            return t.result.reason
        if t.running:
            if self._stopping:
                return "stopping"
            return "paused" if t.paused else "running"
        return "idle"

    @property
    def model(self) -> CharLSTM | None:
        """The model of the current or last run (being trained while running: read, don't keep)."""
        return self.trainer.model if self.trainer is not None else None

    def start(self) -> bool:
        """Start a fresh run (a new model) in the background; False, and nothing changes, if one is alive."""
        with self._control:
            return self._start_locked()

    def _start_locked(self) -> bool:
        if self.running:
            return False
        if self.vocab is None:
            raise TrainingConfigError("Choose a corpus (or upload your text) before starting.")
        cfg = self.train_config()
        p = self.preset
        with torch.random.fork_rng(devices=[]):  # seeded weights, without touching the global generator
            torch.manual_seed(self.seed)
            model = CharLSTM(self.vocab, p.hidden, p.layers, p.embed)
        trainer = LockedTrainer(model, self._train_ids, self._valid_text, cfg)  # may raise; nothing changed yet
        with self._lock:
            self._run += 1
            run = self._run
            self._reset_records()
            self._stopping = False
            self.trainer = trainer
        trainer.add_callback("on_step", lambda e: self._on_step(run, e))
        trainer.add_callback("on_eval", lambda e: self._on_eval(run, e))
        trainer.add_callback("on_end", lambda e: self._on_end(run, e))
        trainer.start()
        self._notify("state")
        return True

    def pause(self) -> None:
        """Hold the run after the step in flight (no-op when nothing runs)."""
        if self.running:
            assert self.trainer is not None
            self.trainer.pause()
            self._notify("state")

    def resume(self) -> None:
        """Carry on a paused run (no-op otherwise)."""
        if self.running:
            assert self.trainer is not None
            self.trainer.resume()
            self._notify("state")

    def stop(self, wait: float = 10.0) -> None:
        """End the run after the step in flight, waiting up to ``wait`` seconds. Safe to repeat."""
        with self._control:
            self._stop_locked(wait)

    def _stop_locked(self, wait: float) -> None:
        trainer = self.trainer
        if trainer is None or not trainer.running:
            return
        self._stopping = True
        trainer.stop(wait=wait)
        self._notify("state")

    def join(self, timeout: float | None = None) -> None:
        """Wait for the run to end by itself (time budget, divergence) or by :meth:`stop`."""
        if self.trainer is not None:
            self.trainer.join(timeout)

    # ------------------------------------------------------------ events (training thread)

    def subscribe(self, fn: Callable[[str, Session], None]) -> None:
        """Call ``fn(kind, session)`` on "step", "eval", "sample", "end" and "state", in the thread that caused it."""
        self._listeners.append(fn)

    def _notify(self, kind: str) -> None:
        for fn in list(self._listeners):
            try:
                fn(kind, self)
            except Exception:  # a listener's bug must not end the run
                log.exception("a live-session listener failed on %s", kind)

    def _reset_records(self) -> None:
        self._steps: list[tuple[int, float]] = []
        self._evals: list[tuple[int, float, float]] = []
        self._timeline: list[Moment] = []
        self._rate = 0.0
        self._message = ""
        self._train_seconds = 0.0
        self._next_sample = 0.0
        self._tuned = False

    def _on_step(self, run: int, e: StepEvent) -> None:
        if run != self._run:
            return
        trainer = self.trainer
        assert trainer is not None
        seconds = trainer.busy_seconds
        with self._lock:
            self._steps.append((e.step, e.loss))
            self._rate = e.chars_per_second
            self._train_seconds = seconds
        if not self._tuned and e.step >= 10 and e.chars_per_second > 0:
            step_time = trainer.config.batch_size * trainer.config.seq_len / e.chars_per_second
            trainer.config.eval_every = max(5, round(self.eval_seconds / step_time))  # validate every few seconds
            self._tuned = True
        self._notify("step")
        if e.step == 1 or seconds >= self._next_sample:
            self._next_sample = seconds + self.sample_seconds
            self._take_sample(run, trainer, e)

    def _take_sample(self, run: int, trainer: LockedTrainer, e: StepEvent) -> None:
        text = sampling.generate(trainer.model, self.prompt, self.sample_len, 0.8, seed=self.seed + e.step)
        trainer.model.train()
        val = self._evals[-1][2] if self._evals else None
        with self._lock:
            if run != self._run:
                return
            self._timeline.append(Moment(e.step, text, self._train_seconds, e.loss, val))
        self._notify("sample")

    def _on_eval(self, run: int, e: EvalEvent) -> None:
        if run != self._run:
            return
        with self._lock:
            self._evals.append((e.step, e.train_loss, e.val_loss))
        self._notify("eval")

    def _on_end(self, run: int, e: EndEvent) -> None:
        if run != self._run:
            return
        with self._lock:
            self._message = e.message
            if e.chars_per_second:
                self._rate = e.chars_per_second
        self._notify("end")

    # ------------------------------------------------------------ reading

    def progress(self) -> Progress:
        """A copy of everything a view draws, taken under the session's lock."""
        with self._lock:
            step = self._steps[-1][0] if self._steps else 0
            state = self.state
            message = self._message or {"idle": "Ready.", "running": "Training...", "paused": "Paused.",
                                        "stopping": "Stopping after this step..."}.get(state, "")
            return Progress(state, message, self.device_name, step, self._rate, tuple(self._steps),
                            tuple(self._evals), tuple(self._timeline))

    def model_copy(self) -> CharLSTM:
        """An independent CPU copy of the model, in evaluation mode, safe to hand to other views.

        While a run is alive the copy is taken between two optimiser steps.
        """
        trainer = self.trainer
        if trainer is None:
            raise TrainingConfigError("Nothing has been trained yet: start a run first.")
        with trainer.lock:
            model = copy.deepcopy(trainer.model)
        return model.to("cpu").eval()

    def save(self, stem: str | Path) -> tuple[Path, Path]:
        """Save the model with :func:`playground.checkpoint.save`, its recipe and losses beside it."""
        model = self.model_copy()
        prog = self.progress()
        meta: dict[str, Any] = {
            "corpus": self.corpus_name, "preset": self.preset.name, "steps": prog.step,
            "valid_loss": prog.evals[-1][2] if prog.evals else None,
            "sample": prog.timeline[-1].text if prog.timeline else "",
            "recipe": self.train_config().to_dict(), "device": self.device_name,
            "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        return checkpoint.save(model, stem, meta)


def _warm_up() -> None:
    """Build a throwaway AdamW: its first construction imports seconds of torch, better not on the click."""
    torch.optim.AdamW([torch.zeros(1, requires_grad=True)])
