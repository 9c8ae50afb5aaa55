"""eqdiscover against least squares, LassoCV, STLSQ, FFX and gplearn.

Without ``--suite``, runs the 22 basic tasks of ``basic_tasks.py`` (5000 rows
each) and, on each, times side by side in one run:

- ``eqdiscover.fit`` with default settings, from the table;
- ``numpy.linalg.lstsq`` on the default library matrix, which picks no terms;
- scikit-learn's ``LassoCV`` (default settings, 5 folds) on the same matrix,
  its intercept standing for the constant term;
- PySINDy's ``STLSQ(threshold=0.05)`` on the same matrix.

"Exact terms" counts fits whose nonzero terms are exactly the true ones. The
times are medians over the tasks, and each ratio is a median of the per-task
ratios of eqdiscover's time to the peer's.

With ``--suite feynman`` or ``--suite basic``, runs the peers of
``peer_models.py`` on the tasks of ``eqdiscover bench`` instead, on the same
rows and scored the same way (see ``peer_suite.py``), and prints per noise
level and method the SRBench solutions, the sympy-equal formulas, the median
test R² and the median seconds. ``--with-eqdiscover`` adds eqdiscover to the
same table. A peer's seconds cover its fit and the conversion of its model to
sympy. eqdiscover's seconds also include its comparison with the truth, which
the peers' do not. A peer that raises counts as not solved.

The peers need the packages of ``benchmarks/requirements.txt`` or of the
``peers`` extra.

Usage::

    python benchmarks/peers.py [--rows 5000] [--noise 0,0.01]
    python benchmarks/peers.py --suite feynman [--noise 0,0.001,0.01,0.1]
        [--rows 10000] [--equations I.12.1,I.14.3] [--jobs 1]
        [--peers stlsq,lassocv,ffx,gplearn] [--with-eqdiscover]
"""

import argparse
import importlib.metadata
import math
import statistics
import time
import warnings

import numpy as np
from basic_tasks import tasks
from peer_models import GPLEARN_SETTINGS, PEERS
from peer_suite import describe_versions, format_table, run_methods

import eqdiscover
from eqdiscover import bench
from eqdiscover.compare import split_terms
from eqdiscover.data import from_frame
from eqdiscover.exceptions import EqdiscoverError
from eqdiscover.expressions import parse_formula
from eqdiscover.library import FeatureLibrary

SUITE_DEFAULTS = {"rows": 10000, "noise": "0,0.001,0.01,0.1"}
BASIC_DEFAULTS = {"rows": 5000, "noise": "0,0.01"}
# A fit measured at most 0.3 GiB resident (FFX on the 9 inputs of I.9.18),
# so the cap only stops sympy's simplify from taking all memory.
MAX_MEMORY_GIB = 8.0


def timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def run_task(name, kwargs, rows, noise):
    """Return {method: (found the true terms, seconds)} for one task."""
    import pysindy
    from sklearn.linear_model import LassoCV

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


def print_basic_table(rows, levels):
    """Print the exact-terms table of the 22 basic tasks."""
    print(
        f"eqdiscover {eqdiscover.__version__}, "
        f"scikit-learn {importlib.metadata.version('scikit-learn')}, "
        f"pysindy {importlib.metadata.version('pysindy')}, numpy {np.__version__}"
    )
    print()
    print(
        "| noise | method | exact terms | median seconds | "
        "eqdiscover time / this time |"
    )
    print("| --- | --- | --- | --- | --- |")
    for noise in levels:
        results = [run_task(name, kw, rows, noise) for _, name, kw in tasks()]
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


def parse_levels(text):
    """Parse comma-separated noise levels; raise ArgumentTypeError if invalid."""
    try:
        levels = [float(level) for level in text.split(",")]
    except ValueError:
        levels = []
    if not levels or not all(math.isfinite(v) and v >= 0 for v in levels):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a list of noise levels; give numbers >= 0 such as "
            f"'0,0.001,0.01,0.1'."
        )
    return levels


def parse_peers(text):
    """Parse comma-separated peer names; raise ArgumentTypeError if unknown."""
    peers = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in peers if name not in PEERS]
    if not peers or unknown:
        raise argparse.ArgumentTypeError(
            f"Unknown peer {unknown[0] if unknown else text!r}; choose from "
            f"{', '.join(PEERS)}."
        )
    return peers


def int_at_least(text, minimum):
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a whole number >= {minimum}."
        )
    return value


def positive_float(text):
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number > 0.")
    return value


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--suite",
        choices=["feynman", "basic"],
        help="Run the peers on the tasks of 'eqdiscover bench' with its scoring. "
        "Without it, the 22 basic tasks are scored by exact terms.",
    )
    parser.add_argument(
        "--rows",
        type=lambda text: int_at_least(text, 8),
        help="Rows sampled per task (default: 5000, or 10000 with --suite, "
        "before the 75/25 split).",
    )
    parser.add_argument(
        "--noise",
        type=parse_levels,
        help="Comma-separated noise levels, as a share of the target's RMS "
        "(default: 0,0.01, or 0,0.001,0.01,0.1 with --suite).",
    )
    parser.add_argument(
        "--equations", help="Comma-separated equations of the suite (--suite only)."
    )
    parser.add_argument(
        "--peers",
        type=parse_peers,
        help=f"Comma-separated peers to run (--suite only; default: "
        f"{','.join(PEERS)}).",
    )
    parser.add_argument(
        "--with-eqdiscover",
        action="store_true",
        help="Also fit each task with 'eqdiscover bench' (--suite only).",
    )
    parser.add_argument(
        "--max-memory",
        type=positive_float,
        help=f"Address space in GiB that each fitting process may use; past it a "
        f"fit fails with MemoryError (--suite only; default: {MAX_MEMORY_GIB:g}).",
    )
    parser.add_argument(
        "--jobs",
        type=lambda text: int_at_least(text, 1),
        help="Processes that fit in parallel (--suite only; default: 1).",
    )
    return parser


def parse_arguments():
    """Parse the command line and fill in the defaults of the chosen mode."""
    parser = build_parser()
    args = parser.parse_args()
    suite_only = {
        "--equations": args.equations is not None,
        "--peers": args.peers is not None,
        "--with-eqdiscover": args.with_eqdiscover,
        "--jobs": args.jobs is not None,
        "--max-memory": args.max_memory is not None,
    }
    given_options = [option for option, given in suite_only.items() if given]
    if args.suite is None and given_options:
        parser.error(f"{given_options[0]} needs --suite feynman or --suite basic.")

    defaults = BASIC_DEFAULTS if args.suite is None else SUITE_DEFAULTS
    if args.rows is None:
        args.rows = defaults["rows"]
    if args.noise is None:
        args.noise = parse_levels(defaults["noise"])
    args.jobs = args.jobs or 1
    args.max_memory = args.max_memory or MAX_MEMORY_GIB

    if args.suite is not None:
        equations = args.equations.split(",") if args.equations else None
        try:
            args.tasks = bench.suite_tasks(args.suite, equations)
        except EqdiscoverError as error:
            parser.error(str(error))
    return args


def main():
    args = parse_arguments()
    if args.suite is None:
        print_basic_table(args.rows, args.noise)
        return
    methods = (["eqdiscover"] if args.with_eqdiscover else []) + (
        args.peers or list(PEERS)
    )
    print(describe_versions(methods))
    if "gplearn" in methods:
        settings = ", ".join(f"{k}={v}" for k, v in GPLEARN_SETTINGS.items())
        print(f"gplearn settings: {settings}")
    print(
        f"{args.suite} suite: {_count(len(args.tasks), 'equation')}, "
        f"{args.rows} rows each"
    )
    print()
    start = time.perf_counter()
    results = run_methods(
        methods, args.tasks, args.noise, args.rows, args.jobs, args.max_memory
    )
    print(format_table(results, methods, args.noise))
    print()
    wall_seconds = time.perf_counter() - start
    print(f"Wall time: {wall_seconds:.0f} s with {_count(args.jobs, 'job')}.")


def _count(number, noun):
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


if __name__ == "__main__":
    main()
