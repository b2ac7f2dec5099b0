"""The kernel editor: a 3x3 or 5x5 grid of number boxes, with presets and a re-roll for "random"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w
import numpy as np

from playground import conv

CUSTOM = "custom"


class KernelGrid(w.VBox):
    """Edit a convolution kernel cell by cell, or pick a preset.

    ``kernel`` is the current grid as a NumPy array; :meth:`on_change` registers a callback that
    receives it once per user edit (a preset or a size change is one edit, not k*k).
    """

    def __init__(self, name: str = "edge", size: int = 3, **kwargs: Any) -> None:
        self.size = w.ToggleButtons(options=[("3x3", 3), ("5x5", 5)], value=size, description="Kernel")
        self.size.style.button_width = "52px"
        self.preset = w.Dropdown(options=[*conv.PRESETS, CUSTOM], value=name, description="Preset")
        self.reroll = w.Button(description="new random", icon="dice", tooltip="Draw another random kernel")
        self.grid = w.GridBox(layout=w.Layout(grid_gap="3px"))
        self.cells: list[w.FloatText] = []
        self._seed = 0
        self._quiet = False
        self._callbacks: list[Callable[[np.ndarray], None]] = []
        super().__init__([w.HBox([self.size, self.preset, self.reroll]), self.grid], **kwargs)
        self._build_cells(conv.preset(name, size))
        self.size.observe(self._on_size, names="value")
        self.preset.observe(self._on_preset, names="value")
        self.reroll.on_click(self._on_reroll)

    # -- public API -----------------------------------------------------------------------
    @property
    def kernel(self) -> np.ndarray:
        """The grid's numbers, ``(k, k)``."""
        k = self.size.value
        return np.array([c.value for c in self.cells], dtype=np.float64).reshape(k, k)

    def set_kernel(self, kernel: np.ndarray) -> None:
        """Show ``kernel`` (3x3 or 5x5) in the grid and notify once."""
        k = np.asarray(kernel, dtype=np.float64)
        self._quiet = True
        try:
            if k.shape[0] != self.size.value:
                self.size.value = k.shape[0]
                self._build_cells(k)
            else:
                for cell, v in zip(self.cells, k.ravel()):
                    cell.value = round(float(v), 4)
        finally:
            self._quiet = False
        self._notify()

    def on_change(self, callback: Callable[[np.ndarray], None]) -> None:
        """Call ``callback(kernel)`` after each edit."""
        self._callbacks.append(callback)

    # -- handlers ---------------------------------------------------------------------------
    def _build_cells(self, kernel: np.ndarray) -> None:
        for cell in self.cells:
            cell.close()
        k = kernel.shape[0]
        self.cells = [
            w.FloatText(value=round(float(v), 4), step=0.1, layout=w.Layout(width="62px"))
            for v in kernel.ravel()
        ]
        for cell in self.cells:
            cell.observe(self._on_cell, names="value")
        self.grid.layout.grid_template_columns = f"repeat({k}, 62px)"
        self.grid.children = tuple(self.cells)

    def _apply_preset(self) -> None:
        name = self.preset.value
        if name == CUSTOM:
            return
        self.set_kernel(conv.preset(name, self.size.value, seed=self._seed))

    def _on_size(self, change: dict[str, Any]) -> None:
        if self._quiet:
            return
        name = self.preset.value if self.preset.value != CUSTOM else "identity"
        self._quiet = True
        try:
            self.preset.value = name
            self._build_cells(conv.preset(name, change["new"], seed=self._seed))
        finally:
            self._quiet = False
        self._notify()

    def _on_preset(self, change: dict[str, Any]) -> None:
        if not self._quiet:
            self._apply_preset()

    def _on_reroll(self, _: Any = None) -> None:
        self._seed += 1
        if self.preset.value == "random":
            self._apply_preset()
        else:
            self.preset.value = "random"  # _on_preset applies it

    def _on_cell(self, change: dict[str, Any]) -> None:
        if self._quiet:
            return
        if self.preset.value != CUSTOM:
            self._quiet = True
            self.preset.value = CUSTOM  # the grid no longer matches a preset
            self._quiet = False
        self._notify()

    def _notify(self) -> None:
        kernel = self.kernel
        for cb in self._callbacks:
            cb(kernel)
