"""The recovered formula: expression, coefficients, predictions and JSON form."""

import json
import math
import numbers
import re
from pathlib import Path

import numpy as np
import pandas as pd
import sympy as sp

from ._io import check_writable, write_texts_atomic
from ._version import __version__
from .compare import check_expandable, compare
from .exceptions import DataError
from .expressions import display_name, evaluate, parse_formula, to_float

__all__ = ["FORMAT_VERSION", "Formula", "load"]

# Version of the JSON layout written by Formula.to_dict; load reads only this.
FORMAT_VERSION = 1

# Keys that to_dict writes for the formula itself; every other key is a detail.
_FORMULA_KEYS = (
    "format_version",
    "target",
    "columns",
    "expression",
    "display",
    "latex",
    "terms",
    "coefficients",
    "intercept",
    "symbols",
    "eqdiscover_version",
)
_SYMBOL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Public version identifiers of PEP 440, with an optional local part.
_VERSION = re.compile(
    r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?(\+[A-Za-z0-9.]+)?"
)
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

    Examples
    --------
    >>> import sympy as sp
    >>> F = sp.Symbol("F")
    >>> formula = Formula("C", [F, sp.Integer(1)], [5 / 9, -160 / 9], {"F": F})
    >>> print(formula)
    C = 0.555555555555556*F - 17.7777777777778
    >>> formula.predict({"F": [32.0, 212.0]}).round(12).tolist()
    [0.0, 100.0]
    """

    def __init__(self, target, terms, coef, symbols, details=None):
        self.target = str(target)
        self.terms = list(terms)
        self.coef = np.asarray(coef, dtype=float)
        self.symbols = dict(symbols)
        self.details = dict(details or {})

    @property
    def expr(self):
        """The formula as a sympy expression in the internal symbols.

        Each coefficient keeps every digit of its float value, so the
        expression's text reads back to the same floats.
        """
        return sp.Add(
            *(sp.Float(repr(float(c))) * t for c, t in zip(self.coef, self.terms))
        )

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
        return self.expr.evalf(15).xreplace(self.display_names)

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
        return f"{left} = {sp.latex(self.expr.evalf(15).xreplace(names))}"

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

        The layout, version :data:`FORMAT_VERSION`, holds ``target``,
        ``columns`` (the input columns in order) and ``terms``: each term as
        text in the column names, which
        :func:`~eqdiscover.expressions.parse_formula` reads back, with its
        coefficient. ``expression`` is the same formula as text in the
        internal symbols, which ``sympy.parse_expr`` also reads back;
        ``symbols`` maps each symbol name to its column. ``display``,
        ``latex``, ``coefficients`` and ``intercept`` repeat the formula in
        other forms. The details follow as top-level keys, and last the
        eqdiscover version.

        Raises
        ------
        ValueError
            If a key of :attr:`details` is one of the formula's own keys.
        """
        clashes = [key for key in self.details if key in _FORMULA_KEYS]
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
                {"term": sp.sstr(t.xreplace(names)), "coefficient": float(c)}
                for t, c in zip(self.terms, self.coef)
            ],
            "coefficients": self.coefficients,
            "intercept": self.intercept,
            "symbols": {str(s): c for c, s in self.symbols.items()},
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
        return _FormulaReader(data, source).read()


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


class _FormulaReader:
    """Checks of one JSON object from :meth:`Formula.to_dict`, field by field."""

    def __init__(self, data, source):
        self.data = data
        self.source = source

    def fail(self, field, problem):
        raise DataError(
            f"Field {field!r} of {self.source} {problem}; fix the field or save "
            f"the formula again."
        )

    def field(self, name, kind, description):
        if name not in self.data:
            raise DataError(
                f"Field {name!r} is missing from {self.source}; save the formula again."
            )
        value = self.data[name]
        if not isinstance(value, kind) or isinstance(value, bool):
            self.fail(name, f"must be {description}, got {type(value).__name__}")
        return value

    def number(self, field, value):
        if not _is_real(value) or not math.isfinite(to_float(value)):
            self.fail(field, f"must hold finite numbers, got {value!r}")
        return float(value)

    def read(self):
        if not isinstance(self.data, dict):
            raise DataError(
                f"{self.source[0].upper()}{self.source[1:]} must be a JSON object, "
                f"got {type(self.data).__name__}; save the formula again."
            )
        self.check_versions()
        target = self.field("target", str, "text")
        if not target:
            self.fail("target", "is empty")
        symbols = self.read_symbols()
        terms, coef = self.read_terms(symbols)
        details = {k: v for k, v in self.data.items() if k not in _FORMULA_KEYS}
        formula = Formula(target, terms, coef, symbols, details)
        self.check_expression(formula)
        self.check_repeated_fields(formula)
        return formula

    def check_versions(self):
        version = self.field("format_version", int, "an integer")
        if version > FORMAT_VERSION:
            self.fail(
                "format_version",
                f"is {version}, newer than the version {FORMAT_VERSION} that "
                f"eqdiscover {__version__} reads; upgrade eqdiscover",
            )
        if version != FORMAT_VERSION:
            self.fail("format_version", f"must be {FORMAT_VERSION}, got {version}")
        written_by = self.field("eqdiscover_version", str, "text")
        if not _VERSION.fullmatch(written_by):
            self.fail("eqdiscover_version", f"is {written_by!r}, not a version number")

    def read_symbols(self):
        """Return the map of column to internal symbol, in column order."""
        columns = self.field("columns", list, "a list of column names")
        if not all(isinstance(c, str) for c in columns):
            self.fail("columns", "must hold only text")
        if len(set(columns)) != len(columns):
            self.fail("columns", "names a column more than once")
        names = self.field("symbols", dict, "an object of symbol to column")
        if not all(_SYMBOL_NAME.fullmatch(name) for name in names):
            self.fail("symbols", "must use identifiers as symbol names")
        if sorted(names.values(), key=str) != sorted(columns):
            self.fail("symbols", "must map one symbol to each of the columns")
        by_column = {column: name for name, column in names.items()}
        return {c: sp.Symbol(by_column[c], real=True) for c in columns}

    def read_terms(self, symbols):
        rows = self.field("terms", list, "a list of terms")
        terms, coef = [], []
        for row in rows:
            if not isinstance(row, dict) or set(row) != {"term", "coefficient"}:
                self.fail("terms", "must hold objects with 'term' and 'coefficient'")
            if not isinstance(row["term"], str):
                self.fail("terms", "must give each term as text")
            term = parse_formula(row["term"], symbols)
            factor, _ = term.as_coeff_Mul()
            if term.is_Add or (term.is_Number and term != 1) or factor != 1:
                self.fail("terms", f"has {row['term']!r}, which is not one term")
            if term in terms:
                self.fail("terms", f"lists {row['term']!r} more than once")
            terms.append(term)
            coef.append(self.number("terms", row["coefficient"]))
        return terms, coef

    def check_expression(self, formula):
        """Check that the expression texts are the sum of the terms."""
        expected = _coefficients_by_term(formula.expr)
        internal = {str(s): s for s in formula.symbols.values()}
        expression = self.field("expression", str, "text")
        parsed = _coefficients_by_term(parse_formula(expression, internal))
        if not _same_coefficients(parsed, expected, rtol=0.0):
            self.fail("expression", "does not match the terms")
        display = self.field("display", str, "text")
        parsed = _coefficients_by_term(parse_formula(display, formula.symbols))
        # display rounds every coefficient to 15 significant digits.
        # NOTE: rounding also turns a fractional power such as sqrt(x) into
        # x**0.5, which then differs from the term. The library makes no such
        # terms yet.
        if not _same_coefficients(parsed, expected, rtol=1e-14):
            self.fail("display", "does not match the terms")
        self.field("latex", str, "text")

    def check_repeated_fields(self, formula):
        coefficients = self.field("coefficients", dict, "an object of term to number")
        values = {k: self.number("coefficients", v) for k, v in coefficients.items()}
        if values != formula.coefficients:
            self.fail("coefficients", "does not match the terms")
        intercept = self.number(
            "intercept", self.field("intercept", numbers.Real, "a number")
        )
        if intercept != formula.intercept:
            self.fail("intercept", "does not match the terms")


def _coefficients_by_term(expr):
    """Split a sum into a map of term to coefficient, without expanding it."""
    coefficients = {}
    for part in sp.Add.make_args(expr):
        factor, term = part.as_coeff_Mul()
        coefficients[term] = coefficients.get(term, 0) + factor
    return {term: c for term, c in coefficients.items() if c != 0}


def _same_coefficients(found, expected, rtol):
    if set(found) != set(expected):
        return False
    return all(
        math.isclose(float(found[t]), float(expected[t]), rel_tol=rtol, abs_tol=0.0)
        for t in expected
    )
