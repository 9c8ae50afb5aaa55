"""Time of statistics, network and selection against the number of terms.

FeatureLibrary builds at most 13 terms per input (``poly:10,sin,cos,exp``),
so a library of 2000 terms would need about 150 input columns. This benchmark
skips the library and uses a random matrix of the given width instead:
standard normal columns, with the target a sum of three of them plus 1% noise.
It times the three steps of a fit that follow the library, as ``fit`` runs
them: ``Statistics.from_arrays``, ``SparseLinearNetwork.fit_statistics`` with
the default settings, and ``select_terms``.

Usage::

    python benchmarks/library_size.py [--terms 10,30,100,300,1000,2000] [--rows 5000]
"""

import argparse
import time
import warnings

import numpy as np

from eqdiscover.network import SparseLinearNetwork
from eqdiscover.selection import select_terms
from eqdiscover.statistics import Statistics


def measure(n_terms, n_rows, seed=0):
    """Return the seconds of each step, the training steps and the chosen columns."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_rows, n_terms))
    y = 2 * X[:, 0] - X[:, 1] + 0.5 * X[:, 2]
    y = y + 0.01 * y.std() * rng.standard_normal(n_rows)

    start = time.perf_counter()
    stats = Statistics.from_arrays(X, y)
    statistics_seconds = time.perf_counter() - start

    network = SparseLinearNetwork(random_state=0)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        network.fit_statistics(stats)
    network_seconds = time.perf_counter() - start

    strength = np.abs(network.coef_) * network.x_scale_ / network.y_scale_
    start = time.perf_counter()
    selection = select_terms(stats, strength, [1] * (n_terms + 1), threshold=1e-3)
    selection_seconds = time.perf_counter() - start
    return (
        statistics_seconds,
        network_seconds,
        selection_seconds,
        network.n_iter_,
        selection.chosen.columns,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", default="10,30,100,300,1000,2000")
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()
    print(
        "| terms | statistics (s) | network (s) | steps | µs per step | "
        "selection (s) | total (s) | chosen columns |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for n_terms in [int(n) for n in args.terms.split(",")]:
        stats_s, network_s, selection_s, steps, chosen = measure(n_terms, args.rows)
        total = stats_s + network_s + selection_s
        print(
            f"| {n_terms} | {stats_s:.3f} | {network_s:.3f} | {steps} | "
            f"{1e6 * network_s / steps:.0f} | {selection_s:.3f} | {total:.3f} | "
            f"{chosen} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
