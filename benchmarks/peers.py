"""eqdiscover against least squares, LassoCV and PySINDy's STLSQ on the basic tasks.

Runs the 22 basic tasks of ``basic_tasks.py`` (5000 rows each) and, on each,
times side by side in one run:

- ``eqdiscover.fit`` with default settings, from the table;
- ``numpy.linalg.lstsq`` on the default library matrix, which picks no terms;
- scikit-learn's ``LassoCV`` (default settings, 5 folds) on the same matrix,
  its intercept standing for the constant term;
- PySINDy's ``STLSQ(threshold=0.05)`` on the same matrix.

"Exact terms" counts fits whose nonzero terms are exactly the true ones. The
times are medians over the tasks, and each ratio is a median of the per-task
ratios of eqdiscover's time to the peer's. The peers need the packages in
``benchmarks/requirements.txt``.

Usage::

    python benchmarks/peers.py [--rows 5000] [--noise 0,0.01]
"""

import argparse
import statistics
import time
import warnings

import numpy as np
import pysindy
import sklearn
from basic_tasks import tasks
from sklearn.linear_model import LassoCV

import eqdiscover
from eqdiscover.compare import split_terms
from eqdiscover.data import from_frame
from eqdiscover.expressions import parse_formula
from eqdiscover.library import FeatureLibrary


def timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def run_task(name, kwargs, rows, noise):
    """Return {method: (found the true terms, seconds)} for one task."""
    frame, metadata = eqdiscover.generate(name, n_samples=rows, noise=noise, **kwargs)
    dataset = from_frame(frame, target=metadata["target"], truth=metadata["formula"])
    library = FeatureLibrary().fit(dataset.inputs)
    theta = library.transform(dataset.inputs)
    y = dataset.target.to_numpy()
    exprs = [term.expr for term in library.terms_]
    truth = parse_formula(metadata["formula"], library.symbols_)
    true_columns = {exprs.index(term) for term in split_terms(truth)}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        formula, fit_s = timed(lambda: eqdiscover.fit(dataset))
        _, lstsq_s = timed(lambda: np.linalg.lstsq(theta, y, rcond=None))
        lasso, lasso_s = timed(lambda: LassoCV().fit(theta[:, 1:], y))
        stlsq, stlsq_s = timed(
            lambda: pysindy.STLSQ(threshold=0.05).fit(theta, y[:, None])
        )
    lasso_columns = {j + 1 for j in np.flatnonzero(lasso.coef_)}
    if lasso.intercept_ != 0:
        lasso_columns.add(0)
    stlsq_columns = set(np.flatnonzero(stlsq.coef_[0]).tolist())
    return {
        "eqdiscover.fit": (formula.details["truth"]["terms_match"], fit_s),
        "numpy lstsq": (False, lstsq_s),
        "LassoCV": (lasso_columns == true_columns, lasso_s),
        "STLSQ 0.05": (stlsq_columns == true_columns, stlsq_s),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--noise", default="0,0.01")
    args = parser.parse_args()
    print(
        f"eqdiscover {eqdiscover.__version__}, scikit-learn {sklearn.__version__}, "
        f"pysindy {pysindy.__version__}, numpy {np.__version__}"
    )
    print()
    print(
        "| noise | method | exact terms | median seconds | "
        "eqdiscover time / this time |"
    )
    print("| --- | --- | --- | --- | --- |")
    for noise in [float(level) for level in args.noise.split(",")]:
        results = [run_task(name, kw, args.rows, noise) for _, name, kw in tasks()]
        for method in results[0]:
            solved = sum(result[method][0] for result in results)
            seconds = statistics.median(result[method][1] for result in results)
            ratio = statistics.median(
                result["eqdiscover.fit"][1] / result[method][1] for result in results
            )
            found = "—" if method == "numpy lstsq" else f"{solved} of {len(results)}"
            print(
                f"| {noise:g} | {method} | {found} | {seconds:.4f} | {ratio:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
