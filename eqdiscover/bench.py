"""Benchmark suites scored the way SRBench scores symbolic regression.

For each equation and noise level, :func:`run_task` samples the rows, adds
Gaussian noise of standard deviation ``level * RMS(y)``, splits the rows
75/25 at random, fits the training rows with default settings and scores
the formula: a symbolic solution by the SRBench rule and by strict sympy
equality (:mod:`eqdiscover.compare`), R² on the test rows, the number of
terms and the seconds the fit took. A formula that is not a symbolic
solution gets a reason class:

``not expressible``
    The truth, under the chosen transform of the target, is no sum of the
    terms of the library that the chosen fit used.
``wrong terms``
    It is such a sum, but the fit chose other terms.
``constants off``
    The fit chose exactly the true terms, but constants differ.
"""

import csv
import io
import math
import multiprocessing
import time
import warnings
from dataclasses import asdict, dataclass

import numpy as np
import sympy as sp

from .compare import MAX_EXPANDED_TERMS, _expanded_size, split_terms
from .data import from_frame, generate
from .exceptions import EqdiscoverError
from .expressions import parse_formula
from .feynman import FEYNMAN_PREFIX, feynman_equations
from .library import FeatureLibrary
from .pipeline import fit

__all__ = [
    "Result",
    "format_report",
    "run_suite",
    "run_task",
    "sample_task",
    "suite_tasks",
]

TEST_SHARE = 0.25
BASIC_TASKS = [
    ("fahrenheit U(0,1)", "fahrenheit_celsius", {}),
    ("fahrenheit U(-40,120)", "fahrenheit_celsius", {"low": -40.0, "high": 120.0}),
    ("linear", "linear", {}),
    ("quadratic", "quadratic", {}),
    ("sine_square", "sine_square", {}),
    ("sine_cubic_mix", "sine_cubic_mix", {}),
]
REASONS = ("not expressible", "wrong terms", "constants off", "error")


@dataclass
class Result:
    """The score of one fit of one equation at one noise level."""

    equation: str
    noise: float
    srbench: bool
    symbolic: bool
    r2_test: float
    n_terms: int
    seconds: float
    transform: str
    formula: str
    reason: str


def suite_tasks(suite, equations=None):
    """Return (label, generator name, keyword arguments) for each task of a suite.

    Raises
    ------
    EqdiscoverError
        If ``equations`` names an equation that is not in the suite.
    """
    if suite == "feynman":
        tasks = [(n, FEYNMAN_PREFIX + n, {}) for n in feynman_equations()]
    else:
        tasks = list(BASIC_TASKS)
    if equations:
        labels = {label for label, _, _ in tasks}
        unknown = [name for name in equations if name not in labels]
        if unknown:
            raise EqdiscoverError(
                f"Unknown equation {unknown[0]!r} in suite {suite!r}; the suite has "
                f"{', '.join(sorted(labels)[:5])} and {len(labels) - 5} more."
            )
        tasks = [task for task in tasks if task[0] in equations]
    return tasks


def sample_task(task, noise, n_rows, seed=0):
    """Sample one task at one noise level and split its rows 75/25 at random.

    Returns
    -------
    train, test : pandas.DataFrame
        The training rows and the test rows, inputs then target.
    metadata : dict
        The metadata of :func:`eqdiscover.generate`, with the true formula.
    """
    _, name, kwargs = task
    frame, metadata = generate(name, n_samples=n_rows, noise=noise, seed=seed, **kwargs)
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(TEST_SHARE * n_rows)
    return frame.iloc[order[n_test:]], frame.iloc[order[:n_test]], metadata


def run_task(task, noise, n_rows, seed=0):
    """Sample, split, fit and score one task at one noise level; return a Result."""
    label = task[0]
    train, test, metadata = sample_task(task, noise, n_rows, seed)
    target, truth = metadata["target"], metadata["formula"]
    dataset = from_frame(train, target=target, truth=truth)

    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            formula = fit(dataset)
    except Exception as error:  # noqa: BLE001
        # One failed fit is recorded with its reason, and the suite goes on.
        seconds = time.perf_counter() - start
        message = f"{type(error).__name__}: {error}"
        return Result(
            label, noise, False, False, math.nan, 0, seconds, "", message, "error"
        )
    seconds = time.perf_counter() - start

    comparison = formula.details["truth"]
    y_test = test[target].to_numpy()
    residual = y_test - formula.predict(test)
    total = float(np.sum((y_test - y_test.mean()) ** 2))
    r2_test = 1.0 - float(residual @ residual) / total if total > 0 else math.nan
    srbench = bool(comparison["srbench_match"])
    reason = "" if srbench else _reason(formula, truth, dataset.inputs)
    return Result(
        equation=label,
        noise=noise,
        srbench=srbench,
        symbolic=bool(comparison["symbolic_match"]),
        r2_test=r2_test if math.isfinite(r2_test) else math.nan,
        n_terms=len(formula.terms),
        seconds=seconds,
        transform=formula.transform,
        formula=str(formula),
        reason=reason,
    )


def _transformed_truth(truth, transform):
    if transform == "log":
        return sp.expand_log(sp.log(truth), force=True)
    if transform == "inverse":
        return 1 / truth
    if transform == "square":
        return truth**2
    if transform == "inverse_square":
        return 1 / truth**2
    return truth


def _reason(formula, truth_text, inputs):
    """Return the reason class of a formula that is not a symbolic solution.

    The truth is expressible when, under the transform of some fit that
    the search scored, it is a sum of the terms of that fit's library.
    """
    truth = parse_formula(truth_text, formula.symbols)
    fits = formula.details["transforms"]["fits"]
    tried = [(fit["transform"], fit["library"]) for fit in fits]
    if not tried:
        tried = [(formula.transform, formula.details["settings"]["library"])]
    expressible = False
    for transform, spec in tried:
        true_terms = _true_terms(truth, transform)
        if true_terms is None:
            continue
        library = FeatureLibrary(spec).fit(inputs.iloc[:1])
        if true_terms <= {term.expr for term in library.terms_} | {sp.Integer(1)}:
            expressible = True
            break
    if not expressible:
        return "not expressible"
    true_terms = _true_terms(truth, formula.transform)
    if true_terms is not None and true_terms - {sp.Integer(1)} == set(formula.terms) - {
        sp.Integer(1)
    }:
        return "constants off"
    return "wrong terms"


def _true_terms(truth, transform):
    """Return the terms of the truth under ``transform``, or None if too long."""
    transformed = _transformed_truth(truth, transform)
    if _expanded_size(transformed) > MAX_EXPANDED_TERMS:
        return None
    return set(split_terms(transformed))


def _run(arguments):
    task, noise, n_rows = arguments
    return run_task(task, noise, n_rows)


def run_suite(tasks, levels, n_rows, jobs=1, progress=None):
    """Run every task at every noise level, in ``jobs`` processes.

    ``progress(index, total, result)`` is called as each fit ends. Returns
    the results in the order of the tasks, then the levels.
    """
    work = [(task, noise, n_rows) for task in tasks for noise in levels]
    results = [None] * len(work)

    def record(done, index, result):
        results[index] = result
        if progress is not None:
            progress(done, len(work), result)

    if jobs == 1:
        for index, arguments in enumerate(work):
            record(index + 1, index, _run(arguments))
        return results
    with multiprocessing.get_context("spawn").Pool(jobs) as pool:
        indexed = pool.imap_unordered(_run_indexed, list(enumerate(work)))
        for done, (index, result) in enumerate(indexed, start=1):
            record(done, index, result)
    return results


def _run_indexed(item):
    index, arguments = item
    return index, _run(arguments)


def format_progress(done, total, result, elapsed=None):
    """Return one progress line for stderr.

    With ``elapsed``, the seconds since the suite started, the line also
    estimates the time left from the mean time per fit so far.
    """
    status = "solved" if result.srbench else f"not solved ({result.reason})"
    line = (
        f"[{done}/{total}] {result.equation} noise {result.noise:g}: {status}, "
        f"R² {result.r2_test:.6f}, {result.n_terms} terms, {result.seconds:.1f} s"
    )
    if elapsed is not None:
        left = elapsed / done * (total - done)
        line = f"{line} ({_bar(done, total)} about {left / 60:.0f} min left)"
    return line


def _bar(done, total, width=20):
    filled = round(width * done / total)
    return "#" * filled + "." * (width - filled)


def to_csv(results):
    """Return the results as CSV text, one row per fit."""
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=list(asdict(results[0])))
    writer.writeheader()
    for result in results:
        writer.writerow(asdict(result))
    return stream.getvalue()


def format_report(results, levels, wall_seconds):
    """Return the Markdown report: rates per level, every fit, failures by reason."""
    lines = ["## Solution rates", ""]
    lines.append(
        "| noise | fits | SRBench solution | sympy equal | median R² test | "
        "median seconds |"
    )
    lines.append("| --- | --- | --- | --- | --- | --- |")
    for level in levels:
        rows = [r for r in results if r.noise == level]
        lines.append(
            f"| {level:g} | {len(rows)} | {_rate(rows, 'srbench')} | "
            f"{_rate(rows, 'symbolic')} | "
            f"{np.nanmedian([r.r2_test for r in rows]):.6f} | "
            f"{np.median([r.seconds for r in rows]):.1f} |"
        )

    lines += ["", f"Wall time: {wall_seconds:.0f} s.", "", "## Fits", ""]
    lines.append(
        "| equation | noise | solved | sympy equal | R² test | terms | seconds | "
        "transform | formula |"
    )
    lines.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        text = r.formula if len(r.formula) <= 120 else r.formula[:117] + "..."
        lines.append(
            f"| {r.equation} | {r.noise:g} | {'yes' if r.srbench else 'no'} | "
            f"{'yes' if r.symbolic else 'no'} | {r.r2_test:.6f} | {r.n_terms} | "
            f"{r.seconds:.1f} | {r.transform} | `{text}` |"
        )

    lines += ["", "## Failures by reason", ""]
    for reason in REASONS:
        failed = [f"{r.equation} ({r.noise:g})" for r in results if r.reason == reason]
        if failed:
            lines.append(f"- {reason} ({len(failed)}): {', '.join(failed)}")
    return "\n".join(lines) + "\n"


def _rate(rows, field):
    solved = sum(getattr(r, field) for r in rows)
    share = 100.0 * solved / len(rows) if rows else 0.0
    return f"{solved} ({share:.1f} %)"
