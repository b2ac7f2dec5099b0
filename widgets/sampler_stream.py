"""A generation running in a background thread: characters into a list, redraws throttled, stoppable.

The playground stays responsive while the model writes: the thread appends each
``(character, probability)`` to a list the page reads, asks for a redraw at most every
:data:`THROTTLE_S` seconds, and stops after the character it is on when asked.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

log = logging.getLogger("widgets")

THROTTLE_S = 0.1  #: while generating, the page is redrawn at most this often


class Stream:
    """Run ``chars`` (an engine iterator of ``(char, prob)``) into ``sink`` in a daemon thread.

    ``render()`` is called at most every ``THROTTLE_S`` and once at the end; ``done(error)`` is
    called last, with the one-sentence error (``None`` when it finished or was stopped).
    """

    def __init__(self, chars: Iterable[tuple[str, float]], sink: list[tuple[str, float]],
                 render: Callable[[], None], done: Callable[[str | None], None]) -> None:
        self._chars, self._sink, self._render, self._done = chars, sink, render, done
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler-generate", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to stop after the character it is on."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        last = time.monotonic()
        error: str | None = None
        try:
            for item in self._chars:
                if self._stop.is_set():
                    break
                self._sink.append(item)  # list.append is atomic: the page may read meanwhile
                now = time.monotonic()
                if now - last >= THROTTLE_S:
                    self._render()
                    last = now
        except ValueError as err:
            error = str(err)
        except Exception as err:  # the thread must never take the page down
            log.exception("generation failed")
            error = f"Generation stopped ({type(err).__name__}): {err}"
        finally:
            self._render()
            self._done(error)
