"""The digit CNN: shipped weights, feature-map shapes, unsure answers on non-digits, dreams, training."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from playground import cnn, cnn_dream, cnn_train


@pytest.fixture(scope="module")
def model() -> cnn.DigitsCNN:
    return cnn.load_pretrained(device="cpu")


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    return d.images / 16.0, d.target


def test_shipped_weights_classify_digits(model, digits):
    x, y = digits
    with torch.no_grad():
        pred = model(torch.from_numpy(x).float()[:, None]).argmax(-1).numpy()
    assert (pred == y).mean() > 0.95
    meta = cnn.read_meta()
    assert meta["recipe"]["channels"] == list(model.channels) and meta["val_accuracy"] > 0.9
    assert "python -m playground.cnn_train" in meta["script"]


def test_feature_map_shapes_match_the_layers(model, digits):
    a = cnn.analyse(model, digits[0][5])
    expected = cnn.map_shapes(model)
    assert {k: v.shape for k, v in a.maps.items()} == expected
    assert expected["conv1"] == (model.conv1.out_channels, 8, 8) and expected["pool2"] == (model.conv2.out_channels, 2, 2)
    x = torch.from_numpy(a.image)[None, None]
    with torch.no_grad():
        logits, maps = model.forward_maps(x)
    np.testing.assert_allclose(a.probabilities, torch.softmax(logits[0], -1).numpy(), rtol=1e-6)
    np.testing.assert_allclose(maps["conv1"][0].numpy(), torch.relu(model.conv1(x))[0].detach().numpy(), rtol=1e-6)
    assert abs(a.probabilities.sum() - 1) < 1e-5


def test_enlarged_digits_are_read_like_the_data(model, digits):
    x, y = digits
    hits = 0
    for i in range(60):
        drawing = np.pad(np.kron(x[i], np.ones((12, 12))), ((10, 30), (25, 5)))  # big and off-centre
        hits += cnn.analyse(model, drawing).label == y[i]
    assert hits >= 54


@pytest.mark.parametrize("kind", ["blank", "speckle", "dense noise", "8x8 noise"])
def test_blank_or_noisy_drawing_is_an_unsure_answer(model, kind):
    rng = np.random.default_rng(0)
    drawing = {
        "blank": np.zeros((64, 64)),
        "speckle": (rng.random((96, 96)) < 0.2).astype(float),
        "dense noise": rng.random((64, 64)),
        "8x8 noise": rng.random((8, 8)),
    }[kind]
    a = cnn.analyse(model, drawing)
    assert not a.confident and a.confidence < cnn.CONFIDENT
    assert a.probabilities.shape == (10,)


def test_prepare_drawing_crops_centres_and_refuses_bad_shapes():
    d = np.zeros((40, 40))
    d[5:35, 18:22] = 1  # a tall bar
    img = cnn.prepare_drawing(d)
    assert img.shape == (8, 8) and img[:, 0].sum() == 0 and img[:, 3:5].min() > 0.4
    assert img.max() <= 1 and np.allclose(img[:, :4].sum(), img[:, 4:].sum(), atol=0.3)  # centred
    with pytest.raises(cnn.CNNError, match="at least 8x8"):
        cnn.prepare_drawing(np.zeros((5, 5)))


@pytest.mark.parametrize("target", [cnn_dream.Target("class", 7), cnn_dream.Target("conv2", 3), cnn_dream.Target("conv1", 1)])
def test_dream_raises_its_objective(model, target):
    frames = list(cnn_dream.dream(model, target, steps=40, every=10))
    assert [f.step for f in frames] == [0, 10, 20, 30, 40]
    assert frames[-1].activation > frames[0].activation + 0.1
    assert all(f.image.min() >= 0 and f.image.max() <= 1 for f in frames)
    assert all(p.requires_grad for p in model.parameters())  # weights untouched, grads restored
    if target.layer == "class":
        assert frames[-1].probabilities.argmax() == 7


def test_dream_refuses_unknown_filters(model):
    with pytest.raises(cnn.CNNError, match="pick 0 to 15"):
        next(cnn_dream.dream(model, cnn_dream.Target("conv2", 16)))


def test_training_emits_one_event_per_epoch_and_learns():
    events: list[cnn_train.EpochEvent] = []
    model, history = cnn_train.train(cnn_train.Recipe(epochs=4), device="cpu", callbacks=[events.append])
    assert [e.epoch for e in events] == [1, 2, 3, 4] and history.loss == [e.loss for e in events]
    assert history.val_accuracy[-1] > 0.7
    with pytest.raises(cnn.CNNError, match="Epochs"):
        cnn_train.Recipe(epochs=0)


def test_weights_round_trip_through_safetensors(tmp_path):
    model, history = cnn_train.train(cnn_train.Recipe(epochs=1), device="cpu")
    path = tmp_path / "w.safetensors"
    cnn_train.save(model, cnn_train.Recipe(epochs=1), history, path)
    again = cnn.load_pretrained(path, device="cpu")
    for a, b in zip(model.state_dict().values(), again.state_dict().values()):
        torch.testing.assert_close(a, b)
    path.write_bytes(b"not safetensors")
    with pytest.raises(cnn.CNNError, match="could not be loaded"):
        cnn.load_pretrained(path, device="cpu")
