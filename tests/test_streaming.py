"""Fits from a CSV read in chunks, against fits of the whole table in memory."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from numpy.testing import assert_allclose

from eqdiscover import fit, generate
from eqdiscover.cli import main
from eqdiscover.data import write_generated
from eqdiscover.exceptions import DataError
from eqdiscover.streaming import scan_csv

CHUNK_NOTE = (
    "Read the rows in chunks, so the maximum absolute error was not computed; it "
    "would need a second pass over the rows."
)


def write_task(folder, name, n_samples, seed=0, noise=0.0):
    frame, metadata = generate(name, n_samples=n_samples, seed=seed, noise=noise)
    path, _ = write_generated(frame, metadata, folder / f"{name}.csv")
    return path


@pytest.mark.parametrize(
    "name, n_samples, chunk_rows",
    [
        ("sine_cubic_mix", 60, 1),
        ("sine_cubic_mix", 500, 7),
        ("sine_cubic_mix", 500, 128),
        ("sine_cubic_mix", 500, 500),
        ("quadratic", 500, 333),
        ("sine_square", 500, 100),
    ],
)
def test_chunked_fit_matches_whole_table(tmp_path, name, n_samples, chunk_rows):
    path = write_task(tmp_path, name, n_samples, seed=1)
    whole = fit(path)
    chunked = fit(path, chunk_rows=chunk_rows)
    assert chunked.details["truth"]["terms_match"]
    assert list(chunked.coefficients) == list(whole.coefficients)
    for term, value in whole.coefficients.items():
        assert_allclose(chunked.coefficients[term], value, rtol=1e-10, err_msg=term)
    assert_allclose(chunked.intercept, whole.intercept, rtol=1e-10, atol=1e-14)
    assert chunked.details["data"] == whole.details["data"]
    assert chunked.details["notes"] == [CHUNK_NOTE] + whole.details["notes"]


def test_chunked_metrics_from_statistics(tmp_path):
    path = write_task(tmp_path, "quadratic", 1000, seed=2, noise=0.05)
    whole = fit(path).details["metrics"]
    chunked = fit(path, chunk_rows=300).details["metrics"]
    # Both are sums of squares of the same residuals, summed in other orders.
    assert_allclose(chunked["r2"], whole["r2"], rtol=1e-12)
    assert_allclose(chunked["rmse"], whole["rmse"], rtol=1e-9)
    assert chunked["max_abs_error"] is None
    assert chunked["n_samples"] == 1000


def write_frame(folder, frame, name="table.csv"):
    path = folder / name
    frame.to_csv(path, index=False)
    return path


def noisy_table(n_rows=50):
    x = np.linspace(0.0, 2.0, n_rows)
    return pd.DataFrame({"x": x, "y": 3.0 * x + 1.0})


def test_scan_leaves_out_index_constant_and_missing(tmp_path):
    frame = noisy_table(50)
    frame.insert(0, "rownames", np.arange(1, 51))
    frame["flat"] = 4.0
    frame.loc[[3, 31], "y"] = np.nan
    path = write_frame(tmp_path, frame)
    scan = scan_csv(path, target="y", library="const,poly:2", chunk_rows=16)
    assert scan.notes == [
        (
            "Left out column 'rownames' because it numbers the rows; name it in "
            "--inputs to use it."
        ),
        "Dropped 2 of 50 rows with missing values.",
        "Left out column 'flat' because it is constant (4).",
    ]
    assert list(scan.inputs.columns) == ["x"]
    assert scan.n_rows_read == 50
    assert scan.n_samples == 48
    assert scan.statistics.n_samples == 48
    assert scan.feature_library.get_feature_names_out().tolist() == ["1", "x", "x**2"]
    assert scan.statistics.n_features == 2
    assert_allclose(scan.inputs["x"], [0.0, 2.0])


def test_scan_keeps_index_that_skips_a_row(tmp_path):
    frame = noisy_table(40)
    frame.insert(0, "index", np.arange(40))
    frame.loc[25, "index"] = 99
    path = write_frame(tmp_path, frame)
    scan = scan_csv(path, target="y", library="const,poly:1", chunk_rows=10)
    assert list(scan.inputs.columns) == ["index", "x"]


def test_scan_non_numeric_names_file_row(tmp_path):
    frame = noisy_table(30).astype(object)
    frame.loc[22, "x"] = "n/a?"
    path = write_frame(tmp_path, frame)
    message = r"Column 'x' has the non-numeric value 'n/a\?' in data row 23"
    with pytest.raises(DataError, match=message):
        scan_csv(path, target="y", library="const,poly:1", chunk_rows=10)


@pytest.mark.parametrize(
    "change, kwargs, message",
    [
        ({"y": 2.0}, {}, r"Target column 'y' is constant \(2\)"),
        ({"flat": 4.0}, {"inputs": ["x", "flat"]}, "Input column 'flat' is constant"),
        ({}, {"target": "z"}, "Target column 'z' not found; the columns are 'x', 'y'"),
        ({}, {"inputs": ["w"]}, "Input column 'w' not found"),
        ({"x": 1.0}, {}, "No input columns besides the target 'y' vary"),
    ],
)
def test_chunked_fit_rejects_bad_tables(tmp_path, change, kwargs, message):
    frame = noisy_table(30)
    for column, value in change.items():
        frame[column] = value
    path = write_frame(tmp_path, frame)
    settings = {"target": "y", **kwargs}
    with pytest.raises(DataError, match=message):
        fit(path, settings.pop("target"), chunk_rows=7, **settings)


def test_chunked_fit_rejects_infinity(tmp_path):
    path = tmp_path / "table.csv"
    rows = [f"{x},{2 * x}" for x in range(20)] + ["inf,3"]
    path.write_text("x,y\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError, match="Column 'x' contains infinite values"):
        fit(path, "y", chunk_rows=8)


@pytest.mark.parametrize("text", ["", "x,y\n"])
def test_chunked_fit_rejects_empty_files(tmp_path, text):
    path = tmp_path / "table.csv"
    path.write_text(text)
    message = "is empty" if not text else "has a header but no data rows"
    with pytest.raises(DataError, match=message):
        fit(path, "y", chunk_rows=8)


def test_chunked_fit_leaves_out_overflowing_term(tmp_path):
    x = np.linspace(800, 1000, 50)
    path = write_frame(tmp_path, pd.DataFrame({"x": x, "y": 2 * x + 1}))
    formula = fit(path, "y", chunk_rows=9)
    assert "exp(x)" not in formula.details["library"]["terms"]
    assert formula.details["notes"] == [
        CHUNK_NOTE,
        "Left out term exp(x) because it is not finite for x in [800, 1000].",
    ]
    assert_allclose(formula.predict({"x": x}), 2 * x + 1, rtol=1e-10)


@pytest.mark.parametrize("chunk_rows", [0, 2.5, "10"])
def test_fit_rejects_bad_chunk_rows(tmp_path, chunk_rows):
    path = write_frame(tmp_path, noisy_table(20))
    with pytest.raises(DataError, match="Invalid chunk_rows"):
        fit(path, "y", chunk_rows=chunk_rows)


def test_cli_chunk_rows_prints_same_formula(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    runner.invoke(main, ["generate", "sine_square", "--rows", "400", "--seed", "2"])
    whole = runner.invoke(main, ["fit", "sine_square.csv", "-o", "whole.json"])
    chunked = runner.invoke(
        main, ["fit", "sine_square.csv", "--chunk-rows", "64", "-o", "chunked.json"]
    )
    assert whole.exit_code == 0
    assert chunked.exit_code == 0
    assert chunked.stdout.startswith("y = ")
    assert f"Note: {CHUNK_NOTE}" in chunked.stderr
    whole_result = json.loads((tmp_path / "whole.json").read_text())
    chunked_result = json.loads((tmp_path / "chunked.json").read_text())
    assert chunked_result["metrics"]["max_abs_error"] is None
    whole_coefficients = whole_result["coefficients"]
    chunked_coefficients = chunked_result["coefficients"]
    assert list(chunked_coefficients) == list(whole_coefficients)
    for term, value in whole_coefficients.items():
        assert_allclose(chunked_coefficients[term], value, rtol=1e-10, err_msg=term)


def test_cli_rejects_zero_chunk_rows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    runner.invoke(main, ["generate", "linear", "--rows", "50"])
    result = runner.invoke(main, ["fit", "linear.csv", "--chunk-rows", "0"])
    assert result.exit_code == 2
    assert "Invalid value for '--chunk-rows'" in result.stderr
