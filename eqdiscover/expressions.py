"""Restricted parsing and numeric evaluation of formula text.

Formula text comes from users and files (a ``--truth`` option, dataset metadata,
saved results), so it is never passed to ``eval``, ``exec`` or ``sympy.sympify``.
A small recursive-descent parser accepts numbers, the names it is given, the
constants ``pi`` and ``E``, the functions in :data:`FUNCTIONS`, parentheses and
the operators ``+ - * / **`` (``^`` is read as ``**``). A name that is not a
plain identifier can be written between backticks: ```temp (F)` * 2``.

Expressions are evaluated on NumPy arrays by walking the sympy tree, again
without generating or running code.
"""

import builtins
import keyword
import math
import re
import sys

import numpy as np
import sympy as sp

from .exceptions import ParseError

__all__ = [
    "FUNCTIONS",
    "display_name",
    "evaluate",
    "make_symbols",
    "parse_formula",
    "readable_numbers",
    "to_float",
]

FUNCTIONS = {
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "abs": sp.Abs,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "tanh": sp.tanh,
    "asin": sp.asin,
    "acos": sp.acos,
    "atan": sp.atan,
}
CONSTANTS = {"pi": sp.pi, "E": sp.E}

MAX_FORMULA_LENGTH = 10_000
MAX_NESTING = 100
MAX_LITERAL_EXPONENT = 1000
MAX_LITERAL = sp.Rational(sys.float_info.max)
MIN_LITERAL = sp.Rational(sys.float_info.min)
MAX_DIGITS = 5000

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<quoted>`[^`]*`)
    | (?P<name>[^\W\d]\w*)
    | (?P<op>\*\*|[-+*/^(),])
    """,
    re.VERBOSE,
)


def _tokenize(text):
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ParseError(
                f"Invalid character {text[position]!r} at position {position} "
                f"in formula {text!r}; use numbers, names, + - * / ** and parentheses."
            )
        kind = match.lastgroup
        value = match.group()
        if kind == "quoted":
            value = value[1:-1]
        if kind == "op" and value == "^":
            value = "**"
        if kind != "space":
            tokens.append((kind, value, position))
        position = match.end()
    tokens.append(("end", "", len(text)))
    return tokens


class _Parser:
    """Recursive-descent parser over the token list of one formula."""

    def __init__(self, text, symbols):
        self.text = text
        self.symbols = symbols
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0

    def peek(self):
        return self.tokens[self.index]

    def take(self):
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, message):
        raise ParseError(f"{message} in formula {self.text!r}.")

    def expect(self, value):
        kind, found, position = self.take()
        if found != value:
            found_text = repr(found) if kind != "end" else "the end"
            self.fail(
                f"Expected {value!r} but found {found_text} at position {position}"
            )

    def parse(self):
        expr = self.sum()
        kind, value, position = self.peek()
        if kind != "end":
            self.fail(f"Unexpected {value!r} at position {position}")
        return expr

    def sum(self):
        expr = self.product()
        while self.peek()[1] in ("+", "-"):
            operator = self.take()[1]
            right = self.product()
            expr = expr + right if operator == "+" else expr - right
        return expr

    def product(self):
        expr = self.unary()
        while self.peek()[1] in ("*", "/"):
            operator = self.take()[1]
            right = self.unary()
            expr = expr * right if operator == "*" else expr / right
        return expr

    def unary(self):
        if self.peek()[1] in ("+", "-"):
            operator = self.take()[1]
            operand = self.nested(self.unary)
            return -operand if operator == "-" else operand
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek()[1] != "**":
            return base
        self.take()
        exponent = self.nested(self.unary)
        if exponent.is_Number and abs(exponent) > MAX_LITERAL_EXPONENT:
            self.fail(
                f"Exponent {exponent} is outside [-{MAX_LITERAL_EXPONENT}, "
                f"{MAX_LITERAL_EXPONENT}]"
            )
        if base.is_Number and exponent.is_Number and base != 0:
            digits = abs(float(exponent)) * max(
                math.log10(abs(base.p)), math.log10(base.q)
            )
            if digits > MAX_DIGITS:
                self.fail(f"A power has about {digits:.0f} digits")
        return base**exponent

    def nested(self, rule):
        self.depth += 1
        if self.depth > MAX_NESTING:
            self.fail(f"Nesting deeper than {MAX_NESTING} levels")
        try:
            return rule()
        finally:
            self.depth -= 1

    def atom(self):
        kind, value, position = self.take()
        if kind == "number":
            number = sp.Rational(value)
            if abs(number) > MAX_LITERAL or 0 < abs(number) < MIN_LITERAL:
                self.fail(f"The number {value} is outside the floating-point range")
            return number
        if value == "(":
            expr = self.nested(self.sum)
            self.expect(")")
            return expr
        if kind in ("name", "quoted"):
            return self.name(value, position, quoted=kind == "quoted")
        found_text = repr(value) if kind != "end" else "the end"
        self.fail(
            f"Expected a number, name or '(' but found {found_text} at {position}"
        )

    def name(self, value, position, quoted=False):
        # A function name followed by "(" is a call even when a column has
        # the same name, so that "sin(sin)" reads for a column named sin. A
        # name between backticks is always a column.
        if not quoted and value in FUNCTIONS and self.peek()[1] == "(":
            self.take()
            argument = self.nested(self.sum)
            self.expect(")")
            return FUNCTIONS[value](argument)
        if value in self.symbols:
            return self.symbols[value]
        if not quoted and value in CONSTANTS:
            return CONSTANTS[value]
        known = ", ".join(sorted(self.symbols)) or "none"
        self.fail(
            f"Unknown name {value!r} at position {position} (known names: {known}; "
            f"functions: {', '.join(FUNCTIONS)})"
        )


def parse_formula(text, symbols):
    """Parse formula text into a sympy expression without evaluating any code.

    Parameters
    ----------
    text : str
        Formula such as ``"5*(F - 32)/9"``. Decimal numbers become exact rationals.
    symbols : mapping of str to sympy.Symbol
        The names the formula may use and the symbols they stand for.

    Returns
    -------
    sympy.Expr

    Raises
    ------
    ParseError
        If the text uses an unknown name, an unsupported operator, or does not parse.

    Examples
    --------
    >>> import sympy as sp
    >>> F = sp.Symbol("F")
    >>> parse_formula("5*(F - 32)/9", {"F": F})
    5*F/9 - 160/9
    >>> parse_formula("`temp (F)`^2", {"temp (F)": F})
    F**2
    """
    if not isinstance(text, str):
        raise ParseError(f"Formula must be text, got {type(text).__name__}.")
    if len(text) > MAX_FORMULA_LENGTH:
        raise ParseError(
            f"Formula is {len(text)} characters long; the limit is "
            f"{MAX_FORMULA_LENGTH}."
        )
    if not text.strip():
        raise ParseError("Formula is empty; give an expression such as '2*x + 1'.")
    expr = _Parser(text, dict(symbols)).parse()
    _check_constants(expr, text)
    return expr


def to_float(value):
    """Convert a number to float, with inf for one beyond the float range."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _check_constants(expr, text):
    """Raise ParseError unless every constant part of ``expr`` is finite and real."""
    if expr.has(sp.zoo, sp.oo, -sp.oo, sp.nan, sp.I):
        raise ParseError(
            f"Formula {text!r} is undefined or not real (as for 1/0, log(0) or "
            f"sqrt(-1)); fix the formula."
        )
    for part in sp.preorder_traversal(expr):
        if part.free_symbols or part.is_Number or part.is_NumberSymbol:
            continue
        # Floating point, not sympy.N: exp(exp(exp(exp(5)))) overflows at
        # once instead of running for minutes in arbitrary precision.
        if not math.isfinite(to_float(evaluate(part, {}, 1)[0])):
            raise ParseError(
                f"Formula {text!r} contains {part}, which is not a finite real "
                f"number; fix the formula."
            )


# Names that sympy.parse_expr would read as something other than a symbol.
_RESERVED_NAMES = (
    frozenset(dir(sp))
    | frozenset(dir(builtins))
    | frozenset(FUNCTIONS)
    | frozenset(CONSTANTS)
)
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def make_symbols(columns):
    """Map each column name to a sympy symbol that is safe to print and parse back.

    A column whose name is a plain identifier with no meaning to Python (keyword
    or built-in) or sympy keeps its name. Any other column gets ``x<i>``, where
    ``i`` is its position, with leading underscores added if a kept name is
    already ``x<i>``.

    Examples
    --------
    >>> make_symbols(["speed", "temp (F)", "E"])
    {'speed': speed, 'temp (F)': x1, 'E': x2}
    """
    columns = [str(column) for column in columns]

    def is_plain(name):
        return (
            _PLAIN_NAME.match(name) is not None
            and not keyword.iskeyword(name)
            and name not in _RESERVED_NAMES
        )

    used_names = {name for name in columns if is_plain(name)}
    mapping = {}
    for position, column in enumerate(columns):
        if column in used_names:
            mapping[column] = sp.Symbol(column, real=True)
            continue
        name = f"x{position}"
        while name in used_names:
            name = "_" + name
        used_names.add(name)
        mapping[column] = sp.Symbol(name, real=True)
    return mapping


_NUMPY_FUNCTIONS = {
    sp.sin: np.sin,
    sp.cos: np.cos,
    sp.tan: np.tan,
    sp.exp: np.exp,
    sp.log: np.log,
    sp.Abs: np.abs,
    sp.sinh: np.sinh,
    sp.cosh: np.cosh,
    sp.tanh: np.tanh,
    sp.asin: np.arcsin,
    sp.acos: np.arccos,
    sp.atan: np.arctan,
}


def evaluate(expr, values, n_samples):
    """Evaluate a sympy expression on arrays by walking its tree.

    Parameters
    ----------
    expr : sympy.Expr
        Built from symbols, numbers, ``+``, ``*``, ``**`` and the functions of
        :data:`FUNCTIONS`.
    values : mapping of sympy.Symbol to ndarray of shape (n_samples,)
    n_samples : int
        Length of the result, so that a constant expression gives a full column.

    Returns
    -------
    ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> x = sp.Symbol("x")
    >>> evaluate(2 * sp.sin(x) + 1, {x: np.array([0.0, np.pi / 2])}, 2)
    array([1., 3.])
    """
    with np.errstate(all="ignore"):
        result = _evaluate(expr, values)
    return np.broadcast_to(np.asarray(result, dtype=float), (n_samples,)).copy()


def _evaluate(expr, values):
    if expr.is_Symbol:
        if expr not in values:
            raise ParseError(f"No data for the symbol {expr} in the expression.")
        return np.asarray(values[expr], dtype=float)
    if expr.is_Number or expr in (sp.pi, sp.E):
        return float(expr)
    if expr.is_Add:
        return sum(_evaluate(arg, values) for arg in expr.args)
    if expr.is_Mul:
        result = 1.0
        for arg in expr.args:
            result = result * _evaluate(arg, values)
        return result
    if expr.is_Pow:
        base, exponent = expr.args
        if exponent == sp.Rational(1, 2):
            return np.sqrt(_evaluate(base, values))
        return np.power(_evaluate(base, values), _evaluate(exponent, values))
    if expr.func in _NUMPY_FUNCTIONS:
        return _NUMPY_FUNCTIONS[expr.func](_evaluate(expr.args[0], values))
    raise ParseError(f"Cannot evaluate {expr.func.__name__} in the expression {expr}.")


def display_name(column):
    """Return a column name as formula text: backticks unless it is an identifier.

    The result reads back through :func:`parse_formula`, except for names that
    contain a backtick.

    Examples
    --------
    >>> display_name("speed"), display_name("temp (F)")
    ('speed', '`temp (F)`')
    """
    column = str(column)
    if column.isidentifier() and not keyword.iskeyword(column):
        return column
    return f"`{column}`"


def readable_numbers(expr, max_denominator=1000):
    """Replace long rationals and integers by 15-digit floats, for printing.

    A rational with a denominator above ``max_denominator``, or an integer of
    more than 15 digits, becomes a float.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> readable_numbers(sp.Rational(5, 9) * x + sp.Rational(1257, 10000))
    5*x/9 + 0.1257
    """
    long_rationals = {
        r: sp.Float(r, 15)
        for r in expr.atoms(sp.Rational)
        if r.q > max_denominator or abs(r.p) >= 10**15
    }
    return expr.xreplace(long_rationals)
