"""Comparing a found formula with the true one, term by term."""

import math
from dataclasses import dataclass

import sympy as sp

from .exceptions import ParseError

__all__ = [
    "Comparison",
    "TermComparison",
    "check_expandable",
    "compare",
    "split_terms",
]

MAX_EXPANDED_TERMS = 10_000


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
    """

    truth: sp.Expr
    found: sp.Expr
    terms: list

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


def compare(truth, found):
    """Compare a true formula with a found one, term by term.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> result = compare(2 * x + 1, 2.0000001 * x + 1.0)
    >>> result.terms_match, f"{result.max_relative_error:.0e}"
    (True, '5e-08')
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
    return Comparison(truth, found, rows)


def _maybe_float(value):
    return None if value is None else float(value)
