"""Training a :class:`CharLSTM`: batches, AdamW, clipping, a schedule, validation and events.

The trainer knows nothing of any display. Views subscribe to its events (``on_step``,
``on_eval``, ``on_sample``, ``on_end``), as minGPT's trainer does, and may run it in a
background thread: :meth:`Trainer.start`, :meth:`Trainer.pause`, :meth:`Trainer.resume` and
:meth:`Trainer.stop` are safe to call from any thread, any number of times.
"""

from __future__ import annotations

import copy
import math
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
import torch.nn.functional as F

from playground import sampling
from playground.device import describe, pick
from playground.errors import TrainingConfigError
from playground.model import CharLSTM, State

EVENTS = ("on_step", "on_eval", "on_sample", "on_end")


@dataclass
class TrainConfig:
    """Settings of a run. ``max_steps`` and ``max_seconds`` both end it; the first reached wins."""

    batch_size: int = 32
    seq_len: int = 128
    lr: float = 3e-3
    min_lr_ratio: float = 0.1  # cosine decay to lr * min_lr_ratio
    warmup: int = 50
    weight_decay: float = 0.0
    clip: float = 1.0
    max_steps: int = 1000
    max_seconds: float | None = None
    eval_every: int = 100
    eval_chars: int = 20_000  # validation characters read at each evaluation
    sample_every: int = 100
    sample_len: int = 200
    sample_prompt: str = "\n"
    sample_temperature: float = 0.8
    seed: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        def need(ok: bool, sentence: str) -> None:
            if not ok:
                raise TrainingConfigError(sentence)

        need(1 <= self.batch_size <= 4096, f"Batch size must be 1 to 4096, not {self.batch_size}.")
        need(2 <= self.seq_len <= 4096, f"Sequence length must be 2 to 4096, not {self.seq_len}.")
        need(
            isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and 0 < self.lr <= 10,
            f"Learning rate must be above 0 and at most 10, not {self.lr}.",
        )
        need(self.max_steps >= 1, f"The run needs at least one step, not {self.max_steps}.")
        need(
            self.max_seconds is None or self.max_seconds > 0,
            f"The time limit must be positive, not {self.max_seconds}.",
        )
        need(self.eval_every >= 1 and self.sample_every >= 1, "Evaluate and sample at least every step.")
        need(0 <= self.weight_decay < 1, f"Weight decay must be in [0, 1), not {self.weight_decay}.")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StepEvent:
    step: int
    loss: float
    lr: float
    chars_per_second: float
    device: str


@dataclass(frozen=True)
class EvalEvent:
    step: int
    train_loss: float
    val_loss: float


@dataclass(frozen=True)
class SampleEvent:
    step: int
    text: str


@dataclass(frozen=True)
class EndEvent:
    """How a run ended: ``reason`` is finished, time, stopped or diverged."""

    reason: str
    step: int
    message: str
    best_val: float | None
    seconds: float
    chars_per_second: float


@dataclass
class History:
    steps: list[tuple[int, float]] = field(default_factory=list)
    evals: list[tuple[int, float]] = field(default_factory=list)
    samples: list[tuple[int, str]] = field(default_factory=list)


class Trainer:
    """Trains ``model`` on ``train_text``, validating on ``valid_text``.

    Examples
    --------
    >>> trainer = Trainer(model, split.train_text, split.valid_text, TrainConfig(max_steps=200))
    >>> trainer.add_callback("on_eval", lambda e: print(e.step, e.val_loss))
    >>> result = trainer.run()
    """

    def __init__(
        self, model: CharLSTM, train_text: str | torch.Tensor, valid_text: str, config: TrainConfig | None = None,
        callbacks: dict[str, list[Callable[[Any], None]]] | None = None,
    ) -> None:
        self.config = config or TrainConfig()
        cfg = self.config
        self.device = pick(cfg.device)
        self.model = model.to(self.device)
        self.train_ids = self._ids(model, train_text)
        #: Steps evaluated besides every ``eval_every``-th (for snapshots at chosen steps).
        self.eval_steps: set[int] = set()
        self.valid_text = valid_text[: cfg.eval_chars]
        if self.train_ids.numel() < cfg.seq_len + 2:
            raise TrainingConfigError(
                f"The training text has {self.train_ids.numel():,} known characters; "
                f"at least {cfg.seq_len + 2} are needed for sequences of {cfg.seq_len}."
            )
        if len(model.vocab.encode(self.valid_text).ids) < 2:
            raise TrainingConfigError("The validation text needs at least two known characters.")
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.history = History()
        self.step = 0
        self.best_val: float | None = None
        self.result: EndEvent | None = None
        self._callbacks: dict[str, list[Callable[[Any], None]]] = {e: [] for e in EVENTS}
        for name, fns in (callbacks or {}).items():
            for fn in fns:
                self.add_callback(name, fn)
        self._stop = threading.Event()
        self._unpaused = threading.Event()
        self._unpaused.set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._good = self._snapshot()
        self._generator = torch.Generator().manual_seed(cfg.seed)
        self._streams = self._stream_offsets()
        self._state: State | None = None
        self._seconds = 0.0

    @staticmethod
    def _ids(model: CharLSTM, train: str | torch.Tensor) -> torch.Tensor:
        """The training ids: ``train`` encoded with the model's vocabulary, or checked if already ids.

        Passing ids encoded once (``vocab.encode(text).tensor()``) spares a start the seconds it
        takes to encode a corpus of millions of characters.
        """
        if isinstance(train, str):
            return model.vocab.encode(train).tensor()
        if train.dtype != torch.long or train.dim() != 1:
            raise TrainingConfigError(f"Training ids must be a 1-D tensor of int64, not {train.dim()}-D {train.dtype}.")
        if train.numel() and not (int(train.min()) >= 0 and int(train.max()) < len(model.vocab)):
            raise TrainingConfigError(f"Training ids must lie in [0, {len(model.vocab)}): the model's vocabulary.")
        return train

    # ---------------------------------------------------------------- events

    def add_callback(self, event: str, fn: Callable[[Any], None]) -> None:
        """Call ``fn(event_object)`` on ``event``: on_step, on_eval, on_sample or on_end."""
        if event not in EVENTS:
            raise ValueError(f"Unknown event {event!r}: choose one of {', '.join(EVENTS)}.")
        self._callbacks[event].append(fn)

    def _trigger(self, event: str, payload: Any) -> None:
        for fn in list(self._callbacks[event]):
            fn(payload)

    # ---------------------------------------------------------------- control

    @property
    def running(self) -> bool:
        """True while a background run is alive."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def paused(self) -> bool:
        return not self._unpaused.is_set()

    def start(self) -> threading.Thread:
        """Run in a daemon thread; calling it while a run is alive returns that run's thread."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return self._thread
            self._stop.clear()
            self._unpaused.set()
            self._thread = threading.Thread(target=self.run, name="playground-trainer", daemon=True)
            self._thread.start()
            return self._thread

    def stop(self, wait: float | None = 10.0) -> None:
        """Ask the run to end after the step in flight; wait up to ``wait`` seconds for it."""
        self._stop.set()
        self._unpaused.set()
        thread = self._thread
        if wait is not None and thread is not None and thread is not threading.current_thread():
            thread.join(wait)

    def pause(self) -> None:
        self._unpaused.clear()

    def resume(self) -> None:
        self._unpaused.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    # ---------------------------------------------------------------- the loop

    def lr_at(self, progress: float, step: int) -> float:
        """Linear warm-up, then cosine decay to ``lr * min_lr_ratio`` over the run's progress."""
        cfg = self.config
        if step < cfg.warmup:
            return cfg.lr * (step + 1) / cfg.warmup
        progress = min(max(progress, 0.0), 1.0)
        cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
        return cfg.lr * (cfg.min_lr_ratio + (1.0 - cfg.min_lr_ratio) * cosine)

    def _stream_offsets(self) -> torch.Tensor:
        """Start of each of the batch's streams: the text is read as B contiguous streams."""
        n = self.train_ids.numel() - 1
        span = n // self.config.batch_size
        base = torch.arange(self.config.batch_size) * span
        jitter = torch.randint(0, max(span - self.config.seq_len, 1), (1,), generator=self._generator)
        return base + jitter

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Next ``seq_len`` characters of every stream (state carries over, as in char-rnn)."""
        cfg = self.config
        n = self.train_ids.numel() - 1
        if int(self._streams.max()) + cfg.seq_len >= n:  # an epoch ended: start again elsewhere
            self._streams = self._stream_offsets()
            self._state = None
        idx = self._streams.unsqueeze(1) + torch.arange(cfg.seq_len)  # (B, T)
        self._streams = self._streams + cfg.seq_len
        return self.train_ids[idx].to(self.device), self.train_ids[idx + 1].to(self.device)

    def _snapshot(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()}

    def _progress(self) -> float:
        cfg = self.config
        done = self.step / cfg.max_steps
        if cfg.max_seconds:
            done = max(done, self._seconds / cfg.max_seconds)
        return done

    def train_step(self) -> float:
        """One optimiser step on the next batch; returns the loss (nats per character)."""
        cfg = self.config
        self.model.train()
        x, y = self._batch()
        logits, state = self.model(x, self._state)
        self._state = (state[0].detach(), state[1].detach())
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.clip)
        lr = self.lr_at(self._progress(), self.step)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        value = float(loss.detach())
        if math.isfinite(value):
            self.optimizer.step()
        self.step += 1
        return value

    def evaluate(self) -> float:
        """Validation loss on the first ``eval_chars`` characters of the validation text."""
        return self.model.evaluate(self.valid_text)

    def sample(self) -> str:
        cfg = self.config
        text = sampling.generate(
            self.model, cfg.sample_prompt, cfg.sample_len, cfg.sample_temperature, seed=cfg.seed + self.step
        )
        self.model.train()
        return text

    def _diverged(self, loss: float) -> bool:
        ceiling = max(10.0, 3.0 * math.log(len(self.model.vocab)))
        return not math.isfinite(loss) or (self.step > self.config.warmup and loss > ceiling)

    def run(self) -> EndEvent:
        """Train until ``max_steps``, ``max_seconds``, :meth:`stop` or divergence."""
        cfg = self.config
        device = describe(self.device)
        reason, message = "finished", f"Finished {cfg.max_steps:,} steps."
        chars = 0
        recent: list[float] = []
        while True:
            if self._stop.is_set():
                reason, message = "stopped", f"Stopped at step {self.step:,}."
                break
            if not self._unpaused.is_set():
                self._unpaused.wait(0.2)
                continue
            if self.step >= cfg.max_steps:
                break
            if cfg.max_seconds is not None and self._seconds >= cfg.max_seconds:
                reason, message = "time", f"Time is up after {self.step:,} steps."
                break
            t0 = time.perf_counter()
            loss = self.train_step()
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
            dt = time.perf_counter() - t0
            self._seconds += dt
            chars += cfg.batch_size * cfg.seq_len
            recent = (recent + [dt])[-20:]
            if self._diverged(loss):
                self.model.load_state_dict(self._good)
                reason = "diverged"
                message = (
                    f"Training diverged at step {self.step:,} (loss {loss:.3g}); the learning rate "
                    f"{cfg.lr:g} is probably too high. The last good weights were restored."
                )
                break
            rate = cfg.batch_size * cfg.seq_len * len(recent) / max(sum(recent), 1e-9)
            lr = self.optimizer.param_groups[0]["lr"]
            self.history.steps.append((self.step, loss))
            self._trigger("on_step", StepEvent(self.step, loss, lr, rate, device))
            if self.step % cfg.eval_every == 0 or self.step == cfg.max_steps or self.step in self.eval_steps:
                self._evaluate(loss)
            if self.step % cfg.sample_every == 0:
                text = self.sample()
                self.history.samples.append((self.step, text))
                self._trigger("on_sample", SampleEvent(self.step, text))
        evaluated = bool(self.history.evals) and self.history.evals[-1][0] == self.step
        if reason != "diverged" and self.step > 0 and not evaluated:
            self._evaluate(self.history.steps[-1][1] if self.history.steps else float("nan"))
        self.model.eval()
        rate = chars / self._seconds if self._seconds else 0.0
        self.result = EndEvent(reason, self.step, message, self.best_val, self._seconds, rate)
        self._trigger("on_end", self.result)
        return self.result

    def _evaluate(self, train_loss: float) -> None:
        val = self.evaluate()
        self.history.evals.append((self.step, val))
        if math.isfinite(val):
            self._good = self._snapshot()
            if self.best_val is None or val < self.best_val:
                self.best_val = val
        self._trigger("on_eval", EvalEvent(self.step, train_loss, val))


def copy_model(model: CharLSTM) -> CharLSTM:
    """An independent copy (for handing a run's model to a view while training goes on)."""
    return copy.deepcopy(model)
