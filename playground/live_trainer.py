"""The trainer a live run uses: :class:`playground.training.Trainer` with a lock and a clock.

Each optimiser step holds :attr:`LockedTrainer.lock`, so another thread can copy the model
between two steps and never see it half-updated; :attr:`LockedTrainer.busy_seconds` counts the
time spent in steps (not in pauses); and an unexpected error ends the run as "failed" with a
sentence instead of killing the background thread silently.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from playground.training import EndEvent, Trainer

log = logging.getLogger("playground.live")


class LockedTrainer(Trainer):
    """A trainer whose optimiser steps hold a lock, so a copy of the model is never half-updated."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lock = threading.Lock()
        self.busy_seconds = 0.0  #: time spent in optimiser steps (pauses not counted)

    def run(self) -> EndEvent:
        """As :meth:`Trainer.run`, but an unexpected error ends the run as "failed" with its sentence."""
        try:
            return super().run()
        except Exception as err:  # the background thread must not die silently
            log.exception("live training run failed")
            self.model.eval()
            self.result = EndEvent("failed", self.step, f"Training failed ({type(err).__name__}): {err}",
                                   self.best_val, self.busy_seconds, 0.0)
            self._trigger("on_end", self.result)
            return self.result

    def train_step(self) -> float:
        t0 = time.perf_counter()
        with self.lock:
            loss = super().train_step()
        self.busy_seconds += time.perf_counter() - t0
        return loss
