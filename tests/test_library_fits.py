"""Fits that need products, custom terms, domains and arbitrary column names."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from numpy.testing import assert_allclose

from eqdiscover import fit
from eqdiscover.cli import main
from eqdiscover.exceptions import DataError

# Noise-free data: least squares on the true terms is exact to rounding.
RTOL_EXACT = 1e-6


def uniform_frame(columns, low, high, seed=0, n_samples=5000):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({c: rng.uniform(low, high, n_samples) for c in columns})


def assert_exact(formula):
    truth = formula.details["truth"]
    assert truth["terms_match"], f"{formula}: {truth['summary']}"
    for row in truth["terms"]:
        assert_allclose(row["found"], row["true"], rtol=RTOL_EXACT, err_msg=row["term"])


@pytest.mark.parametrize(
    "inputs, truth",
    [
        (["mu", "Nn"], "mu*Nn"),  # Feynman I.12.1
        (["m", "g", "z"], "m*g*z"),  # Feynman I.14.3
        (["p", "V"], "3/2*p*V"),  # Feynman I.39.1
    ],
)
def test_feynman_products_with_the_default_library(inputs, truth):
    frame = uniform_frame(inputs, 1.0, 5.0)
    frame["y"] = np.prod(frame[inputs].to_numpy(), axis=1)
    if truth.startswith("3/2"):
        frame["y"] *= 1.5
    formula = fit(frame, "y", truth=truth)
    assert_exact(formula)


def test_two_inputs_with_a_cross_product():
    frame = uniform_frame(["x1", "x2"], -2.0, 2.0)
    x1, x2 = frame["x1"], frame["x2"]
    frame["y"] = 0.5 * x1**2 + 3 * np.sin(x2) - 2 * x1 * x2 + 1.5
    formula = fit(frame, "y", truth="0.5*x1**2 + 3*sin(x2) - 2*x1*x2 + 1.5")
    assert_exact(formula)
    assert_allclose(formula.intercept, 1.5, rtol=RTOL_EXACT)


def test_custom_term_is_found():
    frame = uniform_frame(["t", "w"], 0.0, 3.0)
    frame["y"] = 2.0 * np.exp(-frame["t"] / 2) * np.cos(frame["w"]) + 0.5 * frame["t"]
    formula = fit(frame, "y", library="const,poly:2,exp(-t/2)*cos(w)")
    assert set(formula.coefficients) == {"t", "exp(-t/2)*cos(w)"}
    assert_allclose(formula.coefficients["exp(-t/2)*cos(w)"], 2.0, rtol=RTOL_EXACT)


def test_named_term_outside_its_domain_names_the_range():
    frame = pd.DataFrame({"x": np.linspace(-1.0, 2.0, 50)})
    frame["y"] = frame["x"] + 1
    message = (
        r"Library term log\(x\) is not finite for x in \[-1, 2\]; remove it from the "
        r"library or rescale the input\."
    )
    with pytest.raises(DataError, match=message):
        fit(frame, "y", library="const,poly:1,log")


def test_redundant_terms_are_left_out_with_the_reason():
    frame = uniform_frame(["x"], -2.0, 2.0, n_samples=500)
    frame["y"] = 3 * np.sin(frame["x"]) ** 2 + frame["x"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        formula = fit(frame, "y", library="const,poly:1,sin(x)**2,cos(x)**2,2*x")
    dropped = formula.details["library"]["dropped"]
    assert dropped == [
        {
            "term": "cos(x)**2",
            "reason": "it is a combination of 1 and sin(x)**2 on the data",
        },
        {"term": "2*x", "reason": "it is a combination of x on the data"},
    ]
    assert formula.details["library"]["terms"] == ["1", "x", "sin(x)**2"]
    assert "Left out term cos(x)**2 because it is a combination" in " ".join(
        formula.details["notes"]
    )
    assert set(formula.coefficients) == {"x", "sin(x)**2"}


def test_column_names_that_mean_something_to_sympy(tmp_path, monkeypatch):
    frame = uniform_frame(["N", "E", "lambda", "temp (F)"], 1.0, 3.0, n_samples=400)
    frame["y"] = 2 * frame["N"] - 0.5 * frame["E"] * frame["lambda"] + frame["temp (F)"]
    frame.to_csv(tmp_path / "names.csv", index=False)
    monkeypatch.chdir(tmp_path)
    arguments = ["fit", "names.csv", "-t", "y", "-o", "r.json", "--report", "r"]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output

    # A Python keyword is quoted too, so the text reads back anywhere.
    printed = result.stdout.splitlines()[0]
    assert printed == "y = -E*`lambda`/2 + 2*N + `temp (F)`"

    saved = json.loads((tmp_path / "r.json").read_text())
    names = {"N", "E*`lambda`", "`temp (F)`"}
    assert set(saved["coefficients"]) == names
    assert {t["term"] for t in saved["terms"]} == names
    assert_allclose(saved["coefficients"]["E*`lambda`"], -0.5, rtol=RTOL_EXACT)
    assert r"\text{temp (F)}" in saved["latex"]
    assert r"E \lambda" in saved["latex"]

    report = (tmp_path / "r" / "report.md").read_text()
    assert "`` `temp (F)` ``" in report
    assert "`` E*`lambda` ``" in report
