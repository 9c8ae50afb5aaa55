"""Fits on a Dask cluster, against fits of the whole table in one process.

The cluster has two worker processes and listens on 127.0.0.1 only, with no
dashboard. It is shared by the tests of this module and closed after them.
"""

import json
import logging
import re
import sys
from pathlib import Path

import dask.dataframe as dd
import distributed
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from numpy.testing import assert_allclose

from eqdiscover import fit, generate
from eqdiscover.cli import main
from eqdiscover.exceptions import DataError

DASK_NOTE = (
    "Read the rows in Dask partitions, so the maximum absolute error was not "
    "computed; it would need a second pass over the rows."
)
N_FILES = 4
# The terms of the table's formula, and one more: a small library keeps the
# training short.
LIBRARY = "const,poly:2,sin"


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.CRITICAL,
    ) as local:
        yield local


@pytest.fixture(scope="module")
def table():
    frame, _ = generate("sine_cubic_mix", n_samples=4000, seed=3, noise=0.01)
    return frame


@pytest.fixture(scope="module")
def whole(table):
    """The fit of the whole table in this process."""
    return fit(table, "y", library=LIBRARY)


def write_parts(folder, frame, n_files=N_FILES, suffix="csv"):
    """Write the rows of ``frame`` in order over ``n_files`` files."""
    folder.mkdir(exist_ok=True)
    for i, part in enumerate(np.array_split(np.arange(len(frame)), n_files)):
        rows = frame.iloc[part]
        path = folder / f"part{i}.{suffix}"
        if suffix == "csv":
            rows.to_csv(path, index=False, float_format="%.17g")
        else:
            rows.to_parquet(path, index=False)
    return str(folder / f"*.{suffix}")


def assert_same_formula(found, expected):
    assert list(found.coefficients) == list(expected.coefficients)
    for term, value in expected.coefficients.items():
        assert_allclose(found.coefficients[term], value, rtol=1e-10, err_msg=term)
    assert_allclose(found.intercept, expected.intercept, rtol=1e-10)


def test_multi_file_fit_matches_one_process(tmp_path, cluster, table, whole):
    pattern = write_parts(tmp_path / "logs", table)
    found = fit(
        pattern,
        "y",
        engine="dask",
        scheduler=cluster.scheduler_address,
        library=LIBRARY,
    )
    assert_same_formula(found, whole)
    assert found.details["notes"] == [DASK_NOTE]
    assert found.details["data"]["n_rows_read"] == 4000
    assert found.details["data"]["n_samples"] == 4000
    # Both are sums of squares of the same residuals, summed in other orders.
    assert_allclose(
        found.details["metrics"]["r2"], whole.details["metrics"]["r2"], rtol=1e-12
    )


def test_dask_frame_fits_with_current_client(tmp_path, cluster, table, whole):
    pattern = write_parts(tmp_path / "logs", table)
    frame = dd.read_csv(pattern)
    with distributed.Client(cluster):
        found = fit(frame, "y", library=LIBRARY)
    assert_same_formula(found, whole)
    assert found.details["data"]["source"] is None


def test_parquet_files_fit(tmp_path, cluster, table, whole):
    pattern = write_parts(tmp_path / "logs", table, suffix="parquet")
    found = fit(
        pattern,
        "y",
        engine="dask",
        scheduler=cluster.scheduler_address,
        library=LIBRARY,
    )
    assert_same_formula(found, whole)


def test_partitions_sum_in_chunks(tmp_path, cluster, table, whole):
    pattern = write_parts(tmp_path / "logs", table, n_files=2)
    found = fit(
        pattern,
        "y",
        engine="dask",
        scheduler=cluster.scheduler_address,
        chunk_rows=300,
        library=LIBRARY,
    )
    assert_same_formula(found, whole)


def test_progress_counts_partitions(tmp_path, cluster, table):
    pattern = write_parts(tmp_path / "logs", table)
    calls = []
    fit(
        pattern,
        "y",
        engine="dask",
        scheduler=cluster.scheduler_address,
        progress=lambda done, total: calls.append((done, total)),
        library=LIBRARY,
    )
    assert calls == [(i, N_FILES) for i in range(1, N_FILES + 1)]


def test_row_index_per_file_left_out(tmp_path, cluster, table):
    folder = tmp_path / "logs"
    folder.mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(table)), 3)):
        rows = table.iloc[part].copy()
        rows.insert(0, "rownames", np.arange(1, len(rows) + 1))
        rows.to_csv(folder / f"part{i}.csv", index=False, float_format="%.17g")
    found = fit(
        str(folder / "*.csv"), "y", engine="dask", scheduler=cluster.scheduler_address
    )
    assert found.details["notes"][0] == (
        "Left out column 'rownames' because it numbers the rows; name it in "
        "--inputs to use it."
    )
    assert list(found.details["data"]["inputs"]) == ["x"]


def write_bad_value(pattern_folder, file_number, row, value="abc"):
    """Replace the x of one data row (counted from 1) of one part file."""
    path = pattern_folder / f"part{file_number}.csv"
    lines = path.read_text().splitlines()
    fields = lines[row].split(",")
    fields[0] = value
    lines[row] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    return path


def test_bad_partition_skipped_with_note(tmp_path, cluster, table):
    folder = tmp_path / "logs"
    pattern = write_parts(folder, table)
    bad = write_bad_value(folder, 2, 12)
    found = fit(
        pattern,
        "y",
        engine="dask",
        scheduler=cluster.scheduler_address,
        library=LIBRARY,
    )
    note = (
        f"Skipped partition 3 of 4 (file {str(bad)!r}) with 1000 rows: column 'x' "
        f"has the non-numeric value 'abc' in data row 12 of the partition; fix the "
        f"value or leave the column out with --inputs."
    )
    assert found.details["notes"] == [note, DASK_NOTE]
    assert found.details["data"]["n_rows_read"] == 3000
    kept = table.drop(index=range(2000, 3000))
    assert_same_formula(found, fit(kept, "y", library=LIBRARY))


def test_strict_stops_at_bad_partition(tmp_path, cluster, table):
    folder = tmp_path / "logs"
    pattern = write_parts(folder, table)
    bad = write_bad_value(folder, 1, 5, value="1e400x")
    message = (
        f"Partition 2 of 4 (file {str(bad)!r}) is invalid: column 'x' has the "
        f"non-numeric value '1e400x' in data row 5 of the partition"
    )
    with pytest.raises(DataError, match=re.escape(message)):
        fit(
            pattern,
            "y",
            engine="dask",
            scheduler=cluster.scheduler_address,
            strict=True,
            library=LIBRARY,
        )


def test_integer_column_read_as_float(tmp_path, cluster):
    # A column of integers in the first file and decimals in the next must fit.
    folder = tmp_path / "logs"
    folder.mkdir()
    x = np.arange(400, dtype=float)
    frame = pd.DataFrame({"x": x / 7, "y": 3 * x / 7 + 2})
    frame.iloc[:200].assign(x=np.arange(200)).assign(y=lambda f: 3 * f.x + 2).to_csv(
        folder / "a.csv", index=False
    )
    frame.iloc[200:].to_csv(folder / "b.csv", index=False, float_format="%.17g")
    found = fit(
        str(folder / "*.csv"),
        "y",
        engine="dask",
        scheduler=cluster.scheduler_address,
        library="const,poly:1",
    )
    assert found.details["data"]["n_samples"] == 400
    assert_allclose(found.coefficients["x"], 3.0, rtol=1e-12)
    assert_allclose(found.intercept, 2.0, rtol=1e-12)


def test_file_with_other_columns_skipped(tmp_path, cluster, table, whole):
    folder = tmp_path / "logs"
    pattern = write_parts(folder, table)
    other = folder / "part9.csv"
    other.write_text("a,b\n1,2\n")
    found = fit(
        pattern,
        "y",
        engine="dask",
        scheduler=cluster.scheduler_address,
        library=LIBRARY,
    )
    assert found.details["notes"][0] == (
        f"Skipped file {str(other)!r} because its columns differ from those of "
        f"{str(folder / 'part0.csv')!r}."
    )
    assert_same_formula(found, whole)


def run_cli(arguments):
    return CliRunner().invoke(main, ["fit", "--library", LIBRARY, *arguments])


def assert_same_saved_formula(found_path, whole_path):
    found = json.loads(Path(found_path).read_text())
    whole = json.loads(Path(whole_path).read_text())
    assert [t["term"] for t in found["terms"]] == [t["term"] for t in whole["terms"]]
    for mine, theirs in zip(found["terms"], whole["terms"]):
        assert_allclose(mine["coefficient"], theirs["coefficient"], rtol=1e-10)


def test_cli_dask_engine_matches_pandas(tmp_path, cluster, table, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pattern = write_parts(tmp_path / "logs", table)
    table.to_csv("whole.csv", index=False, float_format="%.17g")
    whole = run_cli(["whole.csv", "--target", "y", "-o", "whole.json"])
    assert whole.exit_code == 0, whole.output
    found = run_cli(
        [
            pattern,
            "--target",
            "y",
            "--engine",
            "dask",
            "--scheduler",
            cluster.scheduler_address,
            "--output",
            "found.json",
        ]
    )
    assert found.exit_code == 0, found.output
    assert "Read 4 of 4 partitions." in found.stderr.splitlines()
    assert f"Note: {DASK_NOTE}" in found.stderr.splitlines()
    assert_same_saved_formula("found.json", "whole.json")
    saved = json.loads((tmp_path / "found.json").read_text())
    assert saved["metrics"]["max_abs_error"] is None


def test_cli_starts_local_cluster(tmp_path, table, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pattern = write_parts(tmp_path / "logs", table, n_files=2)
    table.to_csv("whole.csv", index=False, float_format="%.17g")
    run_cli(["whole.csv", "--target", "y", "-o", "whole.json"])
    result = run_cli([pattern, "-t", "y", "--engine", "dask", "-o", "found.json"])
    assert result.exit_code == 0, result.output
    assert "Read 2 of 2 partitions." in result.stderr.splitlines()
    assert_same_saved_formula("found.json", "whole.json")


def test_cli_strict_fails_without_output(tmp_path, cluster, table, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "logs"
    pattern = write_parts(folder, table)
    write_bad_value(folder, 3, 7)
    arguments = [pattern, "-t", "y", "--engine", "dask", "--strict", "-o", "r.json"]
    result = run_cli([*arguments, "--scheduler", cluster.scheduler_address])
    assert result.exit_code == 2
    error = result.stderr.splitlines()[-1]
    assert error.startswith("Error: Partition 4 of 4 (file ")
    assert "non-numeric value 'abc' in data row 7 of the partition" in error
    assert "Traceback" not in result.output
    assert not (tmp_path / "r.json").exists()


def test_cli_without_dask_says_how_to_install(tmp_path, table, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pattern = write_parts(tmp_path / "logs", table, n_files=2)
    for module in ("dask", "dask.dataframe", "distributed"):
        monkeypatch.setitem(sys.modules, module, None)
    result = run_cli([pattern, "--target", "y", "--engine", "dask"])
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: The dask engine needs Dask, which is not installed; install it "
        "with pip install 'eqdiscover[dask]'.\n"
    )


@pytest.mark.parametrize(
    "option, message",
    [
        (["--scheduler", "tcp://127.0.0.1:1"], "Option --scheduler applies"),
        (["--strict"], "Option --strict applies to the dask engine only"),
    ],
)
def test_cli_rejects_dask_options_with_pandas(tmp_path, table, option, message):
    path = tmp_path / "whole.csv"
    table.to_csv(path, index=False)
    result = run_cli([str(path), "--target", "y", *option])
    assert result.exit_code == 2
    assert message in result.stderr


def test_no_matching_files_rejected(tmp_path):
    with pytest.raises(DataError, match="No file matches .*; check the path"):
        fit(str(tmp_path / "*.csv"), "y", engine="dask")


def test_invalid_engine_rejected(table):
    with pytest.raises(DataError, match="Invalid engine 'spark'"):
        fit(table, "y", engine="spark")
