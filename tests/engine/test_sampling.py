"""Sampling invariants and refusals."""

from __future__ import annotations

import math

import pytest
import torch

from playground import sampling
from playground.errors import SamplingError
from playground.model import CharLSTM

LOGITS = torch.tensor([2.0, 1.0, 0.5, -1.0, 3.0])


@pytest.mark.parametrize("t", [0.1, 0.5, 1.0, 2.0, 7.5])
def test_probabilities_sum_to_one(t: float) -> None:
    p = sampling.probabilities(LOGITS, t)
    assert float(p.sum()) == pytest.approx(1.0) and bool((p >= 0).all())


def test_temperature_limits() -> None:
    greedy = sampling.probabilities(LOGITS, 0.0)
    assert greedy.tolist() == [0.0, 0.0, 0.0, 0.0, 1.0]
    cold = sampling.probabilities(LOGITS, 0.01)
    assert int(cold.argmax()) == 4 and float(cold.max()) > 0.999
    hot = sampling.probabilities(LOGITS, 100.0)
    assert float((hot - 0.2).abs().max()) < 0.01
    one = sampling.probabilities(LOGITS, 1.0)
    torch.testing.assert_close(one, torch.softmax(LOGITS, -1))
    assert float(sampling.entropy(hot)) > float(sampling.entropy(one)) > float(sampling.entropy(cold))


def test_top_k_keeps_the_k_likeliest() -> None:
    p = sampling.probabilities(LOGITS, 1.0, top_k=2)
    assert set(torch.nonzero(p).flatten().tolist()) == {0, 4}
    full = torch.softmax(LOGITS, -1)
    torch.testing.assert_close(p[[0, 4]], full[[0, 4]] / full[[0, 4]].sum())
    assert torch.equal(sampling.top_k_filter(LOGITS, 99), LOGITS)


def test_top_p_keeps_the_smallest_set_reaching_p() -> None:
    full = torch.softmax(LOGITS, -1)  # order: 4 (0.61), 0 (0.22), 1 (0.08), 2, 3
    p = sampling.probabilities(LOGITS, 1.0, top_p=0.7)
    assert set(torch.nonzero(p).flatten().tolist()) == {4, 0}
    p = sampling.probabilities(LOGITS, 1.0, top_p=float(full[4]) - 1e-3)
    assert set(torch.nonzero(p).flatten().tolist()) == {4}
    assert torch.equal(sampling.top_p_filter(LOGITS, 1.0), LOGITS)
    batch = sampling.probabilities(torch.stack([LOGITS, LOGITS.flip(0)]), 1.0, top_p=0.7)
    assert (batch > 0).sum(-1).tolist() == [2, 2]


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"temperature": -1.0}, "cannot be negative"),
        ({"temperature": math.nan}, "finite"),
        ({"temperature": math.inf}, "finite"),
        ({"temperature": 1e6}, "too high"),
        ({"temperature": 1e-40}, "too close to 0"),  # dividing by it would overflow float32
        ({"temperature": "hot"}, "must be a number"),
        ({"temperature": 1.0, "top_k": 0}, "top-k"),
        ({"temperature": 1.0, "top_k": 2.5}, "top-k"),
        ({"temperature": 1.0, "top_p": 0.0}, "top-p"),
        ({"temperature": 1.0, "top_p": 1.5}, "top-p"),
        ({"temperature": 1.0, "top_p": math.nan}, "top-p"),
    ],
)
def test_bad_settings_raise_a_sentence(tiny_model: CharLSTM, kwargs: dict[str, object], needle: str) -> None:
    with pytest.raises(SamplingError, match=needle):
        sampling.distribution(tiny_model, "to be", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        sampling.generate(tiny_model, "to be", 5, **kwargs)  # type: ignore[arg-type]
    assert sampling.generate(tiny_model, "to be", 5, seed=1)  # the model still works


def test_numpy_and_tensor_temperatures_are_numbers(tiny_model: CharLSTM) -> None:
    import numpy as np

    want = sampling.next_distribution(tiny_model, "to be", temperature=0.5)
    for t in (np.float32(0.5), torch.tensor(0.5)):
        torch.testing.assert_close(sampling.next_distribution(tiny_model, "to be", temperature=t).probs, want.probs)  # type: ignore[arg-type]


def test_generate_many_takes_an_array_of_temperatures(tiny_model: CharLSTM) -> None:
    import numpy as np

    want = sampling.generate_many(tiny_model, "to be", 8, [0.5, 1.0], seed=3)
    assert sampling.generate_many(tiny_model, "to be", 8, np.array([0.5, 1.0]), seed=3) == want  # type: ignore[arg-type]
    assert sampling.generate_many(tiny_model, "to be", 8, torch.tensor([0.5, 1.0]), seed=3) == want  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [-1, 2**63, 2**70, 1.5, "7", True])
def test_bad_seeds_raise_a_sentence(tiny_model: CharLSTM, seed: object) -> None:
    with pytest.raises(SamplingError, match="seed must be a whole number"):
        sampling.generate(tiny_model, "to be", 5, seed=seed)  # type: ignore[arg-type]
    assert sampling.check_seed(2**63 - 1) == 2**63 - 1


def test_top_refuses_a_negative_count(tiny_model: CharLSTM) -> None:
    d = sampling.next_distribution(tiny_model, "to be")
    assert d.top(0) == [] and len(d.top(3)) == 3
    with pytest.raises(SamplingError, match="0 or more"):
        d.top(-1)


def test_distribution_matches_the_model(tiny_model: CharLSTM) -> None:
    chars, probs = sampling.distribution(tiny_model, "To be, or not")
    trace = tiny_model.trace("To be, or not")
    torch.testing.assert_close(probs, torch.softmax(sampling.known(trace.logits[-1]), -1), atol=1e-6, rtol=1e-5)
    assert chars == tiny_model.vocab.chars and float(probs.sum()) == pytest.approx(1.0)
    d = sampling.next_distribution(tiny_model, "To be, or not", temperature=0.5, top_k=3)
    assert len(d.top(10)) == 10 and sum(p > 0 for _, p in d.top(10)) == 3
    torch.testing.assert_close(d.raw, probs)


def test_same_seed_same_text(tiny_model: CharLSTM) -> None:
    a = sampling.generate(tiny_model, "To be", 60, 1.0, seed=7)
    b = sampling.generate(tiny_model, "To be", 60, 1.0, seed=7)
    c = sampling.generate(tiny_model, "To be", 60, 1.0, seed=8)
    assert a == b and a != c and len(a) == 60
    streamed = list(sampling.stream(tiny_model, "To be", 60, 1.0, seed=7))
    assert "".join(ch for ch, _ in streamed) == a and all(0 < p <= 1 for _, p in streamed)


def test_greedy_is_argmax_every_step(tiny_model: CharLSTM) -> None:
    text = sampling.generate(tiny_model, "To be", 20, 0.0)
    prompt = "To be"
    for ch in text:
        chars, probs = sampling.distribution(tiny_model, prompt)
        assert chars[int(probs.argmax())] == ch
        prompt += ch


def test_prompts_that_are_odd(tiny_model: CharLSTM) -> None:
    for prompt in ["", "🙂🙂", "\x00", "שלום", "To be" * 20_000]:
        assert len(sampling.generate(tiny_model, prompt, 5, seed=0)) == 5
    # an empty prompt is primed with a newline
    torch.testing.assert_close(
        sampling.distribution(tiny_model, "")[1], sampling.distribution(tiny_model, "\n")[1]
    )
    with pytest.raises(SamplingError, match="limit is 100,000"):
        sampling.generate(tiny_model, "x" * 100_001, 5)
    with pytest.raises(SamplingError, match="Length"):
        sampling.generate(tiny_model, "a", -1)
    with pytest.raises(SamplingError, match="must be text"):
        sampling.generate(tiny_model, None, 3)  # type: ignore[arg-type]


def test_many_temperatures_in_one_pass(tiny_model: CharLSTM) -> None:
    texts = sampling.generate_many(tiny_model, "To be", 40, [0.0, 0.0, 1.0, 2.0], seed=3)
    assert len(texts) == 4 and all(len(t) == 40 for t in texts)
    greedy = sampling.generate(tiny_model, "To be", 40, 0.0)
    assert texts[0] == texts[1] == greedy
    assert texts == sampling.generate_many(tiny_model, "To be", 40, [0.0, 0.0, 1.0, 2.0], seed=3)
    with pytest.raises(SamplingError, match="at least one temperature"):
        sampling.generate_many(tiny_model, "a", 3, [])


def test_draw_follows_the_distribution() -> None:
    probs = torch.tensor([[0.7, 0.2, 0.1]]).expand(20_000, 3)
    gen = torch.Generator().manual_seed(0)
    counts = torch.bincount(sampling.draw(probs, gen), minlength=3) / 20_000
    torch.testing.assert_close(counts, torch.tensor([0.7, 0.2, 0.1]), atol=0.015, rtol=0)


def test_the_unknown_character_is_never_written(tiny_model: CharLSTM) -> None:
    """Even a model that prefers id 0 (unseen characters) above all never samples it."""
    from playground import fastsample

    with torch.no_grad():
        tiny_model.head.bias[0] += 50.0  # id 0 would win almost every draw
    try:
        chars, probs = sampling.distribution(tiny_model, "To be")
        assert chars[0] == "\ufffd" and float(probs[0]) == 0.0
        assert float(probs.sum()) == pytest.approx(1.0)
        for t in (0.0, 0.7, 1.5):
            assert "\ufffd" not in sampling.generate(tiny_model, "To be", 80, t, seed=1)
        naive = fastsample.naive_stream_batch(tiny_model, "To be", 80, [1.0, 2.0], None, None, 1)
        assert all(c != "\ufffd" for step in naive for c, _ in step)
        assert all("\ufffd" not in t for t in sampling.generate_many(tiny_model, "To be", 80, [1.0, 2.0], seed=1))
    finally:
        with torch.no_grad():
            tiny_model.head.bias[0] -= 50.0
