import json

import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose

from eqdiscover.exceptions import DataError
from eqdiscover.formula import Formula


@pytest.fixture
def formula():
    x0, speed = sp.Symbol("x0"), sp.Symbol("speed")
    return Formula(
        "dist",
        [speed, speed**2, sp.Integer(1)],
        [1.25, 0.5, -3.0],
        {"speed": speed, "temp (F)": x0},
    )


def test_str_uses_column_names(formula):
    assert str(formula) == "dist = 0.5*speed**2 + 1.25*speed - 3.0"


def test_coefficients_and_intercept(formula):
    assert formula.coefficients == {"speed": 1.25, "speed**2": 0.5}
    assert formula.intercept == -3.0


def test_predict(formula):
    speed = np.array([1.0, 2.0, 4.0])
    expected = 1.25 * speed + 0.5 * speed**2 - 3.0
    assert_allclose(formula.predict({"speed": speed}), expected, rtol=1e-15)


def test_predict_missing_column(formula):
    with pytest.raises(DataError, match="Input column 'speed' not found"):
        formula.predict({"v": [1.0]})


def test_latex(formula):
    assert formula.latex() == r"dist = 0.5 speed^{2} + 1.25 speed - 3.0"


def test_to_dict_expression_parses_back(formula):
    data = json.loads(json.dumps(formula.to_dict()))
    symbols = {name: sp.Symbol(name) for name in data["symbols"]}
    parsed = sp.parse_expr(data["expression"], local_dict=symbols)
    assert sp.simplify(parsed - formula.expr) == 0
    assert data["symbols"] == {"speed": "speed", "x0": "temp (F)"}
    assert data["intercept"] == -3.0
    assert data["terms"][0] == {"term": "speed", "coefficient": 1.25}


def test_formula_without_constant_has_zero_intercept():
    x = sp.Symbol("x")
    assert Formula("y", [x], [2.0], {"x": x}).intercept == 0.0


def test_latex_escapes_column_names():
    x0, x1 = sp.Symbol("x0"), sp.Symbol("x1")
    formula = Formula("y%", [x0, x1], [2.0, 3.0], {"rate%": x0, "theta": x1})
    assert formula.latex() == r"\text{y\%} = 2.0 \text{rate\%} + 3.0 \theta"


def test_expression_text_keeps_every_digit():
    x = sp.Symbol("x")
    coefficient = 0.5555555555555542
    formula = Formula("y", [x], [coefficient], {"x": x})
    parsed = sp.parse_expr(formula.to_dict()["expression"], local_dict={"x": x})
    assert float(parsed.coeff(x)) == coefficient
    assert str(formula) == "y = 0.555555555555554*x"
