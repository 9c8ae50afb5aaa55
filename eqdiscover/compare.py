"""Comparing a found formula with the true one, term by term."""

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp

from .exceptions import DataError, ParseError
from .expressions import evaluate

__all__ = [
    "Comparison",
    "TermComparison",
    "check_expandable",
    "compare",
    "distinct_on_points",
    "round_constants",
    "split_terms",
    "srbench_match",
    "symbolic_match",
]

MAX_EXPANDED_TERMS = 10_000
# Expressions with more operations than this are not simplified: sympy's
# simplify can take minutes on them, so the symbolic checks return None.
MAX_SIMPLIFY_OPS = 400
# Decimals to which the SRBench rule rounds the found formula's float
# constants before it looks for a constant difference or ratio.
SRBENCH_DECIMALS = 3


def _expanded_size(expr):
    """Return an upper bound on the number of terms of ``sympy.expand(expr)``."""
    if expr.is_Add:
        return sum(_expanded_size(arg) for arg in expr.args)
    if expr.is_Mul:
        return math.prod(_expanded_size(arg) for arg in expr.args)
    if expr.is_Pow and expr.exp.is_Integer and expr.exp > 0:
        n_terms, power = _expanded_size(expr.base), int(expr.exp)
        return math.comb(n_terms + power - 1, power)
    return 1


def check_expandable(expr, text):
    """Raise ParseError if expanding ``expr`` could give too many terms to compare."""
    size = _expanded_size(expr)
    if size > MAX_EXPANDED_TERMS:
        raise ParseError(
            f"Formula {text!r} expands to up to {size:.3g} terms, more than the "
            f"{MAX_EXPANDED_TERMS} that can be compared term by term; write it "
            f"in expanded form."
        )


def split_terms(expr):
    """Split an expanded expression into a map of term to numeric coefficient.

    The constant is keyed by ``1``. Numeric factors, including ``pi``, go into
    the coefficient.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> sorted(split_terms(5 * (x - 32) / 9).items(), key=str)
    [(1, -160/9), (x, 5/9)]
    """
    symbols = sorted(expr.free_symbols, key=str)
    terms = {}
    for arg in sp.Add.make_args(sp.expand(expr)):
        coefficient, term = arg.as_independent(*symbols, as_Add=False)
        terms[term] = terms.get(term, 0) + coefficient
    return {term: c for term, c in terms.items() if c != 0}


@dataclass(frozen=True)
class TermComparison:
    """One term of the truth or of the found formula, with both coefficients.

    ``true`` or ``found`` is None when the term is missing on that side.
    """

    term: sp.Expr
    true: float | None
    found: float | None

    @property
    def relative_error(self):
        if self.true is None or self.found is None:
            return None
        return abs(self.found - self.true) / abs(self.true)


@dataclass(frozen=True)
class Comparison:
    """Truth against found formula.

    Attributes
    ----------
    truth, found : sympy.Expr
    terms : list of TermComparison
        True terms first, in the truth's order, then the extra found terms.
    symbolic_match : bool or None
        Whether ``found - truth`` simplifies to 0; None when the expressions
        are too large to simplify.
    srbench_match : bool or None
        Whether the SRBench rule holds (see :func:`srbench_match`); None when
        the expressions are too large to simplify.
    held_out : dict or None
        ``r2``, ``rmse``, ``max_abs_error`` and ``n_samples`` of the found
        formula on held-out rows, when :func:`compare` was given them.
    """

    truth: sp.Expr
    found: sp.Expr
    terms: list
    symbolic_match: bool | None = None
    srbench_match: bool | None = None
    held_out: dict | None = None

    @property
    def missing(self):
        return [t.term for t in self.terms if t.found is None]

    @property
    def extra(self):
        return [t.term for t in self.terms if t.true is None]

    @property
    def terms_match(self):
        """Whether the found formula has exactly the true terms."""
        return not self.missing and not self.extra

    @property
    def precision(self):
        """Share of the found terms that are true terms."""
        found = [t for t in self.terms if t.found is not None]
        return sum(t.true is not None for t in found) / len(found) if found else 1.0

    @property
    def recall(self):
        """Share of the true terms that were found."""
        true = [t for t in self.terms if t.true is not None]
        return sum(t.found is not None for t in true) / len(true) if true else 1.0

    @property
    def max_relative_error(self):
        """Largest relative coefficient error over the terms found on both sides."""
        errors = [t.relative_error for t in self.terms if t.relative_error is not None]
        return max(errors) if errors else None

    def summary(self, names=None):
        """Return one sentence describing how the found formula matches the truth.

        ``names`` maps internal symbols to display symbols.
        """
        names = names or {}

        def show(terms, limit=5):
            listed = ", ".join(sp.sstr(t.xreplace(names)) for t in terms[:limit])
            more = len(terms) - limit
            return listed + (f" and {more} more" if more > 0 else "")

        if self.terms_match:
            error = self.max_relative_error
            detail = "" if error is None else f"; largest coefficient error {error:.1e}"
            return f"found exactly the true terms{detail}"
        parts = []
        if self.missing:
            parts.append(f"missing {show(self.missing)}")
        if self.extra:
            parts.append(f"extra {show(self.extra)}")
        return "terms differ from the truth: " + "; ".join(parts)


def compare(truth, found, X=None, y=None, points=None):
    """Compare a true formula with a found one.

    The comparison covers the terms (precision, recall and the error of each
    coefficient), the symbolic match, the SRBench rule and, when held-out rows
    are given, the fit on them.

    Parameters
    ----------
    truth, found : sympy.Expr
        Formulas in the same symbols.
    X : mapping of sympy.Symbol to array of shape (n_samples,), optional
        Held-out rows: the values of every symbol of ``found``.
    y : array of shape (n_samples,), optional
        Measured target on the held-out rows. Without it, the truth evaluated
        on ``X`` is the target.
    points : mapping of sympy.Symbol to array, optional
        Values of every symbol at which both formulas are evaluated before
        any simplification. Where they differ clearly there, the symbolic
        checks are False without calling ``sympy.simplify``, which can take
        minutes on a long formula (see :func:`distinct_on_points`). A symbol
        positive at every point is taken as positive in the symbolic checks,
        so that ``sqrt(a)*sqrt(b)`` matches ``sqrt(a*b)``.

    Returns
    -------
    Comparison

    Examples
    --------
    >>> import numpy as np
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> result = compare(2 * x + 1, 2.0000001 * x + 1.0)
    >>> result.terms_match, f"{result.max_relative_error:.0e}"
    (True, '5e-08')
    >>> result.symbolic_match, result.srbench_match
    (False, True)
    >>> held_out = compare(2 * x + 1, 2.1 * x + 1.0, X={x: np.array([0.0, 10.0])})
    >>> round(held_out.held_out["max_abs_error"], 12)
    1.0
    """
    true_terms = split_terms(truth)
    found_terms = split_terms(found)
    rows = [
        TermComparison(term, float(value), _maybe_float(found_terms.get(term)))
        for term, value in true_terms.items()
    ]
    rows += [
        TermComparison(term, None, float(value))
        for term, value in found_terms.items()
        if term not in true_terms
    ]
    if points is not None and distinct_on_points(truth, found, points):
        symbolic, srbench = False, False
    else:
        positive = _positive_symbols(points)
        truth_p, found_p = truth.xreplace(positive), found.xreplace(positive)
        symbolic = symbolic_match(truth_p, found_p)
        srbench = srbench_match(truth_p, found_p)
    return Comparison(
        truth,
        found,
        rows,
        symbolic_match=symbolic,
        srbench_match=srbench,
        held_out=None if X is None else _held_out_metrics(truth, found, X, y),
    )


def _positive_symbols(points):
    """Map each symbol that is positive at every point to a positive symbol.

    Sympy writes sqrt(a*b) as sqrt(a)*sqrt(b) only for positive a and b, so
    formulas that agree on the data may otherwise not simplify to each other.
    """
    if points is None:
        return {}
    return {
        symbol: sp.Symbol(symbol.name, positive=True)
        for symbol, values in points.items()
        if np.all(np.asarray(values, dtype=float) > 0)
    }


def _maybe_float(value):
    return None if value is None else float(value)


def _simplified(expr):
    """Return ``sympy.simplify(expr)``, or None when ``expr`` is too large."""
    if sp.count_ops(expr) > MAX_SIMPLIFY_OPS:
        return None
    return sp.simplify(expr)


# Points where a difference is evaluated before any simplification: positive,
# so that logs and roots are defined, and different for each symbol.
_SCREEN_POINTS = np.array([0.37, 1.13, 1.71, 2.29, 0.83, 2.9, 1.47])


def _surely_not_constant(expr, *parts):
    """Return whether ``expr`` takes clearly different values at a few points.

    Sympy's simplify takes up to a second, and most differences between a
    found and a true formula are plainly not constant. Evaluating them at a
    handful of points settles those cases; only a difference that is constant
    on every point, to within rounding of the ``parts`` it came from, or that
    cannot be evaluated there, goes on to simplify.
    """
    symbols = sorted(expr.free_symbols, key=str)
    if not symbols:
        return False
    values = {
        symbol: np.roll(_SCREEN_POINTS, 2 * i) for i, symbol in enumerate(symbols)
    }
    n_points = len(_SCREEN_POINTS)
    try:
        with np.errstate(all="ignore"):
            result = evaluate(expr, values, n_points)
            scale = max(
                [1.0]
                + [float(np.max(np.abs(evaluate(p, values, n_points)))) for p in parts]
            )
    except (ParseError, TypeError, ValueError):
        return False
    if not (np.isfinite(result).all() and np.isfinite(scale)):
        return False
    return bool(np.ptp(result) > 1e-9 * scale)


def _exact(expr):
    """Replace every float in ``expr`` by the rational it stores exactly."""
    return expr.xreplace({f: sp.Rational(f) for f in expr.atoms(sp.Float)})


def symbolic_match(truth, found):
    """Return whether ``found - truth`` simplifies to 0.

    Floats count with the exact binary value they store, so 0.5555555555555556
    does not match 5/9. Returns None when the expressions have more than
    :data:`MAX_SIMPLIFY_OPS` operations.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> symbolic_match(sp.sin(x) ** 2, 1 - sp.cos(x) ** 2)
    True
    """
    if _surely_not_constant(found - truth, found, truth):
        return False
    difference = _simplified(_exact(found) - _exact(truth))
    return None if difference is None else bool(difference == 0)


def round_constants(expr, decimals=SRBENCH_DECIMALS):
    """Round every float in ``expr`` to ``decimals`` decimals, half up.

    The rounded values are exact rationals, so that simplifying afterwards
    involves no further rounding. Exact numbers such as ``5/9`` or ``pi``
    stay as they are.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> round_constants(0.55555 * x + 2.0004)
    139*x/250 + 2
    """
    unit = sp.Integer(10) ** decimals
    rounded = {
        f: sp.floor(sp.Rational(f) * unit + sp.Rational(1, 2)) / unit
        for f in expr.atoms(sp.Float)
    }
    return expr.xreplace(rounded)


def _is_constant(expr):
    return expr is not None and not expr.free_symbols and expr.is_finite is True


def srbench_match(truth, found):
    """Return whether ``found`` is a symbolic solution by the SRBench rule.

    After the floats of ``found`` are rounded to :data:`SRBENCH_DECIMALS`
    decimals, ``found - truth`` must simplify to a constant, or
    ``found / truth`` to a non-zero constant. A formula that is right up to an
    added constant or an overall scale therefore matches. Returns None when
    the expressions have more than :data:`MAX_SIMPLIFY_OPS` operations.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> srbench_match(5 * (x - 32) / 9, 5 * x / 9 + 1.0)
    True
    >>> srbench_match(x**2 + x, 1.0 * x**2)
    False
    """
    rounded = round_constants(found)
    if not _surely_not_constant(rounded - truth, rounded, truth):
        difference = _simplified(rounded - truth)
        if difference is None:
            return None
        if _is_constant(difference):
            return True
    if truth == 0 or _surely_not_constant(rounded / truth, rounded / truth):
        return False
    ratio = _simplified(rounded / truth)
    if ratio is None:
        return None
    return _is_constant(ratio) and ratio != 0


def distinct_on_points(truth, found, points, rtol=1e-6):
    """Return whether two formulas clearly differ by more than a constant.

    The found formula's floats are first rounded as :func:`srbench_match`
    rounds them. The formulas differ when, on the rows of ``points`` where
    both are finite, neither their difference nor their ratio is constant to
    ``rtol`` of the truth's scale. Formulas that sympy finds equal up to a
    constant agree to rounding error there, far below the default ``rtol``.
    Returns False when fewer than two rows are finite.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> x = sp.Symbol("x")
    >>> points = {x: np.linspace(1.0, 2.0, 5)}
    >>> distinct_on_points(x**2, 1.0001 * x**2 + 3, points)
    False
    >>> distinct_on_points(x**2, x**2 + 0.01 * x, points)
    True
    """
    n_samples = len(next(iter(points.values()))) if points else 1
    true_values = evaluate(truth, points, n_samples)
    found_values = evaluate(round_constants(found), points, n_samples)
    finite = np.isfinite(true_values) & np.isfinite(found_values)
    if finite.sum() < 2:
        return False
    true_values, found_values = true_values[finite], found_values[finite]
    scale = float(np.max(np.abs(true_values)))
    difference = found_values - true_values
    if np.ptp(difference) <= rtol * scale:
        return False
    if np.all(true_values != 0):
        ratio = found_values / true_values
        if np.ptp(ratio) <= rtol * float(np.max(np.abs(ratio))):
            return False
    return True


def _held_out_metrics(truth, found, X, y):
    n_samples = len(next(iter(X.values()))) if X else 0
    if n_samples == 0:
        raise DataError("No held-out rows given; pass at least one row in X.")
    if y is None:
        y = evaluate(truth, X, n_samples)
    y = np.asarray(y, dtype=float)
    if y.shape != (n_samples,):
        raise DataError(
            f"Held-out target has shape {y.shape} but X has {n_samples} rows; "
            f"give one target value per row."
        )
    residual = y - evaluate(found, X, n_samples)
    total = float(np.sum((y - y.mean()) ** 2))
    rss = float(residual @ residual)
    return {
        "r2": 1.0 - rss / total if total > 0 else None,
        "rmse": math.sqrt(rss / n_samples),
        "max_abs_error": float(np.max(np.abs(residual))),
        "n_samples": n_samples,
    }
