import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import sympy as sp
from numpy.testing import assert_allclose

import eqdiscover
from eqdiscover.exceptions import DataError, ParseError
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
    assert data["terms"][0] == {"term": "speed", "coefficient": 1.25, "exact": None}


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


@pytest.fixture
def fitted():
    """A fitted formula on a column whose name is not an identifier."""
    fahrenheit = np.linspace(-40.0, 120.0, 60)
    frame = pd.DataFrame(
        {"temp (F)": fahrenheit, "celsius": (fahrenheit - 32.0) * 5.0 / 9.0}
    )
    return eqdiscover.fit(frame, "celsius", library="const,poly:2,sin")


def write_json(path, data):
    path.write_text(json.dumps(data))
    return path


def test_repr_is_short_with_r2(fitted):
    assert repr(fitted) == "<Formula celsius = 0.555556*`temp (F)` - 17.7778 (r2=1)>"


def test_repr_without_metrics(formula):
    assert repr(formula) == "<Formula dist = 0.5*speed**2 + 1.25*speed - 3.0>"


def test_compare_with_truth_text(fitted):
    result = fitted.compare("5*(`temp (F)` - 32)/9")
    assert result.terms_match
    assert result.max_relative_error < 1e-12


def test_compare_reports_missing_term(fitted):
    result = fitted.compare("`temp (F)`**2 + 1")
    assert result.missing == [fitted.symbols["temp (F)"] ** 2]
    assert result.extra == [fitted.symbols["temp (F)"]]


def test_to_dict_terms_use_column_names(fitted):
    data = fitted.to_dict()
    assert data["format_version"] == 1
    assert data["columns"] == ["temp (F)"]
    assert [row["term"] for row in data["terms"]] == ["1", "`temp (F)`"]


def test_to_dict_rejects_detail_named_like_field(formula):
    formula.details["terms"] = []
    with pytest.raises(ValueError, match="Detail 'terms' has the name of a formula"):
        formula.to_dict()


def test_save_load_round_trip(fitted, tmp_path):
    path = tmp_path / "celsius.json"
    fitted.save(path)
    loaded = eqdiscover.load(path)
    assert loaded.target == "celsius"
    assert list(loaded.symbols) == ["temp (F)"]
    assert loaded.terms == fitted.terms
    assert loaded.coef.tolist() == fitted.coef.tolist()
    assert loaded.details == json.loads(json.dumps(fitted.details))
    assert loaded.to_dict() == json.loads(path.read_text())


def test_load_keeps_symbols_of_hand_built_formula(formula, tmp_path):
    formula.save(tmp_path / "dist.json")
    loaded = eqdiscover.load(tmp_path / "dist.json")
    assert {c: str(s) for c, s in loaded.symbols.items()} == {
        "speed": "speed",
        "temp (F)": "x0",
    }
    assert str(loaded) == str(formula)


def test_saved_formula_predicts_same_in_new_process(fitted, tmp_path):
    path = tmp_path / "celsius.json"
    fitted.save(path)
    inputs = [-40.0, 0.0, 37.5, 98.6, 212.0]
    script = (
        "import json, sys, eqdiscover\n"
        "formula = eqdiscover.load(sys.argv[1])\n"
        "values = formula.predict({'temp (F)': json.loads(sys.argv[2])})\n"
        "print(json.dumps(values.tolist()))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(path), json.dumps(inputs)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    predicted = json.loads(result.stdout)
    expected = fitted.predict({"temp (F)": inputs})
    assert_allclose(predicted, expected, rtol=1e-12, atol=0)
    assert_allclose(predicted, (np.array(inputs) - 32) * 5 / 9, rtol=1e-12, atol=1e-12)


def test_save_does_not_overwrite(formula, tmp_path):
    path = tmp_path / "dist.json"
    path.write_text("kept")
    with pytest.raises(DataError, match="already exists; pass force=True"):
        formula.save(path)
    assert path.read_text() == "kept"
    formula.save(path, force=True)
    assert json.loads(path.read_text())["target"] == "dist"


def test_save_rejects_nan_detail(formula, tmp_path):
    formula.details["metrics"] = {"r2": float("nan")}
    with pytest.raises(DataError, match="contain NaN or infinity"):
        formula.save(tmp_path / "dist.json")
    assert list(tmp_path.iterdir()) == []


def test_save_rejects_backtick_in_column(tmp_path):
    x = sp.Symbol("x0")
    formula = Formula("y", [x], [2.0], {"a`b": x})
    with pytest.raises(DataError, match="contains a backtick"):
        formula.save(tmp_path / "y.json")


def test_round_trip_column_named_like_function(tmp_path):
    column = sp.Symbol("x0", real=True)
    formula = Formula("y", [sp.sin(column), column**2], [2.0, 3.0], {"sin": column})
    formula.save(tmp_path / "y.json")
    loaded = eqdiscover.load(tmp_path / "y.json")
    assert loaded.terms == [sp.sin(column), column**2]
    assert_allclose(loaded.predict({"sin": [1.0]}), [2 * np.sin(1.0) + 3], rtol=1e-15)


@pytest.mark.parametrize("field", ["expression", "display"])
def test_load_never_runs_code_in_text(formula, tmp_path, monkeypatch, field):
    monkeypatch.chdir(tmp_path)
    data = formula.to_dict()
    data[field] = "__import__('os').system('touch MARKER')"
    path = write_json(tmp_path / "evil.json", data)
    with pytest.raises(ParseError, match="Invalid character"):
        eqdiscover.load(path)
    assert not (tmp_path / "MARKER").exists()


def test_load_never_runs_code_in_term(formula, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = formula.to_dict()
    data["terms"][0]["term"] = "__import__('os').system('touch MARKER')"
    path = write_json(tmp_path / "evil.json", data)
    with pytest.raises(ParseError, match="Invalid character"):
        eqdiscover.load(path)
    assert not (tmp_path / "MARKER").exists()


def test_exact_coefficients_survive_save_and_load(tmp_path):
    frame, metadata = eqdiscover.generate("fahrenheit_celsius", n_samples=500)
    fitted = eqdiscover.fit(frame, metadata["target"])
    fitted.save(tmp_path / "c.json")
    loaded = eqdiscover.load(tmp_path / "c.json")
    assert str(loaded) == "celsius = 5*fahrenheit/9 - 160/9"
    assert sorted(loaded.exact) == [sp.Rational(-160, 9), sp.Rational(5, 9)]


def test_load_never_runs_code_in_exact_value(formula, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = formula.to_dict()
    data["terms"][0]["exact"] = "__import__('os').system('touch MARKER')"
    path = write_json(tmp_path / "evil.json", data)
    with pytest.raises(ParseError, match="Invalid character"):
        eqdiscover.load(path)
    assert not (tmp_path / "MARKER").exists()


def test_load_rejects_exact_value_that_differs(formula, tmp_path):
    data = formula.to_dict()
    data["terms"][0]["exact"] = "5/9"
    path = write_json(tmp_path / "wrong.json", data)
    with pytest.raises(DataError, match="has exact coefficient '5/9', which is not"):
        eqdiscover.load(path)


def set_field(data, key, value):
    data[key] = value


def set_term(data, key, value):
    data["terms"][0][key] = value


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.pop("target"), "Field 'target' is missing"),
        (lambda d: set_field(d, "target", 3), "'target' .* must be text, got int"),
        (lambda d: set_field(d, "format_version", 2), "is 2, newer than"),
        (lambda d: set_field(d, "format_version", True), "must be an integer"),
        (lambda d: set_field(d, "format_version", "1"), "must be an integer"),
        (lambda d: set_field(d, "eqdiscover_version", "latest"), "not a version"),
        (lambda d: set_field(d, "columns", "speed"), "must be a list of column"),
        (lambda d: set_field(d, "columns", ["speed"]), "one symbol to each"),
        (lambda d: set_field(d, "symbols", {"a b": "speed"}), "identifiers"),
        (lambda d: set_term(d, "coefficient", "1.25"), "finite numbers, got '1.25'"),
        (lambda d: set_term(d, "term", "speed + 1"), "which is not one term"),
        (lambda d: set_term(d, "term", "2*speed"), "which is not one term"),
        (lambda d: set_term(d, "term", "speed**2"), "more than once"),
        (lambda d: set_term(d, "extra", 1), "with 'term', 'coefficient' and 'exact'"),
        (lambda d: set_field(d, "expression", "speed"), "'expression' .* not match"),
        (lambda d: set_field(d, "display", "1.3*speed"), "'display' .* not match"),
        (lambda d: set_field(d, "intercept", 0.0), "'intercept' .* not match"),
        (lambda d: set_field(d, "coefficients", {}), "'coefficients' .* not match"),
    ],
)
def test_load_rejects_invalid_field(formula, tmp_path, change, message):
    data = formula.to_dict()
    change(data)
    path = write_json(tmp_path / "bad.json", data)
    with pytest.raises(DataError, match=message):
        eqdiscover.load(path)


@pytest.mark.parametrize(
    "text, message",
    [
        ("[1, 2]", "must be a JSON object, got list"),
        ("{", "is not valid JSON"),
        ('{"intercept": NaN}', "is not valid JSON .*NaN is not a finite number"),
        ('{"format_version": 1e999}', "must be an integer, got float"),
    ],
)
def test_load_rejects_invalid_json(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        eqdiscover.load(path)


def test_load_rejects_number_beyond_float_range(formula, tmp_path):
    text = json.dumps(formula.to_dict()).replace(
        '"intercept": -3.0', '"intercept": 1e999'
    )
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(DataError, match="'intercept' .* finite numbers, got inf"):
        eqdiscover.load(path)


def test_load_missing_file(tmp_path):
    with pytest.raises(DataError, match="not found; check the path"):
        eqdiscover.load(tmp_path / "missing.json")
