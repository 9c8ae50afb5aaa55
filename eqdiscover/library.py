"""Candidate terms built from the input columns.

A library is written as comma-separated items, the same text for the CLI's
``--library`` option and for :class:`FeatureLibrary`:

``const``
    The constant term 1.
``poly:N``
    Every monomial of total degree 1 to N in the inputs: ``poly:2`` on inputs
    x and y gives x, y, x**2, x*y and y**2.
``pow:N``
    Powers 1 to N of each input alone, without cross products.
``sin``, ``cos``, ``exp``, ``log``, ``sqrt``, ``inv``
    That function of each input; ``inv`` is 1/x.
``prod:K``
    Products of 2 to K factors, each factor a term of one input that the other
    items give (x**2, sin(y), ...), no two factors of the same input.
    ``prod:3`` on inputs m, g and z gives m*g*z.
``default``
    ``const,poly:3,sin,cos,exp``; it combines with other items, as in
    ``default,prod:2``.
any other text
    A custom term, written as a formula in the input names with the functions
    of :data:`eqdiscover.expressions.FUNCTIONS`: ``x*sin(y)``, ``exp(-t/2)``.
    A name that is not an identifier goes between backticks: ```temp (F)`**2``.
    Custom terms are parsed, never evaluated as code.

For example ``"const,poly:2,sin"`` on one input ``speed`` gives the terms
1, speed, speed**2 and sin(speed).

Sizes, for m inputs: ``const`` adds 1 term, ``poly:N`` adds C(m + N, N) - 1,
``pow:N`` adds m*N, each function adds m, and ``prod:K`` adds, for every set
of 2 to K inputs, the product of their numbers of single-input terms. So the
default library has 7 terms for one input, 16 for two, 29 for three and 102
for six. A library of more than ``MAX_TERMS`` terms is refused before it is
built.
"""

import itertools
import logging
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sympy as sp

from .exceptions import DataError, NotFittedError, ParseError
from .expressions import display_name, evaluate, make_symbols, parse_formula

__all__ = ["DEFAULT_LIBRARY", "MAX_TERMS", "FeatureLibrary", "Term", "complexity"]

logger = logging.getLogger(__name__)

DEFAULT_LIBRARY = "const,poly:3,sin,cos,exp"
MAX_TERMS = 2000
MAX_POWER = 10
MAX_FACTORS = 4
_FUNCTION_ITEMS = {
    "sin": sp.sin,
    "cos": sp.cos,
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "inv": lambda symbol: 1 / symbol,
}
_NUMBERED_ITEMS = {"poly": MAX_POWER, "pow": MAX_POWER, "prod": MAX_FACTORS}
_ITEM_NAMES = "const, poly:N, pow:N, prod:K, sin, cos, exp, log, sqrt, inv, default"


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
    """Count the complexity of a term.

    An input counts 1, ``x**k`` counts k, a product the sum of its factors, and
    a function, a root or a reciprocal 1 plus its argument. The constant counts
    1. So x is simpler than x**3 or sin(x), and x**2 ties with sin(x) and 1/x.

    Examples
    --------
    >>> import sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> terms = (sp.Integer(1), x, x**3, sp.sin(x), x * y, 1 / x, sp.sqrt(x))
    >>> [complexity(t) for t in terms]
    [1, 1, 3, 2, 2, 2, 2]
    """
    if expr.is_Number or expr.is_Symbol:
        return 1
    if expr.is_Pow:
        base, exponent = expr.args
        if exponent.is_Integer and exponent > 0:
            return complexity(base) * int(exponent)
        if exponent.is_Integer:
            return 1 + complexity(base) * abs(int(exponent))
        return 1 + complexity(base)
    if expr.is_Mul or expr.is_Add:
        return sum(complexity(arg) for arg in expr.args if not arg.is_Number)
    return 1 + sum(complexity(arg) for arg in expr.args)


def split_items(spec):
    """Split a library specification at the commas outside backticks and brackets.

    Examples
    --------
    >>> split_items("const, poly:2, x*atan(y), `a,b`**2")
    ['const', 'poly:2', 'x*atan(y)', '`a,b`**2']
    """
    items, depth, quoted, start = [], 0, False, 0
    for position, character in enumerate(spec):
        if character == "`":
            quoted = not quoted
        elif not quoted and character == "(":
            depth += 1
        elif not quoted and character == ")":
            depth -= 1
        elif not quoted and depth == 0 and character == ",":
            items.append(spec[start:position])
            start = position + 1
    items.append(spec[start:])
    return [item.strip() for item in items if item.strip()]


def _expand_default(spec):
    """Return (item, from_default) pairs, with ``default`` expanded in place."""
    items = []
    for item in split_items(spec):
        if item == "default":
            items.extend((d, True) for d in DEFAULT_LIBRARY.split(","))
        else:
            items.append((item, False))
    if not items:
        raise DataError(
            f"Library {spec!r} has no terms; use items such as '{DEFAULT_LIBRARY}'."
        )
    return items


def _number(item, spec):
    """Return the N of an item such as ``poly:N``, checked against its range."""
    kind, _, text = item.partition(":")
    low, high = (2 if kind == "prod" else 1), _NUMBERED_ITEMS[kind]
    if not (text.isascii() and text.isdigit() and low <= int(text) <= high):
        raise DataError(
            f"Invalid library item {item!r} in {spec!r}; the number after "
            f"'{kind}:' must be an integer from {low} to {high}, as in "
            f"'{kind}:{low + 1}'."
        )
    return int(text)


def _is_numbered(item):
    return item.partition(":")[0] in _NUMBERED_ITEMS and ":" in item


def _monomials(symbols, degree):
    return [
        sp.Mul(*factors)
        for total in range(1, degree + 1)
        for factors in itertools.combinations_with_replacement(symbols, total)
    ]


def _custom_term(item, symbols, spec):
    try:
        expr = parse_formula(item, symbols)
    except ParseError as error:
        if re.fullmatch(r"[^\W\d]\w*", item) and item not in symbols:
            raise DataError(
                f"Unknown library item {item!r} in {spec!r}; use {_ITEM_NAMES}, "
                f"or a formula in the input names such as 'x*sin(y)'."
            ) from None
        raise DataError(
            f"Library term {item!r} in {spec!r} does not parse: {error}"
        ) from None
    if not expr.free_symbols:
        raise DataError(
            f"Library term {item!r} in {spec!r} uses no input; write the "
            f"constant as 'const'."
        )
    return expr


def _count_terms(items, n_inputs):
    """Return an upper bound of the number of terms, without building them."""
    single = [0] * n_inputs  # single-input terms per input, before products
    total = 0
    for item, _ in items:
        kind = item.partition(":")[0]
        if item == "const" or not (_is_numbered(item) or item in _FUNCTION_ITEMS):
            total += 1
        elif kind == "poly":
            degree = int(item.partition(":")[2])
            total += math.comb(n_inputs + degree, degree) - 1
            single = [s + degree for s in single]
        elif kind == "pow":
            total += n_inputs * int(item.partition(":")[2])
            single = [s + int(item.partition(":")[2]) for s in single]
        elif item in _FUNCTION_ITEMS:
            total += n_inputs
            single = [s + 1 for s in single]
    factors = max(
        (int(item.partition(":")[2]) for item, _ in items if item.startswith("prod:")),
        default=1,
    )
    # Elementary symmetric sums: products over every set of 2 to K inputs.
    sums = [1] + [0] * factors
    for count in single:
        for k in range(factors, 0, -1):
            sums[k] += sums[k - 1] * count
    return total + sum(sums[2:])


def _build_terms(items, symbol_map, spec):
    """Return a dict of term expression to whether it came only from the default."""
    symbols = list(symbol_map.values())
    from_default = {}
    singles = {symbol: [] for symbol in symbols}

    def add(expr, in_default):
        from_default[expr] = from_default.get(expr, True) and in_default
        if len(expr.free_symbols) == 1 and expr not in singles[_only(expr)]:
            singles[_only(expr)].append(expr)

    products = []
    for item, in_default in items:
        if item == "const":
            add(sp.Integer(1), in_default)
        elif item in _FUNCTION_ITEMS:
            for symbol in symbols:
                add(_FUNCTION_ITEMS[item](symbol), in_default)
        elif _is_numbered(item):
            kind, number = item.partition(":")[0], _number(item, spec)
            if kind == "poly":
                for expr in _monomials(symbols, number):
                    add(expr, in_default)
            elif kind == "pow":
                for power in range(1, number + 1):
                    for symbol in symbols:
                        add(symbol**power, in_default)
            else:
                products.append((number, in_default))
        else:
            add(_custom_term(item, symbol_map, spec), False)
    for number, in_default in products:
        for k in range(2, number + 1):
            for inputs in itertools.combinations(symbols, k):
                for factors in itertools.product(*(singles[s] for s in inputs)):
                    expr = sp.Mul(*factors)
                    from_default[expr] = from_default.get(expr, True) and in_default
    return from_default


def _only(expr):
    (symbol,) = expr.free_symbols
    return symbol


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
        The symbols are safe internal names (``x0``, ``x1``, ...) so that a
        column called ``E``, ``lambda`` or ``temp (F)`` means nothing to sympy.
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

    Products and custom terms on several inputs:

    >>> frame = pd.DataFrame({"m": [1.0], "g": [2.0], "z": [3.0]})
    >>> FeatureLibrary("poly:1,prod:3,exp(-z/2)").fit(frame).get_feature_names_out()
    array(['m', 'g', 'z', 'exp(-z/2)', 'g*m', 'm*z', 'm*exp(-z/2)', 'g*z',
           'g*exp(-z/2)', 'g*m*z', 'g*m*exp(-z/2)'], dtype=object)
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

        Raises
        ------
        DataError
            If the specification does not parse, or the library would have
            more than :data:`MAX_TERMS` terms.
        """
        frame = _as_frame(X)
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.symbols_ = make_symbols(frame.columns)
        spec = str(self.spec)
        items = _expand_default(spec)
        for item, _ in items:
            if _is_numbered(item):
                _number(item, spec)
        size = _count_terms(items, len(self.symbols_))
        if size > MAX_TERMS:
            raise DataError(
                f"Library {spec!r} on {len(self.symbols_)} inputs would have up to "
                f"{size} terms, more than {MAX_TERMS}; lower the numbers of poly, "
                f"pow or prod, leave out functions, or choose fewer --inputs."
            )
        from_default = _build_terms(items, self.symbols_, spec)
        self.terms_ = [Term(e, complexity(e), d) for e, d in from_default.items()]
        logger.info("library %r has %d terms", spec, len(self.terms_))
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
