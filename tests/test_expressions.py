import re

import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose

from eqdiscover.exceptions import ParseError
from eqdiscover.expressions import (
    display_name,
    evaluate,
    make_symbols,
    parse_formula,
    readable_numbers,
)

x, y = sp.symbols("x y")
SYMBOLS = {"x": x, "y": y}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("5*(x - 32)/9", sp.Rational(5, 9) * x - sp.Rational(160, 9)),
        ("x^2 + x**3", x**2 + x**3),
        ("-x**2", -(x**2)),
        ("2**-1", sp.Rational(1, 2)),
        ("0.5*sin(y) + exp(-x/2)", sp.sin(y) / 2 + sp.exp(-x / 2)),
        ("1.5e3*x", 1500 * x),
        ("pi*x + E", sp.pi * x + sp.E),
        ("sqrt(x)*log(y)", sp.sqrt(x) * sp.log(y)),
    ],
)
def test_parse_formula_values(text, expected):
    assert sp.simplify(parse_formula(text, SYMBOLS) - expected) == 0


def test_parse_formula_decimals_are_exact():
    assert parse_formula("0.1", {}) == sp.Rational(1, 10)


def test_parse_formula_column_names_shadow_constants():
    pi_column = sp.Symbol("p0")
    assert parse_formula("2*pi", {"pi": pi_column}) == 2 * pi_column


def test_parse_formula_backtick_names():
    column = sp.Symbol("x0")
    assert parse_formula("`temp (F)` + 1", {"temp (F)": column}) == column + 1


def test_parse_formula_function_of_same_named_column():
    column = sp.Symbol("x0")
    parsed = parse_formula("sin(sin) + sin**2", {"sin": column})
    assert parsed == sp.sin(column) + column**2


def test_parse_formula_backticks_always_mean_a_column():
    with pytest.raises(ParseError, match="Unknown name 'pi'"):
        parse_formula("`pi`", {"x": sp.Symbol("x")})


@pytest.mark.parametrize(
    "text, message",
    [
        ("foo(x)", "Unknown name 'foo'"),
        ("x +", "Expected a number"),
        ("(x + 1", "Expected ')'"),
        ("x y", "Unexpected 'y'"),
        ("x; y", "Invalid character ';'"),
        ("x.real", "Invalid character '.'"),
        ("lambda: 1", "Invalid character ':'"),
        ("lambda + 1", "Unknown name 'lambda'"),
        ("2**100000", "Exponent 100000 is outside [-1000, 1000]"),
        ("", "Formula is empty"),
        ("-" * 200 + "x", "Nesting deeper than 100"),
        ("(" * 150 + "x" + ")" * 150, "Nesting deeper than 100"),
    ],
)
def test_parse_formula_rejects(text, message):
    with pytest.raises(ParseError, match=re.escape(message)):
        parse_formula(text, SYMBOLS)


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('touch {marker}')",
        "exec(\"open('{marker}', 'w')\")",
        "x.__class__.__init__.__globals__",
        "open('{marker}', 'w')",
    ],
)
def test_parse_formula_never_runs_code(tmp_path, text):
    marker = tmp_path / "marker"
    with pytest.raises(ParseError):
        parse_formula(text.format(marker=marker), SYMBOLS)
    assert not marker.exists()


def test_make_symbols_renames_unsafe_names():
    symbols = make_symbols(["speed", "temp (F)", "E", "lambda", "x1"])
    names = [str(s) for s in symbols.values()]
    assert names == ["speed", "_x1", "x2", "x3", "x1"]


def test_evaluate_matches_numpy():
    values = {x: np.array([0.5, 1.0, 2.0]), y: np.array([1.0, 2.0, 3.0])}
    expr = 3 * sp.sin(x) * y - x**2 / y + sp.exp(-x) + sp.sqrt(y) + 2
    expected = (
        3 * np.sin(values[x]) * values[y]
        - values[x] ** 2 / values[y]
        + np.exp(-values[x])
        + np.sqrt(values[y])
        + 2
    )
    assert_allclose(evaluate(expr, values, 3), expected, rtol=1e-14)


def test_evaluate_constant_fills_the_column():
    assert evaluate(sp.Integer(4), {}, 3).tolist() == [4.0, 4.0, 4.0]


@pytest.mark.parametrize(
    "text, message",
    [
        ("1/0", "is undefined or not real"),
        ("0/0", "is undefined or not real"),
        ("log(0)*x", "is undefined or not real"),
        ("sqrt(-1)", "is undefined or not real"),
        ("asin(2)*x", "contains asin(2), which is not a finite real number"),
        ("((2**1000)**1000)**1000", "A power has about 301030 digits"),
        ("1e999*x", "The number 1e999 is outside the floating-point range"),
    ],
)
def test_parse_formula_rejects_nonfinite_values(text, message):
    with pytest.raises(ParseError, match=re.escape(message)):
        parse_formula(text, SYMBOLS)


@pytest.mark.parametrize("name", ["id", "min", "sum", "input", "N", "E", "beta"])
def test_make_symbols_avoids_reserved_names(name):
    symbol = make_symbols([name])[name]
    assert str(symbol) != name
    assert sp.parse_expr(f"2*{symbol}", local_dict={}) == 2 * sp.Symbol(str(symbol))


def test_display_name_quotes_non_identifiers():
    assert display_name("speed") == "speed"
    assert display_name("θ") == "θ"
    assert display_name("a*b") == "`a*b`"
    assert display_name("lambda") == "`lambda`"
    assert display_name(0) == "`0`"


def test_readable_numbers_shortens_long_integers():
    expr = readable_numbers(sp.Integer(10) ** 300 * x + sp.Rational(5, 9))
    assert sp.sstr(expr) == "1.0e+300*x + 5/9"
