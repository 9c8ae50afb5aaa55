"""Fit time and time per training step against the number of rows.

For each row count and number of inputs, the inputs are drawn uniformly from
[-1.5, 1.5] and the target is ``2*x0 - 0.5*x0**2 + 1`` plus ``sin`` of each
other input. The whole ``eqdiscover.fit`` of that DataFrame is timed with the
default library. Then the network alone is trained on the statistics of the
default library matrix, to time one training step. Training reads only the
statistics, so the time per step should not depend on the number of rows.

Usage::

    python benchmarks/rows.py [--rows 1e3,1e4,1e5,1e6,1e7] [--inputs 1,2,3]
"""

import argparse
import time
import warnings

import numpy as np
import pandas as pd

import eqdiscover
from eqdiscover.library import FeatureLibrary
from eqdiscover.network import SparseLinearNetwork
from eqdiscover.statistics import Statistics


def make_frame(n_rows, n_inputs, seed=0):
    rng = np.random.default_rng(seed)
    inputs = {f"x{i}": rng.uniform(-1.5, 1.5, n_rows) for i in range(n_inputs)}
    y = 2 * inputs["x0"] - 0.5 * inputs["x0"] ** 2 + 1
    for i in range(1, n_inputs):
        y = y + np.sin(inputs[f"x{i}"])
    return pd.DataFrame({**inputs, "y": y})


def measure(n_rows, n_inputs):
    """Return (fit seconds, training steps, microseconds per step)."""
    frame = make_frame(n_rows, n_inputs)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eqdiscover.fit(frame, "y")
    fit_seconds = time.perf_counter() - start

    inputs = frame.drop(columns="y")
    theta = FeatureLibrary().fit(inputs).transform(inputs)[:, 1:]
    stats = Statistics.from_arrays(theta, frame["y"].to_numpy())
    network = SparseLinearNetwork(random_state=0)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        network.fit_statistics(stats)
    train_seconds = time.perf_counter() - start
    return fit_seconds, network.n_iter_, 1e6 * train_seconds / network.n_iter_


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1e3,1e4,1e5,1e6,1e7")
    parser.add_argument("--inputs", default="1,2,3")
    args = parser.parse_args()
    print("| rows | inputs | terms | fit (s) | training steps | µs per step |")
    print("| --- | --- | --- | --- | --- | --- |")
    for n_inputs in [int(n) for n in args.inputs.split(",")]:
        for n_rows in [int(float(r)) for r in args.rows.split(",")]:
            fit_seconds, steps, per_step = measure(n_rows, n_inputs)
            print(
                f"| {n_rows:.0e} | {n_inputs} | {1 + 6 * n_inputs} | "
                f"{fit_seconds:.3f} | {steps} | {per_step:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
