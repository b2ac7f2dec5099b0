"""Classical models beside the network, k-means and PCA on the digits, and the bias experiment."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.neighbors import KNeighborsClassifier

from playground import bias, classical, toydata
from playground.mlp_inspect import grid


@pytest.fixture(scope="module")
def moons() -> toydata.Dataset:
    return toydata.make("moons", n=300, noise=0.15)


def test_all_six_fit_and_score_on_the_same_test_points(moons: toydata.Dataset) -> None:
    results = classical.fit_all(moons, resolution=30)
    assert [r.name for r in results] == ["logistic", "knn", "tree", "forest", "boosting", "svm"]
    scores = {r.name: r.score for r in results}
    for r in results:
        assert r.z.shape == (30, 30) and r.metric == "accuracy"
        np.testing.assert_allclose(r.score, (r.model.predict(moons.x_test) == moons.y_test).mean())
    # the moons are curved: a straight line loses to the flexible methods
    assert scores["knn"] > scores["logistic"] and scores["svm"] > scores["logistic"]


def test_surface_is_the_models_own_probability(moons: toydata.Dataset) -> None:
    r = classical.fit("knn", moons, resolution=20)
    ref = KNeighborsClassifier(5).fit(moons.x_train, moons.y_train)
    _, _, pts = grid(moons.bounds(), 20)
    np.testing.assert_allclose(r.z.ravel(), ref.predict_proba(pts)[:, 1])
    svm = classical.fit("svm", moons, resolution=20)
    assert ((svm.z > 0) & (svm.z < 1)).all()  # squashed decision function


def test_regression_and_multiclass_use_the_right_twins() -> None:
    reg = classical.fit("forest", toydata.make("regression", n=300, noise=0.05), resolution=10)
    assert reg.metric == "R²" and reg.score > 0.5
    blobs = classical.fit("tree", toydata.make("blobs", n=150), resolution=10)
    assert set(np.unique(blobs.z)) <= {0.0, 1.0, 2.0}
    with pytest.raises(classical.ClassicalError, match="Unknown method"):
        classical.fit("naive", toydata.make("moons"))


def test_kmeans_and_pca_on_the_digits() -> None:
    km = classical.digits_kmeans(10)
    assert km.centroids.shape == (10, 8, 8) and len(km.clusters) == 1797
    assert km.rand_index > 0.4  # clusters follow the digits without seeing a label
    assert classical.digits_kmeans(2).rand_index < km.rand_index
    p = classical.digits_pca()
    x, _ = classical.digits()
    ref = PCA(2, random_state=0).fit(x)
    np.testing.assert_allclose(p.explained, ref.explained_variance_ratio_)
    np.testing.assert_allclose(np.abs(p.points), np.abs(ref.transform(x)), rtol=1e-6, atol=1e-8)
    with pytest.raises(classical.ClassicalError, match="between 2 and 30"):
        classical.digits_kmeans(1)


def test_the_network_sees_what_it_is_trained_to_see() -> None:
    rare = bias.train_with_share(0.02, steps=300, device="cpu")
    fair = bias.train_with_share(0.5, steps=300, device="cpu")
    assert rare.train_counts == {"A": 294, "B": 6} and fair.train_counts == {"A": 150, "B": 150}
    assert rare.accuracy["A"] > 0.9
    assert rare.accuracy["B"] < 0.7  # near a coin toss for the group it barely saw
    assert fair.accuracy["B"] > rare.accuracy["B"] + 0.2
    assert rare.gap > fair.gap
    with pytest.raises(bias.BiasError, match="between 0 and 0.5"):
        bias.train_with_share(0.9)


def test_groups_follow_different_rules() -> None:
    rng = np.random.default_rng(0)
    xa, ya = bias.make_group(0, 500, rng)
    xb, yb = bias.make_group(1, 500, rng)
    assert xa[:, 0].mean() < 0 < xb[:, 0].mean()
    # A says yes above its rising line, B below its falling one
    np.testing.assert_array_equal(ya, (xa[:, 1] > 0.8 * (xa[:, 0] + 1)).astype(int))
    np.testing.assert_array_equal(yb, (xb[:, 1] <= -0.8 * (xb[:, 0] - 1)).astype(int))
