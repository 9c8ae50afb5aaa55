"""Training loops of :class:`~eqdiscover.network.SparseLinearNetwork`.

Two solvers minimize the same objective, the mean squared error of the
standardized target plus ``alpha`` times the L1 norm of every weight:

- :func:`train_on_statistics` uses only the Gram statistics of the
  standardized data, so one step costs ``O(n_features**2)`` whatever the
  number of rows. It trains a batch of weight sets at once (random restarts),
  so that the Python overhead of a step is paid once for the whole batch.
- :func:`train_on_minibatches` reads the rows in shuffled mini-batches and
  back-propagates through the layers, as a network is usually trained.

Both take a gradient step on the squared error and then soft-threshold the
weights (a proximal step), which sets weights exactly to zero. The biases
carry no penalty.
"""

import itertools
from dataclasses import dataclass

import numpy as np

from .exceptions import DataError

__all__ = ["TrainingResult", "train_on_minibatches", "train_on_statistics"]

_LOSS_FLOOR = 1e-12  # loss scale below which changes count as absolute, not relative
_MIN_STEP = 1e-20  # backtracking accepts any step this small
_STEP_GROWTH = 1.1  # factor by which the step size grows after each step


@dataclass(frozen=True)
class TrainingResult:
    """Weights after training a batch of networks, and how training went.

    Attributes
    ----------
    weights : list of ndarray
        ``weights[k]`` has shape ``(n_batch, n_out, n_in)``.
    biases : list of ndarray
        ``biases[k]`` has shape ``(n_batch, n_out)``.
    loss : ndarray of shape (n_batch,)
        Final loss of each network, penalty included.
    history : ndarray of shape (n_steps, n_batch)
        Loss after every step. A network that stopped early repeats its last
        loss.
    n_iter : ndarray of shape (n_batch,)
        Steps (or epochs) run by each network until it stopped.
    change : ndarray of shape (n_batch,)
        Relative change of the loss in each network's last step.
    converged : ndarray of shape (n_batch,)
        Whether each network stopped because the change fell below ``tol``.
    """

    weights: list
    biases: list
    loss: np.ndarray
    history: np.ndarray
    n_iter: np.ndarray
    change: np.ndarray
    converged: np.ndarray

    def history_of(self, index):
        """Return the losses of network ``index`` up to the step it stopped."""
        return self.history[: self.n_iter[index], index]


def _soft_threshold(values, threshold):
    """Shrink ``values`` towards zero by ``threshold``, to exactly zero within it."""
    return values - np.minimum(np.maximum(values, -threshold), threshold)


def _row_dot(a, b):
    return np.einsum("ij,ij->i", a, b)


def _relative_change(old, new):
    return np.abs(old - new) / np.maximum(np.abs(old), _LOSS_FLOOR)


class _FlatLayout:
    """Positions of every weight matrix in a row of a ``(n_batch, n_params)`` array.

    Keeping all weights in one array makes the momentum, gradient and
    soft-thresholding steps a few array operations each, whatever the number
    of layers.
    """

    def __init__(self, layer_sizes):
        self.shapes = [(n_out, n_in) for n_in, n_out in itertools.pairwise(layer_sizes)]
        sizes = [n_out * n_in for n_out, n_in in self.shapes]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).tolist()

    @property
    def n_params(self):
        return self.offsets[-1]

    def views(self, flat):
        """Return one ``(n_batch, n_out, n_in)`` view of ``flat`` per layer."""
        n_batch = flat.shape[0]
        return [
            flat[:, start:stop].reshape(n_batch, *shape)
            for start, stop, shape in zip(self.offsets, self.offsets[1:], self.shapes)
        ]

    def flatten(self, weights):
        n_batch = weights[0].shape[0]
        return np.concatenate([w.reshape(n_batch, -1) for w in weights], axis=1)


class _GramObjective:
    """Squared error of a batch of linear networks, from Gram statistics.

    For collapsed coefficients ``c`` the mean squared error of the
    standardized data is ``t.t/n - 2 c.m + c G c`` with ``G = Z.T Z / n`` and
    ``m = Z.T t / n``. The network's biases are zero: the standardized target
    and inputs have mean zero, so the biases' gradient is zero where they
    start, and they stay there.
    """

    def __init__(self, layout, n_batch, gram, moment, target_moment):
        self.layout = layout
        self.gram = np.asarray(gram, dtype=float)
        self.moment = np.asarray(moment, dtype=float)[None, None, :]
        self.twice_moment = 2 * self.moment
        self.target_moment = float(target_moment)
        self.gradient = np.zeros((n_batch, layout.n_params))
        self.gradient_views = layout.views(self.gradient)

    def collapse(self, weights):
        """Return ``W_L ... W_1`` of each network, shape ``(n_batch, 1, n_features)``."""
        coef = weights[-1]
        for weight in reversed(weights[:-1]):
            coef = coef @ weight
        return coef

    def value(self, flat):
        coef = self.collapse(self.layout.views(flat))
        quadratic = coef * (coef @ self.gram - self.twice_moment)
        return self.target_moment + quadratic.sum(axis=(1, 2))

    def value_and_gradient(self, flat):
        """Return the loss of each network and its gradient, laid out as ``flat``.

        The gradient array is reused by the next call.
        """
        weights = self.layout.views(flat)
        # suffixes[k] is the product of the layers after weights[k], None for the last.
        suffixes = [None] * len(weights)
        product = None
        for k in range(len(weights) - 1, 0, -1):
            product = weights[k] if product is None else product @ weights[k]
            suffixes[k - 1] = product
        coef = weights[0] if product is None else product @ weights[0]
        gram_coef = coef @ self.gram
        value = self.target_moment + (coef * (gram_coef - self.twice_moment)).sum(
            axis=(1, 2)
        )
        # Chain rule: with u_k = dL/dc (W_{k-1} ... W_1)^T, the gradient of W_k
        # is suffix_k^T u_k, and u_{k+1} = u_k W_k^T.
        upstream = 2 * (gram_coef - self.moment)
        for k, weight in enumerate(weights):
            if suffixes[k] is None:
                self.gradient_views[k][...] = upstream
            else:
                np.matmul(
                    suffixes[k].swapaxes(1, 2), upstream, out=self.gradient_views[k]
                )
            if k + 1 < len(weights):
                upstream = upstream @ weight.swapaxes(1, 2)
        return value, self.gradient


def train_on_statistics(weights, gram, moment, target_moment, *, alpha, max_iter, tol):
    """Train a batch of linear networks on Gram statistics.

    Runs proximal gradient descent with Nesterov momentum (FISTA). Each
    network has its own step size, found by backtracking until the quadratic
    upper bound of the squared error holds. The momentum of a network is
    restarted whenever its loss would rise, so every loss falls at every step.
    A network stops when the relative change of its loss in one step falls
    below ``tol``. The others go on until all stop or ``max_iter`` steps ran.

    Parameters
    ----------
    weights : list of ndarray
        Initial weights, ``weights[k]`` of shape ``(n_batch, n_out, n_in)``.
    gram, moment, target_moment
        Standardized statistics, as
        :meth:`~eqdiscover.statistics.Statistics.standardized_gram` returns.
    alpha : float
        Weight of the L1 penalty.
    max_iter : int
    tol : float

    Returns
    -------
    TrainingResult
    """
    sizes = [weights[0].shape[2]] + [w.shape[1] for w in weights]
    layout = _FlatLayout(sizes)
    n_batch = weights[0].shape[0]
    objective = _GramObjective(layout, n_batch, gram, moment, target_moment)

    def penalty(flat):
        return alpha * np.abs(flat).sum(axis=1)

    def proximal_step(point, step):
        """Return the accepted point, its smooth loss and the step sizes."""
        smooth, gradient = objective.value_and_gradient(point)
        while True:
            moved = _soft_threshold(point - step * gradient, step * alpha)
            moved_smooth = objective.value(moved)
            delta = moved - point
            bound = _row_dot(gradient + delta / (2 * step), delta)
            accepted = (moved_smooth <= smooth + bound + 1e-15) | (
                step[:, 0] < _MIN_STEP
            )
            if accepted.all():
                return moved, moved_smooth, step
            step = np.where(accepted[:, None], step, 0.5 * step)

    params = layout.flatten(weights)
    previous = params
    loss = objective.value(params) + penalty(params)
    step = np.ones((n_batch, 1))
    momentum_count = np.ones(n_batch)
    active = np.ones(n_batch, dtype=bool)
    n_iter = np.zeros(n_batch, dtype=int)
    change = np.full(n_batch, np.inf)
    history = []
    for _ in range(int(max_iter)):
        next_count = (1 + np.sqrt(1 + 4 * momentum_count**2)) / 2
        beta = ((momentum_count - 1) / next_count)[:, None]
        point = params + beta * (params - previous)
        moved, moved_smooth, step = proximal_step(point, step)
        new_loss = moved_smooth + penalty(moved)
        rising = new_loss > loss
        if rising.any():
            # A backtracked step from the current weights, without momentum, does
            # not raise the loss unless backtracking stopped at _MIN_STEP.
            plain, plain_smooth, plain_step = proximal_step(params, step)
            moved = np.where(rising[:, None], plain, moved)
            new_loss = np.where(rising, plain_smooth + penalty(plain), new_loss)
            step = np.where(rising[:, None], plain_step, step)
            next_count = np.where(rising, 1.0, next_count)
        if not active.all():
            # Networks that stopped keep their weights.
            moved = np.where(active[:, None], moved, params)
            new_loss = np.where(active, new_loss, loss)
        change = np.where(active, _relative_change(loss, new_loss), change)
        previous, params, loss = params, moved, new_loss
        momentum_count = next_count
        n_iter += active
        history.append(loss)
        active &= change >= tol
        if not active.any():
            break
        step *= _STEP_GROWTH

    final_weights = [w.copy() for w in layout.views(params)]
    biases = [np.zeros((n_batch, n_out)) for n_out in sizes[1:]]
    return TrainingResult(
        weights=final_weights,
        biases=biases,
        loss=loss,
        history=np.array(history).reshape(-1, n_batch),
        n_iter=n_iter,
        change=change,
        converged=change < tol,
    )


def _forward(weights, biases, inputs):
    """Return the activations of every layer, the inputs first."""
    activations = [inputs]
    for weight, bias in zip(weights, biases):
        activations.append(activations[-1] @ weight.T + bias)
    return activations


def _rows_gradients(weights, biases, inputs, target):
    """Back-propagate the mean squared error of the given rows.

    Returns
    -------
    weight_gradients, bias_gradients : list of ndarray
        Shaped as ``weights`` and ``biases``.
    """
    activations = _forward(weights, biases, inputs)
    delta = 2 * (activations[-1] - target[:, None]) / len(target)
    weight_gradients = [None] * len(weights)
    bias_gradients = [None] * len(weights)
    for k in range(len(weights) - 1, -1, -1):
        weight_gradients[k] = delta.T @ activations[k]
        bias_gradients[k] = delta.sum(axis=0)
        delta = delta @ weights[k]
    return weight_gradients, bias_gradients


def _rows_loss(weights, biases, inputs, target, alpha):
    output = _forward(weights, biases, inputs)[-1][:, 0]
    residual = output - target
    penalty = alpha * sum(np.abs(w).sum() for w in weights)
    return float(residual @ residual) / len(target) + penalty


def train_on_minibatches(
    weights,
    biases,
    inputs,
    target,
    *,
    alpha,
    max_iter,
    tol,
    batch_size,
    learning_rate,
    rng,
):
    """Train one linear network on standardized rows in shuffled mini-batches.

    Each epoch shuffles the rows with ``rng`` and takes one proximal step of
    size ``learning_rate`` per mini-batch: a step along the batch's gradient,
    then soft-thresholding of the weights. The batch gradient is variance
    reduced (prox-SVRG): each epoch starts by back-propagating all rows at a
    snapshot of the weights, and every step uses the batch's gradient minus
    the batch's gradient at the snapshot plus the full gradient at the
    snapshot. The mini-batch noise then vanishes as training settles, so the
    weights reach the same minimum, exact zeros included, as full-data
    training. Training stops when the relative change of the full-data loss
    over one epoch falls below ``tol``, or after ``max_iter`` epochs.

    Parameters
    ----------
    weights, biases : list of ndarray
        Initial weights of shape ``(n_out, n_in)`` and biases of ``(n_out,)``.
    inputs : ndarray of shape (n_samples, n_features)
        Standardized inputs.
    target : ndarray of shape (n_samples,)
        Standardized target.

    Returns
    -------
    TrainingResult
        For a batch of one network.
    """
    weights = [w.copy() for w in weights]
    biases = [b.copy() for b in biases]
    n_samples = len(target)
    loss = _rows_loss(weights, biases, inputs, target, alpha)
    history = []
    change = np.inf
    threshold = learning_rate * alpha
    for epoch in range(int(max_iter)):
        snapshot = [w.copy() for w in weights], [b.copy() for b in biases]
        full_weights, full_biases = _rows_gradients(*snapshot, inputs, target)
        order = rng.permutation(n_samples)
        # A learning rate too large for the data overflows; the check of the
        # loss below reports it.
        with np.errstate(over="ignore", invalid="ignore"):
            for start in range(0, n_samples, batch_size):
                rows = order[start : start + batch_size]
                batch = inputs[rows], target[rows]
                now_weights, now_biases = _rows_gradients(weights, biases, *batch)
                then_weights, then_biases = _rows_gradients(*snapshot, *batch)
                for k in range(len(weights)):
                    step = now_weights[k] - then_weights[k] + full_weights[k]
                    moved = weights[k] - learning_rate * step
                    weights[k] = _soft_threshold(moved, threshold)
                    step = now_biases[k] - then_biases[k] + full_biases[k]
                    biases[k] = biases[k] - learning_rate * step
            new_loss = _rows_loss(weights, biases, inputs, target, alpha)
        if not np.isfinite(new_loss):
            raise DataError(
                f"Mini-batch training diverged in epoch {epoch + 1} with "
                f"learning_rate={learning_rate:g}; give a smaller learning_rate."
            )
        change = float(_relative_change(loss, new_loss))
        loss = new_loss
        history.append(loss)
        if change < tol:
            break
    return TrainingResult(
        weights=[w[None] for w in weights],
        biases=[b[None] for b in biases],
        loss=np.array([loss]),
        history=np.array(history).reshape(-1, 1),
        n_iter=np.array([len(history)]),
        change=np.array([change]),
        converged=np.array([change < tol]),
    )
