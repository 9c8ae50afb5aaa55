"""How the formula is chosen: three strategies on the ten reference tasks.

The tasks are Fahrenheit to Celsius on U(0, 1) and U(-40, 120), the four
seeded expressions of ``eqdiscover generate``, Feynman I.12.1, I.14.3 and
I.39.1 on U(1, 5), and 0.5*x1**2 + 3*sin(x2) - 2*x1*x2 + 1.5 on U(-2, 2).
All three strategies fit the same data:

``prune``
    Train the network once at alpha 1e-3, keep the terms whose collapsed
    contribution (coefficient times the term's spread over the target's) is
    at least ``--prune-level``, and refit them by least squares: the classic
    prune-and-retrain.
``path``
    The default fit with the exhaustive search switched off: only the sets of
    terms that the network keeps along its alpha path are refitted and scored.
``default``
    ``eqdiscover.fit`` as it ships: the path's sets, every subset of the 12
    strongest terms, and the stepwise refinement.

Usage::

    python benchmarks/selection.py [--rows 5000] [--noise 0,0.01,0.05,0.1]
        [--seeds 3]
"""

import argparse
import platform
import statistics
import time
import warnings

import numpy as np
import pandas as pd

import eqdiscover
from eqdiscover import selection
from eqdiscover.compare import compare
from eqdiscover.data import from_frame
from eqdiscover.expressions import evaluate, make_symbols, parse_formula
from eqdiscover.library import FeatureLibrary
from eqdiscover.network import SparseLinearNetwork
from eqdiscover.statistics import Statistics

GENERATED = [
    ("fahrenheit_celsius", {}),
    ("fahrenheit_celsius", {"low": -40.0, "high": 120.0}),
    ("linear", {}),
    ("quadratic", {}),
    ("sine_square", {}),
    ("sine_cubic_mix", {}),
]
PRODUCTS = [
    (["mu", "Nn"], "mu*Nn", 1.0, 5.0),
    (["m", "g", "z"], "m*g*z", 1.0, 5.0),
    (["p", "V"], "3/2*p*V", 1.0, 5.0),
    (["x1", "x2"], "1/2*x1**2 + 3*sin(x2) - 2*x1*x2 + 3/2", -2.0, 2.0),
]


def datasets(rows, noise, seed):
    """Yield every reference task as a Dataset with its true formula."""
    for name, kwargs in GENERATED:
        frame, metadata = eqdiscover.generate(
            name, n_samples=rows, noise=noise, seed=seed, **kwargs
        )
        yield from_frame(frame, target=metadata["target"], truth=metadata["formula"])
    rng = np.random.default_rng(seed)
    for columns, truth, low, high in PRODUCTS:
        frame = pd.DataFrame({c: rng.uniform(low, high, rows) for c in columns})
        symbols = make_symbols(columns)
        values = {symbols[c]: frame[c].to_numpy() for c in columns}
        y = evaluate(parse_formula(truth, symbols), values, rows)
        frame["y"] = y + noise * np.sqrt(np.mean(y**2)) * rng.standard_normal(rows)
        yield from_frame(frame, target="y", truth=truth)


def prune_and_retrain(dataset, level):
    """Return the set of terms that pruning one network's coefficients keeps."""
    library = FeatureLibrary().fit(dataset.inputs)
    theta = library.transform(dataset.inputs)
    varying = [i for i, t in enumerate(library.terms_) if not t.is_constant]
    stats = Statistics.from_arrays(theta[:, varying], dataset.target.to_numpy())
    network = SparseLinearNetwork(
        [len(varying), 2, 1], alpha=1e-3, random_state=0
    ).fit_statistics(stats)
    collapsed, _ = network.collapse()
    spread = stats.std
    contribution = np.abs(collapsed) * spread[:-1] / spread[-1]
    kept = [j for j, c in enumerate(contribution) if c >= level]
    columns = [0] + [j + 1 for j in kept]
    coef, _ = stats.lstsq(columns)
    terms = [1] + [library.terms_[varying[j]].expr for j in kept]
    return sum(c * t for c, t in zip(coef, terms)), library


def fit_terms_match(dataset, strategy, level):
    """Fit one dataset with one strategy; return whether the terms are the true ones."""
    if strategy == "prune":
        expr, library = prune_and_retrain(dataset, level)
        truth = parse_formula(dataset.truth, library.symbols_)
        return compare(truth, expr).terms_match
    if strategy == "path":
        search, refine = selection.MAX_SEARCH_TERMS, selection._refine
        selection.MAX_SEARCH_TERMS = 0
        selection._refine = lambda candidate, columns, refit: candidate
        try:
            formula = eqdiscover.fit(dataset)
        finally:
            selection.MAX_SEARCH_TERMS, selection._refine = search, refine
    else:
        formula = eqdiscover.fit(dataset)
    return formula.details["truth"]["terms_match"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--noise", default="0,0.01,0.05,0.1")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--prune-level", type=float, default=0.01)
    args = parser.parse_args()
    levels = [float(v) for v in args.noise.split(",")]
    strategies = ["prune", "path", "default"]

    print(
        f"eqdiscover {eqdiscover.__version__}, numpy {np.__version__}, Python "
        f"{platform.python_version()}, {platform.machine()}\n"
    )
    print("| noise | " + " | ".join(f"{s}: exact terms, median s" for s in strategies))
    print("| --- " * (len(strategies) + 1) + "|")
    for noise in levels:
        cells = []
        results = {s: ([], []) for s in strategies}
        for seed in range(args.seeds):
            for dataset in datasets(args.rows, noise, seed):
                for strategy in strategies:
                    start = time.perf_counter()
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        match = fit_terms_match(dataset, strategy, args.prune_level)
                    results[strategy][0].append(match)
                    results[strategy][1].append(time.perf_counter() - start)
        for strategy in strategies:
            matches, seconds = results[strategy]
            cells.append(
                f"{sum(matches)} of {len(matches)}, {statistics.median(seconds):.3f}"
            )
        print(f"| {noise:g} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
