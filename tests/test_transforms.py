"""Target transforms: power laws after the log, JSON round trips, the CLI option."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from numpy.testing import assert_allclose

from eqdiscover import fit, load
from eqdiscover.cli import main
from eqdiscover.exceptions import DataError


@pytest.fixture(scope="module")
def gravity():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {name: rng.uniform(1.0, 5.0, 600) for name in ("m1", "m2", "r")}
    )
    frame["F"] = 6.5 * frame["m1"] * frame["m2"] / frame["r"] ** 2
    return frame


def test_log_transform_recovers_power_law(gravity):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        formula = fit(gravity, "F", transform="log", truth="6.5*m1*m2/r**2")
    assert formula.transform == "log"
    assert formula.details["truth"]["srbench_match"] is True
    assert formula.details["transforms"]["chosen"] == "log"
    # Noise-free data: the back-transformed formula agrees to rounding.
    assert_allclose(formula.predict(gravity), gravity["F"], rtol=1e-9)


def test_auto_recovers_power_law(gravity):
    formula = fit(gravity, "F", truth="6.5*m1*m2/r**2")
    search = formula.details["transforms"]
    assert search["requested"] == "auto"
    assert search["fits"][0]["transform"] == "none"
    assert formula.details["truth"]["srbench_match"] is True
    assert formula.details["metrics"]["r2"] > 1 - 1e-12


def test_none_transform_keeps_the_sum(gravity):
    formula = fit(gravity, "F", transform="none", library="const,poly:3")
    assert formula.transform == "none"
    assert formula.details["transforms"]["fits"] == []


def test_exact_untransformed_fit_ends_the_search():
    x = np.linspace(-1.0, 2.0, 300)
    frame = pd.DataFrame({"x": x, "y": 3 * x**2 - x + 2})
    formula = fit(frame, "y")
    assert formula.transform == "none"
    stages = [fit["stage"] for fit in formula.details["transforms"]["fits"]]
    # The power laws come first and are not exact; the given library is.
    assert stages[-1] == "library"
    assert set(stages[:-1]) <= {"power"}
    assert formula.details["transforms"]["stage"] == "library"


def test_exact_power_law_ends_the_search_first(gravity):
    formula = fit(gravity, "F")
    search = formula.details["transforms"]
    assert search["stage"] == "power"
    assert {fit["stage"] for fit in search["fits"]} == {"power"}
    assert str(formula) == "F = 13*m1*m2/(2*r**2)"


def test_power_law_is_found_at_ten_percent_noise():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {name: rng.uniform(1.0, 5.0, 3000) for name in ("m1", "m2", "r")}
    )
    clean = 6.5 * frame["m1"] * frame["m2"] / frame["r"] ** 2
    rms = float(np.sqrt(np.mean(clean**2)))
    frame["F"] = clean + 0.1 * rms * rng.standard_normal(len(frame))
    # Noise of 10% of the RMS turns a few of the smallest values negative.
    assert (frame["F"] < 0).any()
    formula = fit(frame, "F", truth="6.5*m1*m2/r**2")
    assert formula.details["transforms"]["stage"] == "power"
    assert formula.details["truth"]["srbench_match"] is True
    (term,) = formula.terms
    assert str(term.xreplace(formula.display_names)) == "m1*m2/r**2"
    # The coefficient is fitted to F itself: within 3 standard errors of 6.5.
    (estimate,) = formula.details["estimates"]["terms"]
    assert abs(estimate["refit"] - 6.5) < 3 * estimate["stderr"]


def test_sign_changing_factor_is_proposed():
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(
        {
            "r": rng.uniform(1.0, 5.0, 2000),
            "F": rng.uniform(1.0, 5.0, 2000),
            "theta": rng.uniform(1.0, 5.0, 2000),
        }
    )
    clean = frame["r"] * frame["F"] * np.sin(frame["theta"])
    frame["tau"] = clean + 0.01 * float(np.sqrt(np.mean(clean**2))) * (
        rng.standard_normal(len(frame))
    )
    formula = fit(frame, "tau", truth="r*F*sin(theta)")
    assert formula.details["truth"]["srbench_match"] is True
    assert [str(t.xreplace(formula.display_names)) for t in formula.terms] == [
        "F*r*sin(theta)"
    ]


def test_log_of_a_negative_target_keeps_its_sign():
    x = np.linspace(1.0, 3.0, 200)
    frame = pd.DataFrame({"x": x, "y": -3.0 * x**2})
    formula = fit(frame, "y", transform="log")
    assert formula.sign == -1
    assert_allclose(formula.predict(frame), frame["y"], rtol=1e-9)


def test_log_leaves_out_other_sign_rows():
    rng = np.random.default_rng(3)
    x = rng.uniform(0.1, 2.0, 2000)
    y = 2.0 * x**1.5 + 0.2 * rng.standard_normal(len(x))
    share = float(np.mean(y < 0))
    assert 0 < share < 0.1
    formula = fit(pd.DataFrame({"x": x, "y": y}), "y", transform="log")
    assert formula.sign == 1
    left_out = int(np.sum(y < 0))
    assert formula.details["data"]["n_samples"] == len(x) - left_out
    assert f"left out the {left_out} rows where y is negative or 0" in " ".join(
        formula.details["notes"]
    )
    assert formula.details["metrics"]["n_samples"] == len(x)


def test_transformed_formula_saves_and_loads(gravity, tmp_path):
    formula = fit(gravity, "F", transform="log")
    path = tmp_path / "gravity.json"
    formula.save(path)
    saved = json.loads(path.read_text())
    assert saved["transform"] == {"name": "log", "sign": 1}
    loaded = load(path)
    assert loaded.transform == "log"
    assert_allclose(loaded.predict(gravity), formula.predict(gravity), rtol=1e-12)


def test_tampered_transformed_expression_is_rejected(gravity, tmp_path):
    data = fit(gravity, "F", transform="log").to_dict()
    data["expression"] = "2*m1"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(DataError, match="Field 'expression'"):
        load(path)


def test_log_transform_rejects_negative_target():
    x = np.linspace(1.0, 2.0, 50)
    frame = pd.DataFrame({"x": x, "y": x - 1.5})
    message = "Transform 'log' needs a target of one sign on 90%"
    with pytest.raises(DataError, match=message):
        fit(frame, "y", transform="log")


def test_invalid_transform_name_is_rejected():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [1.0, 2.0, 4.0]})
    with pytest.raises(DataError, match="Invalid transform 'cube'"):
        fit(frame, "y", transform="cube")


def test_cli_transform_option_prints_the_transform(gravity, tmp_path):
    path = tmp_path / "gravity.csv"
    gravity.to_csv(path, index=False)
    result = CliRunner().invoke(
        main, ["fit", str(path), "-t", "F", "--transform", "log"]
    )
    assert result.exit_code == 0, result.output
    assert "transform: the terms sum to log(F)" in result.stdout


def test_untrended_fit_of_one_input_ends_the_search():
    rng = np.random.default_rng(4)
    x = rng.uniform(-1.5, 1.5, 2000)
    clean = 0.7 * np.sin(x) - 1.2 * x**2
    y = clean + 0.01 * float(np.sqrt(np.mean(clean**2))) * rng.standard_normal(2000)
    formula = fit(pd.DataFrame({"x": x, "y": y}), "y")
    stages = [fit["stage"] for fit in formula.details["transforms"]["fits"]]
    # Nothing was fitted after the given library, not even a power term.
    assert stages == ["library"]
    assert sorted(formula.coefficients) == ["sin(x)", "x**2"]


def test_trended_fit_of_one_input_goes_on_searching():
    x = np.linspace(1.0, 5.0, 400)
    rng = np.random.default_rng(5)
    y = 3.0 / x + 0.001 * rng.standard_normal(400)
    formula = fit(pd.DataFrame({"x": x, "y": y}), "y", truth="3/x")
    stages = {fit["stage"] for fit in formula.details["transforms"]["fits"]}
    assert {"library", "power", "single"} <= stages
    assert formula.details["truth"]["srbench_match"] is True


def test_noisy_coefficient_near_integer_is_written_exactly():
    rng = np.random.default_rng(6)
    x1, x2 = rng.uniform(1.0, 5.0, 5000), rng.uniform(1.0, 5.0, 5000)
    clean = x1 * x2 + 2.0 * x1
    y = clean + 0.1 * float(np.sqrt(np.mean(clean**2))) * rng.standard_normal(5000)
    frame = pd.DataFrame({"x1": x1, "x2": x2, "y": y})
    formula = fit(frame, "y", library="const,poly:2", transform="none")
    rows = {row["term"]: row for row in formula.details["estimates"]["terms"]}
    assert sorted(rows) == ["x1", "x1*x2"]
    assert rows["x1*x2"]["exact"] == "1"
    assert rows["x1"]["exact"] == "2"
    # The refitted values stay in the JSON beside the exact ones.
    assert rows["x1*x2"]["refit"] != 1.0
    assert abs(rows["x1*x2"]["refit"] - 1.0) < 3 * rows["x1*x2"]["stderr"]


def test_noisy_coefficient_off_simple_fractions_stays_a_float():
    rng = np.random.default_rng(7)
    x = rng.uniform(1.0, 5.0, 5000)
    clean = 1.3 * x
    y = clean + 0.01 * float(np.sqrt(np.mean(clean**2))) * rng.standard_normal(5000)
    formula = fit(pd.DataFrame({"x": x, "y": y}), "y", library="poly:1")
    (row,) = formula.details["estimates"]["terms"]
    assert row["exact"] is None
    assert row["value"] == pytest.approx(1.3, rel=1e-3)
