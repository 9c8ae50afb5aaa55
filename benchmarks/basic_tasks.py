"""Recovery rate and fit time on the basic generated tasks.

The tasks are the generators of ``eqdiscover generate``: Fahrenheit to
Celsius on U(0, 1) and U(-40, 120), and the four seeded expressions for seeds
0 to 4. Each runs at several noise levels and is fitted with default settings.
The printed Markdown table counts the fits that found exactly the true terms.
It also gives the median fit time beside the time of one
``numpy.linalg.lstsq`` on the whole library matrix of the same data, as a
ratio measured in the same run.

Usage::

    python benchmarks/basic_tasks.py [--rows 5000] [--noise 0,0.01,0.05,0.1]
"""

import argparse
import platform
import statistics
import time
import warnings

import numpy as np

import eqdiscover
from eqdiscover.data import from_frame
from eqdiscover.library import FeatureLibrary

SEEDED = ["linear", "quadratic", "sine_square", "sine_cubic_mix"]


def tasks():
    """Yield (label, generator name, keyword arguments) for every basic task."""
    yield "fahrenheit U(0,1)", "fahrenheit_celsius", {}
    yield "fahrenheit U(-40,120)", "fahrenheit_celsius", {"low": -40, "high": 120}
    for name in SEEDED:
        for seed in range(5):
            yield f"{name} seed {seed}", name, {"seed": seed}


def run_task(name, kwargs, rows, noise):
    """Fit one task; return (terms match, fit seconds, lstsq seconds)."""
    frame, metadata = eqdiscover.generate(name, n_samples=rows, noise=noise, **kwargs)
    dataset = from_frame(frame, target=metadata["target"], truth=metadata["formula"])

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        formula = eqdiscover.fit(dataset)
    fit_seconds = time.perf_counter() - start

    start = time.perf_counter()
    theta = FeatureLibrary().fit(dataset.inputs).transform(dataset.inputs)
    np.linalg.lstsq(theta, dataset.target.to_numpy(), rcond=None)
    lstsq_seconds = time.perf_counter() - start
    return formula.details["truth"]["terms_match"], fit_seconds, lstsq_seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--noise", default="0,0.01,0.05,0.1")
    args = parser.parse_args()
    levels = [float(level) for level in args.noise.split(",")]

    print(
        f"eqdiscover {eqdiscover.__version__}, numpy {np.__version__}, "
        f"Python {platform.python_version()}, {platform.machine()}"
    )
    print()
    print("| noise | exact terms | median fit (s) | median lstsq (s) | ratio |")
    print("| --- | --- | --- | --- | --- |")
    for noise in levels:
        results = [
            run_task(name, kwargs, args.rows, noise) for _, name, kwargs in tasks()
        ]
        solved = sum(match for match, _, _ in results)
        fit_time = statistics.median(r[1] for r in results)
        lstsq_time = statistics.median(r[2] for r in results)
        print(
            f"| {noise:g} | {solved} of {len(results)} | {fit_time:.3f} | "
            f"{lstsq_time:.4f} | {fit_time / lstsq_time:.0f} |"
        )


if __name__ == "__main__":
    main()
