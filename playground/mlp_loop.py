"""Play / pause for a :class:`~playground.mlp.Trainer`: a background thread that keeps stepping.

Each *tick* takes ``steps_per_tick`` optimiser steps and then calls ``on_tick`` (a view redraws
there). :meth:`Player.tick` runs one tick on the caller's thread, which is what tests and
single-step buttons use; :meth:`Player.play` runs ticks on a daemon thread until
:meth:`Player.pause`, a divergence, or ``max_ticks``. The trainer's lock makes a reset or a
weight edit from the page safe while the thread runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from playground.mlp import DivergedError, Trainer


class Player:
    """Runs a trainer tick after tick without blocking the caller.

    Parameters
    ----------
    trainer:
        What to train.
    on_tick:
        Called after every tick with the trainer (on the loop's thread while playing).
    on_stop:
        Called with the reason ("paused", "diverged: ...", "done") when the loop ends.
    steps_per_tick:
        Optimiser steps between two redraws.
    min_interval:
        Shortest time between ticks in seconds (caps the redraw rate; 0 for as fast as possible).
    """

    def __init__(self, trainer: Trainer, on_tick: Callable[[Trainer], None] | None = None,
                 on_stop: Callable[[str], None] | None = None, steps_per_tick: int = 5,
                 min_interval: float = 1 / 30):
        self.trainer = trainer
        self.on_tick = on_tick
        self.on_stop = on_stop
        self.steps_per_tick = steps_per_tick
        self.min_interval = min_interval
        self.ticks = 0
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def playing(self) -> bool:
        """Whether the background loop is running."""
        return self._thread is not None and self._thread.is_alive()

    def tick(self) -> bool:
        """One tick on this thread: step, then ``on_tick``. ``False`` once training has diverged."""
        try:
            self.trainer.step(self.steps_per_tick)
        except DivergedError as err:
            self.error = str(err)
            if self.on_tick is not None:
                self.on_tick(self.trainer)
            return False
        self.ticks += 1
        if self.on_tick is not None:
            self.on_tick(self.trainer)
        return True

    def play(self, max_ticks: int | None = None) -> None:
        """Start ticking on a daemon thread (no-op if already playing)."""
        if self.playing:
            return
        self._stop.clear()
        self.error = None
        self._thread = threading.Thread(target=self._run, args=(max_ticks,), daemon=True,
                                        name="playground-player")
        self._thread.start()

    def _run(self, max_ticks: int | None) -> None:
        reason = "paused"
        done = 0
        while not self._stop.is_set():
            started = time.perf_counter()
            try:
                ok = self.tick()
            except Exception as err:  # a redraw failure must not leave a zombie "playing" state
                self.error = f"Training stopped: {type(err).__name__}: {err}"
                reason = self.error
                break
            if not ok:
                reason = f"diverged: {self.error}"
                break
            done += 1
            if max_ticks is not None and done >= max_ticks:
                reason = "done"
                break
            self._stop.wait(max(0.0, self.min_interval - (time.perf_counter() - started)))
        if self.on_stop is not None:
            self.on_stop(reason)

    def pause(self, timeout: float = 10.0) -> None:
        """Ask the loop to stop and wait for the tick in progress to finish."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def join(self, timeout: float | None = None) -> None:
        """Wait for the loop to end by itself (``max_ticks`` reached or divergence)."""
        if self._thread is not None:
            self._thread.join(timeout)
