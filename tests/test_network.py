import itertools
import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

from eqdiscover.exceptions import ConvergenceWarning, DataError, NotFittedError
from eqdiscover.network import SparseLinearNetwork, collapse_weights
from eqdiscover.statistics import Statistics


@pytest.mark.parametrize(
    "layer_sizes", [[3, 1], [3, 1, 1], [4, 3, 1], [5, 4, 3, 1], [2, 6, 5, 4, 1]]
)
def test_collapse_matches_forward_pass(layer_sizes):
    rng = np.random.default_rng(len(layer_sizes))
    net = SparseLinearNetwork(layer_sizes)
    net.weights_ = [
        rng.normal(size=(n_out, n_in))
        for n_in, n_out in itertools.pairwise(layer_sizes)
    ]
    net.biases_ = [rng.normal(size=n_out) for n_out in layer_sizes[1:]]
    net.x_mean_ = rng.normal(size=layer_sizes[0])
    net.x_scale_ = rng.uniform(0.1, 10, size=layer_sizes[0])
    net.y_mean_, net.y_scale_ = 3.0, 2.5
    X = rng.normal(size=(50, layer_sizes[0]))

    coef, intercept = net.collapse()
    assert_allclose(X @ coef + intercept, net.predict(X), rtol=1e-12, atol=1e-12)


def test_collapse_weights_formula():
    weights = [np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.5, -1.0]])]
    biases = [np.array([1.0, 2.0]), np.array([0.25])]
    coef, intercept = collapse_weights(weights, biases)
    assert_allclose(coef, [0.5 * 1 - 3.0, 0.5 * 2 - 4.0])
    assert intercept == pytest.approx(0.5 * 1.0 - 1.0 * 2.0 + 0.25)


def test_fahrenheit_to_celsius_hidden_layer():
    fahrenheit = np.linspace(-40, 120, 200).reshape(-1, 1)
    celsius = (fahrenheit[:, 0] - 32) * 5 / 9
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net = SparseLinearNetwork([1, 2, 1], alpha=0.0, random_state=0)
        net.fit(fahrenheit, celsius)
    coef, intercept = net.collapse()
    assert_allclose(coef, [5 / 9], rtol=1e-6)
    assert_allclose(intercept, -160 / 9, rtol=1e-6)
    assert_allclose(net.coef_, coef)


def test_l1_step_gives_exact_zeros():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(500, 4))
    y = 2.0 * X[:, 0] - 1.0 * X[:, 2]
    net = SparseLinearNetwork([4, 2, 1], alpha=0.01, random_state=0).fit(X, y)
    coef, _ = net.collapse()
    assert coef[1] == 0.0
    assert coef[3] == 0.0
    # The L1 penalty shrinks the kept coefficients slightly.
    assert_allclose(coef[[0, 2]], [2.0, -1.0], rtol=0.05)
    assert abs(coef[0]) < 2.0


def test_loss_history_decreases():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.standard_normal(300)
    net = SparseLinearNetwork([3, 2, 1], alpha=1e-3, random_state=0).fit(X, y)
    history = net.loss_history_
    assert len(history) == net.n_iter_
    assert np.all(np.diff(history) <= 1e-12)


def test_same_seed_same_weights():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(100, 3))
    y = X[:, 0]
    first = SparseLinearNetwork([3, 2, 1], random_state=7).fit(X, y)
    second = SparseLinearNetwork([3, 2, 1], random_state=7).fit(X, y)
    for a, b in zip(first.weights_, second.weights_):
        assert np.array_equal(a, b)


def test_convergence_warning_gives_the_numbers():
    X = np.linspace(0, 1, 100).reshape(-1, 1)
    net = SparseLinearNetwork([1, 2, 1], max_iter=3, tol=1e-12, random_state=0)
    message = re.escape("stopped after 3 iterations") + r".*above tol=1\.0e-12"
    with pytest.warns(ConvergenceWarning, match=message):
        net.fit(X, 3 * X[:, 0])
    assert net.n_iter_ == 3


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"layer_sizes": [2, 1]}, r"layer_sizes .* \[3, \.\.\., 1\] for 3 features"),
        ({"layer_sizes": [3, 2]}, r"layer_sizes .* got \[3, 2\]"),
        ({"layer_sizes": [3, 0, 1]}, r"layer_sizes .* got \[3, 0, 1\]"),
        ({"layer_sizes": [3, True, 1]}, r"layer_sizes .* got \[3, True, 1\]"),
        ({"alpha": -1.0}, "alpha of SparseLinearNetwork must be a number >= 0.0"),
        ({"max_iter": 0}, "max_iter of SparseLinearNetwork must be an integer >= 1"),
        ({"max_iter": 2.5}, "max_iter of SparseLinearNetwork must be an integer"),
        ({"max_iter": True}, "max_iter of SparseLinearNetwork must be an integer"),
        ({"tol": "small"}, "tol of SparseLinearNetwork must be a number >= 0.0"),
        ({"random_state": -1}, "random_state of SparseLinearNetwork must be None"),
    ],
)
def test_invalid_parameters(kwargs, message):
    X = np.ones((10, 3)).cumsum(axis=0)
    with pytest.raises(ValueError, match=message):
        SparseLinearNetwork(**kwargs).fit(X, X[:, 0])


def test_constant_input_gets_zero_coefficient():
    X = np.column_stack([np.full(20, 0.1), np.linspace(0, 1, 20)])
    net = SparseLinearNetwork([2, 2, 1], alpha=0.0, random_state=0)
    coef, intercept = net.fit(X, 2 * X[:, 1] + 1).collapse()
    assert coef[0] == 0.0
    assert_allclose(coef[1], 2.0, rtol=1e-6)
    assert_allclose(intercept, 1.0, rtol=1e-6)


@pytest.mark.parametrize(
    "X, y, message",
    [
        (np.ones((5, 1)), np.ones(4), r"y has shape \(4,\) but X has 5 rows"),
        (np.ones(5), np.ones(5), "X must be 2-D"),
        (np.array([[1.0], [np.nan]]), np.ones(2), "NaN or infinite"),
    ],
)
def test_fit_rejects_bad_arrays(X, y, message):
    with pytest.raises(DataError, match=message):
        SparseLinearNetwork().fit(X, y)


def test_methods_before_fit_raise():
    net = SparseLinearNetwork([1, 1])
    with pytest.raises(NotFittedError, match="not fitted yet; call fit first"):
        net.collapse()
    with pytest.raises(NotFittedError, match="not fitted yet"):
        net.predict(np.ones((2, 1)))


@pytest.fixture
def sparse_system():
    """Noise-free y = 2 x0 - x2 + 0.5 on three uniform inputs."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(200, 3))
    return X, 2 * X[:, 0] - X[:, 2] + 0.5


def test_restarts_keep_lowest_loss(sparse_system):
    X, y = sparse_system
    stats = Statistics.from_arrays(X, y)
    single = SparseLinearNetwork([3, 2, 1], random_state=5).fit_statistics(stats)
    batch = SparseLinearNetwork([3, 2, 1], n_restarts=4, random_state=5)
    batch.fit_statistics(stats)
    assert batch.restart_losses_.shape == (4,)
    assert batch.best_restart_ == int(np.argmin(batch.restart_losses_))
    assert batch.loss_history_[-1] == batch.restart_losses_.min()
    # Restart 0 draws the same initial weights as a single run, and training
    # in a batch does the same arithmetic on each row.
    assert_allclose(batch.restart_losses_[0], single.loss_history_[-1], rtol=1e-12)


def test_training_stops_on_relative_change(sparse_system):
    X, y = sparse_system
    net = SparseLinearNetwork([3, 2, 1], tol=1e-8, random_state=0).fit(X, y)
    history = net.loss_history_
    changes = np.abs(np.diff(history)) / history[:-1]
    assert changes[-1] < 1e-8
    assert np.all(changes[:-1] >= 1e-8)


@pytest.mark.parametrize("alphas", [[0.1, 1e-3, 3.0, 1e-2], [1e-3, 1e-2, 0.1, 3.0]])
def test_fit_path_entries_follow_alphas(sparse_system, alphas):
    X, y = sparse_system
    stats = Statistics.from_arrays(X, y)
    net = SparseLinearNetwork([3, 2, 1], n_restarts=3, random_state=0)
    path = net.fit_path(stats, alphas)
    assert_allclose(path.alphas, alphas)
    assert path.coef.shape == (4, 3)
    assert path.loss.shape == (4,)
    assert [len(h) for h in path.loss_history] == path.n_iter.tolist()
    assert path.converged.all()
    by_alpha = dict(zip(alphas, path.coef))
    # Standardized coefficients: 2 and -1 times the input's over the target's spread.
    expected = np.array([2.0, 0.0, -1.0]) * stats.std[:3] / stats.std[3]
    assert_allclose(by_alpha[1e-3], expected, rtol=2e-3, atol=1e-12)
    assert by_alpha[1e-3][1] == 0.0
    # An L1 weight far above the attainable fit sets every weight to zero.
    assert np.all(by_alpha[3.0] == 0.0)
    assert np.all(np.abs(by_alpha[0.1]) <= np.abs(by_alpha[1e-2]) + 1e-12)
    # The network keeps the weights of the last alpha given.
    assert_allclose(net.coef_ * net.x_scale_ / net.y_scale_, path.coef[-1])


def test_fit_path_one_layer_matches_single_fits(sparse_system):
    # A one-layer network is a lasso, whose minimum is unique, so warm starts
    # must reach the same coefficients as separate fits.
    X, y = sparse_system
    stats = Statistics.from_arrays(X, y)
    alphas = [1e-3, 0.05, 0.3]
    path = SparseLinearNetwork([3, 1], tol=1e-15, random_state=0).fit_path(
        stats, alphas
    )
    for alpha, coef in zip(alphas, path.coef):
        single = SparseLinearNetwork([3, 1], alpha=alpha, tol=1e-15, random_state=1)
        single.fit_statistics(stats)
        standardized = single.coef_ * single.x_scale_ / single.y_scale_
        assert_allclose(coef, standardized, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    "layer_sizes, alpha, rtol",
    [
        # A one-layer network is a lasso with a unique minimum.
        ([3, 1], 1e-3, 1e-6),
        # Without the penalty both reach the exact least-squares fit.
        ([3, 2, 1], 0.0, 1e-8),
    ],
)
def test_minibatch_matches_statistics(sparse_system, layer_sizes, alpha, rtol):
    X, y = sparse_system
    settings = {"layer_sizes": layer_sizes, "alpha": alpha, "random_state": 0}
    statistics = SparseLinearNetwork(**settings).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        minibatch = SparseLinearNetwork(
            **settings, solver="minibatch", batch_size=20, learning_rate=0.05
        ).fit(X, y)
    assert_allclose(minibatch.coef_, statistics.coef_, rtol=rtol, atol=1e-9)
    assert_allclose(minibatch.intercept_, statistics.intercept_, rtol=rtol)
    zeros = statistics.coef_ == 0.0
    assert np.array_equal(minibatch.coef_ == 0.0, zeros)


def test_minibatch_same_seed_same_weights(sparse_system):
    X, y = sparse_system
    settings = {"solver": "minibatch", "max_iter": 5, "random_state": 3}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        first = SparseLinearNetwork([3, 2, 1], **settings).fit(X, y)
        second = SparseLinearNetwork([3, 2, 1], **settings).fit(X, y)
    for a, b in zip(first.weights_, second.weights_):
        assert np.array_equal(a, b)


def test_minibatch_divergence_raises(sparse_system):
    X, y = sparse_system
    net = SparseLinearNetwork([3, 2, 1], solver="minibatch", learning_rate=50.0)
    with pytest.raises(DataError, match="diverged .* give a smaller learning_rate"):
        net.fit(X, y)


@pytest.mark.parametrize(
    "kwargs, method, message",
    [
        ({"solver": "minibatch"}, "fit_statistics", "fit_statistics .* trains from"),
        ({"solver": "minibatch"}, "fit_path", "fit_path .* solver is 'minibatch'"),
        ({"solver": "adam"}, "fit_statistics", "solver .* got 'adam'"),
        ({"n_restarts": 0}, "fit_statistics", "n_restarts .* integer >= 1"),
        ({"batch_size": 0}, "fit_statistics", "batch_size .* integer >= 1"),
        ({"learning_rate": 0.0}, "fit_statistics", "learning_rate .* > 0.0"),
    ],
)
def test_invalid_solver_settings(sparse_system, kwargs, method, message):
    X, y = sparse_system
    stats = Statistics.from_arrays(X, y)
    net = SparseLinearNetwork([3, 2, 1], **kwargs)
    with pytest.raises(ValueError, match=message):
        if method == "fit_path":
            net.fit_path(stats, [1e-3])
        else:
            net.fit_statistics(stats)


@pytest.mark.parametrize("alphas", [[], [-1.0], [np.nan], [[1e-3]]])
def test_fit_path_rejects_bad_alphas(sparse_system, alphas):
    stats = Statistics.from_arrays(*sparse_system)
    with pytest.raises(ValueError, match="alphas of SparseLinearNetwork.fit_path"):
        SparseLinearNetwork([3, 2, 1]).fit_path(stats, alphas)
