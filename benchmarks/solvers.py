"""Training on statistics against training on mini-batches of rows.

Both solvers of ``SparseLinearNetwork`` minimize the same loss: the squared
error of the standardized target plus alpha times the L1 norm of the weights.
On Fahrenheit to Celsius (``eqdiscover generate fahrenheit_celsius``, 5000
rows, F ~ U(-40, 120) by default) with the default library without its
constant, each network is trained by the statistics solver to convergence.
The mini-batch solver then trains the same network from the same seed, and
the table gives the time it needed to come within ``--within`` of the
statistics solver's final loss, and how far apart the two sets of collapsed
coefficients are then.

Usage::

    python benchmarks/solvers.py [--rows 5000] [--alpha 1e-3] [--epochs 400]
        [--within 1e-6] [--low -40 --high 120]
"""

import argparse
import platform
import time
import warnings

import numpy as np

import eqdiscover
from eqdiscover import FeatureLibrary, SparseLinearNetwork


def library_matrix(rows, low, high):
    frame, metadata = eqdiscover.generate(
        "fahrenheit_celsius", n_samples=rows, low=low, high=high
    )
    inputs = frame.drop(columns=metadata["target"])
    library = FeatureLibrary().fit(inputs)
    theta = library.transform(inputs)
    keep = [i for i, term in enumerate(library.terms_) if not term.is_constant]
    return theta[:, keep], frame[metadata["target"]].to_numpy()


def compare(X, y, layers, alpha, epochs, within):
    """Return (statistics seconds, minibatch seconds or None, epochs, gap)."""
    settings = {"alpha": alpha, "random_state": 0}
    start = time.perf_counter()
    exact = SparseLinearNetwork(layers, max_iter=20_000, **settings).fit(X, y)
    statistics_seconds = time.perf_counter() - start
    target_loss = exact.loss_history_[-1]

    start = time.perf_counter()
    rows = SparseLinearNetwork(
        layers, solver="minibatch", max_iter=epochs, tol=0.0, **settings
    ).fit(X, y)
    minibatch_seconds = time.perf_counter() - start
    history = np.asarray(rows.loss_history_)
    reached = np.flatnonzero(history <= target_loss * (1 + within))
    gap = float(np.max(np.abs(rows.collapse()[0] - exact.collapse()[0])))
    if len(reached) == 0:
        return statistics_seconds, None, len(history), gap, target_loss, history[-1]
    per_epoch = minibatch_seconds / len(history)
    epochs_needed = int(reached[0]) + 1
    return (
        statistics_seconds,
        per_epoch * epochs_needed,
        epochs_needed,
        gap,
        target_loss,
        history[reached[0]],
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--alpha", type=float, default=1e-3)
    parser.add_argument("--epochs", type=int, default=400)
    parser.add_argument("--within", type=float, default=1e-6)
    parser.add_argument("--low", type=float, default=-40.0)
    parser.add_argument("--high", type=float, default=120.0)
    args = parser.parse_args()
    # A mini-batch run that stops at --epochs warns; the table says so instead.
    warnings.simplefilter("ignore", eqdiscover.ConvergenceWarning)
    X, y = library_matrix(args.rows, args.low, args.high)
    print(
        f"eqdiscover {eqdiscover.__version__}, numpy {np.__version__}, Python "
        f"{platform.python_version()}, {platform.machine()}; {args.rows} rows, "
        f"F ~ U({args.low:g}, {args.high:g}), {X.shape[1]} terms, "
        f"alpha {args.alpha:g}\n"
    )
    print(
        "| layers | statistics (s) | minibatch to the same loss (s) | epochs | ratio "
        "| final loss | largest coefficient gap |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for hidden in ([], [2]):
        layers = [X.shape[1], *hidden, 1]
        fast, slow, epochs, gap, loss, _ = compare(
            X, y, layers, args.alpha, args.epochs, args.within
        )
        if slow is None:
            slow_text, ratio = f"not within {args.within:g} in {epochs} epochs", "—"
        else:
            slow_text, ratio = f"{slow:.3f}", f"{slow / fast:.0f}"
        print(
            f"| {layers} | {fast:.3f} | {slow_text} | {epochs} | {ratio} | "
            f"{loss:.9g} | {gap:.2e} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
