import itertools
import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

from eqdiscover.exceptions import ConvergenceWarning, DataError, NotFittedError
from eqdiscover.network import SparseLinearNetwork, collapse_weights


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
