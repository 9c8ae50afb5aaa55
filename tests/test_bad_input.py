"""Bad input at the command line: one sentence, exit status 2, nothing written."""

import json
import re

import pytest
from click.testing import CliRunner

import eqdiscover
from eqdiscover.cli import main
from eqdiscover.exceptions import ParseError

LINEAR = "x,y\n" + "".join(f"{i},{2 * i + 1}\n" for i in range(1, 21))

# Each case: file name, file content, extra arguments, and the whole error line
# (a pattern where the line contains a byte position).
CASES = [
    (
        "missing",
        None,
        [],
        "Error: File 'missing.csv' not found; check the path.",
    ),
    (
        "empty",
        "",
        [],
        "Error: File 'empty.csv' is empty; give a CSV with a header row and data.",
    ),
    (
        "binary",
        b"x,y\n\x00\xff\xfe,1\n",
        [],
        re.compile(
            r"Error: File 'binary\.csv' is not a readable CSV \('utf-8' codec "
            r"can't decode byte 0xff in position \d+: invalid start byte\); check "
            r"its format\."
        ),
    ),
    (
        "header",
        "x,y\n",
        [],
        "Error: File 'header.csv' has a header but no data rows; add rows of values.",
    ),
    (
        "target",
        LINEAR,
        ["-t", "z"],
        "Error: Target column 'z' not found; the columns are 'x', 'y'.",
    ),
    (
        "duplicate",
        "x,x,y\n1,2,3\n2,3,4\n",
        [],
        (
            "Error: Column name 'x' appears more than once in 'duplicate.csv'; rename "
            "the columns so that each is unique."
        ),
    ),
    (
        "text",
        "x,y\n1,2\n2,abc\n3,4\n",
        [],
        (
            "Error: Column 'y' has the non-numeric value 'abc' in data row 2; fix the "
            "value or leave the column out with --inputs."
        ),
    ),
    (
        "hole",
        "x,y\n1,3\n2,\n3,7\n4,9\n",
        ["--nan", "error"],
        (
            "Error: Column 'y' is empty or NaN in data row 2; fill in the value, or "
            "pass --nan drop to drop such rows."
        ),
    ),
    (
        "infinite",
        "x,y\n1,2\n2,inf\n3,4\n",
        [],
        "Error: Column 'y' contains infinite values; remove or replace them.",
    ),
    (
        "few",
        "x,y\n1,2\n2,3\n3,4\n",
        [],
        (
            "Error: Only 3 rows for 7 library terms; give more rows than terms, or a "
            "smaller --library."
        ),
    ),
    (
        "flat",
        "x,y\n1,5\n2,5\n3,5\n4,5\n",
        [],
        "Error: Target column 'y' is constant (5); there is no formula to find.",
    ),
    (
        "constant",
        "x,c,y\n" + "".join(f"{i},7,{2 * i}\n" for i in range(1, 11)),
        ["--inputs", "x,c"],
        (
            "Error: Input column 'c' is constant (7), so it cannot explain the target; "
            "leave it out of --inputs."
        ),
    ),
    (
        "overflow",
        "x,y\n" + "".join(f"{800 + i},{2 * i}\n" for i in range(20)),
        ["--library", "const,poly:1,exp"],
        (
            "Error: Library term exp(x) is not finite for x in [800, 819]; remove it "
            "from the library or rescale the input."
        ),
    ),
    (
        "truth",
        LINEAR,
        ["--truth", "2*(x"],
        "Error: Expected ')' but found the end at position 4 in formula '2*(x'.",
    ),
    (
        "unknown",
        LINEAR,
        ["--truth", "2*q"],
        (
            "Error: Unknown name 'q' at position 2 (known names: x; functions: sin, "
            "cos, tan, exp, log, sqrt, abs, sinh, cosh, tanh, asin, acos, atan) in "
            "formula "
            "'2*q'."
        ),
    ),
]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    "name, content, arguments, message", CASES, ids=[c[0] for c in CASES]
)
@pytest.mark.parametrize("chunks", [[], ["--chunk-rows", "2"]], ids=["whole", "chunks"])
def test_bad_input_names_the_value_and_the_fix(
    workdir, name, content, arguments, message, chunks
):
    path = workdir / f"{name}.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    target = [] if "-t" in arguments else ["-t", "y"]
    outputs = ["-o", "out.json", "--report", "report"]
    command = ["fit", path.name, *target, *arguments, *outputs, *chunks]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 2, result.output
    pattern = message if isinstance(message, re.Pattern) else re.escape(message)
    assert re.fullmatch(pattern, result.stderr.removesuffix("\n")), result.stderr
    assert result.stdout == ""
    assert not (workdir / "out.json").exists()
    assert not (workdir / "report").exists()


def test_missing_cells_are_dropped_with_a_count(workdir):
    (workdir / "hole.csv").write_text("x,y\n1,3\n2,\n3,7\n4,9\n5,11\n")
    result = CliRunner().invoke(
        main, ["fit", "hole.csv", "-t", "y", "--library", "const,poly:1"]
    )
    assert result.exit_code == 0, result.output
    assert "Note: Dropped 1 of 5 rows with missing values." in result.stderr
    assert result.stdout.splitlines()[0] == "y = 2*x + 1"


@pytest.fixture
def marker(workdir):
    return workdir / "MARKER"


def test_code_in_a_truth_formula_runs_nothing(workdir, marker):
    (workdir / "linear.csv").write_text(LINEAR)
    truth = f"__import__('os').system('touch {marker}')"
    result = CliRunner().invoke(
        main, ["fit", "linear.csv", "-t", "y", "--truth", truth]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: Invalid character")
    assert not marker.exists()


def test_code_in_a_custom_term_runs_nothing(workdir, marker):
    (workdir / "linear.csv").write_text(LINEAR)
    library = f"const,x*__import__('os').system('touch {marker}')"
    result = CliRunner().invoke(
        main, ["fit", "linear.csv", "-t", "y", "--library", library]
    )
    assert result.exit_code == 2
    assert "does not parse" in result.stderr
    assert not marker.exists()


def test_code_in_a_saved_result_runs_nothing(workdir, marker):
    (workdir / "linear.csv").write_text(LINEAR)
    result = CliRunner().invoke(main, ["fit", "linear.csv", "-t", "y", "-o", "r.json"])
    assert result.exit_code == 0, result.output
    saved = json.loads((workdir / "r.json").read_text())
    saved["terms"][0]["term"] = f"__import__('os').system('touch {marker}')"
    (workdir / "evil.json").write_text(json.dumps(saved))

    with pytest.raises(ParseError, match="Invalid character"):
        eqdiscover.load(workdir / "evil.json")
    result = CliRunner().invoke(main, ["report", "evil.json", "--report", "rebuilt"])
    assert result.exit_code == 2
    assert not marker.exists()
    assert not (workdir / "rebuilt").exists()


def test_same_data_and_seed_give_the_same_json(workdir):
    runner = CliRunner()
    runner.invoke(
        main, ["generate", "sine_cubic_mix", "--noise", "0.01", "-o", "s.csv"]
    )
    for name in ("first.json", "second.json"):
        result = runner.invoke(main, ["fit", "s.csv", "--seed", "3", "-o", name])
        assert result.exit_code == 0, result.output
    first = (workdir / "first.json").read_text()
    assert first == (workdir / "second.json").read_text()
    assert json.loads(first)["settings"]["random_state"] == 3


def test_nan_error_is_refused_with_the_dask_engine(workdir):
    (workdir / "linear.csv").write_text(LINEAR)
    command = ["fit", "linear.csv", "-t", "y", "--engine", "dask", "--nan", "error"]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: nan='error' is not available with the Dask engine, which drops rows "
        "with empty cells; leave nan at 'drop' or use the pandas engine.\n"
    )
