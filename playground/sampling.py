"""Sampling the next character: temperature, top-k, top-p and the draw, as named functions.

Each function does one thing and is tested on its own (see tests/engine/test_sampling.py):

- :func:`apply_temperature` divides the logits by T (T -> 0 is greedy, large T flattens);
- :func:`top_k_filter` keeps the k most likely characters;
- :func:`top_p_filter` keeps the smallest set whose probability reaches p (nucleus sampling);
- :func:`probabilities` chains them into a distribution;
- :func:`draw` picks one character from it with a seeded generator.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from playground.errors import SamplingError
from playground.model import CharLSTM, State

MAX_PROMPT_CHARS = 100_000  #: longer prompts are refused
CONTEXT_CHARS = 4_000  #: a longer prompt primes the model with its last CONTEXT_CHARS characters
MAX_LENGTH = 20_000  #: the most characters one call generates
MAX_TEMPERATURE = 100.0
#: The smallest temperature above 0: the logits are divided by it, and much nearer 0 that
#: overflows float32 (every probability NaN). 0 itself means "always the likeliest".
MIN_TEMPERATURE = 1e-3
START = "\n"  #: what an empty prompt is primed with: the start of a document


def check(temperature: float, top_k: int | None = None, top_p: float | None = None) -> None:
    """Raise :class:`SamplingError` with a readable sentence if a setting is out of range."""
    if isinstance(temperature, torch.Tensor) and temperature.numel() == 1:
        temperature = temperature.item()
    if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real):
        raise SamplingError(f"Temperature must be a number, not {type(temperature).__name__}.")
    temperature = float(temperature)  # numpy and 0-d torch scalars too
    if math.isnan(temperature) or math.isinf(temperature):
        raise SamplingError("Temperature must be a finite number; 0 means always pick the likeliest.")
    if temperature < 0:
        raise SamplingError(f"Temperature cannot be negative ({temperature}); use 0 for greedy.")
    if 0 < temperature < MIN_TEMPERATURE:
        raise SamplingError(f"Temperature {temperature:g} is too close to 0 to divide by; use 0 for "
                            f"always the likeliest character, or at least {MIN_TEMPERATURE:g}.")
    if temperature > MAX_TEMPERATURE:
        raise SamplingError(f"Temperature {temperature} is too high; the limit is {MAX_TEMPERATURE:g}.")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise SamplingError(f"top-k must be a whole number of at least 1, not {top_k!r}.")
    if top_p is not None:
        if not isinstance(top_p, (int, float)) or isinstance(top_p, bool) or math.isnan(top_p):
            raise SamplingError(f"top-p must be a number in (0, 1], not {top_p!r}.")
        if not 0.0 < top_p <= 1.0:
            raise SamplingError(f"top-p must be above 0 and at most 1, not {top_p}.")


MAX_SEED = 2**63 - 1  #: the largest seed a torch generator takes


def check_seed(seed: Any) -> int:
    """``seed`` as an int, or :class:`SamplingError` if it is not a whole number in ``[0, MAX_SEED]``."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= int(seed) <= MAX_SEED:
        raise SamplingError(f"The seed must be a whole number from 0 to {MAX_SEED:,}, not {seed!r}.")
    return int(seed)


def apply_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """``logits / T``. At ``T == 0`` only the argmax survives (the others become ``-inf``)."""
    if temperature == 0:
        best = logits.argmax(dim=-1, keepdim=True)  # (..., 1)
        return torch.full_like(logits, -math.inf).scatter(-1, best, 0.0)
    return logits / temperature


def top_k_filter(logits: torch.Tensor, k: int | None) -> torch.Tensor:
    """Keep the ``k`` largest logits of each row, set the rest to ``-inf``."""
    if k is None or k >= logits.shape[-1]:
        return logits
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]  # (..., 1) the k-th largest
    return logits.masked_fill(logits < kth, -math.inf)


def top_p_filter(logits: torch.Tensor, p: float | None) -> torch.Tensor:
    """Keep the smallest set of most likely characters whose probabilities sum to at least ``p``."""
    if p is None or p >= 1.0:
        return logits
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
    probs = torch.softmax(sorted_logits, dim=-1)
    before = torch.cumsum(probs, dim=-1) - probs  # mass of the characters ranked above each
    drop_sorted = before >= p  # the first character is always kept (before == 0)
    drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, -math.inf)


def probabilities(
    logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None
) -> torch.Tensor:
    """The sampling distribution: temperature, then top-k, then top-p, then softmax."""
    check(temperature, top_k, top_p)
    z = apply_temperature(logits.float(), temperature)
    z = top_k_filter(z, top_k)
    z = top_p_filter(z, top_p)
    return torch.softmax(z, dim=-1)


def draw(probs: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """One index per row of ``probs`` ``(B, V)``; returns ``(B,)``."""
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


def entropy(probs: torch.Tensor) -> torch.Tensor:
    """Entropy in nats of each row of ``probs``."""
    p = probs.clamp_min(1e-30)
    return -(probs * p.log()).sum(dim=-1)


def _prompt_ids(model: CharLSTM, prompt: str) -> torch.Tensor:
    if not isinstance(prompt, str):
        raise SamplingError(f"The prompt must be text, not {type(prompt).__name__}.")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise SamplingError(
            f"This prompt has {len(prompt):,} characters; the limit is {MAX_PROMPT_CHARS:,}."
        )
    ids = model.vocab.encode(prompt[-CONTEXT_CHARS:]).ids  # unseen characters are skipped
    if not ids:
        ids = model.vocab.encode(START, policy="map").ids
    return torch.tensor(ids, dtype=torch.long, device=model.device)


def known(logits: torch.Tensor) -> torch.Tensor:
    """Float logits with the unknown character (id 0) ruled out: it is never written.

    Id 0 stands for every character the model never saw; an undertrained model still gives it
    some probability, and sampling it would print a replacement character.
    """
    z = logits.float().clone()
    z[..., 0] = -math.inf
    return z


@torch.no_grad()
def prime(model: CharLSTM, prompt: str, batch: int = 1) -> tuple[torch.Tensor, State]:
    """Read ``prompt`` and return the logits for the next character ``(B, V)`` and the state.

    Unseen characters are skipped; an empty prompt (or one of only unseen characters) is primed
    with a newline, the start of a document. Longer than ``CONTEXT_CHARS``, only the end is read.
    The unknown character is ruled out of the logits (:func:`known`).
    """
    model.eval()
    ids = _prompt_ids(model, prompt).unsqueeze(0).expand(batch, -1)  # (B, T)
    logits, state = model(ids)
    return known(logits[:, -1]), state


@dataclass(frozen=True)
class Distribution:
    """The next-character distribution at T=1 and after the sampling settings."""

    chars: list[str]
    raw: torch.Tensor  # (V,) softmax of the logits (T = 1)
    probs: torch.Tensor  # (V,) after temperature, top-k, top-p

    def top(self, n: int = 20) -> list[tuple[str, float]]:
        """The ``n`` most likely characters after the settings, with their probabilities."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise SamplingError(f"top() takes a count of characters, 0 or more, not {n!r}.")
        values, idx = torch.topk(self.probs, min(n, self.probs.numel()))
        return [(self.chars[i], float(v)) for v, i in zip(values, idx.tolist())]


def next_distribution(
    model: CharLSTM, prompt: str, temperature: float = 1.0, top_k: int | None = None,
    top_p: float | None = None,
) -> Distribution:
    """The full :class:`Distribution` of the character after ``prompt``."""
    check(temperature, top_k, top_p)
    logits, _ = prime(model, prompt)
    raw = torch.softmax(logits[0], dim=-1).cpu()
    probs = probabilities(logits[0], temperature, top_k, top_p).cpu()
    return Distribution(list(model.vocab.chars), raw, probs)


def distribution(
    model: CharLSTM, prompt: str, temperature: float = 1.0, top_k: int | None = None,
    top_p: float | None = None,
) -> tuple[list[str], torch.Tensor]:
    """``(characters, probabilities)`` of the character after ``prompt`` under the settings."""
    d = next_distribution(model, prompt, temperature, top_k, top_p)
    return d.chars, d.probs


@torch.no_grad()
def stream(
    model: CharLSTM, prompt: str, length: int, temperature: float = 1.0, top_k: int | None = None,
    top_p: float | None = None, seed: int | None = None,
) -> Iterator[tuple[str, float]]:
    """Yield ``(character, probability it had)`` one at a time; the same seed gives the same text."""
    for chars in _stream_batch(model, prompt, length, [temperature], top_k, top_p, seed):
        yield chars[0]


def _check_length(length: int) -> None:
    if isinstance(length, bool) or not isinstance(length, int) or not 0 <= length <= MAX_LENGTH:
        raise SamplingError(f"Length must be a whole number from 0 to {MAX_LENGTH:,}, not {length!r}.")


def _stream_batch(
    model: CharLSTM, prompt: str, length: int, temperatures: Sequence[float], top_k: int | None,
    top_p: float | None, seed: int | None,
) -> Iterator[list[tuple[str, float]]]:
    _check_length(length)
    for t in temperatures:
        check(t, top_k, top_p)
    temperatures = [float(t) for t in temperatures]
    from playground import fastsample  # imported here: fastsample builds on this module

    seed = int(torch.randint(0, 2**62, (1,))) if seed is None else check_seed(seed)
    # The fast sampler gives the text of the plain loop (nn.LSTM one character at a time, then
    # probabilities() and draw() per row; kept as fastsample.naive_stream_batch) for the same seed.
    yield from fastsample.stream_batch(model, prompt, length, temperatures, top_k, top_p, seed)


def generate(
    model: CharLSTM, prompt: str, length: int, temperature: float = 1.0, top_k: int | None = None,
    top_p: float | None = None, seed: int | None = None,
) -> str:
    """``length`` characters sampled after ``prompt`` (the prompt itself is not included)."""
    return "".join(c for c, _ in stream(model, prompt, length, temperature, top_k, top_p, seed))


def generate_many(
    model: CharLSTM, prompt: str, length: int, temperatures: Sequence[float], top_k: int | None = None,
    top_p: float | None = None, seed: int | None = None,
) -> list[str]:
    """One text per temperature, sampled together in one batched pass (each weight read is shared)."""
    temperatures = list(temperatures)  # a numpy array or tensor too (their truth value is ambiguous)
    if not temperatures:
        raise SamplingError("Give at least one temperature.")
    texts: list[list[str]] = [[] for _ in temperatures]
    for step in _stream_batch(model, prompt, length, temperatures, top_k, top_p, seed):
        for b, (c, _) in enumerate(step):
            texts[b].append(c)
    return ["".join(t) for t in texts]
