import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

from eqdiscover.selection import (
    MAX_SEARCH_TERMS,
    ROUNDING_FLOOR,
    SPREAD_FLOOR,
    contributions,
    residual_floor,
    score,
    select_terms,
)
from eqdiscover.statistics import Statistics


def narrow_range_system(noise=0.0, seed=0):
    """x, x**2, sin x, exp x on [0, 1]: columns correlated above 0.98."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, 2000)
    X = np.column_stack([x, x**2, np.sin(x), np.exp(x)])
    y = 5 / 9 * x - 160 / 9
    y = y + noise * np.sqrt(np.mean(y**2)) * rng.standard_normal(len(x))
    return X, y


def test_score_floor_makes_rounding_residuals_equal():
    floor = 1e-20
    exact = score(0.0, 100, 2, 2, 0.5, floor)
    rounding = score(0.1 * floor, 100, 2, 2, 0.5, floor)
    above_floor = score(100 * floor, 100, 2, 2, 0.5, floor)
    assert exact == rounding
    assert above_floor - exact == pytest.approx(100 * np.log(100))


def test_score_charges_terms_and_complexity():
    base = score(0.5, 100, 1, 1, 0.5, 1e-20)
    assert score(0.5, 100, 2, 1, 0.5, 1e-20) - base == pytest.approx(np.log(100))
    assert score(0.5, 100, 1, 3, 0.5, 1e-20) - base == pytest.approx(1.0)


def test_residual_floor_follows_the_larger_limit():
    x = np.linspace(0, 1, 101)
    centred = Statistics.from_arrays(x[:, None], x - 0.5)
    assert residual_floor(centred) == pytest.approx(SPREAD_FLOOR**2)
    offset = Statistics.from_arrays(x[:, None], x + 1e9)
    spread_ratio = np.std(x) / 1e9
    assert residual_floor(offset) == pytest.approx(ROUNDING_FLOOR**2)
    assert SPREAD_FLOOR * spread_ratio < ROUNDING_FLOOR


def test_search_ignores_wrong_ranking():
    X, y = narrow_range_system()
    stats = Statistics.from_arrays(X, y)
    # A ranking that puts the true term x last still leads to it.
    strength = np.array([0.0, 0.3, 0.9, 0.5])
    selection = select_terms(stats, strength, [1, 1, 2, 2, 2], threshold=1e-3)
    assert selection.chosen.columns == (0, 1)
    assert_allclose(selection.chosen.coef, [-160 / 9, 5 / 9], rtol=1e-9)
    assert selection.searched == (2, 3, 1, 0)
    assert selection.n_scored == 2**5
    assert len(selection.candidates) == 20


@pytest.mark.parametrize("seed", range(3))
def test_noisy_search_prefers_simpler_term(seed):
    X, y = narrow_range_system(noise=0.001, seed=seed)
    selection = select_terms(
        Statistics.from_arrays(X, y), np.ones(4), [1, 1, 2, 2, 2], threshold=1e-3
    )
    assert selection.chosen.columns == (0, 1)


def test_constant_can_be_excluded():
    X, y = narrow_range_system()
    selection = select_terms(
        Statistics.from_arrays(X, y),
        np.ones(4),
        [1, 1, 2, 2, 2],
        threshold=1e-3,
        allow_constant=False,
    )
    assert all(0 not in c.columns for c in selection.candidates)


def test_threshold_prunes_weak_terms_and_refits():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(1000, 2))
    y = 3.0 * X[:, 0] + 0.002 * X[:, 1]
    stats = Statistics.from_arrays(X, y)
    low = select_terms(stats, np.ones(2), [1, 1, 1], threshold=1e-4)
    assert low.chosen.columns == (1, 2)
    assert low.pruned == ()
    pruned = select_terms(stats, np.ones(2), [1, 1, 1], threshold=1e-2)
    assert pruned.chosen.columns == (1,)
    assert pruned.pruned == (2,)
    assert_allclose(pruned.chosen.coef, [3.0], rtol=1e-3)
    values = contributions(stats, low.chosen)
    assert_allclose(values, [1.0, 0.002 / 3.0], rtol=1e-2)


def test_search_limited_to_strongest_terms():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, MAX_SEARCH_TERMS + 3))
    y = X[:, 0] + X[:, -1]
    strength = np.linspace(1.0, 0.1, X.shape[1])
    strength[-1] = 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        selection = select_terms(
            Statistics.from_arrays(X, y),
            strength,
            [1] * (X.shape[1] + 1),
            threshold=1e-3,
        )
    assert len(selection.searched) == MAX_SEARCH_TERMS
    assert selection.searched[0] == X.shape[1] - 1
    assert selection.chosen.columns == (1, X.shape[1])


def test_refinement_adds_a_term_outside_the_search():
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(400, MAX_SEARCH_TERMS + 2))
    y = X[:, 0] + 0.5 * X[:, -1]
    strength = np.linspace(1.0, 0.5, X.shape[1])
    strength[-1] = 0.0  # the L1 penalty zeroed a true term
    selection = select_terms(
        Statistics.from_arrays(X, y), strength, [1] * (X.shape[1] + 1), threshold=1e-3
    )
    assert X.shape[1] - 1 not in selection.searched
    assert selection.chosen.columns == (1, X.shape[1])
    assert_allclose(selection.chosen.coef, [1.0, 0.5], rtol=1e-9)
