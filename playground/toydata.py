"""Two-feature data sets for the network playground, built-in or passed in from Python.

The built-in sets are scikit-learn's moons, circles and blobs, plus an XOR, a two-armed spiral
and a smooth regression surface, each seeded so the same settings give the same points. Your own
data come in as numpy arrays (:func:`from_arrays`) or as a table with a label column
(:func:`from_frame`: a pandas ``DataFrame`` or a plain mapping of column name to values).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from sklearn import datasets as skd

from playground.errors import PlaygroundError

Task = Literal["classification", "regression"]
KINDS = ("moons", "circles", "blobs", "xor", "spiral", "regression")
MAX_POINTS = 20_000


class DataError(PlaygroundError):
    """Data the playground cannot use: wrong shape, one class only, bad settings."""


def moons(n: int, noise: float, rng: np.random.Generator) -> tuple[NDArray[Any], NDArray[Any]]:
    """Two interleaving half circles (scikit-learn's ``make_moons``), centred on the origin."""
    x, y = skd.make_moons(n, noise=noise, random_state=int(rng.integers(2**31)))
    return (x - [0.5, 0.25]) * 1.5, y


def circles(n: int, noise: float, rng: np.random.Generator) -> tuple[NDArray[Any], NDArray[Any]]:
    """A ring around a disc (scikit-learn's ``make_circles``)."""
    x, y = skd.make_circles(n, noise=noise, factor=0.5, random_state=int(rng.integers(2**31)))
    return x * 1.5, y


def blobs(n: int, noise: float, rng: np.random.Generator) -> tuple[NDArray[Any], NDArray[Any]]:
    """Three Gaussian blobs; ``noise`` is their spread."""
    centers = [[-1.0, -1.0], [1.0, -0.5], [0.0, 1.2]]
    x, y = skd.make_blobs(n, centers=centers, cluster_std=0.15 + noise,
                          random_state=int(rng.integers(2**31)))
    return x, y


def xor(n: int, noise: float, rng: np.random.Generator) -> tuple[NDArray[Any], NDArray[Any]]:
    """The four quadrants: class 1 where the two coordinates have the same sign."""
    x = rng.uniform(-1.5, 1.5, size=(n, 2))
    x += np.sign(x) * 0.1  # a small margin around the axes
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    return x + rng.normal(0.0, noise, size=x.shape), y


def spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[NDArray[Any], NDArray[Any]]:
    """Two interleaved spiral arms, one per class."""
    y = np.arange(n) % 2
    t = rng.uniform(0.0, 1.0, size=n) ** 0.5 * 3.0 * np.pi  # angle along the arm
    r = t / (3.0 * np.pi) * 1.6  # radius grows with the angle
    phase = y * np.pi  # the second arm is the first turned half a circle
    x = np.stack([r * np.cos(t + phase), r * np.sin(t + phase)], axis=1)
    return x + rng.normal(0.0, noise * 0.5, size=x.shape), y


def regression(n: int, noise: float, rng: np.random.Generator) -> tuple[NDArray[Any], NDArray[Any]]:
    """A smooth hill-and-valley surface ``y = sin(2 x1) cos(1.5 x2)`` plus noise."""
    x = rng.uniform(-1.5, 1.5, size=(n, 2))
    y = np.sin(2.0 * x[:, 0]) * np.cos(1.5 * x[:, 1])
    return x, y + rng.normal(0.0, noise, size=n)


GENERATORS = {"moons": moons, "circles": circles, "blobs": blobs, "xor": xor,
              "spiral": spiral, "regression": regression}


def split_order(n: int, seed: int) -> NDArray[np.int64]:
    """The shuffled order of ``n`` points; the first part is the training set."""
    return np.random.default_rng(seed + 1).permutation(n)


@dataclass(frozen=True)
class DataSpec:
    """How to build a built-in data set: kind, number of points, noise, test share and seed."""

    kind: str = "moons"
    n: int = 300
    noise: float = 0.15
    test_fraction: float = 0.3
    seed: int = 0

    def validate(self) -> DataSpec:
        """Return ``self`` if every setting is usable, else raise :class:`DataError`."""
        if self.kind not in GENERATORS:
            raise DataError(f"Unknown data set {self.kind!r}: choose one of {', '.join(KINDS)}.")
        if not 10 <= self.n <= MAX_POINTS:
            raise DataError(f"Number of points must be between 10 and {MAX_POINTS}; got {self.n}.")
        if not (np.isfinite(self.noise) and 0.0 <= self.noise <= 2.0):
            raise DataError(f"Noise must be between 0 and 2; got {self.noise}.")
        if not 0.05 <= self.test_fraction <= 0.9:
            raise DataError(f"The test share must be between 0.05 and 0.9; got {self.test_fraction}.")
        return self

    def to_dict(self) -> dict[str, Any]:
        """The settings as a plain dictionary."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DataSpec:
        """Settings from :meth:`to_dict` output (unknown keys are an error)."""
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise DataError(f"Unknown data setting(s): {', '.join(sorted(unknown))}.")
        base = cls()
        return cls(kind=str(d.get("kind", base.kind)), n=int(d.get("n", base.n)),
                   noise=float(d.get("noise", base.noise)),
                   test_fraction=float(d.get("test_fraction", base.test_fraction)),
                   seed=int(d.get("seed", base.seed))).validate()


@dataclass(frozen=True)
class Dataset:
    """Points split into a training and a test set.

    ``x_*`` are float32 arrays of shape ``(n, 2)``; ``y_*`` are int64 class indices for
    classification and float32 targets for regression. ``classes`` names the classes.
    """

    x_train: NDArray[np.float32]
    y_train: NDArray[Any]
    x_test: NDArray[np.float32]
    y_test: NDArray[Any]
    task: Task
    classes: tuple[str, ...] = ()
    name: str = "custom"
    features: tuple[str, str] = ("x1", "x2")
    spec: DataSpec | None = field(default=None, compare=False)

    @property
    def n_classes(self) -> int:
        """Number of classes (0 for regression)."""
        return len(self.classes)

    @property
    def n_outputs(self) -> int:
        """Outputs a network needs: 1 for regression and two classes, else one per class."""
        return 1 if self.task == "regression" or self.n_classes == 2 else self.n_classes

    def bounds(self, margin: float = 0.25) -> tuple[float, float, float, float]:
        """``(x_min, x_max, y_min, y_max)`` of all points, widened by ``margin``."""
        allx = np.concatenate([self.x_train, self.x_test])
        lo, hi = allx.min(0) - margin, allx.max(0) + margin
        return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}, {self.task}, train={len(self.x_train)}, "
                f"test={len(self.x_test)}, classes={list(self.classes)})")


def make(kind: str = "moons", n: int = 300, noise: float = 0.15, test_fraction: float = 0.3,
         seed: int = 0) -> Dataset:
    """A built-in data set, split into train and test; the same arguments give the same points."""
    spec = DataSpec(kind, int(n), float(noise), float(test_fraction), int(seed)).validate()
    x, y = GENERATORS[spec.kind](spec.n, spec.noise, np.random.default_rng(spec.seed))
    task: Task = "regression" if spec.kind == "regression" else "classification"
    data = from_arrays(x, y, test_fraction=spec.test_fraction, seed=spec.seed, task=task,
                       name=spec.kind)
    return Dataset(data.x_train, data.y_train, data.x_test, data.y_test, data.task,
                   data.classes, spec.kind, data.features, spec)


def from_arrays(x: Any, y: Any, *, test_fraction: float = 0.3, seed: int = 0,
                task: Task | None = None, name: str = "custom",
                features: Sequence[str] = ("x1", "x2")) -> Dataset:
    """Your own points: ``x`` of shape ``(n, 2)``, ``y`` of ``n`` labels or numbers.

    Labels may be integers or strings (two or more classes). ``task`` defaults to regression
    for float targets with many distinct values, else classification.
    """
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y)
    if xa.ndim != 2 or xa.shape[1] != 2:
        raise DataError(f"The playground draws the plane, so it needs exactly two feature "
                        f"columns; got an array of shape {xa.shape}.")
    if ya.ndim != 1 or len(ya) != len(xa):
        raise DataError(f"Expected one label per point ({len(xa)}); got labels of shape {ya.shape}.")
    if not 10 <= len(xa) <= MAX_POINTS:
        raise DataError(f"Number of points must be between 10 and {MAX_POINTS}; got {len(xa)}.")
    if not np.isfinite(xa).all():
        raise DataError("Some feature values are missing or infinite; drop or fill those rows first.")
    if not 0.05 <= test_fraction <= 0.9:
        raise DataError(f"The test share must be between 0.05 and 0.9; got {test_fraction}.")
    if task is None:
        floats = ya.dtype.kind == "f" and not np.allclose(ya, np.round(ya))
        task = "regression" if floats else "classification"
    classes: tuple[str, ...] = ()
    if task == "regression":
        if ya.dtype.kind not in "fiu" or not np.isfinite(ya.astype(np.float64)).all():
            raise DataError("Regression targets must be finite numbers.")
        ty: NDArray[Any] = ya.astype(np.float32)
    else:
        names, ty = np.unique(ya, return_inverse=True)
        if len(names) < 2:
            raise DataError(f"Classification needs at least two classes; all labels are {names[0]!r}.")
        if len(names) > 10:
            raise DataError(f"{len(names)} classes is too many to colour; use at most 10.")
        classes = tuple(str(c) for c in names)
        ty = ty.astype(np.int64)
    order = split_order(len(xa), seed)
    n_test = max(1, round(len(xa) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    xf = xa.astype(np.float32)
    return Dataset(xf[train], ty[train], xf[test], ty[test], task, classes, name,
                   (str(features[0]), str(features[1])))


def from_frame(frame: Any, label: str = "label", features: Sequence[str] | None = None,
               **kwargs: Any) -> Dataset:
    """A table with a label column: a pandas ``DataFrame`` or a mapping of column -> values.

    ``features`` picks the two feature columns; by default, the two columns that are not
    ``label``. Other keyword arguments go to :func:`from_arrays`.
    """
    columns = [str(c) for c in (frame.columns if hasattr(frame, "columns") else frame.keys())]
    if label not in columns:
        raise DataError(f"No label column {label!r}; the columns are {', '.join(columns)}.")
    chosen = list(features) if features is not None else [c for c in columns if c != label]
    if len(chosen) != 2:
        raise DataError(f"The playground needs exactly two feature columns; got {chosen}. "
                        f"Pass features=[...] to choose two.")
    missing = [c for c in chosen if c not in columns]
    if missing:
        raise DataError(f"No column(s) {', '.join(missing)}; the columns are {', '.join(columns)}.")

    def col(name: str) -> NDArray[Any]:
        values = frame[name]
        return np.asarray(values.to_numpy() if hasattr(values, "to_numpy") else values)

    try:
        x = np.stack([col(c).astype(np.float64) for c in chosen], axis=1)
    except (TypeError, ValueError) as err:
        raise DataError(f"Feature columns must hold numbers ({err}).") from None
    return from_arrays(x, col(label), features=chosen, **kwargs)
