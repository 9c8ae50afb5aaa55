"""Candidate terms built from the input columns.

A library is written as comma-separated items, the same text for the CLI's
``--library`` option and for :class:`FeatureLibrary`:

``const``
    The constant term 1.
``poly:N``
    Powers 1 to N of each input (``poly:2`` gives x and x**2).
``sin``, ``cos``, ``exp``
    That function of each input.
``default``
    ``const,poly:3,sin,cos,exp``; it combines with other items, as in
    ``default,poly:5``.

For example ``"const,poly:2,sin"`` on one input ``speed`` gives the terms
1, speed, speed**2 and sin(speed).
"""

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sympy as sp

from .exceptions import DataError, NotFittedError
from .expressions import display_name, evaluate, make_symbols

__all__ = ["DEFAULT_LIBRARY", "FeatureLibrary", "Term", "complexity"]

logger = logging.getLogger(__name__)

DEFAULT_LIBRARY = "const,poly:3,sin,cos,exp"
MAX_POWER = 10
_FUNCTION_ITEMS = {"sin": sp.sin, "cos": sp.cos, "exp": sp.exp}


@dataclass(frozen=True)
class Term:
    """One candidate term: its sympy expression and its complexity.

    ``from_default`` is true when the term came only from the ``default`` item,
    so that a fit may leave it out where it is not finite on the data.
    """

    expr: sp.Expr
    complexity: int
    from_default: bool = False

    @property
    def is_constant(self):
        return self.expr == 1


def complexity(expr):
    """Count the complexity of a term: inputs 1, x**k k, a function 1 plus its argument.

    The constant has complexity 1, so x is simpler than x**3 or sin(x), and
    x**2 ties with sin(x).

    Examples
    --------
    >>> import sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> [complexity(t) for t in (sp.Integer(1), x, x**3, sp.sin(x), x * y)]
    [1, 1, 3, 2, 2]
    """
    if expr.is_Number:
        return 1
    if expr.is_Symbol:
        return 1
    if expr.is_Pow and expr.args[1].is_Integer:
        return complexity(expr.args[0]) * abs(int(expr.args[1]))
    if expr.is_Mul or expr.is_Add or expr.is_Pow:
        return sum(complexity(arg) for arg in expr.args if not arg.is_Number)
    return 1 + sum(complexity(arg) for arg in expr.args)


def _parse_items(spec):
    """Return (item, from_default) pairs, with ``default`` expanded in place."""
    items = []
    for item in (item.strip() for item in spec.split(",")):
        if item == "default":
            items.extend((d, True) for d in DEFAULT_LIBRARY.split(","))
        elif item:
            items.append((item, False))
    if not items:
        raise DataError(
            f"Library {spec!r} has no terms; use items such as '{DEFAULT_LIBRARY}'."
        )
    return items


def _item_terms(item, symbols, spec):
    if item == "const":
        return [sp.Integer(1)]
    if item in _FUNCTION_ITEMS:
        return [_FUNCTION_ITEMS[item](symbol) for symbol in symbols]
    if item.startswith("poly:"):
        degree_text = item.removeprefix("poly:")
        valid = degree_text.isascii() and degree_text.isdigit()
        if not valid or not 1 <= int(degree_text) <= MAX_POWER:
            raise DataError(
                f"Invalid library item {item!r} in {spec!r}; the degree must be "
                f"an integer from 1 to {MAX_POWER}, as in 'poly:3'."
            )
        degree = int(degree_text)
        return [symbol**power for power in range(1, degree + 1) for symbol in symbols]
    raise DataError(
        f"Unknown library item {item!r} in {spec!r}; use const, poly:N, sin, "
        f"cos, exp or default."
    )


class FeatureLibrary:
    """Library of candidate terms, one column per term.

    Parameters
    ----------
    spec : str, default="default"
        Comma-separated items; see the module documentation.

    Attributes
    ----------
    feature_names_in_ : ndarray of shape (n_features,)
        Input column names seen in :meth:`fit`.
    symbols_ : dict of str to sympy.Symbol
        Symbol that stands for each input column in the term expressions.
    terms_ : list of Term
        Candidate terms in library order, duplicates removed.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"x": [1.0, 2.0]})
    >>> library = FeatureLibrary("const,poly:2,sin").fit(frame)
    >>> library.get_feature_names_out().tolist()
    ['1', 'x', 'x**2', 'sin(x)']
    >>> library.transform(pd.DataFrame({"x": [3.0]})).round(4).tolist()
    [[1.0, 3.0, 9.0, 0.1411]]
    """

    def __init__(self, spec="default"):
        self.spec = spec

    def fit(self, X, y=None):
        """Build the terms for the columns of ``X`` and return self.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Inputs. A DataFrame's column names become the symbol names; an
            array's columns are named ``x0, x1, ...``. Only the names are used.
        y : None
            Ignored; accepted for scikit-learn's transformer convention.

        Returns
        -------
        self
        """
        frame = _as_frame(X)
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.symbols_ = make_symbols(frame.columns)
        symbols = list(self.symbols_.values())

        from_default = {}
        for item, in_default in _parse_items(str(self.spec)):
            for expr in _item_terms(item, symbols, self.spec):
                from_default[expr] = from_default.get(expr, True) and in_default
        self.terms_ = [Term(e, complexity(e), d) for e, d in from_default.items()]
        logger.info("library %r has %d terms", self.spec, len(self.terms_))
        return self

    def transform(self, X):
        """Return the library matrix of ``X``, one column per term.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Inputs with the columns seen in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples, n_terms)
        """
        if not hasattr(self, "terms_"):
            raise NotFittedError(
                "This FeatureLibrary is not fitted yet; call fit first."
            )
        frame = _as_frame(X, self.feature_names_in_)
        values = {
            symbol: frame[column].to_numpy(dtype=float)
            for column, symbol in self.symbols_.items()
        }
        n_samples = len(frame)
        columns = [evaluate(term.expr, values, n_samples) for term in self.terms_]
        return np.column_stack(columns) if columns else np.empty((n_samples, 0))

    def get_feature_names_out(self, input_features=None):
        """Return the term names, written with the input column names.

        Parameters
        ----------
        input_features : None
            Ignored; accepted for scikit-learn's transformer convention.

        Returns
        -------
        ndarray of str objects, of shape (n_terms,)
            Names in the order of the columns of :meth:`transform`. Names
            that are not identifiers are between backticks.
        """
        return np.asarray([self.display(t.expr) for t in self.terms_], dtype=object)

    def display(self, expr):
        """Return ``expr`` as text written with the input column names."""
        names = {s: sp.Symbol(display_name(c)) for c, s in self.symbols_.items()}
        return sp.sstr(expr.xreplace(names))


def _as_frame(X, columns=None):
    if isinstance(X, pd.DataFrame):
        frame = X
    else:
        array = np.asarray(X, dtype=float)
        if array.ndim != 2:
            raise DataError(
                f"Expected a 2-D table of inputs, got an array of shape "
                f"{array.shape}; pass a DataFrame or a 2-D array."
            )
        names = (
            columns if columns is not None else [f"x{i}" for i in range(array.shape[1])]
        )
        frame = pd.DataFrame(array, columns=list(names))
    if columns is not None:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise DataError(
                f"Missing input columns {missing}; the library was fitted on "
                f"{list(columns)}."
            )
    return frame
