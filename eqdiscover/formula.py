"""The recovered formula: expression, coefficients, predictions and JSON form."""

import json
import numbers
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import sympy as sp

from ._formula_json import FORMAT_VERSION, FORMULA_KEYS, FormulaReader
from ._io import check_writable, write_texts_atomic
from ._version import __version__
from .compare import check_expandable, compare
from .exceptions import DataError
from .expressions import display_name, evaluate, parse_formula
from .transforms import TRANSFORMS

__all__ = ["FORMAT_VERSION", "Formula", "load"]

# Digits of the coefficients in repr(formula).
_REPR_DIGITS = 6
_REPR_MAX_LENGTH = 100


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


# Fractions with a denominator up to this print as fractions (5/9, 3/2);
# others whose denominator divides a power of ten print as decimals (0.126).
MAX_FRACTION_DENOMINATOR = 12


def _as_decimal(number):
    """Return a rational such as 63/500 as the float 0.126 with its digits, for display.

    Other numbers, and fractions with a small denominator, come back unchanged.
    """
    if not number.is_Rational or number.q <= MAX_FRACTION_DENOMINATOR:
        return number
    q = int(number.q)
    for prime in (2, 5):
        while q % prime == 0:
            q //= prime
    if q != 1:
        return number
    text = format(Decimal(int(number.p)) / Decimal(int(number.q)), "f")
    digits = len(text.replace("-", "").replace(".", "").lstrip("0"))
    return sp.Float(text, max(digits, 1))


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
    transform : str, default="none"
        Transform of the target that the terms sum to, one of
        :data:`eqdiscover.transforms.TRANSFORMS`: with ``"log"`` the terms
        sum to ``log(target)`` and the formula is ``exp`` of their sum.
        :attr:`coefficients` and :attr:`intercept` are those of the sum.
    sign : {1, -1}, default=1
        Sign of the target on every row, which the square transforms need
        to solve for it.

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
    >>> terms, coef = [F, sp.Integer(1)], [5 / 9, -160 / 9]
    >>> print(Formula("C", terms, coef, {"F": F}, exact=exact))
    C = 5*F/9 - 160/9
    """

    def __init__(
        self,
        target,
        terms,
        coef,
        symbols,
        details=None,
        exact=None,
        transform="none",
        sign=1,
    ):
        if transform not in TRANSFORMS:
            raise DataError(
                f"Invalid transform {transform!r}; choose one of "
                f"{', '.join(TRANSFORMS)}."
            )
        if sign not in (1, -1):
            raise DataError(f"Invalid sign {sign!r}; give 1 or -1.")
        self.transform = transform
        self.sign = int(sign)
        self.target = str(target)
        self.terms = list(terms)
        self.coef = np.asarray(coef, dtype=float)
        self.symbols = dict(symbols)
        self.details = dict(details or {})
        self.exact = list(exact) if exact is not None else [None] * len(self.terms)

    def _build(self, digits=None):
        """Return the expression, floats to ``digits`` significant digits or all."""
        linear = self._build_sum(digits)
        return TRANSFORMS[self.transform].inverse(self.sign, linear)

    def _build_sum(self, digits=None):
        parts = []
        for value, exact, term in zip(self.coef, self.exact, self.terms):
            if exact is not None:
                shown = exact if digits is None else _as_decimal(exact)
                parts.append(shown * term)
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
    def linear_expr(self):
        """The sum of the terms: the formula of the transformed target."""
        return self._build_sum()

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
    def candidates(self):
        """The best formulas the fit scored, best first, as recorded in details.

        Each is a dict with ``terms``, ``n_terms``, ``rmse``, ``criterion``,
        ``formula`` (text to 6 digits) and ``chosen``. Empty for a formula not
        made by :func:`eqdiscover.fit`.
        """
        return list(self.details.get("selection", {}).get("candidates", []))

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

    def compare(self, truth):
        """Compare the formula with the true one, term by term.

        Parameters
        ----------
        truth : str
            True formula in the column names, read by the restricted parser
            of :func:`~eqdiscover.expressions.parse_formula`.

        Returns
        -------
        Comparison
            See :class:`eqdiscover.compare.Comparison`.

        Examples
        --------
        >>> import sympy as sp
        >>> F = sp.Symbol("F")
        >>> formula = Formula("C", [F, sp.Integer(1)], [0.5555555, -17.7777], {"F": F})
        >>> result = formula.compare("5*(F - 32)/9")
        >>> result.terms_match, f"{result.max_relative_error:.1e}"
        (True, '4.4e-06')
        """
        expr = parse_formula(truth, self.symbols)
        check_expandable(expr, truth)
        return compare(expr, self.expr)

    def __str__(self):
        return f"{display_name(self.target)} = {sp.sstr(self.display_expr)}"

    def __repr__(self):
        rounded = self.expr.evalf(_REPR_DIGITS).xreplace(self.display_names)
        text = sp.sstr(rounded)
        if len(text) > _REPR_MAX_LENGTH:
            text = text[: _REPR_MAX_LENGTH - 3] + "..."
        metrics = self.details.get("metrics")
        r2 = metrics.get("r2") if isinstance(metrics, dict) else None
        fit = f" (r2={r2:.{_REPR_DIGITS}g})" if _is_real(r2) else ""
        return f"<Formula {display_name(self.target)} = {text}{fit}>"

    def to_dict(self):
        """Return the formula and its details as JSON-ready data.

        The layout, version :data:`FORMAT_VERSION`, contains ``target``,
        ``columns`` (the input columns in order) and ``terms``: each term as
        text in the column names, which
        :func:`~eqdiscover.expressions.parse_formula` reads back, with its
        coefficient and, where the coefficient is an exact number such as
        ``5/9``, its text in ``exact``. ``expression`` is the same formula as
        text in the internal symbols, which ``sympy.parse_expr`` also reads back;
        ``symbols`` maps each symbol name to its column. ``display``,
        ``latex``, ``coefficients`` and ``intercept`` repeat the formula in
        other forms. The details follow as top-level keys, and last the
        eqdiscover version.

        Raises
        ------
        ValueError
            If a key of :attr:`details` is one of the formula's own keys.
        """
        clashes = [key for key in self.details if key in FORMULA_KEYS]
        if clashes:
            raise ValueError(
                f"Detail {clashes[0]!r} has the name of a formula field; rename it."
            )
        names = self.display_names
        return {
            "format_version": FORMAT_VERSION,
            "target": self.target,
            "columns": list(self.symbols),
            "expression": sp.sstr(self.expr),
            "display": sp.sstr(self.display_expr),
            "latex": self.latex(),
            "terms": [
                {
                    "term": sp.sstr(t.xreplace(names)),
                    "coefficient": float(c),
                    "exact": None if e is None else sp.sstr(e),
                }
                for t, c, e in zip(self.terms, self.coef, self.exact)
            ],
            "coefficients": self.coefficients,
            "intercept": self.intercept,
            "symbols": {str(s): c for c, s in self.symbols.items()},
            "transform": {"name": self.transform, "sign": self.sign},
            **self.details,
            "eqdiscover_version": __version__,
        }

    def save(self, path, *, force=False):
        """Write the formula as JSON, as :meth:`to_dict` lays it out.

        The file is written under a temporary name and renamed into place, so
        it is never left partly written. :func:`eqdiscover.load` reads it back.

        Parameters
        ----------
        path : str or Path
        force : bool, default=False
            Overwrite ``path`` if it exists.

        Raises
        ------
        DataError
            If ``path`` exists and ``force`` is false, if a column name cannot
            be written as formula text, or if the formula or its details contain
            NaN or infinity.
        OutputError
            If the file cannot be written.
        """
        path = Path(path)
        check_writable([path], force, force_option="force=True")
        data = self.to_dict()
        self._check_terms_read_back(data["terms"])
        try:
            text = json.dumps(data, indent=2, allow_nan=False) + "\n"
        except ValueError:
            raise DataError(
                f"Cannot save the formula of {self.target!r} because it or its "
                f"details contain NaN or infinity, which JSON cannot store; replace "
                f"those values first."
            ) from None
        write_texts_atomic({path: text})

    def _check_terms_read_back(self, rows):
        for column in self.symbols:
            if "`" in column:
                raise DataError(
                    f"Column name {column!r} contains a backtick, which formula "
                    f"text cannot quote; rename the column before saving."
                )
        for row, term in zip(rows, self.terms):
            if parse_formula(row["term"], self.symbols) != term:
                raise DataError(
                    f"Term {row['term']} does not read back as the same term; "
                    f"rename the columns it uses before saving."
                )

    @classmethod
    def from_dict(cls, data, *, source="the formula data"):
        """Rebuild a formula from the output of :meth:`to_dict`.

        Formula text is read only by the restricted parser of
        :func:`~eqdiscover.expressions.parse_formula`, never evaluated as
        code. Every field is checked: types, lengths, finite coefficients, the
        format version, and that ``expression``, ``display``, ``coefficients``
        and ``intercept`` agree with ``terms``. The other keys become
        :attr:`details`. The rebuilt symbols are real, as the fit makes them.

        Parameters
        ----------
        data : dict
        source : str, default="the formula data"
            Where ``data`` came from, named in error messages.

        Raises
        ------
        DataError
            If a field is missing, has the wrong type or disagrees with the
            terms.
        ParseError
            If formula text does not parse.

        Examples
        --------
        >>> import sympy as sp
        >>> F = sp.Symbol("F")
        >>> formula = Formula("C", [F, sp.Integer(1)], [5 / 9, -160 / 9], {"F": F})
        >>> print(Formula.from_dict(formula.to_dict()))
        C = 0.555555555555556*F - 17.7777777777778
        """
        reader = FormulaReader(data, source)
        formula = cls(*reader.read_parts())
        reader.check_agreement(formula)
        return formula


def load(path):
    """Read a formula that :meth:`Formula.save` or ``eqdiscover fit --output`` wrote.

    Formula text in the file is read only by the restricted parser, never
    evaluated as code; see :meth:`Formula.from_dict` for the checks.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    Formula

    Raises
    ------
    DataError
        If the file is missing, not JSON, or any field fails a check.
    ParseError
        If formula text in the file does not parse.

    Examples
    --------
    >>> import sympy as sp, tempfile, pathlib
    >>> F = sp.Symbol("F")
    >>> formula = Formula("C", [F, sp.Integer(1)], [5 / 9, -160 / 9], {"F": F})
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "celsius.json"
    >>> formula.save(path)
    >>> load(path).predict({"F": [212.0]}).tolist()
    [100.0]
    """
    path = Path(path)
    source = repr(str(path))
    if path.is_dir():
        raise DataError(f"{source} is a folder; give the path of a formula file.")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"Formula file {source} not found; check the path.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(
            f"Cannot read formula file {source} ({error}); check the file."
        ) from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except (json.JSONDecodeError, RecursionError, ValueError) as error:
        raise DataError(
            f"Formula file {source} is not valid JSON ({error}); save the formula "
            f"again."
        ) from None
    return Formula.from_dict(data, source=f"formula file {source}")


def _reject_constant(name):
    raise ValueError(f"{name} is not a finite number")


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
