"""The fast sampler writes exactly the naive loop's text for the same seed.

The oracle below is the plain loop: ``nn.LSTM`` stepped one character at a time through the
module call, the named sampling functions per row, and ``torch.multinomial``. The CUDA graph
path cannot be captured without a GPU; what it captures (``Stepper.run`` built with
``general=True``, replayed a whole chunk at a time) is run eagerly here and compared.
"""

from __future__ import annotations

import pytest
import torch

from playground import fastsample, sampling
from playground.model import CharLSTM
from playground.text import Vocab

TEXT = (
    "To be, or not to be, that is the question:\n"
    "Whether 'tis nobler in the mind to suffer\n"
    "The slings and arrows of outrageous fortune;\n"
    "0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ!?()[]{}<>=+-*/@#$%&~^_|\\\"`"
)


@pytest.fixture(scope="module")
def model() -> CharLSTM:
    """Random weights, head scaled up so the distributions have a shape (not near-uniform)."""
    torch.manual_seed(1)
    m = CharLSTM(Vocab.from_text(TEXT), hidden=48, layers=3, embed=16).eval()
    with torch.no_grad():
        m.head.weight.mul_(6.0)
    return m


def naive(
    model: CharLSTM, prompt: str, length: int, temps: list[float], k: int | None, p: float | None,
    seed: int,
) -> tuple[list[str], list[list[float]]]:
    """The oracle: texts and the probability each drawn character had."""
    gen = torch.Generator().manual_seed(seed)
    texts: list[list[str]] = [[] for _ in temps]
    chosen: list[list[float]] = [[] for _ in temps]
    with torch.no_grad():
        logits, state = sampling.prime(model, prompt, batch=len(temps))
        for _ in range(length):
            probs = torch.stack([sampling.probabilities(logits[b], t, k, p) for b, t in enumerate(temps)])
            nxt = torch.multinomial(probs, 1, generator=gen).squeeze(1)
            for b, i in enumerate(nxt.tolist()):
                texts[b].append(model.vocab.chars[i])
                chosen[b].append(float(probs[b, i]))
            out, state = model(nxt.unsqueeze(1), state)
            logits = sampling.known(out[:, -1])  # the unknown character is never written
    return ["".join(t) for t in texts], chosen


CASES = [  # (prompt, temperatures, top_k, top_p)
    ("To be", [1.0], None, None),
    ("", [1.0], None, None),
    ("To be", [0.0], None, None),
    ("Whether 'tis", [0.7, 1.0, 1.6], None, None),
    ("To be", [0.0, 0.5, 0.0, 2.5], None, None),
    ("the sl", [1.0], 1, None),
    ("the sl", [0.8, 1.2], 5, None),
    ("To be", [1.0], None, 0.5),
    ("To be", [1.3, 0.9], None, 0.95),
    ("arrows 🙂 of", [0.9, 0.0, 1.4], 8, 0.9),
    ("x" * 5000, [1.0], None, None),  # longer than CONTEXT_CHARS: only the end is read
]


@pytest.mark.parametrize(("prompt", "temps", "k", "p"), CASES)
def test_same_text_as_the_naive_loop(model: CharLSTM, prompt: str, temps: list[float], k: int | None,
                                     p: float | None) -> None:
    length = 75  # more than two chunks of 32: the state carries across chunk boundaries
    want, want_p = naive(model, prompt, length, temps, k, p, seed=11)
    got = fastsample.generate_many(model, prompt, length, temps, k, p, seed=11)
    assert got == want
    steps = list(fastsample.stream_batch(model, prompt, length, temps, k, p, 11))
    for b in range(len(temps)):
        probs = [row[b][1] for row in steps]
        torch.testing.assert_close(torch.tensor(probs), torch.tensor(want_p[b]), atol=1e-6, rtol=1e-5)


def test_public_api_goes_through_the_fast_sampler(model: CharLSTM) -> None:
    want, _ = naive(model, "To be", 50, [0.9], 10, 0.9, seed=5)
    assert sampling.generate(model, "To be", 50, 0.9, 10, 0.9, seed=5) == want[0]
    want, _ = naive(model, "", 40, [0.0, 1.0, 2.0], None, None, seed=2)
    assert sampling.generate_many(model, "", 40, [0.0, 1.0, 2.0], seed=2) == want


def test_naive_reference_is_the_oracle(model: CharLSTM) -> None:
    """The baseline the benchmarks time is the same loop as this file's oracle."""
    want, _ = naive(model, "To be", 30, [0.8, 1.5], 6, None, seed=4)
    rows = list(fastsample.naive_stream_batch(model, "To be", 30, [0.8, 1.5], 6, None, 4))
    assert ["".join(r[b][0] for r in rows) for b in range(2)] == want


def test_draw_consumes_the_generator_like_multinomial() -> None:
    probs = torch.softmax(torch.randn(3, 83) * 3, dim=-1)
    a, b = torch.Generator().manual_seed(9), torch.Generator().manual_seed(9)
    noise = torch.empty_like(probs)
    for _ in range(50):
        want = torch.multinomial(probs, 1, generator=a).squeeze(1)
        got = torch.argmax(probs / noise.exponential_(1.0, generator=b), dim=-1)
        assert torch.equal(got, want)
    assert torch.equal(a.get_state(), b.get_state())


def _graph_like_texts(stepper: fastsample.Stepper, model: CharLSTM, length: int) -> list[str]:
    """Texts from whole-chunk runs, as a CUDA graph replay produces them."""
    texts: list[list[str]] = [[] for _ in range(stepper.batch)]
    for ids, _ in fastsample.chunks(stepper, length, whole=stepper.run):
        for row in ids:
            for b, i in enumerate(row):
                texts[b].append(model.vocab.chars[i])
    return ["".join(t) for t in texts]


def test_the_captured_step_run_eagerly_gives_the_naive_text(model: CharLSTM) -> None:
    """general=True (the graph's variant) with whole chunks and reuse under new temperatures."""
    weights = fastsample.fused(model)
    stepper = fastsample.Stepper(weights, [1.0, 0.0], top_k=7, top_p=0.9, steps=32, general=True)
    for temps, seed in [([1.0, 0.0], 3), ([0.0, 1.7], 4), ([0.6, 0.6], 5)]:
        fastsample._set_temperatures(stepper, temps)  # what a cached graph gets between uses
        logits, state = sampling.prime(model, "To be", batch=2)
        stepper.load(logits, state, seed)
        want, _ = naive(model, "To be", 45, temps, 7, 0.9, seed)
        assert _graph_like_texts(stepper, model, 45) == want  # 45: the second chunk is cut short


def test_distributions_match_the_naive_loop_at_every_step(model: CharLSTM) -> None:
    """The issue's GPU criterion (1e-5 at every step), here on the CPU with the graph's step."""
    temps, k, p = [0.8, 1.0, 0.0], None, 0.97
    weights = fastsample.fused(model)
    stepper = fastsample.Stepper(weights, temps, k, p, steps=40, general=True, keep_distributions=True)
    logits, state = sampling.prime(model, "Whether", batch=3)
    stepper.load(logits, state, seed=1)
    stepper.run()
    assert stepper.out_probs is not None
    ids = stepper.out_ids  # (40, B): teacher-force the naive loop with the same characters
    with torch.no_grad():
        for j in range(40):
            want = torch.stack([sampling.probabilities(logits[b], t, k, p) for b, t in enumerate(temps)])
            torch.testing.assert_close(stepper.out_probs[j], want, atol=1e-5, rtol=0)
            out, state = model(ids[j].unsqueeze(1), state)
            logits = sampling.known(out[:, -1])  # the unknown character is never written


def test_graph_capture_falls_back_cleanly_without_a_gpu(model: CharLSTM) -> None:
    weights = fastsample.fused(model)
    with pytest.raises(RuntimeError, match="CUDA"):
        fastsample.GraphedStepper(fastsample.Stepper(weights, [1.0], None, None))
    assert fastsample._checkout(weights, [1.0], None, None) is None
    want, _ = naive(model, "To", 40, [1.0], None, None, seed=8)
    assert fastsample.generate_many(model, "To", 40, [1.0], seed=8, graphs=True) == want


def test_weights_are_refused_after_training_changes_them() -> None:
    torch.manual_seed(3)
    m = CharLSTM(Vocab.from_text(TEXT), hidden=32, layers=2, embed=8)
    first = fastsample.fused(m)
    assert fastsample.fused(m) is first  # cached while nothing changes
    opt = torch.optim.AdamW(m.parameters(), lr=0.05)
    logits, _ = m(torch.randint(0, len(m.vocab), (2, 20)))
    logits.sum().backward()
    opt.step()
    m.eval()
    assert fastsample.fused(m) is not first
    want, _ = naive(m, "To be", 40, [1.0], None, None, seed=6)
    assert sampling.generate(m, "To be", 40, seed=6) == want[0]


def test_zero_length_and_other_dtypes(model: CharLSTM) -> None:
    assert fastsample.generate_many(model, "To", 0, [1.0, 2.0]) == ["", ""]
    half = CharLSTM(model.vocab, hidden=16, layers=1, embed=8).double().eval()
    assert not fastsample.supports(half)  # the naive loop serves it
    assert len(sampling.generate(half, "To be", 10, seed=0)) == 10


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_graph_distributions_match_the_naive_loop(model: CharLSTM) -> None:
    gpu = CharLSTM(model.vocab, hidden=48, layers=3, embed=16)
    gpu.load_state_dict(model.state_dict())
    gpu = gpu.cuda().eval()
    temps, k, p = [0.8, 1.0, 0.0], 9, 0.97
    stepper = fastsample.Stepper(fastsample.fused(gpu), temps, k, p, general=True, keep_distributions=True)
    graphed = fastsample.GraphedStepper(stepper)
    logits, state = sampling.prime(gpu, "Whether", batch=3)
    stepper.load(logits, state, seed=1)
    graphed.run()
    assert stepper.out_probs is not None
    with torch.no_grad():
        for j in range(stepper.steps):
            want = torch.stack([sampling.probabilities(logits[b], t, k, p) for b, t in enumerate(temps)])
            torch.testing.assert_close(stepper.out_probs[j], want, atol=1e-5, rtol=0)
            out, state = gpu(stepper.out_ids[j].unsqueeze(1), state)
            logits = sampling.known(out[:, -1])  # the unknown character is never written
    assert len(sampling.generate(gpu, "To be", 100, seed=0)) == 100
