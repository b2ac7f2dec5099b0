"""Classical machine learning beside the network, on the same points (scikit-learn).

:func:`fit_all` trains logistic regression, k-nearest neighbours, a decision tree, a random
forest, gradient boosting and an SVM on a :class:`~playground.toydata.Dataset` and returns each
one's decision surface over the same grid as the network's, with its test score (accuracy, or
R^2 for regression, where each method's regression twin is used). :func:`digits_kmeans` and
:func:`digits_pca` are the unsupervised half: clusters and a 2-D map of scikit-learn's digits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn import datasets as skd
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from playground.errors import PlaygroundError
from playground.mlp_inspect import grid
from playground.toydata import Dataset


class ClassicalError(PlaygroundError):
    """An unknown method or an unusable setting for a classical model."""


Factory = Callable[[], Any]

#: name -> (label, classifier factory, regressor factory). Seeds fixed: same data, same surface.
METHODS: dict[str, tuple[str, Factory, Factory]] = {
    "logistic": ("Logistic regression", lambda: LogisticRegression(max_iter=1000),
                 LinearRegression),
    "knn": ("k-nearest neighbours (k=5)", lambda: KNeighborsClassifier(5),
            lambda: KNeighborsRegressor(5)),
    "tree": ("Decision tree (depth 5)", lambda: DecisionTreeClassifier(max_depth=5, random_state=0),
             lambda: DecisionTreeRegressor(max_depth=5, random_state=0)),
    "forest": ("Random forest (50 trees)",
               lambda: RandomForestClassifier(50, max_depth=6, random_state=0, n_jobs=1),
               lambda: RandomForestRegressor(50, max_depth=6, random_state=0, n_jobs=1)),
    "boosting": ("Gradient boosting (50 trees)",
                 lambda: GradientBoostingClassifier(n_estimators=50, max_depth=3, random_state=0),
                 lambda: GradientBoostingRegressor(n_estimators=50, max_depth=3, random_state=0)),
    "svm": ("SVM (RBF kernel)", lambda: SVC(gamma="scale"), SVR),
}


@dataclass
class ClassicalResult:
    """One fitted method: its surface ``z`` (R, R) over ``xs`` x ``ys`` and its test score."""

    name: str
    label: str
    score: float
    metric: str
    xs: NDArray[np.float32]
    ys: NDArray[np.float32]
    z: NDArray[np.float64]
    model: Any


def surface_values(model: Any, points: NDArray[np.float32], n_classes: int) -> NDArray[np.float64]:
    """What to colour: P(class 1) for two classes where available, else the predicted value/class."""
    if n_classes == 2 and hasattr(model, "predict_proba"):
        return np.asarray(model.predict_proba(points)[:, 1], dtype=np.float64)
    if n_classes == 2 and hasattr(model, "decision_function"):
        return 1.0 / (1.0 + np.exp(-np.asarray(model.decision_function(points), dtype=np.float64)))
    return np.asarray(model.predict(points), dtype=np.float64)


def fit(name: str, data: Dataset, resolution: int = 60) -> ClassicalResult:
    """Fit method ``name`` (a key of :data:`METHODS`) on ``data`` and evaluate it on the test set."""
    if name not in METHODS:
        raise ClassicalError(f"Unknown method {name!r}: choose one of {', '.join(METHODS)}.")
    label, classifier, regressor = METHODS[name]
    regression = data.task == "regression"
    model = (regressor if regression else classifier)()
    model.fit(data.x_train, data.y_train)
    score = float(model.score(data.x_test, data.y_test))  # accuracy, or R^2 for regression
    xs, ys, pts = grid(data.bounds(), resolution)
    z = surface_values(model, pts, data.n_classes).reshape(resolution, resolution)
    return ClassicalResult(name, label, score, "R²" if regression else "accuracy", xs, ys, z, model)


def fit_all(data: Dataset, resolution: int = 60, names: Sequence[str] = tuple(METHODS)) -> list[ClassicalResult]:
    """:func:`fit` for each method in ``names`` (all six by default), in that order."""
    return [fit(n, data, resolution) for n in names]


@cache
def digits() -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """scikit-learn's 1,797 8x8 handwritten digits: pixels (N, 64) in 0..16 and labels (N,)."""
    bunch = skd.load_digits()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, dtype=np.int64)


@dataclass
class KMeansResult:
    """k-means on the digits: ``centroids`` (k, 8, 8) images, each point's ``cluster``, and how
    well clusters match the true digits (adjusted Rand index, 1 = perfect, ~0 = chance), plus the
    most common true digit in each cluster."""

    k: int
    centroids: NDArray[np.float64]
    clusters: NDArray[np.int64]
    rand_index: float
    majority: list[int]


def digits_kmeans(k: int = 10, seed: int = 0) -> KMeansResult:
    """Cluster the digits into ``k`` groups without looking at their labels."""
    if not 2 <= k <= 30:
        raise ClassicalError(f"The number of clusters must be between 2 and 30; got {k}.")
    x, y = digits()
    km = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(x)
    clusters = km.labels_.astype(np.int64)
    majority = [int(np.bincount(y[clusters == c], minlength=10).argmax()) if (clusters == c).any() else -1
                for c in range(k)]
    return KMeansResult(k, km.cluster_centers_.reshape(k, 8, 8), clusters,
                        float(adjusted_rand_score(y, clusters)), majority)


@dataclass
class PCAResult:
    """The digits projected on their first principal components: ``points`` (N, 2), ``labels``,
    and the share of the variance each of the two axes explains."""

    points: NDArray[np.float64]
    labels: NDArray[np.int64]
    explained: tuple[float, float]
    components: NDArray[np.float64]


def digits_pca() -> PCAResult:
    """Squash the 64 pixels of each digit into 2 numbers that keep the most variance."""
    x, y = digits()
    pca = PCA(n_components=2, random_state=0).fit(x)
    r = pca.explained_variance_ratio_
    return PCAResult(pca.transform(x), y, (float(r[0]), float(r[1])),
                     pca.components_.reshape(2, 8, 8))
