"""Linear feed-forward network with an L1 penalty on its weights."""

import itertools
import logging
import numbers
import warnings
from dataclasses import dataclass

import numpy as np

from .exceptions import ConvergenceWarning, DataError, NotFittedError
from .solvers import train_on_minibatches, train_on_statistics
from .statistics import Statistics

__all__ = ["NetworkPath", "SparseLinearNetwork"]

logger = logging.getLogger(__name__)

SOLVERS = ("statistics", "minibatch")


def _is_integer(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _suffix_products(weights):
    """Return ``A_k = W_L ... W_{k+1}`` as a vector for every layer, ``A_L = [1]``."""
    products = [np.ones(1)]
    for weight in reversed(weights[1:]):
        products.append(products[-1] @ weight)
    return products[::-1]


def collapse_weights(weights, biases):
    """Multiply the layers of a linear network into one affine map.

    Returns
    -------
    coef : ndarray of shape (n_features,)
        ``W_L ... W_1`` as a vector.
    intercept : float
        ``sum_k (W_L ... W_{k+1}) b_k``.
    """
    suffix = _suffix_products(weights)
    coef = suffix[0] @ weights[0]
    intercept = sum(float(a @ b) for a, b in zip(suffix, biases))
    return coef, intercept


@dataclass(frozen=True)
class NetworkPath:
    """Networks trained along a path of L1 weights, as :meth:`fit_path` returns.

    Entry ``i`` of every field belongs to ``alphas[i]``, in the order the
    alphas were given. At each alpha the restart with the lowest final loss is
    reported.

    Attributes
    ----------
    alphas : ndarray of shape (n_alphas,)
        The L1 weights.
    coef : ndarray of shape (n_alphas, n_features)
        Collapsed coefficients ``W_L ... W_1`` in standardized units: the
        network predicts the standardized target ``(y - y_mean_) / y_scale_``
        as ``Z @ coef[i]`` for standardized inputs ``Z = (X - x_mean_) /
        x_scale_``, with no intercept. ``coef[i] * y_scale_ / x_scale_`` is in
        the units of the data. A zero means the L1 penalty removed the term.
    loss : ndarray of shape (n_alphas,)
        Final loss, mean squared error of the standardized target plus
        ``alphas[i]`` times the L1 norm of the weights.
    n_iter : ndarray of int, shape (n_alphas,)
        Training steps run at each alpha.
    converged : ndarray of bool, shape (n_alphas,)
        Whether the relative loss change fell below ``tol`` before ``max_iter``.
    loss_history : list of ndarray
        ``loss_history[i]`` has shape ``(n_iter[i],)``: the loss after every
        step at ``alphas[i]``.
    """

    alphas: np.ndarray
    coef: np.ndarray
    loss: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray
    loss_history: list


class SparseLinearNetwork:
    r"""Feed-forward network with linear activations and an L1 penalty.

    The inputs and the target are standardized, and the network minimizes

    .. math::

        \frac{1}{n} \lVert t - (Z W_1^\top \cdots W_L^\top + c_0) \rVert_2^2
        + \alpha \sum_k \lVert W_k \rVert_1

    where ``Z`` are the standardized inputs, ``t`` the standardized target and
    ``c_0`` the output of the biases. Two solvers minimize it:

    ``"statistics"`` (the default)
        The loss depends on the data only through
        :class:`~eqdiscover.statistics.Statistics`, so one training step costs
        ``O(n_features**2)`` whatever the number of rows. Training is proximal
        gradient descent with Nesterov momentum, restarted whenever the loss
        would rise: a gradient step on the squared error with a step size
        found by backtracking, then soft-thresholding of every weight, which
        sets weights exactly to zero. All restarts train together as one batch.
    ``"minibatch"``
        Proximal gradient steps on shuffled mini-batches of rows, with
        back-propagation through the layers and a decaying learning rate, as
        networks are usually trained. It needs the rows, so it works in
        :meth:`fit` only. Each step costs ``O(batch_size * n_features)``.

    Parameters
    ----------
    layer_sizes : sequence of int, default=None
        Sizes ``[n_features, h_1, ..., 1]`` of every layer. None means
        ``[n_features, 2, 1]``.
    alpha : float, default=1e-3
        Weight of the L1 penalty in standardized units.
    solver : {"statistics", "minibatch"}, default="statistics"
        Training method, see above.
    max_iter : int, default=5000
        Maximum number of training steps, or of epochs for ``"minibatch"``.
    tol : float, default=1e-10
        Training stops when the relative change of the loss in one step (one
        epoch for ``"minibatch"``) falls below ``tol``.
    n_restarts : int, default=1
        Number of random initializations trained. The one with the lowest
        final loss is kept, because the loss of a multi-layer network has
        several local minima.
    batch_size : int, default=32
        Rows per mini-batch of the ``"minibatch"`` solver.
    learning_rate : float, default=0.01
        Initial step size of the ``"minibatch"`` solver; epoch ``e`` uses
        ``learning_rate / (1 + e / 10)``.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the He initialization of the weights and of the shuffling of
        the rows.

    Attributes
    ----------
    weights_ : list of ndarray
        ``weights_[k]`` has shape ``(layer_sizes[k + 1], layer_sizes[k])``;
        standardized units.
    biases_ : list of ndarray
        ``biases_[k]`` has shape ``(layer_sizes[k + 1],)``.
    coef_ : ndarray of shape (n_features,)
        Collapsed coefficients in the units of the data.
    intercept_ : float
        Collapsed intercept in the units of the data.
    loss_history_ : ndarray of shape (n_iter_,)
        Loss after every training step (epoch for ``"minibatch"``) of the kept
        restart.
    n_iter_ : int
        Number of training steps (epochs) run by the kept restart.
    restart_losses_ : ndarray of shape (n_restarts,)
        Final loss of every restart.
    best_restart_ : int
        Index of the kept restart.

    Examples
    --------
    A [1, 2, 1] network learns Fahrenheit to Celsius. Its two weight matrices
    multiply into the slope 5/9, and its biases into the intercept -160/9:

    >>> import numpy as np
    >>> from fractions import Fraction
    >>> fahrenheit = np.linspace(-40, 120, 50).reshape(-1, 1)
    >>> celsius = (fahrenheit[:, 0] - 32) * 5 / 9
    >>> net = SparseLinearNetwork([1, 2, 1], alpha=0.0, random_state=0)
    >>> coef, intercept = net.fit(fahrenheit, celsius).collapse()
    >>> round(float(coef[0]), 6), round(float(intercept), 4)
    (0.555556, -17.7778)
    >>> [w.shape for w in net.weights_]
    [(2, 1), (1, 2)]
    >>> str(Fraction(coef[0]).limit_denominator(100))
    '5/9'
    >>> str(Fraction(intercept).limit_denominator(100))
    '-160/9'
    """

    def __init__(
        self,
        layer_sizes=None,
        *,
        alpha=1e-3,
        solver="statistics",
        max_iter=5000,
        tol=1e-10,
        n_restarts=1,
        batch_size=32,
        learning_rate=0.01,
        random_state=None,
    ):
        self.layer_sizes = layer_sizes
        self.alpha = alpha
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.n_restarts = n_restarts
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.random_state = random_state

    def fit(self, X, y):
        """Train on the rows of ``X`` and ``y`` and return self."""
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        if X.ndim != 2:
            raise DataError(
                f"X must be 2-D with one column per feature, got shape {X.shape}."
            )
        if y.shape != (len(X),):
            raise DataError(
                f"y has shape {y.shape} but X has {len(X)} rows; give one target "
                f"value per row."
            )
        if not (np.isfinite(X).all() and np.isfinite(y).all()):
            raise DataError(
                "X and y contain NaN or infinite values; remove or replace them."
            )
        stats = Statistics.from_arrays(X, y)
        if self.solver == "minibatch":
            return self._fit_minibatch(stats, X, y)
        return self.fit_statistics(stats)

    def fit_statistics(self, stats):
        """Train on the statistics of the rows and return self."""
        sizes = self._validate(stats.n_features)
        self._require_statistics_solver("fit_statistics")
        self._store_scaling(stats)
        rng = np.random.default_rng(self.random_state)
        weights = self._initial_weights(sizes, stats.varies[:-1], rng)
        result = train_on_statistics(
            weights,
            *stats.standardized_gram(),
            alpha=float(self.alpha),
            max_iter=self.max_iter,
            tol=float(self.tol),
        )
        self._store_result(result)
        return self

    def fit_path(self, stats, alphas):
        """Train along a path of L1 weights, each warm-started from the last.

        Training runs from the smallest alpha to the largest, each starting
        from the weights trained for the one before. It runs in that order
        because a network of two or more layers whose weights have all reached
        zero cannot leave that point, where its gradient is zero. All
        ``n_restarts`` initializations follow the path together.

        Afterwards the network keeps the weights trained for ``alphas[-1]``.

        Parameters
        ----------
        stats : Statistics
            Statistics of the rows.
        alphas : sequence of float
            L1 weights, each >= 0, in any order.

        Returns
        -------
        NetworkPath
            One entry per alpha, in the order of ``alphas``.
        """
        sizes = self._validate(stats.n_features)
        self._require_statistics_solver("fit_path")
        alphas = self._validate_alphas(alphas)
        self._store_scaling(stats)
        rng = np.random.default_rng(self.random_state)
        weights = self._initial_weights(sizes, stats.varies[:-1], rng)
        statistics = stats.standardized_gram()
        results = [None] * len(alphas)
        for index in np.argsort(alphas, kind="stable"):
            results[index] = train_on_statistics(
                weights,
                *statistics,
                alpha=float(alphas[index]),
                max_iter=self.max_iter,
                tol=float(self.tol),
            )
            weights = results[index].weights
        best = [int(np.argmin(result.loss)) for result in results]
        path = NetworkPath(
            alphas=alphas,
            coef=np.array(
                [
                    collapse_weights(
                        [w[b] for w in r.weights], [c[b] for c in r.biases]
                    )[0]
                    for r, b in zip(results, best)
                ]
            ),
            loss=np.array([r.loss[b] for r, b in zip(results, best)]),
            n_iter=np.array([r.n_iter[b] for r, b in zip(results, best)]),
            converged=np.array([bool(r.converged[b]) for r, b in zip(results, best)]),
            loss_history=[r.history_of(b) for r, b in zip(results, best)],
        )
        self._store_result(results[-1], warn=False)
        if not path.converged.all():
            stopped = ", ".join(f"{a:g}" for a in alphas[~path.converged])
            warnings.warn(
                f"SparseLinearNetwork stopped after {self.max_iter} iterations "
                f"above tol={self.tol:.1e} at alpha {stopped}; increase max_iter "
                f"or tol.",
                ConvergenceWarning,
                stacklevel=2,
            )
        return path

    def _fit_minibatch(self, stats, X, y):
        sizes = self._validate(stats.n_features)
        self._store_scaling(stats)
        varies = stats.varies[:-1]
        inputs = np.where(varies, (X - self.x_mean_) / self.x_scale_, 0.0)
        target = (y - self.y_mean_) / self.y_scale_
        rng = np.random.default_rng(self.random_state)
        initial = self._initial_weights(sizes, varies, rng)
        results = []
        for restart in range(self.n_restarts):
            results.append(
                train_on_minibatches(
                    [w[restart] for w in initial],
                    [np.zeros(n_out) for n_out in sizes[1:]],
                    inputs,
                    target,
                    alpha=float(self.alpha),
                    max_iter=self.max_iter,
                    tol=float(self.tol),
                    batch_size=self.batch_size,
                    learning_rate=float(self.learning_rate),
                    rng=rng,
                )
            )
        best = int(np.argmin([r.loss[0] for r in results]))
        self._store_result(results[best], restart_losses=[r.loss[0] for r in results])
        self.best_restart_ = best
        return self

    def _initial_weights(self, sizes, varies, rng):
        """Draw He-initialized weights of every restart, stacked on axis 0."""
        draws = [
            [
                rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_out, n_in))
                for n_in, n_out in itertools.pairwise(sizes)
            ]
            for _ in range(self.n_restarts)
        ]
        weights = [np.stack(layer) for layer in zip(*draws)]
        # Inputs that do not vary get zero weights, and their gradient is zero.
        weights[0][:, :, ~varies] = 0.0
        return weights

    def _store_result(self, result, *, warn=True, restart_losses=None):
        best = int(np.argmin(result.loss))
        self.weights_ = [w[best].copy() for w in result.weights]
        self.biases_ = [b[best].copy() for b in result.biases]
        self.loss_history_ = result.history_of(best)
        self.n_iter_ = int(result.n_iter[best])
        self.best_restart_ = best
        self.restart_losses_ = (
            np.asarray(result.loss)
            if restart_losses is None
            else np.asarray(restart_losses)
        )
        self.coef_, self.intercept_ = self.collapse()
        if warn and not result.converged[best]:
            unit = "epochs" if self.solver == "minibatch" else "iterations"
            warnings.warn(
                f"SparseLinearNetwork stopped after {self.max_iter} {unit} with "
                f"a relative loss change of {result.change[best]:.2e}, above "
                f"tol={self.tol:.1e}; increase max_iter or tol.",
                ConvergenceWarning,
                stacklevel=3,
            )

    def _require_statistics_solver(self, method):
        if self.solver != "statistics":
            raise ValueError(
                f"{method} of SparseLinearNetwork trains from statistics, but "
                f"solver is {self.solver!r}; use solver='statistics' or call "
                f"fit(X, y)."
            )

    def _validate_alphas(self, alphas):
        values = np.asarray(alphas, dtype=float)
        if values.ndim != 1 or len(values) == 0:
            raise ValueError(
                f"alphas of SparseLinearNetwork.fit_path must be a non-empty "
                f"sequence of numbers, got {alphas!r}."
            )
        if not (np.isfinite(values).all() and (values >= 0).all()):
            raise ValueError(
                f"alphas of SparseLinearNetwork.fit_path must be finite numbers "
                f">= 0, got {alphas!r}."
            )
        return values

    def _validate(self, n_features):
        sizes = self.layer_sizes
        if sizes is None:
            sizes = [n_features, 2, 1]
        sizes = list(sizes)
        valid = len(sizes) >= 2 and all(_is_integer(s) and s >= 1 for s in sizes)
        if not valid or sizes[-1] != 1 or sizes[0] != n_features:
            raise ValueError(
                f"layer_sizes of SparseLinearNetwork must be positive integers "
                f"[{n_features}, ..., 1] for {n_features} features, got "
                f"{self.layer_sizes}."
            )
        for name in ("alpha", "tol"):
            value = getattr(self, name)
            if not _is_real(value) or not 0.0 <= value < np.inf:
                raise ValueError(
                    f"{name} of SparseLinearNetwork must be a number >= 0.0, "
                    f"got {value!r}."
                )
        if self.solver not in SOLVERS:
            raise ValueError(
                f"solver of SparseLinearNetwork must be one of "
                f"{', '.join(map(repr, SOLVERS))}, got {self.solver!r}."
            )
        for name in ("max_iter", "n_restarts", "batch_size"):
            value = getattr(self, name)
            if not _is_integer(value) or value < 1:
                raise ValueError(
                    f"{name} of SparseLinearNetwork must be an integer >= 1, got "
                    f"{value!r}."
                )
        rate = self.learning_rate
        if not _is_real(rate) or not 0.0 < rate < np.inf:
            raise ValueError(
                f"learning_rate of SparseLinearNetwork must be a number > 0.0, "
                f"got {rate!r}."
            )
        seed = self.random_state
        if not (seed is None or isinstance(seed, np.random.Generator)) and (
            not _is_integer(seed) or seed < 0
        ):
            raise ValueError(
                f"random_state of SparseLinearNetwork must be None, a "
                f"non-negative integer or a numpy Generator, got {seed!r}."
            )
        return sizes

    def _store_scaling(self, stats):
        mean, scale = stats.mean, stats.scale
        self.x_mean_, self.y_mean_ = mean[:-1], float(mean[-1])
        self.x_scale_, self.y_scale_ = scale[:-1], float(scale[-1])
        self.n_features_in_ = stats.n_features

    def _check_fitted(self):
        if not hasattr(self, "weights_"):
            raise NotFittedError(
                "This SparseLinearNetwork is not fitted yet; call fit first."
            )

    def collapse(self):
        """Return the effective coefficients and intercept in the data's units.

        Returns
        -------
        coef : ndarray of shape (n_features,)
        intercept : float
        """
        self._check_fitted()
        coef, intercept = collapse_weights(self.weights_, self.biases_)
        with np.errstate(over="ignore"):
            coef_data = coef * self.y_scale_ / self.x_scale_
        intercept_data = (
            self.y_mean_ + self.y_scale_ * intercept - coef_data @ self.x_mean_
        )
        return coef_data, float(intercept_data)

    def predict(self, X):
        """Run the forward pass layer by layer.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        self._check_fitted()
        X = np.asarray(X, dtype=float)
        activations = ((X - self.x_mean_) / self.x_scale_).T
        for weight, bias in zip(self.weights_, self.biases_):
            activations = weight @ activations + bias[:, None]
        return self.y_mean_ + self.y_scale_ * activations[0]
