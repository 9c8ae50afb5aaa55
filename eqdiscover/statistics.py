"""Sufficient statistics of a library matrix, read from the rows once.

For the augmented matrix ``A = [1, X, y]`` the statistics are the upper
triangular factor ``R`` of its QR decomposition. Because ``||A v|| = ||R v||``
for every vector ``v``, this small matrix answers every least-squares question
on any subset of columns, and ``R.T @ R`` is the Gram matrix of ``A``. Stacking
two factors and factoring again gives the factor of the stacked rows, so ``R``
is built chunk by chunk and merged across chunks.

The first column of ones also centres the data: the block ``R[1:, 1:]`` is the
factor of the column-centred ``[X, y]``, computed without the cancellation that
subtracting means from a Gram matrix would suffer.

Each column is divided by a power of two near its largest magnitude before
the factorization, which is exact and keeps columns such as ``exp(x)`` near
``1e300`` or ``x`` near ``1e-200`` from overflowing or underflowing.
"""

import math

import numpy as np

from .exceptions import DataError

__all__ = ["Statistics", "column_divisors", "t_quantile_975"]

DEFAULT_CHUNK_ROWS = 65_536
# A column whose part outside the span of the columns before it is below this
# fraction of its norm cannot be told apart from a combination of them.
DEPENDENCE_TOLERANCE = 1e-10


def _column_norms(matrix):
    """Return the Euclidean norm of each column without overflow in the squares."""
    scale = np.abs(matrix).max(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    return np.linalg.norm(matrix / scale, axis=0) * scale


def _triangular_factor(matrix):
    """Return R of a QR decomposition with a non-negative diagonal."""
    r = np.linalg.qr(matrix, mode="r")
    signs = np.where(np.diag(r) < 0, -1.0, 1.0)
    return r * signs[:, None]


def _power_of_two_scale(columns):
    """Return the power of two at or below the largest magnitude of each column.

    Columns of zeros get 1. Dividing by the result is exact and leaves each
    column's largest magnitude in [1, 2).
    """
    largest = np.abs(columns).max(axis=0)
    exponents = np.frexp(np.where(largest > 0, largest, 1.0))[1]
    return np.ldexp(1.0, exponents - 1)


# Student t quantiles at 0.975 for 1 to 10 degrees of freedom.
_T_975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228)
_Z_975 = 1.959963984540054


def t_quantile_975(dof):
    """Return the 0.975 quantile of Student's t, for 95% intervals.

    Up to 10 degrees of freedom the value comes from a table; beyond, from
    the Cornish-Fisher expansion in 1/dof, whose error there is below 1e-4.

    Examples
    --------
    >>> round(t_quantile_975(10), 3), round(t_quantile_975(30), 3)
    (2.228, 2.042)
    """
    if dof < 1:
        return math.inf
    if dof <= len(_T_975):
        return _T_975[dof - 1]
    z = _Z_975
    return (
        z
        + (z**3 + z) / (4 * dof)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * dof**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * dof**3)
    )


def column_divisors(X, y):
    """Return the exact power-of-two divisors of the columns of ``[1, X, y]``.

    Each divisor is the power of two at or below the column's largest
    magnitude, and 1 for the constant column and for columns of zeros.
    """
    return np.concatenate([[1.0], _power_of_two_scale(np.column_stack([X, y]))])


class Statistics:
    """QR statistics of ``[1, X, y]``.

    Parameters
    ----------
    r : ndarray of shape (n_features + 2, n_features + 2)
        Upper triangular factor of ``[1, X, y] / column_divisors``.
    n_samples : int
        Number of rows the factor summarizes.
    column_divisors : ndarray of shape (n_features + 2,), optional
        Divisor of each column of ``[1, X, y]`` before the factorization.
        Ones by default.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> stats = Statistics.from_arrays(X, 2 * X[:, 0] + 1)
    >>> coef, relative_rss = stats.lstsq([0, 1])
    >>> np.round(coef, 12).tolist(), bool(relative_rss < 1e-20)
    ([1.0, 2.0], True)
    """

    def __init__(self, r, n_samples, column_divisors=None):
        self.r = np.asarray(r, dtype=float)
        self.n_samples = int(n_samples)
        self.column_divisors = (
            np.ones(self.r.shape[1])
            if column_divisors is None
            else np.asarray(column_divisors, dtype=float)
        )

    @classmethod
    def from_arrays(cls, X, y, chunk_rows=DEFAULT_CHUNK_ROWS):
        """Build the statistics of ``X`` and ``y``, ``chunk_rows`` rows at a time."""
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        if X.ndim != 2 or y.shape != (len(X),):
            raise DataError(
                f"X of shape {X.shape} and y of shape {y.shape} do not match; give "
                f"a 2-D X and one value of y per row."
            )
        if len(y) == 0:
            raise DataError("No rows to fit; give a table with at least one row.")
        divisors = column_divisors(X, y)
        stats = None
        for start in range(0, len(y), chunk_rows):
            stop = start + chunk_rows
            chunk = cls.from_chunk(X[start:stop], y[start:stop], divisors)
            stats = chunk if stats is None else stats.merge(chunk)
        return stats

    @classmethod
    def from_chunk(cls, X, y, column_divisors=None):
        """Build the statistics of one chunk of rows held in memory."""
        n_samples = len(y)
        augmented = np.column_stack([np.ones(n_samples), X, y])
        if column_divisors is not None:
            augmented = augmented / column_divisors
        if n_samples < augmented.shape[1]:
            # Pad with zero rows so that R is square; zero rows change no norm.
            padding = np.zeros((augmented.shape[1] - n_samples, augmented.shape[1]))
            augmented = np.vstack([augmented, padding])
        r = _triangular_factor(augmented)
        if not np.isfinite(r).all():
            raise DataError(
                "The library matrix is too large to factor in floating point; "
                "rescale the inputs or leave out the largest terms."
            )
        return cls(r, n_samples, column_divisors)

    def merge(self, other):
        """Return the statistics of the rows of ``self`` and ``other`` together.

        When the two were built with other column divisors, both factors are
        first rescaled to the larger divisor of each column. The divisors are
        powers of two, so the rescaling is exact unless a value falls below
        the smallest normal float.
        """
        if self.r.shape != other.r.shape:
            raise ValueError(
                f"Cannot merge statistics of shapes {self.r.shape} and {other.r.shape}."
            )
        divisors = np.maximum(self.column_divisors, other.column_divisors)
        stacked = np.vstack(
            [
                self.r * (self.column_divisors / divisors),
                other.r * (other.column_divisors / divisors),
            ]
        )
        return Statistics(
            _triangular_factor(stacked),
            self.n_samples + other.n_samples,
            divisors,
        )

    def select(self, columns):
        """Return the statistics of ``[1, X[:, columns], y]``.

        Parameters
        ----------
        columns : sequence of int
            Columns of ``X``, in the order they take in the result.
        """
        kept = [0] + [int(j) + 1 for j in columns] + [self.r.shape[1] - 1]
        return Statistics(
            _triangular_factor(self.r[:, kept]),
            self.n_samples,
            self.column_divisors[kept],
        )

    @property
    def n_features(self):
        return self.r.shape[0] - 2

    @property
    def mean(self):
        """Column means of ``[X, y]``."""
        return self.r[0, 1:] / self.r[0, 0] * self.column_divisors[1:]

    @property
    def std(self):
        """Population standard deviations of the columns of ``[X, y]``."""
        return self._scaled_std * self.column_divisors[1:]

    @property
    def _scaled_std(self):
        return _column_norms(self.r[1:, 1:]) / np.sqrt(self.n_samples)

    @property
    def varies(self):
        """Whether each column of ``[X, y]`` varies beyond rounding error.

        A constant column's computed spread is rounding noise of about 1e-16
        times its size, so spreads below ``1e-12`` times the column's root mean
        square count as none.
        """
        rms = _column_norms(self.r[:, 1:]) / np.sqrt(self.n_samples)
        return self._scaled_std > 1e-12 * rms

    @property
    def target_spread_ratio(self):
        """Standard deviation of ``y`` over its root mean square, from 0 to 1."""
        rms = np.linalg.norm(self.r[:, -1]) / np.sqrt(self.n_samples)
        return float(self._scaled_std[-1] / rms) if rms > 0 else 0.0

    @property
    def target_rms(self):
        """Root mean square of ``y``."""
        norm = np.linalg.norm(self.r[:, -1]) * self.column_divisors[-1]
        return float(norm / np.sqrt(self.n_samples))

    @property
    def scale(self):
        """Standard deviation of each column of ``[X, y]``; 1 where it does not vary."""
        return np.where(self.varies, self.std, 1.0)

    def standardized_gram(self):
        """Return the Gram statistics of the standardized columns.

        Columns that do not vary (see :attr:`varies`) count as zero.

        Returns
        -------
        gram : ndarray of shape (n_features, n_features)
            ``Z.T @ Z / n_samples`` for the standardized inputs ``Z``.
        moment : ndarray of shape (n_features,)
            ``Z.T @ t / n_samples`` for the standardized target ``t``.
        target_moment : float
            ``t @ t / n_samples``: 1, or 0 for a constant target.
        """
        varies = self.varies
        spread = np.where(varies, self._scaled_std, 1.0)
        scaled = np.where(varies, self.r[1:, 1:] / spread, 0.0)
        full = scaled.T @ scaled / self.n_samples
        return full[:-1, :-1], full[:-1, -1], float(full[-1, -1])

    def dependent_columns(self, tolerance=DEPENDENCE_TOLERANCE):
        """Find the columns of ``X`` that combine the constant and earlier columns.

        The diagonal entry ``R[j, j]`` is the norm of the part of column ``j``
        outside the span of the columns before it, so a column is dependent
        when that entry is below ``tolerance`` times the column's norm.

        Returns
        -------
        list of (int, list of int)
            Each dependent column of ``X`` with the columns of ``[1, X]`` that
            explain it: ``[0]`` alone for a column constant on the data.

        Examples
        --------
        >>> import numpy as np
        >>> x = np.linspace(0.0, 1.0, 9)
        >>> X = np.column_stack([x, np.full(9, 3.0), 2 * x - 1])
        >>> Statistics.from_arrays(X, x**2).dependent_columns()
        [(1, [0]), (2, [0, 1])]
        """
        r = self.r
        dependent, independent = [], [0]
        for j in range(1, r.shape[1] - 1):
            column = r[: j + 1, j]
            norm = np.linalg.norm(column)
            if abs(r[j, j]) > tolerance * norm:
                independent.append(j)
                continue
            coef, *_ = np.linalg.lstsq(r[:j, independent], column[:j], rcond=None)
            used = np.abs(coef) * _column_norms(r[:j, independent]) > tolerance * norm
            dependent.append((j - 1, [c for c, u in zip(independent, used) if u]))
        return dependent

    def standard_errors(self, columns):
        """Return the standard error of each least-squares coefficient.

        The covariance of the coefficients of ``y`` on the given columns of
        ``[1, X]`` is ``s**2 * inv(R.T @ R)`` for the factor ``R`` of those
        columns and the residual variance ``s**2 = rss / (n_samples - k)``, so
        no pass over the rows is needed. Returns ``inf`` for every coefficient
        when there are no more rows than columns.
        """
        columns = list(columns)
        k = len(columns)
        dof = self.n_samples - k
        if dof <= 0:
            return np.full(k, np.inf)
        sub = _triangular_factor(self.r[:, columns + [self.r.shape[1] - 1]])
        inverse = np.linalg.solve(sub[:k, :k], np.eye(k))
        variance = sub[k, k] ** 2 / dof
        scaled = np.sqrt(variance * np.sum(inverse**2, axis=1))
        with np.errstate(over="ignore"):
            return scaled * self.column_divisors[-1] / self.column_divisors[columns]

    def lstsq(self, columns, fixed=None):
        """Solve least squares of ``y`` on the given columns of ``[1, X]``.

        Parameters
        ----------
        columns : sequence of int
            Column indices into ``[1, X]``: 0 is the constant, ``j + 1`` is
            ``X[:, j]``.
        fixed : mapping of int to float, optional
            Columns whose coefficients are given, in the units of the data;
            their part is subtracted from ``y`` before the solve.

        Returns
        -------
        coef : ndarray of shape (len(columns),)
            Coefficients in the units of the data.
        relative_rss : float
            Residual sum of squares divided by ``sum(y**2)``, which stays in
            range whatever the scale of ``y``.
        """
        columns = list(columns)
        k = len(columns)
        divisors = self.column_divisors
        target = self.r[:, -1]
        for column, value in (fixed or {}).items():
            target = target - self.r[:, column] * (
                value * divisors[column] / divisors[-1]
            )
        y_norm_squared = np.sum(self.r[:, -1] ** 2)
        if y_norm_squared == 0:
            return np.zeros(k), 0.0
        if k == 0:
            return np.empty(0), float(np.sum(target**2) / y_norm_squared)
        sub = _triangular_factor(np.column_stack([self.r[:, columns], target]))
        coef, *_ = np.linalg.lstsq(sub[:k, :k], sub[:k, k], rcond=None)
        rss = np.sum((sub[:k, :k] @ coef - sub[:k, k]) ** 2) + sub[k, k] ** 2
        # A coefficient beyond the float range becomes inf; callers check.
        with np.errstate(over="ignore"):
            coef = coef * divisors[-1] / divisors[columns]
        return coef, float(rss / y_norm_squared)
