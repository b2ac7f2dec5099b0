"""Looking for interpretable cells: simple features of a text, and the units that follow them.

Karpathy, Johnson and Fei-Fei ("Visualizing and Understanding Recurrent Networks", 2015) found
LSTM cells that switch on inside quotes, count the position in a line or track the depth of
brackets. This module computes such features, one number per character, and ranks the units
of a :class:`playground.model.Trace` by the absolute Pearson correlation of their activation
with each feature over the text.

Every feature is read *after* the character at that position, as the hidden state is: an
opening quote already counts as inside, a closing quote no longer does, a newline is at
position 0 of the line it starts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import torch

from playground.errors import PlaygroundError
from playground.model import Trace

QUANTITIES = ("input", "forget", "output", "cell", "c", "h")
"""What a unit can be read from: the three gates, the cell candidate, the cell state, the hidden state."""

QUANTITY_NAMES = {
    "input": "input gate",
    "forget": "forget gate",
    "output": "output gate",
    "cell": "cell candidate",
    "c": "cell state",
    "h": "hidden state",
}

BRACKETS = {"(": ")", "[": "]", "{": "}"}
_SPEAKER_LINE = re.compile(r"^[A-Z][A-Z0-9 ,.'&-]*:\s*$")  # "THESEUS:" / "FIRST CITIZEN:"


class InterpretError(PlaygroundError):
    """A feature, quantity or unit that does not exist, or a text too short to correlate."""


# ---------------------------------------------------------------- features of a text


def inside_quotes(text: str, quotes: str = '"') -> torch.Tensor:
    """1.0 while inside a quotation (any character of ``quotes`` opens it, the same one closes it).

    The opening quote counts as inside, the closing one as outside. Returns ``(T,)`` float32.
    """
    out: list[float] = []
    open_with = ""
    for ch in text:
        if open_with:
            if ch == open_with:
                open_with = ""
        elif ch in quotes:
            open_with = ch
        out.append(1.0 if open_with else 0.0)
    return torch.tensor(out, dtype=torch.float32)


def position_in_line(text: str) -> torch.Tensor:
    """How many characters since the last newline (a newline itself is at 0). ``(T,)``."""
    out: list[float] = []
    col = 0
    for ch in text:
        col = 0 if ch == "\n" else col + 1
        out.append(col)
    return torch.tensor(out, dtype=torch.float32)


def bracket_depth(text: str) -> torch.Tensor:
    """How many ``( [ {`` are open after each character (never below 0). ``(T,)``."""
    out: list[float] = []
    depth = 0
    closers = set(BRACKETS.values())
    for ch in text:
        if ch in BRACKETS:
            depth += 1
        elif ch in closers:
            depth = max(0, depth - 1)
        out.append(depth)
    return torch.tensor(out, dtype=torch.float32)


def indentation(text: str, tab: int = 4) -> torch.Tensor:
    """The indentation of the current line, in spaces (a tab counts ``tab``), as read so far.

    Inside the leading whitespace it is the whitespace read so far; after it, the whole indent.
    """
    out: list[float] = []
    indent, leading = 0, True
    for ch in text:
        if ch == "\n":
            indent, leading = 0, True
        elif leading and ch == " ":
            indent += 1
        elif leading and ch == "\t":
            indent += tab
        else:
            leading = False
        out.append(indent)
    return torch.tensor(out, dtype=torch.float32)


def _lines(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, line)`` of each line; ``end`` includes the newline that ends it."""
    spans: list[tuple[int, int, str]] = []
    start = 0
    for line in text.splitlines(keepends=True):
        spans.append((start, start + len(line), line))
        start += len(line)
    return spans


def speaker_name_line(text: str) -> torch.Tensor:
    """1.0 on the characters of a play's speaker line (``THESEUS:``), its newline included. ``(T,)``."""
    out = torch.zeros(len(text))
    for start, end, line in _lines(text):
        if _SPEAKER_LINE.match(line.rstrip("\n")):
            out[start:end] = 1.0
    return out


def in_speech(text: str) -> torch.Tensor:
    """1.0 on the lines a speaker says: after a ``NAME:`` line, up to a blank line or the next name.

    The name line itself is 0, as are stage directions after a blank line. ``(T,)``.
    """
    out = torch.zeros(len(text))
    speaking = False
    for start, end, line in _lines(text):
        body = line.rstrip("\n")
        if _SPEAKER_LINE.match(body):
            speaking = True
        elif not body.strip():
            speaking = False
        elif speaking:
            out[start:end] = 1.0
    return out


FEATURES: dict[str, Callable[[str], torch.Tensor]] = {
    "inside quotes": lambda s: inside_quotes(s, '"'),
    "inside 'single' or \"double\" quotes": lambda s: inside_quotes(s, "'\""),
    "position in line": position_in_line,
    "inside brackets": bracket_depth,
    "indentation depth": indentation,
    "speaker name line": speaker_name_line,
    "inside a speech": in_speech,
}
"""Every feature by name: a function from a text to one float per character."""


def features(text: str, names: Iterable[str] | None = None) -> dict[str, torch.Tensor]:
    """The named features of ``text`` (all of :data:`FEATURES` by default), each ``(T,)``."""
    chosen = list(FEATURES) if names is None else list(names)
    for n in chosen:
        if n not in FEATURES:
            raise InterpretError(f"There is no feature called {n!r}; the features are {', '.join(FEATURES)}.")
    return {n: FEATURES[n](text) for n in chosen}


# ---------------------------------------------------------------- units of a trace


@dataclass(frozen=True)
class Unit:
    """One unit of one quantity in one layer, e.g. layer 0, cell state, unit 37."""

    layer: int
    quantity: str
    index: int

    def __str__(self) -> str:
        return f"layer {self.layer + 1} {QUANTITY_NAMES.get(self.quantity, self.quantity)} unit {self.index}"


@dataclass(frozen=True)
class UnitScore:
    """A unit and the Pearson correlation of its activation with a feature over the text."""

    unit: Unit
    feature: str
    correlation: float

    @property
    def score(self) -> float:
        """``|correlation|``: the ranking key (a unit that turns *off* inside quotes counts too)."""
        return abs(self.correlation)


def quantity(trace: Trace, layer: int, name: str) -> torch.Tensor:
    """One quantity of one layer of ``trace``, ``(T, H)``: a gate, ``"cell"``, ``"c"`` or ``"h"``."""
    if not 0 <= layer < len(trace.layers):
        raise InterpretError(f"Layer {layer + 1} does not exist; this model has {len(trace.layers)}.")
    lt = trace.layers[layer]
    if name == "c":
        return lt.c
    if name == "h":
        return lt.h
    if name in ("input", "forget", "output", "cell"):
        return getattr(lt.gates, name)  # type: ignore[no-any-return]
    raise InterpretError(f"Unknown quantity {name!r}; choose one of {', '.join(QUANTITIES)}.")


def activation(trace: Trace, unit: Unit) -> torch.Tensor:
    """One unit's activation at every character, ``(T,)``."""
    values = quantity(trace, unit.layer, unit.quantity)
    if not 0 <= unit.index < values.shape[1]:
        raise InterpretError(f"Unit {unit.index} does not exist; this layer has {values.shape[1]} units.")
    return values[:, unit.index]


def correlations(values: torch.Tensor, feature: torch.Tensor) -> torch.Tensor:
    """Pearson correlation of each column of ``values`` ``(T, H)`` with ``feature`` ``(T,)``.

    A constant column (or a constant feature) has no correlation: it gets 0, never NaN.
    """
    x = values.double() - values.double().mean(dim=0)  # (T, H) centred
    y = feature.double() - feature.double().mean()  # (T,) centred
    num = y @ x  # (H,) covariance * T
    den = x.norm(dim=0) * y.norm()  # (H,)
    r = torch.where(den > 1e-12, num / den.clamp_min(1e-300), torch.zeros_like(num))
    return r.clamp(-1.0, 1.0)


def rank(
    trace: Trace, feature: str | torch.Tensor, top: int = 5, quantities: Sequence[str] = ("c", "h"),
    layers: Sequence[int] | None = None, name: str | None = None,
) -> list[UnitScore]:
    """The ``top`` units whose activation follows ``feature`` best, by ``|correlation|``.

    Parameters
    ----------
    trace:
        What the model computed over a text (``trace.text`` is the text the features read).
    feature:
        A name from :data:`FEATURES` or a ``(T,)`` tensor of your own.
    quantities, layers:
        Where to look: by default the cell and hidden states of every layer.

    Returns
    -------
    list[UnitScore]
        Best first; empty if the feature does not vary over the text (no quotes in it, say).
    """
    if isinstance(feature, str):
        label = name or feature
        values = features(trace.text, [feature])[feature]
    else:
        label = name or "feature"
        values = feature
    if values.shape != (len(trace.text),):
        raise InterpretError(f"The feature has {values.numel()} values but the text has {len(trace.text)} characters.")
    if len(trace.text) < 3:
        raise InterpretError("Finding cells needs a text of at least 3 characters the model knows.")
    if float(values.max() - values.min()) == 0.0:
        return []
    for q in quantities:
        if q not in QUANTITIES:
            raise InterpretError(f"Unknown quantity {q!r}; choose one of {', '.join(QUANTITIES)}.")
    chosen = range(len(trace.layers)) if layers is None else layers
    scored: list[UnitScore] = []
    for k in chosen:
        for q in quantities:
            r = correlations(quantity(trace, k, q), values)  # (H,)
            best = torch.topk(r.abs(), min(top, r.numel())).indices.tolist()
            scored.extend(UnitScore(Unit(k, q, i), label, float(r[i])) for i in best)
    scored.sort(key=lambda s: (-s.score, s.unit.layer, s.unit.quantity, s.unit.index))
    return scored[:top]


def find_cells(
    trace: Trace, top: int = 3, names: Iterable[str] | None = None, quantities: Sequence[str] = ("c", "h"),
) -> dict[str, list[UnitScore]]:
    """For each feature that varies over the text, its ``top`` best units (see :func:`rank`)."""
    found: dict[str, list[UnitScore]] = {}
    for n, values in features(trace.text, names).items():
        ranked = rank(trace, values, top, quantities, name=n)
        if ranked:
            found[n] = ranked
    return found
