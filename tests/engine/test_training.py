"""Training: it learns, it is reproducible, it stops when told and when it diverges."""

from __future__ import annotations

import math
import threading

import pytest
import torch

from playground.errors import TrainingConfigError
from playground.model import CharLSTM
from playground.text import Vocab
from playground.training import EndEvent, EvalEvent, SampleEvent, StepEvent, TrainConfig, Trainer

from .conftest import TINY_TEXT

VALID = "To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n" * 3


def make(vocab: Vocab, **overrides: object) -> Trainer:
    torch.manual_seed(0)
    model = CharLSTM(vocab, hidden=32, layers=1, embed=8)
    settings: dict[str, object] = dict(
        batch_size=4, seq_len=32, lr=1e-2, max_steps=60, eval_every=20, sample_every=30,
        sample_len=20, device="cpu", warmup=5,
    )
    settings.update(overrides)
    return Trainer(model, TINY_TEXT, VALID, TrainConfig(**settings))  # type: ignore[arg-type]


def test_a_short_run_lowers_validation_loss(vocab: Vocab) -> None:
    trainer = make(vocab)
    events: dict[str, list[object]] = {"on_step": [], "on_eval": [], "on_sample": [], "on_end": []}
    for name, store in events.items():
        trainer.add_callback(name, store.append)
    before = trainer.evaluate()
    result = trainer.run()
    assert result.reason == "finished" and result.step == 60
    assert trainer.history.evals[-1][1] < before - 0.5
    assert [e.step for e in events["on_eval"]] == [20, 40, 60]  # type: ignore[attr-defined]
    step = events["on_step"][-1]
    assert isinstance(step, StepEvent) and step.chars_per_second > 0 and "CPU" in step.device
    assert isinstance(events["on_sample"][0], SampleEvent) and len(events["on_sample"][0].text) == 20
    assert isinstance(events["on_end"][0], EndEvent) and events["on_end"][0].best_val == pytest.approx(
        min(v for _, v in trainer.history.evals)
    )
    assert isinstance(events["on_eval"][0], EvalEvent)


def test_seeded_runs_are_reproducible(vocab: Vocab) -> None:
    a, b = make(vocab, max_steps=15), make(vocab, max_steps=15)
    a.run()
    b.run()
    assert a.history.steps == b.history.steps
    for p, q in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(p, q)


def test_schedule_warms_up_then_decays(vocab: Vocab) -> None:
    t = make(vocab, lr=1.0, warmup=10, min_lr_ratio=0.1)
    assert t.lr_at(0.0, 0) == pytest.approx(0.1)
    assert t.lr_at(0.0, 10) == pytest.approx(1.0)
    assert t.lr_at(0.5, 500) == pytest.approx(0.55)
    assert t.lr_at(1.0, 1000) == pytest.approx(0.1)


def test_divergence_restores_the_last_good_weights(vocab: Vocab) -> None:
    trainer = make(vocab, lr=10.0, max_steps=400, warmup=1, eval_every=1000, clip=1e9)
    good = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    result = trainer.run()
    assert result.reason == "diverged" and "too high" in result.message
    for k, v in trainer.model.state_dict().items():
        assert torch.equal(v, good[k])
    assert math.isfinite(trainer.evaluate())


def test_stop_from_another_thread_and_twice(vocab: Vocab) -> None:
    trainer = make(vocab, max_steps=10_000_000, eval_every=10_000, sample_every=10_000)
    reached = threading.Event()
    trainer.add_callback("on_step", lambda e: reached.set() if e.step >= 3 else None)
    thread = trainer.start()
    assert trainer.start() is thread  # starting while running is harmless
    assert reached.wait(30)
    trainer.stop()
    trainer.stop()
    assert not trainer.running and trainer.result is not None
    assert trainer.result.reason == "stopped"
    steps = trainer.step
    assert trainer.history.steps[-1][0] == steps and trainer.history.evals[-1][0] == steps


def test_pause_and_resume(vocab: Vocab) -> None:
    trainer = make(vocab, max_steps=10_000_000, eval_every=10_000, sample_every=10_000)
    moved = threading.Event()
    trainer.add_callback("on_step", lambda e: moved.set())
    trainer.pause()
    trainer.start()  # start clears a pause
    assert moved.wait(30)
    trainer.pause()
    assert trainer.paused
    trainer.resume()
    trainer.stop()
    assert trainer.result is not None and trainer.result.reason == "stopped"


def test_time_budget_ends_the_run(vocab: Vocab) -> None:
    result = make(vocab, max_steps=10_000_000, max_seconds=0.3, eval_every=10_000, sample_every=10_000).run()
    assert result.reason == "time" and result.seconds >= 0.3


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"lr": 0.0}, "Learning rate"),
        ({"lr": math.nan}, "Learning rate"),
        ({"batch_size": 0}, "Batch size"),
        ({"seq_len": 1}, "Sequence length"),
        ({"max_steps": 0}, "at least one step"),
        ({"max_seconds": -1.0}, "time limit"),
        ({"seq_len": 4000}, "at least 4002"),
    ],
)
def test_bad_settings(vocab: Vocab, overrides: dict[str, object], needle: str) -> None:
    with pytest.raises(TrainingConfigError, match=needle):
        make(vocab, **overrides)


def test_unknown_event_name(vocab: Vocab) -> None:
    with pytest.raises(ValueError, match="on_step"):
        make(vocab).add_callback("on_epoch", print)


def test_pre_encoded_ids_train_exactly_like_the_text(vocab: Vocab) -> None:
    from_text = make(vocab)
    from_text.run()
    torch.manual_seed(0)
    model = CharLSTM(vocab, hidden=32, layers=1, embed=8)
    cfg = from_text.config
    from_ids = Trainer(model, vocab.encode(TINY_TEXT).tensor(), VALID, cfg)
    from_ids.run()
    assert from_ids.history.steps == from_text.history.steps
    assert from_ids.history.evals == from_text.history.evals


@pytest.mark.parametrize("ids, needle", [
    (torch.zeros(100, dtype=torch.int32), "int64"),
    (torch.zeros(2, 50, dtype=torch.long), "1-D"),
    (torch.full((100,), 10_000, dtype=torch.long), "vocabulary"),
    (torch.full((100,), -1, dtype=torch.long), "vocabulary"),
])
def test_bad_pre_encoded_ids_are_refused(vocab: Vocab, ids: torch.Tensor, needle: str) -> None:
    model = CharLSTM(vocab, hidden=8, layers=1, embed=4)
    with pytest.raises(TrainingConfigError, match=needle):
        Trainer(model, ids, VALID, TrainConfig(device="cpu"))


def test_extra_eval_steps_are_evaluated(vocab: Vocab) -> None:
    trainer = make(vocab, max_steps=30, eval_every=20)
    trainer.eval_steps = {7, 13}
    trainer.run()
    assert [s for s, _ in trainer.history.evals] == [7, 13, 20, 30]
