"""The whole fit: data, library, statistics, network, selection, formula."""

import dataclasses
import logging
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import sympy as sp

from .compare import compare
from .data import Dataset, from_frame, read_csv
from .exceptions import ConvergenceWarning, DataError
from .expressions import parse_formula
from .formula import Formula
from .library import DEFAULT_LIBRARY, FeatureLibrary
from .network import SparseLinearNetwork
from .selection import contributions, select_terms
from .statistics import Statistics

__all__ = ["fit"]

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
    library="default",
    layers=(2,),
    alpha=1e-3,
    threshold=1e-3,
    max_iter=5000,
    random_state=0,
    truth=None,
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
    data : str, Path, pandas.DataFrame or Dataset
        A CSV path, a table, or a loaded dataset.
    target : str, optional
        Target column; a CSV's metadata JSON may supply it.
    inputs : sequence of str, optional
        Input columns; by default every column but the target and a row index.
    library : str, default="default"
        Library specification, see :mod:`eqdiscover.library`.
    layers : sequence of int, default=(2,)
        Hidden layer sizes of the network.
    alpha : float, default=1e-3
        L1 weight of the network, in standardized units.
    threshold : float, default=1e-3
        Terms of the chosen formula whose coefficient times the term's standard
        deviation is below ``threshold`` times the target's standard deviation
        are pruned, and the rest refitted.
    max_iter : int, default=5000
        Maximum training steps of the network.
    random_state : int or None, default=0
        Seed of the network's initialization.
    truth : str, optional
        True formula in the column names, to compare with.

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
    dataset = _load(data, target, inputs, truth)
    _check_settings(layers, alpha, threshold)
    X, y = dataset.inputs, dataset.target.to_numpy(dtype=float)
    _check_target_varies(y, dataset)

    with _timed("building the library"):
        feature_library = FeatureLibrary(library).fit(X)
        theta = feature_library.transform(X)
        _check_terms_finite(feature_library, theta)
    terms = feature_library.terms_
    truth_expr = None
    if dataset.truth is not None:
        truth_expr = parse_formula(dataset.truth, feature_library.symbols_)
    constant = [i for i, t in enumerate(terms) if t.is_constant]
    others = [i for i, t in enumerate(terms) if not t.is_constant]
    if not others:
        raise DataError(
            f"Library {library!r} has only the constant term; add terms such as "
            f"'{DEFAULT_LIBRARY}'."
        )

    with _timed("reading the rows into statistics"):
        stats = Statistics.from_arrays(theta[:, others], y)

    network = SparseLinearNetwork(
        [len(others), *layers, 1],
        alpha=alpha,
        max_iter=max_iter,
        random_state=random_state,
    )
    with _timed("training the network"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        network.fit_statistics(stats)
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    if not converged:
        logger.info("%s", caught[-1].message)
    collapsed, collapsed_intercept = network.collapse()
    strength = np.abs(collapsed) * network.x_scale_ / network.y_scale_

    complexities = [1] + [terms[i].complexity for i in others]
    with _timed("choosing the terms"):
        selection = select_terms(
            stats,
            strength,
            complexities,
            threshold=threshold,
            allow_constant=bool(constant),
        )
    column_terms = [sp.Integer(1)] + [terms[i].expr for i in others]
    if selection.pruned and not selection.chosen.columns:
        _warn_all_pruned(stats, selection, column_terms, feature_library, threshold)
    best = selection.chosen
    formula = Formula(
        dataset.target_name,
        [column_terms[c] for c in best.columns],
        best.coef,
        feature_library.symbols_,
    )
    collapsed_by_term = {
        **({"1": collapsed_intercept} if constant else {}),
        **{
            feature_library.display(terms[i].expr): float(c)
            for i, c in zip(others, collapsed)
        },
    }
    formula.details.update(
        data=_data_summary(dataset),
        library={
            "spec": library,
            "terms": [str(name) for name in feature_library.get_feature_names_out()],
        },
        network={
            "layer_sizes": [len(others), *layers, 1],
            "alpha": alpha,
            "n_iter": network.n_iter_,
            "converged": converged,
            "final_loss": float(network.loss_history_[-1]),
            "collapsed": collapsed_by_term,
        },
        selection={
            "threshold": threshold,
            "searched": [
                feature_library.display(terms[others[j]].expr)
                for j in selection.searched
            ],
            "pruned": [
                feature_library.display(column_terms[c]) for c in selection.pruned
            ],
            "n_candidates": len(selection.candidates),
            "score": best.score,
        },
        metrics=_metrics(formula, dataset),
        settings={
            "library": library,
            "layers": list(layers),
            "alpha": alpha,
            "threshold": threshold,
            "max_iter": max_iter,
            "random_state": random_state,
        },
    )
    if truth_expr is not None:
        formula.details["truth"] = _compare_with_truth(formula, truth_expr)
    logger.info("chose %s", formula)
    return formula


def _warn_all_pruned(stats, selection, column_terms, feature_library, threshold):
    best = selection.candidates[0]
    values = contributions(stats, best)
    largest = int(np.argmax(values))
    name = feature_library.display(column_terms[best.columns[largest]])
    warnings.warn(
        f"Pruning removed every term: the largest contribution, of {name}, is "
        f"{values[largest]:.3g} of the target's standard deviation, below the "
        f"threshold {threshold:g}; a threshold below {values[largest]:.3g} keeps it.",
        UserWarning,
        stacklevel=3,
    )


def _load(data, target, inputs, truth):
    if isinstance(data, Dataset):
        return data if truth is None else dataclasses.replace(data, truth=truth)
    if isinstance(data, (str, Path)):
        return read_csv(data, target=target, inputs=inputs, truth=truth)
    if isinstance(data, pd.DataFrame):
        if target is None:
            raise DataError("No target column given; pass target=<column name>.")
        return from_frame(data, target=target, inputs=inputs, truth=truth)
    raise DataError(
        f"Cannot fit data of type {type(data).__name__}; pass a CSV path or a "
        f"pandas DataFrame."
    )


def _check_settings(layers, alpha, threshold):
    if any(int(size) != size or size < 1 for size in layers):
        raise DataError(
            f"Invalid hidden layer sizes {list(layers)}; give positive integers."
        )
    if not np.isfinite(alpha) or alpha < 0:
        raise DataError(f"Invalid alpha {alpha!r}; give a number >= 0.")
    if not np.isfinite(threshold) or threshold < 0:
        raise DataError(f"Invalid threshold {threshold!r}; give a number >= 0.")


def _check_terms_finite(feature_library, theta):
    finite = np.isfinite(theta).all(axis=0)
    if finite.all():
        return
    position = int(np.flatnonzero(~finite)[0])
    name = feature_library.get_feature_names_out()[position]
    raise DataError(
        f"Library term {name} is not finite on the data; drop it from the "
        f"library or rescale the input."
    )


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
        "notes": list(dataset.notes),
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
    rss = float(residual @ residual)
    tss = float(np.sum((y - y.mean()) ** 2))
    return {
        "r2": 1.0 - rss / tss,
        "rmse": float(np.sqrt(rss / len(y))),
        "max_abs_error": float(np.max(np.abs(residual))),
        "n_samples": len(y),
    }


def _compare_with_truth(formula, truth):
    comparison = compare(truth, formula.expr)
    names = formula.display_names
    return {
        "formula": sp.sstr(truth.xreplace(names)),
        "terms_match": comparison.terms_match,
        "precision": comparison.precision,
        "recall": comparison.recall,
        "max_relative_error": comparison.max_relative_error,
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
