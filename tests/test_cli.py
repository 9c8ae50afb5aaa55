import json
import re
import shlex
import shutil

import pytest
import sympy as sp
from click.testing import CliRunner

from eqdiscover import __version__
from eqdiscover.cli import main

from .conftest import REPOSITORY


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def readme_command(prefix):
    """Return the arguments of the README's first shell line running ``prefix``."""
    text = (REPOSITORY / "README.md").read_text()
    for line in re.findall(r"```bash\n(.*?)\n```", text, flags=re.DOTALL):
        for part in line.split(" && "):
            if part.startswith(prefix):
                return shlex.split(part)[1:]
    raise AssertionError(f"README has no command starting with {prefix!r}")


def test_version(runner):
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"eqdiscover, version {__version__}\n"


def test_readme_first_command_fits_cars(runner, workdir):
    (workdir / "datasets").mkdir()
    shutil.copy(REPOSITORY / "datasets" / "cars.csv", workdir / "datasets")
    arguments = readme_command("eqdiscover fit")
    result = runner.invoke(main, arguments)
    assert result.exit_code == 0, result.output
    first_line = result.stdout.splitlines()[0]
    assert re.fullmatch(r"dist = [0-9.]+\*speed\*\*2 \+ [0-9.]+\*speed", first_line)
    assert "Left out column 'rownames'" in result.stderr
    report = (workdir / "reports" / "cars" / "report.md").read_text()
    assert first_line in report
    assert "| `speed**2` |" in report


def test_generate_then_fit_reports_the_truth(runner, workdir):
    result = runner.invoke(main, ["generate", "fahrenheit_celsius", "-o", "f.csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "celsius = 5*(fahrenheit - 32)/9\n"
    metadata = json.loads((workdir / "f.meta.json").read_text())
    assert metadata["inputs"] == {"fahrenheit": [0.0, 1.0]}
    assert metadata["n_samples"] == 5000

    result = runner.invoke(
        main, ["fit", "f.csv", "--output", "r.json", "--report", "r"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "celsius = 5*fahrenheit/9 - 160/9"
    assert lines[-1].startswith("truth: celsius = 5*fahrenheit/9 - 160/9 (matches: ")

    saved = json.loads((workdir / "r.json").read_text())
    symbols = {name: sp.Symbol(name) for name in saved["symbols"]}
    expression = sp.parse_expr(saved["expression"], local_dict=symbols)
    fahrenheit = symbols["fahrenheit"]
    assert float(expression.coeff(fahrenheit)) == pytest.approx(5 / 9, rel=1e-12)
    assert saved["truth"]["terms_match"] is True
    assert saved["eqdiscover_version"] == __version__
    report = (workdir / "r" / "report.md").read_text()
    assert "## Comparison with the truth" in report
    assert "| `fahrenheit` |" in report


def test_generate_options(runner, workdir):
    arguments = [
        "generate",
        "linear",
        "--rows",
        "10",
        "--seed",
        "3",
        "--noise",
        "0.1",
        "--low",
        "2",
        "--high",
        "3",
    ]
    result = runner.invoke(main, arguments)
    assert result.exit_code == 0, result.output
    metadata = json.loads((workdir / "linear.meta.json").read_text())
    assert metadata["inputs"] == {"x": [2.0, 3.0]}
    assert metadata["noise"] == 0.1
    assert metadata["seed"] == 3
    assert len((workdir / "linear.csv").read_text().splitlines()) == 11


def test_fit_with_explicit_truth_that_differs(runner, workdir):
    runner.invoke(main, ["generate", "quadratic", "--rows", "500"])
    result = runner.invoke(main, ["fit", "quadratic.csv", "--truth", "x**3"])
    assert result.exit_code == 0, result.output
    assert "(does not match: terms differ from the truth: missing x**3; extra" in (
        result.stdout
    )


def test_fit_library_without_constant(runner, workdir):
    runner.invoke(main, ["generate", "sine_square", "--rows", "300", "--seed", "1"])
    result = runner.invoke(main, ["fit", "sine_square.csv", "--library", "poly:2,sin"])
    assert result.exit_code == 0, result.output
    first_line = result.stdout.splitlines()[0]
    assert re.fullmatch(r"y = -?[0-9.]+\*x\*\*2 [+-] [0-9.]+\*sin\(x\)", first_line)


def test_verbose_logs_steps(runner, workdir):
    runner.invoke(main, ["generate", "linear", "--rows", "100"])
    result = runner.invoke(main, ["-v", "fit", "linear.csv"])
    assert result.exit_code == 0, result.output
    assert re.search(
        r"eqdiscover.pipeline: training the network took \d", result.stderr
    )


@pytest.mark.parametrize(
    "arguments, message",
    [
        (
            ["fit", "missing.csv", "--target", "y"],
            "Error: File 'missing.csv' not found; check the path.\n",
        ),
        (
            ["fit", "data.csv", "--target", "z"],
            "Error: Target column 'z' not found; the columns are 'x', 'y'.\n",
        ),
        (
            ["fit", "data.csv"],
            (
                "Error: No target column given for 'data.csv'; pass --target with "
                "one of 'x', 'y'.\n"
            ),
        ),
        (
            ["fit", "data.csv", "--target", "y", "--inputs", "x,w"],
            "Error: Input column 'w' not found; the columns are 'x', 'y'.\n",
        ),
        (
            ["fit", "data.csv", "--target", "y", "--truth", "__import__(os)"],
            "Error: Unknown name '__import__' at position 0",
        ),
        (
            ["fit", "data.csv", "--target", "y", "--truth", "__import__('os')"],
            'Error: Invalid character "\'" at position 11',
        ),
        (
            ["fit", "data.csv", "--target", "y", "--library", "poly:2,tan"],
            "Error: Unknown library item 'tan'",
        ),
        (
            ["fit", "data.csv", "--target", "y", "--layers", "2,x"],
            "Invalid value for '--layers': '2,x' is not a list of positive integers",
        ),
        (
            ["fit", "data.csv", "--target", "y", "--alpha", "-1"],
            "Invalid value for '--alpha': '-1' is not 'auto' or a number >= 0.",
        ),
        (["generate", "cubic"], "'cubic' is not one of 'fahrenheit_celsius', 'linear'"),
    ],
)
def test_bad_input_exits_with_status_2(runner, workdir, arguments, message):
    (workdir / "data.csv").write_text("x,y\n1,2\n2,4.5\n3,5\n4,8\n")
    result = runner.invoke(main, arguments)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_existing_output_is_kept_without_force(runner, workdir):
    runner.invoke(main, ["generate", "linear", "--rows", "50"])
    (workdir / "r.json").write_text("keep")
    result = runner.invoke(main, ["fit", "linear.csv", "-o", "r.json", "--report", "r"])
    assert result.exit_code == 2
    assert "Error: Output 'r.json' already exists; pass --force to overwrite it." in (
        result.stderr
    )
    assert (workdir / "r.json").read_text() == "keep"
    assert not (workdir / "r").exists()

    result = runner.invoke(main, ["fit", "linear.csv", "-o", "r.json", "--force"])
    assert result.exit_code == 0
    assert json.loads((workdir / "r.json").read_text())["target"] == "y"


def test_failed_fit_writes_nothing(runner, workdir):
    (workdir / "data.csv").write_text("x,y\n1,2\n2,2\n3,2\n")
    result = runner.invoke(
        main, ["fit", "data.csv", "-t", "y", "-o", "r.json", "--report", "r"]
    )
    assert result.exit_code == 2
    assert "Error: Target column 'y' is constant (2); there is no formula to find." in (
        result.stderr
    )
    assert sorted(p.name for p in workdir.iterdir()) == ["data.csv"]


def test_generate_refuses_to_overwrite(runner, workdir):
    assert runner.invoke(main, ["generate", "linear", "--rows", "5"]).exit_code == 0
    result = runner.invoke(main, ["generate", "linear", "--rows", "5"])
    assert result.exit_code == 2
    assert "Output 'linear.csv' already exists; pass --force" in result.stderr
    assert (
        runner.invoke(main, ["generate", "linear", "--rows", "5", "--force"]).exit_code
        == 0
    )


def test_warning_goes_to_stderr(runner, workdir):
    runner.invoke(main, ["generate", "linear", "--rows", "100"])
    result = runner.invoke(main, ["fit", "linear.csv", "--threshold", "100"])
    assert result.exit_code == 0
    assert "Warning: Pruning removed every term that varies" in result.stderr
    assert re.fullmatch(r"y = -?[0-9.]+", result.stdout.splitlines()[0])


def test_shared_output_path_rejected(runner, workdir):
    runner.invoke(main, ["generate", "linear", "--rows", "50"])
    result = runner.invoke(
        main, ["fit", "linear.csv", "-o", "s.out", "--report", "s.out"]
    )
    assert result.exit_code == 2
    assert "Output 's.out' is also an input or another output" in result.stderr
    result = runner.invoke(main, ["fit", "linear.csv", "-o", "linear.csv", "--force"])
    assert result.exit_code == 2
    assert "Output 'linear.csv' is also an input" in result.stderr
    assert not (workdir / "s.out").exists()


def test_verbose_after_the_subcommand(runner, workdir):
    runner.invoke(main, ["generate", "linear", "--rows", "100"])
    result = runner.invoke(main, ["fit", "linear.csv", "-v"])
    assert result.exit_code == 0, result.output
    assert "eqdiscover.pipeline: choosing the terms took" in result.stderr


def test_odd_column_names_print_between_backticks(runner, workdir):
    rows = ["a*b,a,b,y"]
    for i in range(40):
        a, b = 1 + i / 10, 2 - i / 20
        rows.append(f"{a * b},{a},{b},{3 * a * b + a}")
    (workdir / "odd.csv").write_text("\n".join(rows) + "\n")
    result = runner.invoke(main, ["fit", "odd.csv", "-t", "y", "--library", "poly:1"])
    assert result.exit_code == 0, result.output
    left, right = result.stdout.splitlines()[0].split(" = ")
    assert left == "y"
    assert right == "3*`a*b` + a"


def test_numpy_warnings_stay_in_log(runner, workdir):
    rows = ["x,y"] + [f"{600 + i},{3 * (600 + i) + 1}" for i in range(100)]
    (workdir / "big.csv").write_text("\n".join(rows) + "\n")
    result = runner.invoke(main, ["fit", "big.csv", "-t", "y"])
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.stderr
    assert result.stdout.startswith("y = 3*x + 1\n")


def test_report_fences_quoted_names(runner, workdir):
    rows = ["temp (F),y"] + [f"{i / 10},{2 * i / 10 + 1}" for i in range(30)]
    (workdir / "t.csv").write_text("\n".join(rows) + "\n")
    result = runner.invoke(main, ["fit", "t.csv", "-t", "y", "--report", "r"])
    assert result.exit_code == 0, result.output
    report = (workdir / "r" / "report.md").read_text()
    assert "| `` `temp (F)` `` |" in report
    assert "| `` `temp (F)`**2 `` |" in report
