"""Peers and eqdiscover on the tasks of ``eqdiscover bench``, scored alike.

Each task is sampled by ``eqdiscover.bench.sample_task``: noise of standard
deviation level times the target's RMS, then a 75/25 split with seed 0. Each
peer of ``peer_models.py`` fits the training rows, and its formula is scored
by the SRBench rule and by sympy equality against the truth, as
``eqdiscover.fit`` scores its own, with R² on the test rows. eqdiscover itself
runs through ``eqdiscover.bench.run_task``.
"""

import contextlib
import functools
import importlib
import importlib.metadata
import math
import multiprocessing
import platform
import statistics
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np
import sympy as sp
from peer_models import PEER_MODULES, PEER_PACKAGES, PEERS

import eqdiscover
from eqdiscover import bench
from eqdiscover.compare import distinct_on_points, srbench_match, symbolic_match
from eqdiscover.data import from_frame
from eqdiscover.exceptions import ParseError
from eqdiscover.expressions import make_symbols, parse_formula
from eqdiscover.pipeline import TRUTH_POINTS

METHOD_NAMES = {
    "eqdiscover": "eqdiscover",
    "stlsq": "STLSQ 0.05",
    "lassocv": "LassoCV",
    "ffx": "FFX",
    "gplearn": "gplearn",
}
FORMULA_SHOWN = 100


@dataclass
class PeerResult:
    """The score of one method's fit of one task at one noise level."""

    method: str
    equation: str
    noise: float
    srbench: bool
    symbolic: bool
    r2_test: float
    seconds: float
    formula: str
    error: str


def run_peer(method, task, noise, n_rows):
    """Fit one task at one noise level with one method and score the formula.

    A peer that raises, in its fit or in the scoring, is recorded as not
    solved with the error, so that the run goes on.
    """
    if method == "eqdiscover":
        return _run_eqdiscover(task, noise, n_rows)
    train, test, metadata = bench.sample_task(task, noise, n_rows)
    dataset = from_frame(train, target=metadata["target"])
    symbols = make_symbols(dataset.inputs.columns)
    failed = functools.partial(
        PeerResult, method, task[0], noise, False, False, math.nan
    )

    start = time.perf_counter()
    try:
        importlib.import_module(PEER_MODULES[method])
        start = time.perf_counter()
        with _quiet():
            model = PEERS[method](
                dataset.inputs, dataset.target.to_numpy(), list(symbols.values())
            )
    except Exception as error:  # noqa: BLE001
        return failed(time.perf_counter() - start, "", _describe(error))
    seconds = time.perf_counter() - start

    formula = ""
    try:
        with _quiet():
            formula = sp.sstr(model.expr, full_prec=False)
            truth = parse_formula(metadata["formula"], symbols)
            symbolic, srbench = score_formula(truth, model.expr, dataset, symbols)
            y_test = test[metadata["target"]].to_numpy()
            r2_test = r2_score(y_test, model.predict(test[dataset.inputs.columns]))
    except Exception as error:  # noqa: BLE001
        return failed(seconds, formula, _describe(error))
    return PeerResult(
        method=method,
        equation=task[0],
        noise=noise,
        srbench=bool(srbench),
        symbolic=bool(symbolic),
        r2_test=r2_test,
        seconds=seconds,
        formula=formula,
        error="",
    )


def _run_eqdiscover(task, noise, n_rows):
    result = bench.run_task(task, noise, n_rows)
    return PeerResult(
        method="eqdiscover",
        equation=result.equation,
        noise=noise,
        srbench=result.srbench,
        symbolic=result.symbolic,
        r2_test=result.r2_test,
        seconds=result.seconds,
        formula=result.formula,
        error=result.formula if result.reason == "error" else "",
    )


@contextlib.contextmanager
def _quiet():
    """Silence the peers' warnings and numpy's floating-point warnings."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def _describe(error):
    return f"{type(error).__name__}: {error}"


def score_formula(truth, found, dataset, symbols):
    """Return (sympy equal, SRBench solution) as ``eqdiscover.fit`` scores them.

    Like :func:`eqdiscover.compare.compare` inside ``eqdiscover.fit``, the
    formulas are first evaluated on the first ``TRUTH_POINTS`` training rows,
    and inputs positive on all of them are taken as positive symbols. Unlike
    ``compare``, no term table is built, because expanding a peer's formula
    can take very long. Either value may be None when the formulas are too
    large for sympy's simplify.
    """
    points = {
        symbols[column]: dataset.inputs[column].to_numpy()[:TRUTH_POINTS]
        for column in dataset.inputs.columns
    }
    # sympy's simplify can fill all memory on FFX's hinge functions, so
    # formulas that clearly differ on the points never reach it.
    try:
        if distinct_on_points(truth, rewrite_max_min(found), points):
            return False, False
    except ParseError:
        pass  # evaluate rejects a function, so sympy alone decides.
    positive = {
        symbol: sp.Symbol(symbol.name, positive=True)
        for symbol, values in points.items()
        if np.all(values > 0)
    }
    truth, found = truth.xreplace(positive), found.xreplace(positive)
    # NOTE: simplify has no time limit, so a formula that passes the screen
    # but is not the truth can keep one fit busy for minutes.
    return symbolic_match(truth, found), srbench_match(truth, found)


def rewrite_max_min(expr):
    """Rewrite Max and Min with Abs, which ``eqdiscover.expressions.evaluate`` takes.

    Examples
    --------
    >>> x = sp.Symbol("x")
    >>> rewrite_max_min(2 * sp.Max(0, x - 1))
    x + Abs(x - 1) - 1
    """

    def rewrite(extremum):
        sign = 1 if isinstance(extremum, sp.Max) else -1
        value, *others = extremum.args
        for other in others:
            value = (value + other + sign * sp.Abs(value - other)) / 2
        return value

    return expr.replace(lambda e: isinstance(e, (sp.Max, sp.Min)), rewrite)


def r2_score(y, prediction):
    """Return R² of a prediction, NaN where it is not finite or y is constant."""
    residual = y - np.asarray(prediction, dtype=float)
    total = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(residual @ residual) / total if total > 0 else math.nan
    return r2 if math.isfinite(r2) else math.nan


def run_methods(methods, tasks, levels, n_rows, jobs, max_memory):
    """Run every method on every task at every level, in ``jobs`` processes.

    Each process that fits may use at most ``max_memory`` GiB (see
    :func:`limit_memory`). Prints a progress line to stderr as each fit ends.
    Returns the results in the order of the levels, then the tasks, then the
    methods.
    """
    work = [
        (method, task, noise, n_rows)
        for noise in levels
        for task in tasks
        for method in methods
    ]
    results = [None] * len(work)
    if jobs == 1:
        limit_memory(max_memory)
        indexed = ((i, run_peer(*arguments)) for i, arguments in enumerate(work))
        for done, (index, result) in enumerate(indexed, start=1):
            results[index] = result
            print(format_progress(done, len(work), result), file=sys.stderr)
        return results
    context = multiprocessing.get_context("spawn")
    with context.Pool(jobs, limit_memory, (max_memory,)) as pool:
        indexed = pool.imap_unordered(_run_indexed, list(enumerate(work)))
        for done, (index, result) in enumerate(indexed, start=1):
            results[index] = result
            print(format_progress(done, len(work), result), file=sys.stderr)
    return results


def limit_memory(gib):
    """Cap the address space of this process at ``gib`` GiB, where Unix allows it.

    Past the cap, an allocation raises MemoryError, which fails one fit, where
    the system's out-of-memory killer would end the whole run. sympy's
    simplify can take all memory on a peer's formula.
    """
    try:
        import resource
    except ImportError:  # not on Unix
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = int(gib * 2**30)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _run_indexed(item):
    index, arguments = item
    return index, run_peer(*arguments)


def format_progress(done, total, result):
    """Return one progress line for stderr."""
    if result.error:
        status = f"error ({result.error[:FORMULA_SHOWN]})"
    else:
        status = "solved" if result.srbench else "not solved"
    formula = result.formula
    if len(formula) > FORMULA_SHOWN:
        formula = formula[: FORMULA_SHOWN - 3] + "..."
    return (
        f"[{done}/{total}] {METHOD_NAMES[result.method]} {result.equation} "
        f"noise {result.noise:g}: {status}, R² {result.r2_test:.6f}, "
        f"{result.seconds:.1f} s, {formula}"
    )


def format_table(results, methods, levels):
    """Return the Markdown table of solution rates per noise level and method."""
    header = (
        "| noise | method | fits | SRBench solution | sympy equal | "
        "median R² test | median seconds | errors |"
    )
    lines = [header, "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for level in levels:
        for method in methods:
            rows = [r for r in results if r.noise == level and r.method == method]
            r2_values = [r.r2_test for r in rows if not math.isnan(r.r2_test)]
            r2_text = f"{statistics.median(r2_values):.6f}" if r2_values else "—"
            seconds = statistics.median(r.seconds for r in rows)
            errors = sum(bool(r.error) for r in rows)
            lines.append(
                f"| {level:g} | {METHOD_NAMES[method]} | {len(rows)} | "
                f"{_rate(rows, 'srbench')} | {_rate(rows, 'symbolic')} | "
                f"{r2_text} | {seconds:.2f} | {errors} |"
            )
    return "\n".join(lines)


def _rate(rows, field):
    solved = sum(getattr(r, field) for r in rows)
    return f"{solved} ({100.0 * solved / len(rows):.1f} %)"


def describe_versions(methods):
    """Return one line with the versions of Python, numpy and each method's package."""
    packages = [f"eqdiscover {eqdiscover.__version__}", f"numpy {np.__version__}"]
    for method in methods:
        if method in PEER_PACKAGES:
            name = PEER_PACKAGES[method]
            packages.append(f"{name} {importlib.metadata.version(name)}")
    return (
        f"{', '.join(packages)}, Python {platform.python_version()}, "
        f"{platform.machine()}"
    )
