import numpy as np
import pytest
from numpy.testing import assert_allclose

from eqdiscover.statistics import Statistics, column_divisors


@pytest.fixture
def system():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(1000, 4))
    y = 1.5 - 2.0 * X[:, 0] + 0.5 * X[:, 2] + 0.01 * rng.standard_normal(1000)
    return X, y


def test_lstsq_matches_numpy(system):
    X, y = system
    stats = Statistics.from_arrays(X, y)
    design = np.column_stack([np.ones(len(y)), X[:, [0, 2]]])
    expected, (expected_rss,), *_ = np.linalg.lstsq(design, y, rcond=None)
    coef, relative_rss = stats.lstsq([0, 1, 3])
    assert_allclose(coef, expected, rtol=1e-12)
    assert_allclose(relative_rss * np.sum(y**2), expected_rss, rtol=1e-10)


def test_lstsq_without_constant(system):
    X, y = system
    expected, (expected_rss,), *_ = np.linalg.lstsq(X[:, [1, 3]], y, rcond=None)
    coef, relative_rss = Statistics.from_arrays(X, y).lstsq([2, 4])
    assert_allclose(coef, expected, rtol=1e-12)
    assert_allclose(relative_rss * np.sum(y**2), expected_rss, rtol=1e-10)


@pytest.mark.parametrize("chunk_rows", [1, 7, 100, 999])
def test_chunked_statistics_match_whole(system, chunk_rows):
    X, y = system
    whole = Statistics.from_arrays(X, y, chunk_rows=len(y))
    chunked = Statistics.from_arrays(X, y, chunk_rows=chunk_rows)
    assert chunked.n_samples == len(y)
    # R is unique up to row signs, which both normalize to a non-negative diagonal.
    assert_allclose(chunked.r, whole.r, rtol=1e-10, atol=1e-10 * np.abs(whole.r).max())
    assert_allclose(chunked.lstsq([0, 1, 3])[0], whole.lstsq([0, 1, 3])[0], rtol=1e-10)


def test_mean_and_std_match_numpy(system):
    X, y = system
    stats = Statistics.from_arrays(X + 1e6, y)
    data = np.column_stack([X + 1e6, y])
    assert_allclose(stats.mean, data.mean(axis=0), rtol=1e-14)
    # Centring inside the QR keeps the spread exact despite the offset of 1e6.
    assert_allclose(stats.std, X.std(axis=0).tolist() + [y.std()], rtol=1e-9)


def test_standardized_gram_is_a_correlation_matrix(system):
    X, y = system
    gram, moment, target_moment = Statistics.from_arrays(X, y).standardized_gram()
    expected = np.corrcoef(np.column_stack([X, y]), rowvar=False)
    assert_allclose(gram, expected[:-1, :-1], atol=1e-12)
    assert_allclose(moment, expected[:-1, -1], atol=1e-12)
    assert target_moment == pytest.approx(1.0, rel=1e-12)


def test_merge_rejects_other_shapes(system):
    X, y = system
    with pytest.raises(ValueError, match="Cannot merge statistics of shapes"):
        Statistics.from_arrays(X, y).merge(Statistics.from_arrays(X[:, :2], y))


def test_fewer_rows_than_columns():
    stats = Statistics.from_arrays(np.array([[1.0, 2.0]]), np.array([3.0]))
    assert stats.r.shape == (4, 4)
    assert stats.n_samples == 1


def test_merge_aligns_column_scales(system):
    X, y = system
    # Rows of very different sizes give the two chunks other divisors.
    X = X.copy()
    X[500:] *= 1e6
    first = Statistics.from_chunk(X[:500], y[:500], column_divisors(X[:500], y[:500]))
    second = Statistics.from_chunk(X[500:], y[500:], column_divisors(X[500:], y[500:]))
    assert not np.array_equal(first.column_divisors, second.column_divisors)
    merged = first.merge(second)
    whole = Statistics.from_arrays(X, y, chunk_rows=len(y))
    assert_allclose(merged.column_divisors, whole.column_divisors)
    assert_allclose(merged.r, whole.r, rtol=1e-10, atol=1e-10 * np.abs(whole.r).max())


def test_select_matches_statistics_of_subset(system):
    X, y = system
    selected = Statistics.from_arrays(X, y).select([2, 0])
    subset = Statistics.from_arrays(X[:, [2, 0]], y)
    assert selected.n_features == 2
    assert_allclose(
        selected.lstsq([0, 1, 2])[0], subset.lstsq([0, 1, 2])[0], rtol=1e-12
    )
    assert_allclose(selected.std, subset.std, rtol=1e-12)
