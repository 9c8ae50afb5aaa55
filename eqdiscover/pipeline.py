"""The whole fit: data, library, statistics, network, selection, formula."""

import dataclasses
import functools
import logging
import math
import numbers
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import sympy as sp

from .compare import check_expandable, compare, split_terms
from .constants import snap_coefficients
from .dask_scan import is_dask_frame, scan_dask
from .data import Dataset, check_nan_policy, from_frame, read_csv
from .exceptions import ConvergenceWarning, DataError, ParseError
from .expressions import (
    display_name,
    make_symbols,
    parse_formula,
    readable_numbers,
    to_float,
)
from .formula import Formula
from .library import DEFAULT_LIBRARY, FeatureLibrary
from .network import SparseLinearNetwork
from .residuals import ResidualBins
from .search import search_transforms
from .selection import MARGIN, contributions, residual_floor, select_terms
from .statistics import DEFAULT_CHUNK_ROWS, Statistics, t_quantile_975
from .streaming import scan_csv
from .transforms import transform_names

__all__ = ["DEFAULTS", "DEFAULT_TRANSFORM", "fit"]

# Default settings of a fit, shared with the command line.
DEFAULTS = {
    "library": "default",
    "layers": (2,),
    "alpha": "auto",
    "threshold": 1e-3,
    "max_iter": 1000,
    "random_state": 0,
}
DEFAULT_TRANSFORM = "auto"

# The alpha path of ``alpha="auto"``: N_ALPHAS values from the smallest alpha
# that removes every term, down by a factor of ALPHA_RANGE.
N_ALPHAS = 10
ALPHA_RANGE = 1e-2
# Points of the training loss curve kept in the details.
MAX_LOSS_POINTS = 500
# A residual within this factor of the floor of the selection's score is
# rounding noise: the data is noise-free and the formula fits it exactly.
EXACT_FIT_FACTOR = 100.0
CANDIDATES_SHOWN = 10
# Rows at which a found formula and the truth are evaluated before sympy
# simplifies their difference.
TRUTH_POINTS = 200

logger = logging.getLogger(__name__)


@contextmanager
def _timed(step):
    start = time.perf_counter()
    yield
    logger.info("%s took %.3f s", step, time.perf_counter() - start)


def fit(
    data,
    target=None,
    *,
    inputs=None,
    library=DEFAULTS["library"],
    layers=DEFAULTS["layers"],
    alpha=DEFAULTS["alpha"],
    threshold=DEFAULTS["threshold"],
    max_iter=DEFAULTS["max_iter"],
    random_state=DEFAULTS["random_state"],
    truth=None,
    chunk_rows=None,
    nan="drop",
    engine=None,
    scheduler=None,
    strict=False,
    progress=None,
    transform=DEFAULT_TRANSFORM,
):
    """Find the formula of ``target`` in terms of the input columns.

    The fit builds the library of candidate terms and reads the rows once into
    QR statistics. It trains the L1-sparse linear network and collapses its
    weights into one coefficient per term, which ranks the terms. Every subset
    of the strongest terms is refitted by least squares and scored by an
    information criterion. Terms of the best subset below ``threshold`` are
    pruned and the rest refitted (see :mod:`eqdiscover.selection`).

    Parameters
    ----------
    data : str, Path, pandas.DataFrame, dask.dataframe.DataFrame or Dataset
        A CSV path, a table, or a loaded dataset. With ``engine="dask"`` a
        path may be a glob pattern of CSV or Parquet files.
    target : str, optional
        Target column; a CSV's metadata JSON may supply it.
    inputs : sequence of str, optional
        Input columns; by default every column but the target and a row index.
    library : str, default="default"
        Library specification, see :mod:`eqdiscover.library`.
    layers : sequence of int, default=(2,)
        Hidden layer sizes of the network.
    alpha : "auto" or float, default="auto"
        L1 weight of the network, in standardized units. ``"auto"`` trains
        along a path of alphas, and every distinct set of terms the network
        keeps becomes a candidate (see :func:`alpha_grid`).
    threshold : float, default=1e-3
        Non-constant terms of the chosen formula whose coefficient times the
        term's standard deviation is below ``threshold`` times the target's
        standard deviation are pruned, and the rest refitted.
    max_iter : int, default=1000
        Maximum training steps of the network, at each alpha of the path.
    random_state : int or None, default=0
        Seed of the network's initialization.
    truth : str, optional
        True formula in the column names, to compare with.
    nan : {"drop", "error"}, default="drop"
        Rows with an empty or NaN cell in a used column are dropped, with a
        note that counts them, or raise DataError with ``"error"``.
    transform : str, default="auto"
        Transform of the target: ``"none"``, ``"log"``, ``"inverse"``,
        ``"square"`` or ``"inverse_square"`` fit log(y), 1/y, y**2 or 1/y**2 as
        a sum of terms and solve for y; see :mod:`eqdiscover.transforms`.
        ``"auto"`` fits the given library to y first and, unless that fit is
        exact, searches the transforms with a library grown in stages
        (:mod:`eqdiscover.search`). It keeps the first fit unless another
        scores clearly better in the units of y. A CSV read with
        ``chunk_rows`` is fitted without a transform under ``"auto"``.
    chunk_rows : int, optional
        Rows per chunk. For a CSV path the file is then read and transformed
        a chunk at a time, so memory does not grow with the number of rows.
        The maximum absolute error would need a second pass over the rows, so
        it is then not computed. For a table in memory ``chunk_rows`` sets the
        rows per chunk of the statistics. With the dask engine, it sets the
        rows of a partition transformed at a time.
    engine : {"pandas", "dask"}, optional
        ``"pandas"`` (the default for paths and tables) reads the rows in
        this process. ``"dask"`` (the default for a Dask DataFrame) reads
        them on a Dask cluster, partition by partition, and fits on the
        merged statistics (see :mod:`eqdiscover.dask_scan`); the maximum
        absolute error is then not computed.
    scheduler : str, optional
        Dask scheduler address, such as ``"tcp://127.0.0.1:8786"``. Without
        it the current Dask client is used, or a local cluster is started
        for the fit.
    strict : bool, default=False
        With the dask engine, stop at the first invalid partition instead of
        skipping it with a note.
    progress : callable, optional
        With the dask engine, called as ``progress(done, total)`` each time a
        partition finishes.

    Returns
    -------
    Formula

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> F = np.linspace(-40, 120, 200)
    >>> frame = pd.DataFrame({"F": F, "C": (F - 32) * 5 / 9})
    >>> formula = fit(frame, "C")
    >>> formula.coefficients["F"], formula.intercept  # doctest: +ELLIPSIS
    (0.55555555555555..., -17.77777777777...)
    """
    options = {
        "library": library,
        "layers": layers,
        "alpha": alpha,
        "threshold": threshold,
        "max_iter": max_iter,
        "random_state": random_state,
    }
    _check_settings(**options)
    _check_chunk_rows(chunk_rows)
    if transform not in transform_names():
        raise DataError(
            f"Invalid transform {transform!r}; choose one of "
            f"{', '.join(transform_names())}."
        )
    check_nan_policy(nan)
    engine = _check_engine(engine, data, scheduler, strict)
    streamed = engine == "dask" or (
        chunk_rows is not None and isinstance(data, (str, Path))
    )
    if transform == "none" or (streamed and transform == "auto"):
        formula = _fit_terms(
            data,
            target,
            inputs=inputs,
            truth=truth,
            chunk_rows=chunk_rows,
            nan=nan,
            engine=engine,
            scheduler=scheduler,
            strict=strict,
            progress=progress,
            **options,
        )
        formula.details["transforms"] = {
            "requested": transform,
            "chosen": "none",
            "stage": "library",
            "rule": "No transform was searched.",
            "fits": [],
        }
        return formula
    if streamed:
        raise DataError(
            f"Transform {transform!r} needs the rows in memory; leave out "
            f"chunk_rows and the Dask engine, or use transform 'none'."
        )

    dataset = _load(data, target, inputs, truth, nan)
    symbols = make_symbols(dataset.inputs.columns)
    names = {s: sp.Symbol(display_name(c)) for c, s in symbols.items()}
    truth_expr = _parse_truth(
        dataset.truth, symbols, lambda e: sp.sstr(e.xreplace(names))
    )
    # The given library must suit the rows even when a power law ends the
    # search before it is fitted.
    _check_target_varies(dataset.target.to_numpy(dtype=float), dataset)
    n_terms = len(FeatureLibrary(library).fit(dataset.inputs.iloc[:1]).terms_)
    _check_enough_rows(len(dataset.target), n_terms)
    fit_terms = functools.partial(_fit_terms, chunk_rows=chunk_rows)
    # The truth is compared once, with the chosen fit.
    untold = dataclasses.replace(dataset, truth=None)
    formula, search = search_transforms(untold, transform, fit_terms, options)
    if formula.transform != "none":
        formula.details["metrics"] = _metrics(formula, dataset)
    if truth_expr is not None:
        points = {
            symbols[column]: dataset.inputs[column].to_numpy()[:TRUTH_POINTS]
            for column in dataset.inputs.columns
        }
        formula.details["truth"] = _compare_with_truth(formula, truth_expr, points)
    formula.details["transforms"] = search
    return formula


def _fit_terms(
    data,
    target=None,
    *,
    inputs=None,
    library=DEFAULTS["library"],
    layers=DEFAULTS["layers"],
    alpha=DEFAULTS["alpha"],
    threshold=DEFAULTS["threshold"],
    max_iter=DEFAULTS["max_iter"],
    random_state=DEFAULTS["random_state"],
    truth=None,
    chunk_rows=None,
    nan="drop",
    engine=None,
    scheduler=None,
    strict=False,
    progress=None,
    misfit_test=True,
    max_refine_steps=None,
):
    """Fit a sum of library terms to the untransformed target; see :func:`fit`.

    ``misfit_test=False`` leaves out the test of the residuals for a trend,
    whose bin sums cost more than the rest of a fit of a large library.
    ``max_refine_steps`` bounds the stepwise refinement of the selection
    (see :func:`eqdiscover.selection.select_terms`).
    """
    settings = _check_settings(
        library=library,
        layers=layers,
        alpha=alpha,
        threshold=threshold,
        max_iter=max_iter,
        random_state=random_state,
    )
    _check_chunk_rows(chunk_rows)
    check_nan_policy(nan)
    engine = _check_engine(engine, data, scheduler, strict)
    if engine == "dask" and nan != "drop":
        # TODO: check for empty cells in each Dask partition as the pandas
        # readers do; until then the Dask engine only drops such rows.
        raise DataError(
            f"nan={nan!r} is not available with the Dask engine, which drops rows "
            f"with empty cells; leave nan at 'drop' or use the pandas engine."
        )
    with _timed("reading the rows and building the library"):
        if engine == "dask":
            scan = scan_dask(
                data,
                target=target,
                inputs=inputs,
                truth=truth,
                library=library,
                chunk_rows=chunk_rows or DEFAULT_CHUNK_ROWS,
                scheduler=scheduler,
                strict=strict,
                progress=progress,
            )
            rows = _ScannedRows(scan, reading="in Dask partitions")
        else:
            rows = _read_rows(data, target, inputs, truth, library, chunk_rows, nan)
    feature_library, notes = rows.feature_library, rows.notes
    truth_expr = _parse_truth(
        rows.truth, feature_library.symbols_, feature_library.display
    )
    usable = _finite_terms(feature_library, rows.term_values, rows, notes)
    others = [i for i in usable if not feature_library.terms_[i].is_constant]
    has_constant = len(others) < len(usable)
    _check_enough_rows(rows.n_samples, len(usable))

    with _timed("reading the rows into statistics"):
        stats = rows.statistics(others)
        bins = rows.residual_bins(others) if misfit_test else None
    stats, others, dropped, kept = _drop_dependent_terms(
        stats, others, has_constant, feature_library, notes
    )
    bins = bins.select(kept) if misfit_test else None
    if not others:
        raise DataError(
            f"Library {feature_library.spec!r} has no term besides the constant that "
            f"varies on the data; add terms such as '{DEFAULT_LIBRARY}'."
        )
    terms = ([sp.Integer(1)] if has_constant else []) + [
        feature_library.terms_[i].expr for i in others
    ]

    with _timed("training the network"):
        network, path, converged = _train_network(stats, settings)
    collapsed, collapsed_intercept = network.collapse()
    if path is None:
        strength = np.abs(collapsed) * network.x_scale_ / network.y_scale_
        supports = [tuple(np.flatnonzero(collapsed))]
    else:
        strength = _entry_strength(path)
        supports = [tuple(np.flatnonzero(row)) for row in path.coef]

    # Column 0 of the statistics is the constant; column j + 1 is others[j].
    column_terms = [sp.Integer(1)] + [feature_library.terms_[i].expr for i in others]
    complexities = [1] + [feature_library.terms_[i].complexity for i in others]
    with _timed("choosing the terms"):
        selection = select_terms(
            stats,
            strength,
            complexities,
            threshold=threshold,
            allow_constant=has_constant,
            supports=supports,
            max_refine_steps=max_refine_steps,
        )
    all_pruned = None
    if selection.pruned and not any(selection.chosen.columns):
        all_pruned = _all_pruned_message(
            stats, selection, column_terms, feature_library, threshold
        )
        warnings.warn(all_pruned, UserWarning, stacklevel=2)

    chosen = selection.chosen
    _check_coefficients_finite(chosen, column_terms, feature_library)
    floor = residual_floor(stats)
    exact_fit = chosen.relative_rss <= EXACT_FIT_FACTOR * floor
    stderr = stats.standard_errors(chosen.columns)
    with _timed("looking for exact constants"):
        values, exact = snap_coefficients(
            stats,
            chosen.columns,
            chosen.coef,
            stderr,
            exact_fit=exact_fit,
            score=lambda rss: stats.n_samples * math.log(max(rss, floor)),
            margin=MARGIN,
            # A fixed coefficient is one parameter fewer, which BIC credits
            # with log(n); an exact fit has no noise to weigh it against.
            parameter_cost=0.0 if exact_fit else math.log(stats.n_samples),
        )
    formula = Formula(
        rows.target_name,
        [column_terms[c] for c in chosen.columns],
        values,
        feature_library.symbols_,
        exact=exact,
    )
    display = feature_library.display
    loss_steps, loss_values = _thinned(network.loss_history_)
    collapsed_by_term = {
        **({"1": collapsed_intercept} if has_constant else {}),
        **{display(column_terms[j + 1]): float(c) for j, c in enumerate(collapsed)},
    }
    formula.details.update(
        data=rows.summary(),
        notes=notes,
        library={
            "spec": library,
            "terms": [display(term) for term in terms],
            "dropped": dropped,
        },
        network={
            "layer_sizes": network.layer_sizes,
            "alpha": alpha if path is None else float(path.alphas.min()),
            "loss_steps": loss_steps,
            "loss_history": loss_values,
            "n_iter": network.n_iter_,
            "converged": converged,
            "final_loss": float(network.loss_history_[-1]),
            "collapsed": collapsed_by_term,
            "weights": [w.tolist() for w in network.weights_],
            "weight_terms": [display(column_terms[j + 1]) for j in range(len(others))],
        },
        selection=_selection_details(
            stats, selection, column_terms, display, threshold, feature_library
        ),
        estimates=_estimates(
            stats, chosen, values, exact, stderr, exact_fit, column_terms, display
        ),
        metrics=rows.metrics(formula, stats, chosen),
        settings=settings,
    )
    if path is not None:
        formula.details["path"] = {
            "alphas": [float(a) for a in path.alphas],
            "terms": [display(column_terms[j + 1]) for j in range(len(others))],
            "units": "standardized",
            "coef": path.coef.tolist(),
        }
    if all_pruned is not None:
        formula.details["selection"]["all_pruned"] = all_pruned
    if exact_fit or all_pruned is not None or not misfit_test:
        misfit = None
    else:
        misfit = _misfit_message(stats, bins, chosen.columns, values, rows)
    if misfit is not None:
        formula.details["misfit"] = misfit
        warnings.warn(misfit, UserWarning, stacklevel=2)
    if truth_expr is not None:
        formula.details["truth"] = _compare_with_truth(formula, truth_expr)
    logger.info("chose %s", formula)
    return formula


def _selection_details(stats, selection, column_terms, display, threshold, library):
    names = {}

    def name(column):
        if column not in names:
            names[column] = display(column_terms[column])
        return names[column]

    def describe(candidate):
        rmse = math.sqrt(candidate.relative_rss) * stats.target_rms
        terms = [name(j) for j in candidate.columns]
        return {
            "terms": terms,
            "n_terms": len(candidate.columns),
            "rmse": rmse,
            "criterion": _criterion(stats, candidate),
            "formula": _short_formula(candidate.coef, terms),
            "chosen": candidate.columns == selection.chosen.columns,
        }

    shown = selection.candidates[:CANDIDATES_SHOWN]
    # Candidates contain arrays, so they are compared by their columns, because
    # ``in`` would compare the arrays and raise.
    if not any(c.columns == selection.chosen.columns for c in shown):
        shown = [*shown, selection.chosen]
    runner_up = selection.runner_up
    return {
        "threshold": threshold,
        "searched": [display(column_terms[j + 1]) for j in selection.searched],
        "pruned": [display(column_terms[c]) for c in selection.pruned],
        "n_scored": selection.n_scored,
        "criterion": _criterion(stats, selection.chosen),
        "candidates": [describe(c) for c in shown],
        "runner_up": None if runner_up is None else describe(runner_up),
    }


def _short_formula(coef, terms):
    """Return a sum of terms with 6-digit coefficients as text.

    The longest terms come first, as sympy tends to order higher powers
    first, and the constant comes last.

    Written directly rather than printed by sympy, which takes milliseconds
    per candidate.

    Examples
    --------
    >>> _short_formula([0.5, -17.77777, 2.0], ["x", "1", "x**2"])
    '2*x**2 + 0.5*x - 17.7778'
    """
    parts = sorted(zip(coef, terms), key=lambda part: (part[1] == "1", -len(part[1])))
    text = ""
    for value, term in parts:
        number = f"{abs(value):.6g}"
        piece = number if term == "1" else f"{number}*{term}"
        if number == "1" and term != "1":
            piece = term
        if not text:
            text = f"-{piece}" if value < 0 else piece
        else:
            text += f" - {piece}" if value < 0 else f" + {piece}"
    return text or "0"


def _thinned(history):
    """Return steps and values of at most ``MAX_LOSS_POINTS`` points of a loss curve.

    Steps count from 1; the last step is always kept.
    """
    history = np.asarray(history, dtype=float)
    stride = max(1, -(-len(history) // MAX_LOSS_POINTS))
    steps = np.arange(0, len(history), stride)
    if len(history) and steps[-1] != len(history) - 1:
        steps = np.append(steps, len(history) - 1)
    return [int(s) + 1 for s in steps], [float(v) for v in history[steps]]


def _criterion(stats, candidate):
    """Return the candidate's score on the scale of BIC, n * log(rss / n) + ...

    The selection's score divides the residual by ``sum(y**2)`` rather than
    by ``n``, which shifts every score by the same amount.
    """
    return float(candidate.score + 2 * stats.n_samples * math.log(stats.target_rms))


def _estimates(stats, chosen, values, exact, stderr, exact_fit, column_terms, display):
    quantile = t_quantile_975(stats.n_samples - len(chosen.columns))
    rows = []
    for j, raw, value, snapped, error in zip(
        chosen.columns, chosen.coef, values, exact, stderr
    ):
        row = {
            "term": display(column_terms[j]),
            "value": float(value),
            "refit": float(raw),
            "exact": None if snapped is None else sp.sstr(snapped),
        }
        if exact_fit:
            row.update(stderr=None, interval=None)
        else:
            error = float(error)
            row.update(
                stderr=error,
                interval=[float(raw) - quantile * error, float(raw) + quantile * error],
            )
        rows.append(row)
    return {"exact_fit": bool(exact_fit), "terms": rows}


def _misfit_message(stats, bins, columns, values, dataset):
    """Return a warning when the residuals still follow an input, else None."""
    relative_rss = stats.lstsq([], fixed=dict(zip(columns, values)))[1]
    y_norm_squared = (stats.target_rms**2) * stats.n_samples
    worst = bins.worst_input(columns, values, relative_rss, y_norm_squared)
    if worst is None:
        return None
    index, share = worst
    column = dataset.inputs.columns[index]
    return (
        f"The library probably cannot express the data: the residuals still follow "
        f"{display_name(column)} (their binned means explain {share:.0%} of the "
        f"residual variance), so the formula is only the best approximation found. "
        f"Add terms to --library, such as log, sqrt or inv, or a custom term."
    )


class _DataFrameRows:
    """The rows of a table in memory, read by the fit through one interface.

    :class:`_ScannedRows` offers the same attributes and methods for a CSV
    read in chunks.
    """

    def __init__(self, dataset, library, chunk_rows):
        self.dataset = dataset
        self.y = dataset.target.to_numpy(dtype=float)
        _check_target_varies(self.y, dataset)
        self.notes = list(dataset.notes)
        self.chunk_rows = chunk_rows or DEFAULT_CHUNK_ROWS
        self.target_name = dataset.target_name
        self.truth = dataset.truth
        self.inputs = dataset.inputs
        self.n_samples = dataset.n_samples
        self.feature_library = FeatureLibrary(library).fit(dataset.inputs)
        self.term_values = self.feature_library.transform(dataset.inputs)

    def statistics(self, columns):
        """Return the statistics of ``[1, library columns, y]``."""
        return Statistics.from_arrays(
            self.term_values[:, columns], self.y, chunk_rows=self.chunk_rows
        )

    def residual_bins(self, columns):
        """Return the bin sums of ``[1, library columns, y]`` for the misfit test."""
        return ResidualBins.from_arrays(
            self.inputs.to_numpy(dtype=float), self.term_values[:, columns], self.y
        )

    def summary(self):
        return _data_summary(self.dataset)

    def metrics(self, formula, stats, chosen):
        return _metrics(formula, self.dataset)


class _ScannedRows:
    """A CSV file read once in chunks, with the interface of :class:`_DataFrameRows`.

    ``term_values`` contains each term's minimum and maximum, NaN where the term
    is not finite: the two rows that tell :func:`_usable_terms` whether a
    term is finite and whether it varies, as the whole column would.
    """

    def __init__(self, scan, reading="in chunks"):
        if scan.target_range[0] == scan.target_range[1]:
            _check_target_varies(np.array(scan.target_range), scan)
        self.scan = scan
        self.notes = list(scan.notes)
        self.notes.append(
            f"Read the rows {reading}, so the maximum absolute error was not "
            f"computed; it would need a second pass over the rows."
        )
        self.target_name = scan.target_name
        self.truth = scan.truth
        self.inputs = scan.inputs
        self.n_samples = scan.n_samples
        self.feature_library = scan.feature_library
        self.term_values = scan.term_ranges
        # Positions of the non-constant terms in the scanned statistics.
        varying = [not term.is_constant for term in self.feature_library.terms_]
        self.varying_index = np.cumsum(varying) - 1

    def statistics(self, columns):
        return self.scan.statistics.select(self.varying_index[columns])

    def residual_bins(self, columns):
        return self.scan.residual_bins.select(self.varying_index[columns])

    def summary(self):
        return {
            "source": self.scan.source,
            "n_rows_read": self.scan.n_rows_read,
            "n_samples": self.n_samples,
            "inputs": {
                column: [float(low), float(high)]
                for column, (low, high) in self.inputs.items()
            },
        }

    def metrics(self, formula, stats, chosen):
        """Return the fit metrics of the chosen subset, from the statistics."""
        # Work in the divided units of the statistics, where squares stay in
        # range, then scale back. Below the first row, the last column of R
        # is the factor of the centred target, so its squares sum to the
        # total sum of squares.
        rss = chosen.relative_rss * float(np.sum(stats.r[:, -1] ** 2))
        total = float(np.sum(stats.r[1:, -1] ** 2))
        return {
            "r2": 1.0 - rss / total,
            "rmse": float(np.sqrt(rss / self.n_samples)) * stats.column_divisors[-1],
            "max_abs_error": None,
            "n_samples": self.n_samples,
        }


def _read_rows(data, target, inputs, truth, library, chunk_rows, nan):
    """Read the data once and build the library of terms on its inputs."""
    if chunk_rows is not None and isinstance(data, (str, Path)):
        scan = scan_csv(
            data,
            target=target,
            inputs=inputs,
            truth=truth,
            library=library,
            chunk_rows=chunk_rows,
            nan=nan,
        )
        return _ScannedRows(scan)
    dataset = _load(data, target, inputs, truth, nan)
    return _DataFrameRows(dataset, library, chunk_rows)


def _check_engine(engine, data, scheduler, strict):
    """Return the engine that reads the data, "pandas" or "dask"."""
    if engine is None:
        engine = "dask" if is_dask_frame(data) else "pandas"
    if engine not in ("pandas", "dask"):
        raise DataError(f"Invalid engine {engine!r}; give 'pandas' or 'dask'.")
    if engine == "pandas" and is_dask_frame(data):
        raise DataError(
            "A Dask DataFrame is read by the dask engine; pass engine='dask' or "
            "leave engine out."
        )
    if engine == "pandas" and (scheduler is not None or strict):
        option = "--scheduler" if scheduler is not None else "--strict"
        raise DataError(
            f"Option {option} applies to the dask engine only; add --engine dask."
        )
    return engine


def _check_chunk_rows(chunk_rows):
    if chunk_rows is not None and (not _is_integer(chunk_rows) or chunk_rows < 1):
        raise DataError(
            f"Invalid chunk_rows {chunk_rows!r}; give a positive integer or None."
        )


def alpha_grid(stats, n_alphas=N_ALPHAS, alpha_range=ALPHA_RANGE):
    """Return the alphas of the path, largest first.

    The largest is the lasso's: the largest absolute correlation of a
    standardized term with the standardized target, the smallest L1 weight
    at which a one-layer network keeps no term.
    """
    _, moment, _ = stats.standardized_gram()
    largest = float(np.max(np.abs(moment))) if moment.size else 1.0
    if largest == 0:
        largest = 1.0
    return largest * np.geomspace(1.0, alpha_range, n_alphas)


def _entry_strength(path):
    """Rank terms by the largest alpha that keeps them, then by their size.

    A term that the network keeps at a larger L1 weight explains more of
    the target on its own. Ties, and terms never kept, are broken by the
    coefficient at the smallest alpha.
    """
    kept = path.coef != 0
    entry = np.where(kept, path.alphas[:, None], 0.0).max(axis=0)
    last = np.abs(path.coef[np.argmin(path.alphas)])
    scale = float(last.max()) or 1.0
    return entry + 1e-9 * float(path.alphas.max()) * last / scale


def _train_network(stats, settings):
    """Train the network on the statistics, along the alpha path for "auto".

    Returns the network, the path (None for a fixed alpha) and whether every
    training converged.
    """
    auto = isinstance(settings["alpha"], str)
    network = SparseLinearNetwork(
        [stats.n_features, *settings["layers"], 1],
        alpha=0.0 if auto else settings["alpha"],
        max_iter=settings["max_iter"],
        random_state=settings["random_state"],
    )
    path = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        if auto:
            # Largest first, so that the network keeps the smallest alpha's
            # weights, which are the nearest to least squares.
            path = network.fit_path(stats, alpha_grid(stats))
        else:
            network.fit_statistics(stats)
    stops = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    for other in caught:
        if not issubclass(other.category, ConvergenceWarning):
            warnings.warn_explicit(
                other.message, other.category, other.filename, other.lineno
            )
    if stops:
        # The subset search refits by least squares, so an unconverged network
        # only weakens the ranking of the terms.
        logger.info("%s", stops[-1].message)
    return network, path, not stops


def _check_coefficients_finite(candidate, column_terms, feature_library):
    for column, value in zip(candidate.columns, candidate.coef):
        if not np.isfinite(value):
            name = feature_library.display(column_terms[column])
            raise DataError(
                f"The coefficient of {name} is outside the floating-point range; "
                f"rescale the inputs or the target."
            )


def _parse_truth(text, symbols, display):
    if text is None:
        return None
    truth = parse_formula(text, symbols)
    check_expandable(truth, text)
    for term, coefficient in split_terms(truth).items():
        if not math.isfinite(to_float(coefficient)):
            raise ParseError(
                f"Formula {text!r} has a coefficient of "
                f"{display(term)} outside the "
                f"floating-point range; fix the formula."
            )
    return truth


def _finite_terms(feature_library, theta, dataset, notes):
    """Return the library terms that are finite on every row.

    A term that came from ``default`` and is not finite on the data is left out
    with a note. Such a term named by the user raises DataError instead.
    """
    usable = []
    for i, term in enumerate(feature_library.terms_):
        if np.isfinite(theta[:, i]).all():
            usable.append(i)
            continue
        name = feature_library.display(term.expr)
        reason = _input_ranges(term, feature_library, dataset)
        if not term.from_default:
            raise DataError(
                f"Library term {name} is not finite for {reason}; remove it "
                f"from the library or rescale the input."
            )
        notes.append(f"Left out term {name} because it is not finite for {reason}.")
    return usable


def _drop_dependent_terms(stats, others, has_constant, feature_library, notes):
    """Leave out terms that the data cannot tell apart from earlier ones.

    A term constant on the data duplicates the constant, and a term that is a
    combination of earlier terms (sin(x)**2 after 1 and cos(x)**2) adds
    nothing: the earlier terms are kept. Returns the statistics and terms
    that remain, and the left-out terms with the reason for each.
    """

    def name(column):
        if column == 0:
            return "1"
        return feature_library.display(feature_library.terms_[others[column - 1]].expr)

    dropped, gone = [], set()
    for j, explained_by in stats.dependent_columns():
        if explained_by == [0]:
            reason = "it is constant on the data"
        elif 0 in explained_by and not has_constant:
            # Without the constant in the library, the term is not redundant.
            continue
        else:
            names = [name(c) for c in explained_by]
            listed = names[0] if len(names) == 1 else ", ".join(names[:-1])
            if len(names) > 1:
                listed += f" and {names[-1]}"
            reason = f"it is a combination of {listed} on the data"
        notes.append(f"Left out term {name(j + 1)} because {reason}.")
        dropped.append({"term": name(j + 1), "reason": reason})
        gone.add(j)
    keep = [j for j in range(len(others)) if j not in gone]
    if gone:
        stats = stats.select(keep)
        others = [others[j] for j in keep]
    return stats, others, dropped, keep


def _check_enough_rows(n_samples, n_terms):
    if n_samples <= n_terms:
        raise DataError(
            f"Only {n_samples} rows for {n_terms} library terms; give more "
            f"rows than terms, or a smaller --library."
        )


def _input_ranges(term, feature_library, dataset):
    used = [
        c for c, s in feature_library.symbols_.items() if s in term.expr.free_symbols
    ]
    return ", ".join(
        f"{c} in [{dataset.inputs[c].min():g}, {dataset.inputs[c].max():g}]"
        for c in used
    )


def _all_pruned_message(stats, selection, column_terms, feature_library, threshold):
    best = selection.candidates[0]
    values = contributions(stats, best)
    values = np.where(np.asarray(best.columns) == 0, -np.inf, values)
    largest = int(np.argmax(values))
    name = feature_library.display(column_terms[best.columns[largest]])
    return (
        f"Pruning removed every term that varies: the largest contribution, of "
        f"{name}, is {values[largest]:.3g} of the target's standard deviation, "
        f"below the threshold {threshold:g}. A threshold below "
        f"{values[largest]:.3g} keeps it."
    )


def _load(data, target, inputs, truth, nan):
    if isinstance(data, Dataset):
        return data if truth is None else dataclasses.replace(data, truth=truth)
    if isinstance(data, (str, Path)):
        return read_csv(data, target=target, inputs=inputs, truth=truth, nan=nan)
    if isinstance(data, pd.DataFrame):
        if target is None:
            raise DataError("No target column given; pass target=<column name>.")
        return from_frame(data, target=target, inputs=inputs, truth=truth, nan=nan)
    raise DataError(
        f"Cannot fit data of type {type(data).__name__}; pass a CSV path or a "
        f"pandas DataFrame."
    )


def _check_settings(**settings):
    """Validate the fit settings and return them as JSON-ready values."""
    if not isinstance(settings["library"], str):
        raise DataError(
            f"Invalid library {settings['library']!r}; give text such as "
            f"'{DEFAULT_LIBRARY}'."
        )
    layers = settings["layers"]
    if not isinstance(layers, (list, tuple)) or not all(
        _is_integer(size) and size >= 1 for size in layers
    ):
        raise DataError(
            f"Invalid hidden layer sizes {layers!r}; give a list of positive "
            f"integers such as [2]."
        )
    alpha = settings["alpha"]
    if not (isinstance(alpha, str) and alpha == "auto") and not _is_nonnegative(alpha):
        raise DataError(f"Invalid alpha {alpha!r}; give 'auto' or a number >= 0.")
    if not _is_nonnegative(settings["threshold"]):
        raise DataError(
            f"Invalid threshold {settings['threshold']!r}; give a number >= 0."
        )
    if not _is_integer(settings["max_iter"]) or settings["max_iter"] < 1:
        raise DataError(
            f"Invalid max_iter {settings['max_iter']!r}; give a positive integer."
        )
    seed = settings["random_state"]
    if seed is not None and (not _is_integer(seed) or seed < 0):
        raise DataError(
            f"Invalid random_state {seed!r}; give a non-negative integer or None."
        )
    return {
        **settings,
        "layers": [int(size) for size in layers],
        "alpha": alpha if isinstance(alpha, str) else float(alpha),
        "threshold": float(settings["threshold"]),
    }


def _is_nonnegative(value):
    return _is_real(value) and bool(np.isfinite(value)) and value >= 0


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_integer(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_target_varies(y, dataset):
    if np.ptp(y) == 0:
        value = float(y[0])
        raise DataError(
            f"Target column {dataset.target_name!r} is constant ({value:g}); there "
            f"is no formula to find."
        )


def _data_summary(dataset):
    return {
        "source": dataset.source,
        "n_rows_read": dataset.n_rows_read,
        "n_samples": dataset.n_samples,
        "inputs": {
            column: [
                float(dataset.inputs[column].min()),
                float(dataset.inputs[column].max()),
            ]
            for column in dataset.inputs.columns
        },
    }


def _metrics(formula, dataset):
    y = dataset.target.to_numpy(dtype=float)
    residual = y - formula.predict(dataset.inputs)
    # Dividing by the largest |y| keeps the squares in range for y near 1e200
    # or 1e-200.
    unit = float(np.max(np.abs(y)))
    scaled_residual, scaled_y = residual / unit, y / unit
    rss = float(scaled_residual @ scaled_residual)
    tss = float(np.sum((scaled_y - scaled_y.mean()) ** 2))
    return {
        "r2": 1.0 - rss / tss,
        "rmse": float(np.sqrt(rss / len(y))) * unit,
        "max_abs_error": float(np.max(np.abs(residual))),
        "n_samples": len(y),
    }


def _compare_with_truth(formula, truth, points=None):
    comparison = compare(truth, formula.expr, points=points)
    names = formula.display_names
    return {
        "formula": sp.sstr(readable_numbers(truth).xreplace(names)),
        "terms_match": comparison.terms_match,
        "precision": comparison.precision,
        "recall": comparison.recall,
        "max_relative_error": comparison.max_relative_error,
        "symbolic_match": comparison.symbolic_match,
        "srbench_match": comparison.srbench_match,
        "summary": comparison.summary(names),
        "terms": [
            {
                "term": sp.sstr(row.term.xreplace(names)),
                "true": row.true,
                "found": row.found,
                "relative_error": row.relative_error,
            }
            for row in comparison.terms
        ],
    }
