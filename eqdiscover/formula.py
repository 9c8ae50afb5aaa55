"""The recovered formula: expression, coefficients, predictions and JSON form."""

import re

import numpy as np
import pandas as pd
import sympy as sp

from ._version import __version__
from .exceptions import DataError
from .expressions import display_name, evaluate

__all__ = ["Formula"]


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
}


def latex_symbol(column):
    r"""Return a symbol that sympy prints as valid LaTeX for a column name.

    Plain ASCII identifiers keep their name, so that sympy writes ``theta`` as
    a Greek letter and ``x_1`` with a subscript. Any other name is escaped and
    set upright in ``\text{...}``.

    Examples
    --------
    >>> import sympy as sp
    >>> sp.latex(latex_symbol("theta")), sp.latex(latex_symbol("rate%"))
    ('\\theta', '\\text{rate\\%}')
    """
    column = str(column)
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", column):
        return sp.Symbol(column)
    escaped = "".join(_LATEX_SPECIAL.get(character, character) for character in column)
    return sp.Symbol(f"\\text{{{escaped}}}")


class Formula:
    """A formula found by :func:`eqdiscover.fit`.

    Parameters
    ----------
    target : str
        Name of the target column.
    terms : sequence of sympy.Expr
        Kept terms, written in the internal symbols; the constant is ``1``.
    coef : sequence of float
        Coefficient of each term.
    symbols : dict of str to sympy.Symbol
        Internal symbol of each input column.
    details : dict, optional
        What the fit recorded besides the formula: data summary, library,
        network, candidates, metrics, comparison with the truth and settings.
        It goes into :meth:`to_dict` as it is.
    exact : sequence of sympy.Expr or None, optional
        Exact value of each coefficient, such as ``5/9``, or None where the
        coefficient is a plain float.

    Examples
    --------
    >>> import sympy as sp
    >>> F = sp.Symbol("F")
    >>> formula = Formula("C", [F, sp.Integer(1)], [5 / 9, -160 / 9], {"F": F})
    >>> print(formula)
    C = 0.555555555555556*F - 17.7777777777778
    >>> formula.predict({"F": [32.0, 212.0]}).round(12).tolist()
    [0.0, 100.0]
    >>> exact = [sp.Rational(5, 9), sp.Rational(-160, 9)]
    >>> print(Formula("C", [F, sp.Integer(1)], [5 / 9, -160 / 9], {"F": F}, exact=exact))
    C = 5*F/9 - 160/9
    """

    def __init__(self, target, terms, coef, symbols, details=None, exact=None):
        self.target = str(target)
        self.terms = list(terms)
        self.coef = np.asarray(coef, dtype=float)
        self.symbols = dict(symbols)
        self.details = dict(details or {})
        self.exact = list(exact) if exact is not None else [None] * len(self.terms)

    def _build(self, digits=None):
        """Return the expression, floats to ``digits`` significant digits or all."""
        parts = []
        for value, exact, term in zip(self.coef, self.exact, self.terms):
            if exact is not None:
                parts.append(exact * term)
            elif digits is None:
                parts.append(sp.Float(repr(float(value))) * term)
            else:
                parts.append(sp.Float(float(value), digits) * term)
        return sp.Add(*parts)

    @property
    def expr(self):
        """The formula as a sympy expression in the internal symbols.

        Exact coefficients stay exact. Every other coefficient keeps every
        digit of its float value, so the expression's text reads back to the
        same floats.
        """
        return self._build()

    @property
    def display_names(self):
        """Map of internal symbol to a symbol that prints as its column name.

        Names that are not identifiers print between backticks, as
        :func:`~eqdiscover.expressions.parse_formula` reads them.
        """
        return {s: sp.Symbol(display_name(c)) for c, s in self.symbols.items()}

    @property
    def display_expr(self):
        """The formula written with the column names, to 15 significant digits."""
        return self._build(15).xreplace(self.display_names)

    @property
    def intercept(self):
        """Coefficient of the constant term, 0.0 when it was pruned."""
        for term, value in zip(self.terms, self.coef):
            if term == 1:
                return float(value)
        return 0.0

    @property
    def coefficients(self):
        """Map of term text, in the column names, to coefficient; no constant."""
        names = self.display_names
        return {
            sp.sstr(term.xreplace(names)): float(value)
            for term, value in zip(self.terms, self.coef)
            if term != 1
        }

    def predict(self, data):
        """Evaluate the formula on a DataFrame or a mapping of column to values.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        frame = pd.DataFrame(data) if not isinstance(data, pd.DataFrame) else data
        needed = [c for c, s in self.symbols.items() if s in self.expr.free_symbols]
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise DataError(
                f"Input column {missing[0]!r} not found; the formula uses "
                f"{', '.join(map(repr, needed))}."
            )
        values = {self.symbols[c]: frame[c].to_numpy(dtype=float) for c in needed}
        return evaluate(self.expr, values, len(frame))

    def latex(self):
        """Return the equation ``target = expression`` as LaTeX."""
        names = {s: latex_symbol(c) for c, s in self.symbols.items()}
        left = sp.latex(latex_symbol(self.target))
        return f"{left} = {sp.latex(self._build(15).xreplace(names))}"

    def __str__(self):
        return f"{display_name(self.target)} = {sp.sstr(self.display_expr)}"

    def __repr__(self):
        return f"<Formula {self}>"

    def to_dict(self):
        """Return the formula and its details as JSON-ready data.

        ``expression`` is text in the internal symbols that ``sympy.parse_expr``
        reads back; ``symbols`` maps each symbol name to its column.
        """
        return {
            "target": self.target,
            "expression": sp.sstr(self.expr),
            "display": sp.sstr(self.display_expr),
            "latex": self.latex(),
            "terms": [
                {
                    "term": sp.sstr(t.xreplace(self.display_names)),
                    "coefficient": float(c),
                }
                for t, c in zip(self.terms, self.coef)
            ],
            "coefficients": self.coefficients,
            "intercept": self.intercept,
            "symbols": {str(s): c for c, s in self.symbols.items()},
            **self.details,
            "eqdiscover_version": __version__,
        }
