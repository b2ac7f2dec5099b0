"""What the sampling playground draws: the bars of a distribution and the formula with live numbers.

Pure functions from engine results to figure data and HTML, so the playground's handlers stay
one engine call plus one ``batch_update``.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import torch

from playground import sampling
from playground.errors import SamplingError
from playground.text import Vocab
from widgets.textgen_parts import coloured, probability_colour, show_char, text_box

TOP = 20  #: bars shown; the rest of the probability is one "other" bar
MARK = "#c62828"  #: the character just drawn
RAW = "#9db7e0"  #: the model's own distribution (T = 1)
SET = "#1f4e9c"  #: after temperature, top-k and top-p
OTHER = "#b0b0b0"
SHOWN_CHARS = 4000  #: the output shows at most the last this many generated characters
MAX_COMPARE = 8  #: temperatures in one comparison


@dataclass(frozen=True)
class Bars:
    """The top characters (ranked at T = 1) with both distributions, plus "other"."""

    index: list[int]  # vocabulary ids of the top characters, likeliest first
    labels: list[str]  # their visible labels, then "other"
    raw: list[float]  # T = 1 probabilities, then the rest of the mass
    probs: list[float]  # after the settings, then the rest of the mass


def bars(dist: sampling.Distribution, top: int = TOP) -> Bars:
    """The bars of ``dist``: ranked by the model's own (T = 1) probability, which temperature,
    top-k and top-p never reorder, so the bars keep their places as the sliders move."""
    n = min(top, dist.raw.numel())
    idx = torch.topk(dist.raw, n).indices.tolist()
    raw = [float(dist.raw[i]) for i in idx]
    probs = [float(dist.probs[i]) for i in idx]
    labels = [show_char(dist.chars[i]) for i in idx]
    return Bars(idx, [*labels, "other"], [*raw, max(0.0, 1.0 - sum(raw))], [*probs, max(0.0, 1.0 - sum(probs))])


def bar_colours(b: Bars, drawn: int | None) -> tuple[list[str], list[str]]:
    """Colours of the two traces; the drawn character (or "other", if it is not shown) in red."""
    raw = [RAW] * (len(b.labels) - 1) + [OTHER]
    probs = [SET] * (len(b.labels) - 1) + [OTHER]
    if drawn is not None:
        at = b.index.index(drawn) if drawn in b.index else len(b.labels) - 1
        probs[at] = MARK
    return raw, probs


def _num(x: float) -> str:
    return f"{x:.4g}" if abs(x) < 1e5 else f"{x:.3e}"


def formula_html(
    dist: sampling.Distribution, logits: torch.Tensor, temperature: float, top_k: int | None,
    top_p: float | None,
) -> str:
    """The softmax with temperature, written out with the live numbers for the likeliest character.

    ``p(c) = exp(z_c / T) / sum_j exp(z_j / T)`` over the characters top-k and top-p keep. The
    probability printed is the engine's (``dist.probs``); the parts are recomputed in float64
    beside it, shifted by the largest logit when ``exp`` would overflow.
    """
    z = logits.double()
    best = int(torch.argmax(dist.probs))
    name = html.escape(repr(dist.chars[best]))
    h_raw = max(0.0, float(sampling.entropy(dist.raw)))  # never print -0.000
    h_set = max(0.0, float(sampling.entropy(dist.probs)))
    kept = int((dist.probs > 0).sum())
    lines = []
    if temperature == 0:
        lines.append(
            f"T = 0 is <b>greedy</b>: the likeliest character, {name} (logit z = {_num(float(z[best]))}), "
            "gets probability 1 and every other character 0."
        )
    else:
        mask = dist.probs > 0
        shift = 0.0
        num = math.exp(float(z[best]) / temperature) if float(z[best]) / temperature < 700 else math.inf
        if not math.isfinite(num):
            shift = float(z.max())
        scaled = (z - shift) / temperature
        num = math.exp(float(scaled[best]))
        den = float(torch.exp(scaled[mask]).sum())
        zs = f"(z \u2212 {_num(shift)})" if shift else "z"
        lines.append(
            f"p(c) = exp({zs}<sub>c</sub> / T) / \u03a3<sub>j</sub> exp({zs}<sub>j</sub> / T)"
            f"&nbsp;&nbsp;with T = <b>{temperature:.2f}</b>"
        )
        lines.append(
            f"p({name}) = exp({_num(float(z[best]) - shift)} / {temperature:.2f}) / {_num(den)} = "
            f"{_num(num)} / {_num(den)} = <b>{float(dist.probs[best]):.4f}</b>"
            f"&nbsp;&nbsp;(at T = 1: {float(dist.raw[best]):.4f})"
        )
        if temperature < 1:
            lines.append("T &lt; 1 sharpens: likely characters gain, unlikely ones lose.")
        elif temperature > 1:
            lines.append("T &gt; 1 flattens: the distribution tends to uniform as T grows.")
    cuts = []
    if top_k is not None:
        cuts.append(f"top-k keeps the {top_k} likeliest")
    if top_p is not None:
        cuts.append(f"top-p keeps the fewest likeliest whose probability reaches {top_p:.2f}")
    if cuts:
        lines.append(f"{'; '.join(cuts)}: {kept} of {len(dist.chars)} characters remain, renormalised.")
    lines.append(
        f"Entropy H = \u2212\u03a3 p log p: <b>{h_set:.3f}</b> nats after your settings "
        f"(as unsure as an even choice among {math.exp(h_set):.1f} characters); "
        f"{h_raw:.3f} nats at T = 1 ({math.exp(h_raw):.1f})."
    )
    body = "<br>".join(lines)
    return f"<div class='np-formula' style='font-family:monospace;font-size:14px;line-height:1.6'>{body}</div>"


def parse_temperatures(text: str) -> list[float]:
    """``"0.2, 0.5 1"`` -> ``[0.2, 0.5, 1.0]``; a clear :class:`SamplingError` otherwise."""
    parts = [p for p in text.replace(",", " ").split() if p]
    if not parts:
        raise SamplingError("Give at least one temperature, such as 0.5, 1.0.")
    if len(parts) > MAX_COMPARE:
        raise SamplingError(f"Compare at most {MAX_COMPARE} temperatures at once, not {len(parts)}.")
    try:
        temps = [float(p) for p in parts]
    except ValueError:
        raise SamplingError(f"Temperatures must be numbers separated by commas, not {text!r}.") from None
    for t in temps:
        sampling.check(t)
    return temps


def unseen_note(vocab: Vocab, context: str) -> str:
    """One warning about what the model will not read in ``context``, or ``""``."""
    enc = vocab.encode(context[-sampling.CONTEXT_CHARS:])
    notes = []
    if enc.unknown:
        shown = ", ".join(repr(c) for c in enc.unknown_chars[:5])
        notes.append(f"The model never saw {enc.unknown} of these characters ({shown}); it reads past them.")
    if len(context) > sampling.CONTEXT_CHARS:
        notes.append(f"Only the last {sampling.CONTEXT_CHARS:,} characters of the prompt are read.")
    if not enc.ids:
        notes.append("With nothing it knows to read, the model starts as at the top of a new text.")
    return " ".join(notes)


def output_html(done: list[tuple[str, float]], prompt: str) -> str:
    """The prompt's end in grey, then each generated character coloured by the probability it had."""
    if not done:
        return ""
    cut = max(0, len(done) - SHOWN_CHARS)
    text = coloured([c for c, _ in done[cut:]], [probability_colour(p) for _, p in done[cut:]])
    before = list(prompt[-200:])
    head = "\u2026" if cut else f'<span style="color:#888">{coloured(before, ["transparent"] * len(before))}</span>'
    key = "<small>Each generated character is coloured by the probability it had: red unlikely, green likely.</small>"
    return key + text_box(head + text, "320px")


def column_html(temperature: float, text: str) -> str:
    """One column of the temperature comparison."""
    return f"<b>T = {temperature:g}</b>" + text_box(coloured(list(text), ["transparent"] * len(text)), "360px")
