"""Checks of the JSON that :meth:`eqdiscover.formula.Formula.to_dict` writes.

Formula text in the JSON is read only by the restricted parser of
:func:`~eqdiscover.expressions.parse_formula`, never evaluated as code.
"""

import math
import numbers
import re

import numpy as np
import sympy as sp

from ._version import __version__
from .exceptions import DataError
from .expressions import evaluate, parse_formula, to_float
from .transforms import TRANSFORMS

__all__ = ["FORMAT_VERSION", "FORMULA_KEYS", "FormulaReader"]

# Version of the JSON layout written by Formula.to_dict; load reads only this.
FORMAT_VERSION = 1

# Keys that to_dict writes for the formula itself; every other key is a detail.
FORMULA_KEYS = (
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
    "transform",
    "eqdiscover_version",
)
_SYMBOL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Public version identifiers of PEP 440, with an optional local part.
_VERSION = re.compile(
    r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?(\+[A-Za-z0-9.]+)?"
)


class FormulaReader:
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

    def read_parts(self):
        """Return the target, terms, coefficients, symbols, details and transform.

        A file without ``transform``, as written before transforms existed,
        has none.
        """
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
        terms, coef, exact = self.read_terms(symbols)
        details = {k: v for k, v in self.data.items() if k not in FORMULA_KEYS}
        transform, sign = self.read_transform()
        return target, terms, coef, symbols, details, exact, transform, sign

    def read_transform(self):
        value = self.data.get("transform", {"name": "none", "sign": 1})
        if (
            not isinstance(value, dict)
            or set(value) != {"name", "sign"}
            or value["name"] not in TRANSFORMS
            or value["sign"] not in (1, -1)
            or isinstance(value["sign"], bool)
        ):
            self.fail(
                "transform",
                f"must be an object with a 'name' from {', '.join(TRANSFORMS)} "
                f"and a 'sign' of 1 or -1, got {value!r}",
            )
        return value["name"], value["sign"]

    def check_agreement(self, formula):
        """Check that the fields that repeat the formula agree with its terms."""
        self.check_expression(formula)
        self.check_repeated_fields(formula)

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
        terms, coef, exact = [], [], []
        for row in rows:
            if not isinstance(row, dict) or set(row) != {
                "term",
                "coefficient",
                "exact",
            }:
                self.fail(
                    "terms", "must hold objects with 'term', 'coefficient' and 'exact'"
                )
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
            exact.append(self.read_exact(row["exact"], coef[-1]))
        return terms, coef, exact

    def read_exact(self, text, value):
        """Return the exact coefficient written as ``text``, or None."""
        if text is None:
            return None
        if not isinstance(text, str):
            self.fail("terms", f"must give an exact coefficient as text, got {text!r}")
        number = parse_formula(text, {})
        if number.free_symbols or not math.isclose(
            to_float(number), value, rel_tol=1e-15, abs_tol=0.0
        ):
            self.fail(
                "terms", f"has exact coefficient {text!r}, which is not {value!r}"
            )
        return number

    def check_expression(self, formula):
        """Check that the expression texts are the sum of the terms."""
        if formula.transform != "none":
            self.check_transformed_expression(formula)
            return
        expected = _coefficients_by_term(formula.expr)
        internal = {str(s): s for s in formula.symbols.values()}
        expression = self.field("expression", str, "text")
        # NOTE: parse_formula rejects text over MAX_FORMULA_LENGTH characters,
        # so a formula of a few hundred terms saves but does not load.
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

    def check_transformed_expression(self, formula):
        """Check the expression texts of a transformed formula by their values.

        A transformed formula is no sum of terms, and sympy rewrites it (exp
        of a sum of logs becomes a product of powers), so its texts are
        compared with the terms by value, at fixed points in [1, 2].
        """
        internal = {str(s): s for s in formula.symbols.values()}
        points = {
            symbol: 1.0 + np.arange(1, 8) / (8.0 + position)
            for position, symbol in enumerate(formula.symbols.values())
        }
        expected = evaluate(formula.expr, points, 7)
        for field, symbols, rtol in (
            ("expression", internal, 1e-12),
            ("display", formula.symbols, 1e-9),
        ):
            text = self.field(field, str, "text")
            found = evaluate(parse_formula(text, symbols), points, 7)
            if not np.allclose(found, expected, rtol=rtol, atol=0.0, equal_nan=True):
                self.fail(field, "does not match the terms")
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
        if part.free_symbols:
            factor, term = part.as_independent(*part.free_symbols, as_Add=False)
        else:
            factor, term = part, sp.Integer(1)
        coefficients[term] = coefficients.get(term, 0) + factor
    return {term: c for term, c in coefficients.items() if c != 0}


def _same_coefficients(found, expected, rtol):
    if set(found) != set(expected):
        return False
    return all(
        math.isclose(float(found[t]), float(expected[t]), rel_tol=rtol, abs_tol=0.0)
        for t in expected
    )


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
