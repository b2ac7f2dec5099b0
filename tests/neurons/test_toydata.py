"""Built-in and user data sets: shapes, seeds, splits and the errors people will hit."""

from __future__ import annotations

import numpy as np
import pytest

from playground import toydata


@pytest.mark.parametrize("kind", toydata.KINDS)
def test_every_kind_is_seeded_and_split(kind: str) -> None:
    a = toydata.make(kind, n=200, noise=0.1, test_fraction=0.25, seed=3)
    b = toydata.make(kind, n=200, noise=0.1, test_fraction=0.25, seed=3)
    c = toydata.make(kind, n=200, noise=0.1, test_fraction=0.25, seed=4)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.x_train, c.x_train)
    assert len(a.x_test) == 50 and len(a.x_train) == 150
    assert a.x_train.shape[1] == 2 and a.x_train.dtype == np.float32
    if kind == "regression":
        assert a.task == "regression" and a.n_outputs == 1 and a.y_train.dtype == np.float32
    else:
        assert a.task == "classification" and a.n_classes == (3 if kind == "blobs" else 2)
        assert set(np.unique(a.y_train)) == set(range(a.n_classes))


def test_noise_moves_points_and_xor_labels_follow_quadrants() -> None:
    clean = toydata.make("xor", noise=0.0)
    x, y = clean.x_train, clean.y_train
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] > 0).astype(int))
    noisy = toydata.make("moons", noise=0.5)
    assert not np.allclose(noisy.x_train, toydata.make("moons", noise=0.0).x_train)


def test_from_arrays_with_string_labels_and_three_classes() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(90, 2))
    y = np.array(["cat", "dog", "eel"] * 30)
    d = toydata.from_arrays(x, y, test_fraction=0.2)
    assert d.classes == ("cat", "dog", "eel") and d.n_outputs == 3
    assert len(d.x_test) == 18
    # every point lands in exactly one split, with its label
    both = np.concatenate([d.x_train, d.x_test])
    assert sorted(map(tuple, both.round(5))) == sorted(map(tuple, x.astype(np.float32).round(5)))


class _Column:
    def __init__(self, values: list[float]):
        self._values = values

    def to_numpy(self) -> np.ndarray:
        return np.asarray(self._values)


class _Frame:
    """What from_frame uses of a pandas DataFrame: ``columns`` and ``frame[name].to_numpy()``."""

    def __init__(self, data: dict[str, list[float]]):
        self._data = data
        self.columns = list(data)

    def __getitem__(self, name: str) -> _Column:
        return _Column(self._data[name])


def test_from_frame_picks_the_label_column() -> None:
    rng = np.random.default_rng(1)
    cols = {"height": rng.normal(size=40).tolist(), "label": [0, 1] * 20, "weight": rng.normal(size=40).tolist()}
    for table in (cols, _Frame(cols)):
        d = toydata.from_frame(table, label="label")
        assert d.features == ("height", "weight") and d.n_classes == 2
    with pytest.raises(toydata.DataError, match="No label column 'y'"):
        toydata.from_frame(cols, label="y")
    with pytest.raises(toydata.DataError, match="exactly two feature columns"):
        toydata.from_frame({**cols, "age": cols["height"]}, label="label")
    d = toydata.from_frame({**cols, "age": cols["height"]}, label="label", features=["age", "weight"])
    assert d.features == ("age", "weight")


def test_typed_errors() -> None:
    with pytest.raises(toydata.DataError, match="Unknown data set"):
        toydata.make("swirl")
    with pytest.raises(toydata.DataError, match="between 10 and"):
        toydata.make("moons", n=3)
    with pytest.raises(toydata.DataError, match="exactly two feature columns"):
        toydata.from_arrays(np.zeros((20, 3)), np.zeros(20))
    with pytest.raises(toydata.DataError, match="at least two classes"):
        toydata.from_arrays(np.zeros((20, 2)), np.zeros(20, int))
    with pytest.raises(toydata.DataError, match="missing or infinite"):
        toydata.from_arrays(np.full((20, 2), np.nan), np.arange(20) % 2)
    with pytest.raises(toydata.DataError, match="one label per point"):
        toydata.from_arrays(np.zeros((20, 2)), np.zeros(19))
    spec = toydata.DataSpec("spiral", 500, 0.2, 0.4, 7)
    assert toydata.DataSpec.from_dict(spec.to_dict()) == spec
