"""The shipped models load on the CPU, and reach the figures their JSON records."""

from __future__ import annotations

import pytest
import torch

from playground import pretrained, sampling
from playground.errors import PlaygroundError


@pytest.mark.parametrize("name", pretrained.NAMES)
def test_shipped_model_matches_its_recorded_figure(name: str) -> None:
    model = pretrained.load(name, device="cpu")
    meta = pretrained.info(name)
    for key in ("command", "seed", "valid_documents", "hardware", "train_seconds", "valid_loss"):
        assert key in meta, key
    text = pretrained.held_out_text(name)
    assert model.evaluate(text) == pytest.approx(meta["valid_loss"], abs=2e-3)
    assert model.head.weight.dtype == torch.float32 and not model.training
    out = sampling.generate(model, "", 100, 0.8, seed=0)
    assert len(out) == 100


def test_unknown_name_lists_the_shipped_ones() -> None:
    with pytest.raises(PlaygroundError, match="shakespeare, python, folk"):
        pretrained.load("klingon")
    assert isinstance(PlaygroundError("x"), ValueError)


def test_snapshots_walk_from_gibberish_to_verse() -> None:
    snaps = pretrained.snapshots("shakespeare")
    assert len(snaps) >= 4
    steps = [s.step for s in snaps]
    losses = [s.valid_loss for s in snaps]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
    assert all(a > b for a, b in zip(losses, losses[1:])), losses
    assert snaps[-1].valid_loss == pytest.approx(pretrained.info("shakespeare")["valid_loss"])
    early = snaps[0].load().evaluate(pretrained.held_out_text("shakespeare")[:5000])
    late = snaps[-1].load().evaluate(pretrained.held_out_text("shakespeare")[:5000])
    assert early > late + 0.5
    assert all(len(s.sample) >= 200 for s in snaps)
    # the early sample has fewer real words than the last one
    words = {"the", "and", "of", "to", "my", "is", "that", "you", "not", "with"}

    def real(text: str) -> int:
        return sum(w.strip(".,;:!?'").lower() in words for w in text.split())

    assert real(snaps[0].sample) < real(snaps[-1].sample)


def test_most_folk_tunes_parse_and_look_like_tunes() -> None:
    """The folk model's tunes, written as the music widget writes them: most parse with
    music21, have a meter and a key, and have bars; the release recorded the same measure."""
    from playground import music

    model = pretrained.load("folk", device="cpu")
    recorded = pretrained.info("folk")["tunes"]
    tunes = music.write_tunes(model, 12, recorded["temperature"], seed=recorded["seed"])
    report = music.tune_report(tunes)
    assert report["parse_rate"] > 0.5, (report, tunes[:2])
    assert report["with_meter_and_key"] > 0.5, (report, tunes[:2])
    assert report["bars"] >= 8
    assert recorded["tunes"] == 32 and recorded["parse_rate"] > 0.5
