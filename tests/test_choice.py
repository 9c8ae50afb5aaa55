"""Choosing the formula: the ten reference tasks, alternatives, errors and misfit."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import sympy as sp
from click.testing import CliRunner
from numpy.testing import assert_allclose

from eqdiscover import fit, generate
from eqdiscover.cli import main
from eqdiscover.constants import exact_candidates
from eqdiscover.data import from_frame
from eqdiscover.expressions import evaluate, parse_formula

N_SAMPLES = 5000
GENERATED = [
    ("fahrenheit_celsius", {}),
    ("fahrenheit_celsius", {"low": -40.0, "high": 120.0}),
    ("linear", {}),
    ("quadratic", {}),
    ("sine_square", {}),
    ("sine_cubic_mix", {}),
]
PRODUCTS = [
    (["mu", "Nn"], "mu*Nn", 1.0, 5.0),
    (["m", "g", "z"], "m*g*z", 1.0, 5.0),
    (["p", "V"], "3/2*p*V", 1.0, 5.0),
    (["x1", "x2"], "1/2*x1**2 + 3*sin(x2) - 2*x1*x2 + 3/2", -2.0, 2.0),
]
TASKS = [f"{name} {kw}" for name, kw in GENERATED] + [t for _, t, _, _ in PRODUCTS]


def task_dataset(index, noise, seed=0):
    if index < len(GENERATED):
        name, kwargs = GENERATED[index]
        frame, metadata = generate(
            name, n_samples=N_SAMPLES, noise=noise, seed=seed, **kwargs
        )
        return from_frame(frame, target=metadata["target"], truth=metadata["formula"])
    columns, truth, low, high = PRODUCTS[index - len(GENERATED)]
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({c: rng.uniform(low, high, N_SAMPLES) for c in columns})
    symbols = {c: sp.Symbol(c) for c in columns}
    values = {symbols[c]: frame[c].to_numpy() for c in columns}
    y = evaluate(parse_formula(truth, symbols), values, N_SAMPLES)
    frame["y"] = y + noise * np.sqrt(np.mean(y**2)) * rng.standard_normal(N_SAMPLES)
    return from_frame(frame, target="y", truth=truth)


@pytest.mark.parametrize("noise", [0.0, 0.01])
@pytest.mark.parametrize("index", range(len(TASKS)), ids=TASKS)
def test_reference_task_gives_the_true_terms(index, noise):
    dataset = task_dataset(index, noise)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        formula = fit(dataset)
    truth = formula.details["truth"]
    assert truth["terms_match"], f"{formula}: {truth['summary']}"
    if noise == 0.0:
        assert truth["max_relative_error"] < 1e-9
    if noise == 0.0:
        exact_truth = parse_formula(dataset.truth, formula.symbols)
        assert sp.simplify(formula.expr - exact_truth) == 0, str(formula)


def test_fahrenheit_to_celsius_prints_exact_constants():
    dataset = task_dataset(0, 0.0)
    assert str(fit(dataset)) == "celsius = 5*fahrenheit/9 - 160/9"


def test_pi_multiple_is_written_exactly():
    x = np.linspace(-1.0, 1.0, 200)
    frame = pd.DataFrame({"x": x, "y": 2 * math.pi / 3 * x + math.sqrt(2)})
    assert str(fit(frame, "y")) == "y = 2*pi*x/3 + sqrt(2)"


def test_noisy_coefficient_keeps_its_float_value():
    dataset = task_dataset(0, 0.01)
    formula = fit(dataset)
    assert all(row["exact"] is None for row in formula.details["estimates"]["terms"])
    assert "/9" not in str(formula)


def test_exact_candidates_order_and_tolerance():
    assert exact_candidates(0.5, 1e-12) == [sp.Rational(1, 2)]
    assert exact_candidates(math.pi / 4, 1e-12) == [sp.pi / 4]
    assert exact_candidates(1.7640523459676642, 1e-9) == []
    # A loose tolerance reaches several values; the smallest denominator is first.
    assert exact_candidates(0.5, 0.05)[:2] == [sp.Rational(1, 2), sp.Rational(6, 11)]


def test_standard_errors_match_the_textbook_formula():
    rng = np.random.default_rng(1)
    x = rng.uniform(0.0, 10.0, 300)
    y = 3 * x + 2 + rng.normal(0.0, 0.5, 300)
    formula = fit(pd.DataFrame({"x": x, "y": y}), "y", library="const,poly:1")
    design = np.column_stack([np.ones_like(x), x])
    coef, rss, *_ = np.linalg.lstsq(design, y, rcond=None)
    covariance = rss[0] / (300 - 2) * np.linalg.inv(design.T @ design)
    rows = {row["term"]: row for row in formula.details["estimates"]["terms"]}
    assert formula.details["estimates"]["exact_fit"] is False
    assert_allclose(rows["x"]["stderr"], np.sqrt(covariance[1, 1]), rtol=1e-9)
    assert_allclose(rows["1"]["stderr"], np.sqrt(covariance[0, 0]), rtol=1e-9)
    # 1.968 is Student's t at 0.975 with 298 degrees of freedom.
    low, high = rows["x"]["interval"]
    assert_allclose(
        [low, high],
        coef[1] + np.array([-1, 1]) * 1.968 * rows["x"]["stderr"],
        rtol=1e-4,
    )


def test_noise_free_fit_says_there_is_no_error_to_estimate():
    formula = fit(task_dataset(6, 0.0))
    estimates = formula.details["estimates"]
    assert estimates["exact_fit"] is True
    assert estimates["terms"][0]["stderr"] is None
    assert estimates["terms"][0]["interval"] is None


def test_candidates_are_listed_with_the_chosen_one_marked():
    formula = fit(task_dataset(2, 0.01))
    candidates = formula.candidates
    assert len(candidates) == 10
    chosen = [c for c in candidates if c["chosen"]]
    assert len(chosen) == 1
    assert set(chosen[0]["terms"]) == {"1", "x"}
    criteria = [c["criterion"] for c in candidates]
    assert criteria == sorted(criteria)


def test_cars_names_the_equally_good_alternative(cars_csv, tmp_path):
    report = tmp_path / "cars"
    arguments = [
        "fit",
        str(cars_csv),
        "-t",
        "dist",
        "--library",
        "const,poly:2,sin",
        "--report",
        str(report),
    ]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "dist = 0.0901387724317954*speed**2 + 1.23902995650826*speed"
    # Plain BIC is 276.73 and 276.92, and each form adds 0.5 * complexity 3.
    assert lines[-1] == (
        "alternative: dist = 0.128969*speed**2 + 8.86005 fits equally well "
        "(criterion 278.4 against 278.2); the data cannot tell the two apart."
    )
    text = (report / "report.md").read_text()
    assert "**Equally good alternative:** `0.128969*speed**2 + 8.86005`" in text
    assert "criterion 278.42 against 278.23" in text


def test_clear_winner_has_no_alternative():
    formula = fit(task_dataset(3, 0.01))
    assert formula.details["selection"]["runner_up"] is None


def test_library_that_cannot_express_the_data_is_flagged():
    x = np.linspace(1.0, 5.0, 2000)
    frame = pd.DataFrame({"x": x, "y": 1 / x})
    with pytest.warns(
        UserWarning,
        match="probably cannot express the data: the residuals still follow x",
    ):
        formula = fit(frame, "y", transform="none")
    assert formula.details["misfit"].startswith("The library probably cannot")


def test_reciprocal_found_by_the_transform_search():
    x = np.linspace(1.0, 5.0, 2000)
    formula = fit(pd.DataFrame({"x": x, "y": 1 / x}), "y", truth="1/x")
    assert "misfit" not in formula.details
    assert formula.details["truth"]["symbolic_match"] is True


@pytest.mark.parametrize("seed", range(3))
def test_noisy_true_formula_is_not_flagged(seed):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        formula = fit(task_dataset(5, 0.1, seed=seed))
    assert "misfit" not in formula.details


def test_misfit_shows_in_the_report(tmp_path):
    x = np.linspace(1.0, 5.0, 2000)
    pd.DataFrame({"x": x, "y": 1 / x}).to_csv(tmp_path / "inverse.csv", index=False)
    arguments = [
        "fit",
        str(tmp_path / "inverse.csv"),
        "-t",
        "y",
        "--transform",
        "none",
        "--report",
        str(tmp_path / "r"),
    ]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    assert "cannot express the data" in result.stderr
    assert (
        "> **Warning:** The library probably cannot express"
        in (tmp_path / "r" / "report.md").read_text()
    )


def test_misfit_found_when_rows_are_read_in_chunks(tmp_path):
    x = np.linspace(1.0, 5.0, 2000)
    pd.DataFrame({"x": x, "y": 1 / x}).to_csv(tmp_path / "inverse.csv", index=False)
    with pytest.warns(UserWarning, match="residuals still follow x"):
        chunked = fit(tmp_path / "inverse.csv", "y", chunk_rows=300)
    with pytest.warns(UserWarning, match="residuals still follow x"):
        whole = fit(tmp_path / "inverse.csv", "y", transform="none")
    assert chunked.coefficients.keys() == whole.coefficients.keys()


def test_auto_alpha_records_the_path():
    formula = fit(task_dataset(5, 0.01))
    path = formula.details["path"]
    assert formula.details["settings"]["alpha"] == "auto"
    assert len(path["alphas"]) == 10
    assert path["alphas"] == sorted(path["alphas"], reverse=True)
    assert path["alphas"][-1] == pytest.approx(path["alphas"][0] * 1e-2)
    assert len(path["terms"]) == 6
    # At the largest alpha the network keeps no term; at the smallest it keeps
    # the true ones.
    assert not any(path["coef"][0])
    kept = {t for t, c in zip(path["terms"], path["coef"][-1]) if c != 0}
    assert {"x", "x**2", "sin(x)"} <= kept
    network = formula.details["network"]
    history, steps = network["loss_history"], network["loss_steps"]
    assert 1 <= len(history) <= 501
    assert len(steps) == len(history)
    assert steps[0] == 1
    assert steps[-1] == network["n_iter"]
    assert history[-1] <= history[0]


def test_fixed_alpha_trains_once():
    formula = fit(task_dataset(2, 0.01), alpha=1e-3)
    assert "path" not in formula.details
    assert formula.details["network"]["alpha"] == 1e-3
    assert set(formula.coefficients) == {"x"}
