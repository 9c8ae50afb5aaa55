"""Linear feed-forward network with an L1 penalty on its weights."""

import itertools
import logging
import numbers
import warnings

import numpy as np

from .exceptions import ConvergenceWarning, DataError, NotFittedError
from .statistics import Statistics

__all__ = ["SparseLinearNetwork"]

logger = logging.getLogger(__name__)

_LOSS_FLOOR = 1e-12  # loss scale below which changes count as absolute, not relative


def _is_integer(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _soft_threshold(values, amount):
    return np.sign(values) * np.maximum(np.abs(values) - amount, 0.0)


def _prefix_products(weights):
    """Return ``B_k = W_{k-1} ... W_1`` for every layer, with ``B_1`` the identity."""
    products = [np.eye(weights[0].shape[1])]
    for weight in weights[:-1]:
        products.append(weight @ products[-1])
    return products


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


class _Layout:
    """Positions of every weight matrix and bias vector in one flat vector."""

    def __init__(self, weights, biases):
        self.shapes = [w.shape for w in weights] + [b.shape for b in biases]
        sizes = [int(np.prod(shape)) for shape in self.shapes]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)])
        n_weights = sum(sizes[: len(weights)])
        self.n_layers = len(weights)
        self.penalty_mask = np.arange(self.offsets[-1]) < n_weights

    def flatten(self, weights, biases):
        return np.concatenate([a.ravel() for a in [*weights, *biases]])

    def split(self, flat):
        parts = [
            flat[start:stop].reshape(shape)
            for start, stop, shape in zip(self.offsets, self.offsets[1:], self.shapes)
        ]
        return parts[: self.n_layers], parts[self.n_layers :]


class SparseLinearNetwork:
    r"""Feed-forward network with linear activations and an L1 penalty.

    The inputs and the target are standardized, and the network minimizes

    .. math::

        \frac{1}{n} \lVert t - (Z W_1^\top \cdots W_L^\top + c_0) \rVert_2^2
        + \alpha \sum_k \lVert W_k \rVert_1

    where ``Z`` are the standardized inputs, ``t`` the standardized target and
    ``c_0`` the output of the biases. The loss depends on the data only through
    :class:`~eqdiscover.statistics.Statistics`, so one training step costs
    ``O(n_features**2)`` whatever the number of rows. Training is proximal
    gradient descent with Nesterov momentum, restarted whenever the loss would
    rise: a gradient step on the squared error with a step size found by
    backtracking, then soft-thresholding of every weight, which sets weights
    exactly to zero.

    Parameters
    ----------
    layer_sizes : sequence of int, default=None
        Sizes ``[n_features, h_1, ..., 1]`` of every layer. None means
        ``[n_features, 2, 1]``.
    alpha : float, default=1e-3
        Weight of the L1 penalty in standardized units.
    max_iter : int, default=5000
        Maximum number of training steps.
    tol : float, default=1e-10
        Training stops when the relative change of the loss falls below ``tol``.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the He initialization of the weights.

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
        Loss after every training step.
    n_iter_ : int
        Number of training steps run.

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
        max_iter=5000,
        tol=1e-10,
        random_state=None,
    ):
        self.layer_sizes = layer_sizes
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
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
        return self.fit_statistics(Statistics.from_arrays(X, y))

    def fit_statistics(self, stats):
        """Train on the statistics of the rows and return self."""
        sizes = self._validate(stats.n_features)
        self._store_scaling(stats)
        gram, moment, target_moment = stats.standardized_gram()
        rng = np.random.default_rng(self.random_state)
        weights = [
            rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_out, n_in))
            for n_in, n_out in itertools.pairwise(sizes)
        ]
        # Inputs that do not vary get zero weights, and their gradient is zero.
        weights[0][:, ~stats.varies[:-1]] = 0.0
        biases = [np.zeros(n_out) for n_out in sizes[1:]]
        self._train(weights, biases, gram, moment, target_moment)
        self.coef_, self.intercept_ = self.collapse()
        return self

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
            valid = isinstance(value, numbers.Real) and not isinstance(value, bool)
            if not valid or not 0.0 <= value < np.inf:
                raise ValueError(
                    f"{name} of SparseLinearNetwork must be a number >= 0.0, "
                    f"got {value!r}."
                )
        if not _is_integer(self.max_iter) or self.max_iter < 1:
            raise ValueError(
                f"max_iter of SparseLinearNetwork must be an integer >= 1, got "
                f"{self.max_iter!r}."
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

    def _train(self, weights, biases, gram, moment, target_moment):
        # All weights and biases live in one flat vector, so that a training step
        # is a few vector operations; the biases carry no L1 penalty.
        layout = _Layout(weights, biases)
        params = layout.flatten(weights, biases)
        penalized = layout.penalty_mask

        def smooth_loss(flat):
            coef, intercept = collapse_weights(*layout.split(flat))
            return target_moment - 2 * coef @ moment + coef @ gram @ coef + intercept**2

        def penalty(flat):
            return self.alpha * np.abs(flat[penalized]).sum()

        def proximal_step(point, step):
            """Take one backtracking proximal gradient step from ``point``."""
            smooth = smooth_loss(point)
            grad = layout.flatten(*self._gradients(*layout.split(point), gram, moment))
            while True:
                moved = point - step * grad
                moved = np.where(
                    penalized, _soft_threshold(moved, step * self.alpha), moved
                )
                new_smooth = smooth_loss(moved)
                delta = moved - point
                bound = smooth + grad @ delta + delta @ delta / (2 * step)
                if new_smooth <= bound + 1e-15 or step < 1e-20:
                    return moved, new_smooth + penalty(moved), step
                step *= 0.5

        # Nesterov momentum, restarted whenever the loss would rise, keeps the
        # loss falling at every step while moving faster through flat valleys.
        step = 1.0
        loss = smooth_loss(params) + penalty(params)
        previous = params
        momentum_count = 1.0
        history = []
        change = np.inf
        for _ in range(int(self.max_iter)):
            next_count = (1 + np.sqrt(1 + 4 * momentum_count**2)) / 2
            beta = (momentum_count - 1) / next_count
            point = params + beta * (params - previous)
            moved, new_loss, step = proximal_step(point, step)
            if new_loss > loss:
                moved, new_loss, step = proximal_step(params, step)
                next_count = 1.0
            change = abs(loss - new_loss) / max(abs(loss), _LOSS_FLOOR)
            previous, params, loss = params, moved, new_loss
            momentum_count = next_count
            history.append(loss)
            step *= 2.0
            if change < self.tol:
                break
        else:
            warnings.warn(
                f"SparseLinearNetwork stopped after {self.max_iter} iterations with "
                f"a relative loss change of {change:.2e}, above tol={self.tol:.1e}; "
                f"increase max_iter or tol.",
                ConvergenceWarning,
                stacklevel=3,
            )
        self.weights_, self.biases_ = layout.split(params)
        self.loss_history_ = np.asarray(history)
        self.n_iter_ = len(history)

    @staticmethod
    def _gradients(weights, biases, gram, moment):
        prefix = _prefix_products(weights)
        suffix = _suffix_products(weights)
        coef = suffix[0] @ weights[0]
        intercept = sum(float(a @ b) for a, b in zip(suffix, biases))
        grad_coef = 2 * (gram @ coef - moment)
        grad_w = [np.outer(a, b @ grad_coef) for a, b in zip(suffix, prefix)]
        grad_b = [2 * intercept * a for a in suffix]
        return grad_w, grad_b

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
