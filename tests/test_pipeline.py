"""End-to-end fits of formulas the default library can express."""

import warnings

import numpy as np
import pandas as pd
import pytest
import sympy as sp
from numpy.testing import assert_allclose

from eqdiscover import fit, generate
from eqdiscover.compare import split_terms
from eqdiscover.data import from_frame, read_csv
from eqdiscover.exceptions import DataError, ParseError
from eqdiscover.expressions import evaluate, parse_formula

# Noise-free data: least squares on the true terms is exact to rounding, so the
# coefficients must match to far better than this.
RTOL_EXACT = 1e-6


def fit_generated(name, seed=0, **kwargs):
    frame, metadata = generate(name, n_samples=5000, seed=seed, **kwargs)
    dataset = from_frame(frame, target=metadata["target"], truth=metadata["formula"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        formula = fit(dataset)
    return formula


def assert_exact_recovery(formula):
    truth = formula.details["truth"]
    assert truth["terms_match"], f"{formula}: {truth['summary']}"
    for row in truth["terms"]:
        assert_allclose(row["found"], row["true"], rtol=RTOL_EXACT, err_msg=row["term"])


@pytest.mark.parametrize("low, high", [(0.0, 1.0), (-40.0, 120.0)])
def test_fahrenheit_to_celsius(low, high):
    formula = fit_generated("fahrenheit_celsius", low=low, high=high)
    assert_exact_recovery(formula)
    terms = split_terms(formula.expr)
    fahrenheit = formula.symbols["fahrenheit"]
    assert set(terms) == {fahrenheit, sp.Integer(1)}
    assert_allclose(float(terms[fahrenheit]), 5 / 9, rtol=RTOL_EXACT)
    assert_allclose(float(terms[sp.Integer(1)]), -160 / 9, rtol=RTOL_EXACT)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(
    "name", ["linear", "quadratic", "sine_square", "sine_cubic_mix"]
)
def test_seeded_expressions(name, seed):
    assert_exact_recovery(fit_generated(name, seed=seed))


def test_sine_square_has_no_constant():
    formula = fit_generated("sine_square", seed=1)
    assert formula.intercept == 0.0
    assert len(formula.terms) == 2


def test_cars_r2_near_full_lstsq(cars_csv):
    formula = fit(cars_csv, "dist", library="const,poly:2,sin")
    frame = pd.read_csv(cars_csv)
    speed, dist = frame["speed"].to_numpy(), frame["dist"].to_numpy()
    design = np.column_stack([np.ones_like(speed), speed, speed**2, np.sin(speed)])
    coef, *_ = np.linalg.lstsq(design, dist, rcond=None)
    full_r2 = 1 - np.sum((dist - design @ coef) ** 2) / np.sum(
        (dist - dist.mean()) ** 2
    )
    assert formula.details["metrics"]["r2"] >= full_r2 - 0.01
    assert formula.details["notes"] == [
        (
            "Left out column 'rownames' because it numbers the rows; name it in "
            "--inputs to use it."
        )
    ]


def test_fit_details_record_network_and_settings():
    frame, _ = generate("quadratic", n_samples=300, seed=0)
    formula = fit(frame, "y", layers=(3,), alpha=0.01)
    network = formula.details["network"]
    assert network["layer_sizes"] == [6, 3, 1]
    assert network["alpha"] == 0.01
    assert set(network["collapsed"]) == set(formula.details["library"]["terms"])
    assert formula.details["settings"]["layers"] == [3]
    assert formula.details["metrics"]["n_samples"] == 300


def test_high_threshold_warns_all_pruned():
    frame, _ = generate("linear", n_samples=200, seed=0)
    message = r"Pruning removed every term that varies: the largest contribution, of x,"
    with pytest.warns(UserWarning, match=message):
        formula = fit(frame, "y", threshold=50.0)
    assert formula.terms == [1]
    assert formula.details["selection"]["all_pruned"].startswith(
        "Pruning removed every term that varies: the largest contribution, of x, is "
    )
    assert "misfit" not in formula.details


def test_fit_rejects_bad_truth_before_training():
    frame, _ = generate("linear", n_samples=20)
    with pytest.raises(ParseError, match="Unknown name 'z'"):
        fit(frame, "y", truth="2*z")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"library": "const"}, "has no term besides the constant that varies"),
        ({"alpha": -1.0}, "Invalid alpha -1.0"),
        ({"threshold": float("nan")}, "Invalid threshold nan"),
        ({"layers": (0,)}, r"Invalid hidden layer sizes \(0,\)"),
        ({"layers": 2}, "Invalid hidden layer sizes 2; give a list"),
        ({"alpha": "0.1"}, "Invalid alpha '0.1'; give 'auto' or a number >= 0."),
        ({"max_iter": 0}, "Invalid max_iter 0; give a positive integer."),
        ({"random_state": -1}, "Invalid random_state -1"),
        ({"library": 3}, "Invalid library 3"),
    ],
)
def test_fit_rejects_settings(kwargs, message):
    frame, _ = generate("linear", n_samples=20)
    with pytest.raises(DataError, match=message):
        fit(frame, "y", **kwargs)


def test_constant_target_is_rejected():
    frame = pd.DataFrame({"x": np.linspace(0, 1, 10), "y": np.full(10, 2.5)})
    with pytest.raises(DataError, match="Target column 'y' is constant \\(2.5\\)"):
        fit(frame, "y")


def test_overflowing_default_term_is_left_out():
    x = np.linspace(800, 1000, 50)
    frame = pd.DataFrame({"x": x, "y": 2 * x + 1})
    formula = fit(frame, "y")
    assert "exp(x)" not in formula.details["library"]["terms"]
    assert formula.details["notes"] == [
        "Left out term exp(x) because it is not finite for x in [800, 1000]."
    ]
    assert_allclose(formula.predict(frame), 2 * x + 1, rtol=1e-10)


def test_overflowing_named_term_is_rejected():
    frame = pd.DataFrame({"x": np.linspace(0, 1000, 10), "y": np.linspace(0, 1, 10)})
    message = r"Library term exp\(x\) is not finite for x in \[0, 1000\]; remove it"
    with pytest.raises(DataError, match=message):
        fit(frame, "y", library="const,poly:1,exp")


def test_constant_term_column_left_out():
    x = np.tile([-1.0, 1.0], 10)
    frame = pd.DataFrame({"x": x, "y": 3 * x})
    formula = fit(frame, "y", library="const,poly:2")
    assert formula.details["library"]["terms"] == ["1", "x"]
    assert formula.details["notes"] == [
        "Left out term x**2 because it is constant on the data."
    ]


def test_fewer_rows_than_terms_is_rejected():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [1.0, 4.0, 9.0]})
    with pytest.raises(DataError, match="Only 3 rows for 7 library terms"):
        fit(frame, "y")


def test_fit_csv_path_reads_metadata(tmp_path):
    from eqdiscover.data import write_generated

    frame, metadata = generate("linear", n_samples=500, seed=2)
    write_generated(frame, metadata, tmp_path / "linear.csv")
    formula = fit(tmp_path / "linear.csv")
    assert formula.target == "y"
    assert formula.details["truth"]["terms_match"]
    assert read_csv(tmp_path / "linear.csv").truth == metadata["formula"]


def test_truth_coefficient_overflow_rejected():
    frame, _ = generate("linear", n_samples=50)
    with pytest.raises(
        ParseError, match=r"has a coefficient of x\*\*\d+ outside the floating-point"
    ):
        fit(frame, "y", truth="(10*x + 1)**300")


@pytest.mark.parametrize(
    "x_low, x_high, slope, intercept",
    [
        (0.0, 5000.0, 2.0, 1.0),  # the constant is tiny beside the spread of y
        (1.0, 2.0, 1e200, 3e199),  # squares of y overflow
        (1e-160, 2e-160, 2.0, 0.0),  # squares of x underflow
        (1e-200, 2e-200, 3.0, 1e-200),  # squares of y underflow
    ],
)
def test_linear_law_at_extreme_scales(x_low, x_high, slope, intercept):
    x = np.random.default_rng(0).uniform(x_low, x_high, 500)
    frame = pd.DataFrame({"x": x, "y": slope * x + intercept})
    truth = f"{slope!r}*x + {intercept!r}" if intercept else f"{slope!r}*x"
    formula = fit(frame, "y", library="const,poly:2,sin", truth=truth)
    assert formula.details["truth"]["terms_match"], str(formula)
    assert_allclose(formula.coefficients["x"], slope, rtol=1e-9)
    assert_allclose(formula.intercept, intercept, rtol=1e-6)
    assert formula.details["metrics"]["r2"] == pytest.approx(1.0, abs=1e-12)


def test_huge_finite_term_does_not_break_the_factorization():
    x = np.linspace(705.0, 709.7, 200)
    frame = pd.DataFrame({"x": x, "y": 2.0 * x + 1.0})
    formula = fit(frame, "y")
    assert "exp(x)" in formula.details["library"]["terms"]
    assert_allclose(formula.coefficients["x"], 2.0, rtol=1e-9)


def test_constant_column_keeps_the_intercept():
    x = np.linspace(-1, 1, 200)
    frame = pd.DataFrame({"x": x, "c": 0.1, "y": 2 * x + 1})
    formula = fit(frame, "y")
    assert formula.details["notes"] == [
        "Left out column 'c' because it is constant (0.1)."
    ]
    assert_allclose(formula.coefficients["x"], 2.0, rtol=1e-12)
    assert_allclose(formula.intercept, 1.0, rtol=1e-12)


def test_truth_with_runaway_constant_is_rejected_quickly():
    frame, _ = generate("linear", n_samples=50)
    with pytest.raises(ParseError, match="which is not a finite real number"):
        fit(frame, "y", truth="exp(exp(exp(exp(5))))*x")


def test_inputs_as_plain_text_are_rejected():
    frame, _ = generate("linear", n_samples=50)
    with pytest.raises(DataError, match="Inputs must be a list of column names"):
        fit(frame, "y", inputs="x")


def test_training_warnings_other_than_convergence_pass_through(monkeypatch):
    from eqdiscover import network

    def warn_and_train(self, stats, alphas):
        warnings.warn("from training", RuntimeWarning, stacklevel=1)
        return original(self, stats, alphas)

    original = network.SparseLinearNetwork.fit_path
    monkeypatch.setattr(network.SparseLinearNetwork, "fit_path", warn_and_train)
    frame, _ = generate("linear", n_samples=100)
    with pytest.warns(RuntimeWarning, match="from training"):
        fit(frame, "y")


@pytest.mark.parametrize(
    "x_low, x_high, truth",
    [
        (1000.0, 1001.0, "0.5*x**2 - 3*x + 7"),
        (1000.0, 1010.0, "0.5*x**2 - 3*x + 7"),
        (0.0, 1.0, "x + 1000000000"),
        (0.0, 1.0, "sin(x) + 1000000000000"),
    ],
)
def test_large_offset_keeps_small_terms(x_low, x_high, truth):
    x = np.random.default_rng(0).uniform(x_low, x_high, 200)
    symbols = {"x": sp.Symbol("x")}
    expr = parse_formula(truth, symbols)
    y = evaluate(expr, {symbols["x"]: x}, len(x))
    formula = fit(pd.DataFrame({"x": x, "y": y}), "y", truth=truth)
    assert formula.details["truth"]["terms_match"], str(formula)


@pytest.mark.parametrize("seed", range(3))
def test_term_zeroed_by_the_network_is_recovered(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(-3, 3, 300), rng.uniform(-3, 3, 300)
    c = rng.uniform(-2, 2, 300)
    truth = "1.2*sin(a) - 0.3*a + 0.8*b**2 + 2*cos(b) - 0.5*exp(c) + 0.25*c**3 + 1.5"
    y = (
        1.2 * np.sin(a)
        - 0.3 * a
        + 0.8 * b**2
        + 2 * np.cos(b)
        - 0.5 * np.exp(c)
        + 0.25 * c**3
        + 1.5
    )
    frame = pd.DataFrame({"a": a, "b": b, "c": c, "y": y})
    formula = fit(frame, "y", truth=truth)
    assert formula.details["truth"]["terms_match"], str(formula)
    assert formula.details["truth"]["max_relative_error"] < RTOL_EXACT


def test_coefficient_beyond_floats_is_rejected():
    x = np.arange(1, 21) * 1e-310
    frame = pd.DataFrame({"x": x, "y": np.arange(1.0, 21.0)})
    with pytest.raises(DataError, match="outside the floating-point range"):
        fit(frame, "y", library="const,poly:1")
