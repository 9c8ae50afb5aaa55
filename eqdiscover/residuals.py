"""Does the residual still follow an input? A test that needs one pass over the rows.

For each input the rows are cut into bins by the input's value, and the pass
sums every column of ``[1, X, y]`` within each bin. For any coefficients
``c``, the sum of the residual ``y - [1, X] @ c`` over a bin is the bin's sum
of ``y`` minus its sums of ``[1, X]`` times ``c``. The bin means of the
residual of any formula therefore come from these sums, without reading the
rows again.

Under pure noise, the between-bin sum of squares of the residual divided by
the residual variance follows a chi-squared law with ``bins - 1`` degrees of
freedom. A Wilson-Hilferty z-score above ``MISFIT_Z``, with the bin means
explaining at least ``MISFIT_SHARE`` of the residual variance, marks a trend
in that input that the formula missed.
"""

import math

import numpy as np

__all__ = ["ResidualBins"]

N_BINS = 20
MIN_ROWS_PER_BIN = 25
# A z-score of 5 has a chance of about 3e-7 under pure noise.
MISFIT_Z = 5.0
MISFIT_SHARE = 0.01


class ResidualBins:
    """Sums of ``[1, X, y]`` within bins of each input.

    Parameters
    ----------
    edges : ndarray of shape (n_inputs, n_bins - 1)
        Inner bin edges of each input; the outer bins are open-ended.
    shift : ndarray of shape (n_features + 2,)
        Value subtracted from each column of ``[1, X, y]`` before summing, so
        that a large offset does not swamp the residual's bin means.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(0.0, 1.0, 1000)
    >>> y = x**2
    >>> residual = y - (x - 1 / 6)
    >>> bins = ResidualBins.from_arrays(x[:, None], x[:, None], y)
    >>> share = bins.structure([0, 1], [-1 / 6, 1.0], residual @ residual, 1.0)
    >>> round(share, 2)
    0.99
    """

    def __init__(self, edges, shift):
        self.edges = np.asarray(edges, dtype=float)
        self.shift = np.asarray(shift, dtype=float)
        n_inputs, n_bins = self.edges.shape[0], self.edges.shape[1] + 1
        self.sums = np.zeros((n_inputs, n_bins, len(self.shift)))

    @classmethod
    def start(cls, inputs, X, y, n_bins=N_BINS):
        """Return empty bins whose edges are quantiles of a first chunk of rows."""
        inputs = np.asarray(inputs, dtype=float)
        n_bins = max(1, min(n_bins, len(inputs) // MIN_ROWS_PER_BIN))
        quantiles = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
        edges = np.quantile(inputs, quantiles, axis=0).T.reshape(inputs.shape[1], -1)
        augmented = np.column_stack([np.zeros(len(y)), X, y])
        return cls(edges, np.median(augmented, axis=0))

    @classmethod
    def from_arrays(cls, inputs, X, y, n_bins=N_BINS):
        """Return the bins of rows held in memory."""
        bins = cls.start(inputs, X, y, n_bins)
        bins.update(inputs, X, y)
        return bins

    def update(self, inputs, X, y):
        """Add a chunk of rows to the sums."""
        inputs = np.asarray(inputs, dtype=float)
        augmented = np.column_stack([np.ones(len(y)), X, y]) - self.shift
        # Sums of terms near the float limit overflow to inf, and the test then
        # finds no trend rather than a false one.
        n_bins, n_columns = self.sums.shape[1], self.sums.shape[2]
        offsets = np.arange(n_columns)
        with np.errstate(over="ignore", invalid="ignore"):
            for i, edges in enumerate(self.edges):
                index = np.searchsorted(edges, inputs[:, i], side="right")
                # One bincount sums every column within every bin: cell (b, j)
                # of the sums is slot b * n_columns + j. It runs on one thread,
                # where a matrix product with the one-hot bins stalled when
                # the machine's cores were busy.
                slots = (index[:, None] * n_columns + offsets).ravel()
                sums = np.bincount(
                    slots, weights=augmented.ravel(), minlength=n_bins * n_columns
                )
                self.sums[i] += sums.reshape(n_bins, n_columns)

    def empty_copy(self):
        """Return bins with the same edges and shift, and sums of zero."""
        return ResidualBins(self.edges, self.shift)

    def merge(self, other):
        """Return the bins of the rows of ``self`` and ``other`` together."""
        same_edges = np.array_equal(self.edges, other.edges, equal_nan=True)
        if not same_edges or not np.array_equal(self.shift, other.shift):
            raise ValueError("Cannot merge residual bins with other edges or shift.")
        merged = self.empty_copy()
        merged.sums = self.sums + other.sums
        return merged

    def select_inputs(self, positions):
        """Return the bins of the given inputs only."""
        selected = ResidualBins(self.edges[list(positions)], self.shift)
        selected.sums = self.sums[list(positions)]
        return selected

    def select(self, columns):
        """Return the bins of ``[1, X[:, columns], y]``."""
        keep = [0, *(int(c) + 1 for c in columns), self.sums.shape[2] - 1]
        selected = ResidualBins(self.edges, self.shift[keep])
        selected.sums = self.sums[:, :, keep]
        return selected

    @np.errstate(over="ignore", invalid="ignore")
    def structure(self, columns, coef, relative_rss, y_norm_squared):
        """Return the largest share of residual variance that bins of one input explain.

        Parameters
        ----------
        columns : sequence of int
            Columns of ``[1, X]`` in the formula.
        coef : sequence of float
            Their coefficients.
        relative_rss : float
            Residual sum of squares over ``y_norm_squared``, which is
            ``sum(y**2)``.

        Returns
        -------
        float
            The largest share among the inputs whose z-score exceeds
            ``MISFIT_Z``, or 0.0 when no input's bins show a trend.
        """
        counts = self.sums[:, :, 0]
        residual_sums = self.sums[:, :, -1] - self.sums[:, :, list(columns)] @ coef
        # The shift moved every column's origin; the constant absorbs the rest.
        n_samples = counts[0].sum()
        offset = -(self.shift[list(columns)] @ coef) + self.shift[-1]
        totals = residual_sums + offset * counts
        mean = totals[0].sum() / n_samples
        centred = relative_rss * y_norm_squared - n_samples * mean**2
        if centred <= 0:
            return 0.0
        worst = 0.0
        for count, total in zip(counts, totals):
            used = count > 0
            n_bins = int(used.sum())
            if n_bins < 3:
                continue
            means = total[used] / count[used]
            between = float(np.sum(count[used] * (means - mean) ** 2))
            within = centred - between
            share = min(between / centred, 1.0)
            if within <= 0:
                z = math.inf
            else:
                statistic = between / (within / (n_samples - n_bins))
                z = _chi_squared_z(statistic, n_bins - 1)
            if z > MISFIT_Z and share >= MISFIT_SHARE:
                worst = max(worst, float(share))
        return worst

    def worst_input(self, columns, coef, relative_rss, y_norm_squared):
        """Return (input index, share) of the input the residual follows most.

        None when no input's bins show a trend.
        """
        best = None
        for i in range(self.sums.shape[0]):
            single = ResidualBins(self.edges[i : i + 1], self.shift)
            single.sums = self.sums[i : i + 1]
            share = single.structure(columns, coef, relative_rss, y_norm_squared)
            if share > 0 and (best is None or share > best[1]):
                best = (i, share)
        return best


def _chi_squared_z(statistic, dof):
    """Return the Wilson-Hilferty z-score of a chi-squared statistic."""
    scale = 2.0 / (9.0 * dof)
    return ((statistic / dof) ** (1.0 / 3.0) - (1.0 - scale)) / math.sqrt(scale)
