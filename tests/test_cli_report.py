"""The report options of ``eqdiscover fit`` and the ``eqdiscover report`` command."""

import json
import re
import shlex

import pytest
from click.testing import CliRunner

from eqdiscover.cli import main

from .conftest import REPOSITORY


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def fitted(tmp_path, monkeypatch):
    """A Fahrenheit to Celsius fit with its result JSON and report folder."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    arguments = ["generate", "fahrenheit_celsius", "--rows", "500", "-o", "f.csv"]
    assert runner.invoke(main, arguments).exit_code == 0
    arguments = [
        "fit",
        "f.csv",
        "-o",
        "r.json",
        "--report",
        "fit",
        "--format",
        "md,tex",
    ]
    result = runner.invoke(main, arguments)
    assert result.exit_code == 0, result.output
    assert "Wrote the report to fit (report.md, report.tex and figures)." in (
        result.stderr
    )
    return tmp_path


def folder_files(folder):
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_report_command_rebuilds_the_fit_report(runner, fitted):
    arguments = ["report", "r.json", "--data", "f.csv", "--report", "rebuilt"]
    result = runner.invoke(main, [*arguments, "--format", "md,tex"])
    assert result.exit_code == 0, result.output
    original = folder_files(fitted / "fit")
    rebuilt = folder_files(fitted / "rebuilt")
    assert sorted(original) == [
        "figures/found-vs-measured.png",
        "figures/loss.png",
        "figures/path.png",
        "figures/residuals-1.png",
        "report.md",
        "report.tex",
    ]
    for name in original:
        assert rebuilt[name] == original[name], name


def test_report_command_without_data(runner, fitted):
    result = runner.invoke(main, ["report", "r.json"])
    assert result.exit_code == 0, result.output
    folder = fitted / "reports" / "r"
    assert sorted(folder_files(folder)) == [
        "figures/loss.png",
        "figures/path.png",
        "report.md",
    ]
    markdown = (folder / "report.md").read_text()
    assert (
        "Rebuild it with `eqdiscover report RESULT.json --data DATA.csv`." in markdown
    )
    fit_markdown = (fitted / "fit" / "report.md").read_text()
    assert (
        markdown.split("## Fit on the training rows")[0]
        == (fit_markdown.split("## Fit on the training rows")[0])
    )


def test_format_alone_writes_to_reports(runner, fitted):
    result = runner.invoke(main, ["fit", "f.csv", "--format", "tex"])
    assert result.exit_code == 0, result.output
    assert sorted(folder_files(fitted / "reports" / "f")) == [
        "figures/found-vs-measured.png",
        "figures/loss.png",
        "figures/path.png",
        "figures/residuals-1.png",
        "report.tex",
    ]


def test_existing_report_needs_force(runner, fitted):
    before = folder_files(fitted / "fit")
    result = runner.invoke(main, ["report", "r.json", "--report", "fit"])
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: Output folder 'fit' already exists; pass --force to replace it.\n"
    )
    assert folder_files(fitted / "fit") == before

    result = runner.invoke(main, ["report", "r.json", "--report", "fit", "--force"])
    assert result.exit_code == 0, result.output
    assert sorted(folder_files(fitted / "fit")) == [
        "figures/loss.png",
        "figures/path.png",
        "report.md",
    ]


def test_bad_result_writes_nothing(runner, fitted):
    saved = json.loads((fitted / "r.json").read_text())
    saved["network"]["loss_history"] = "falling"
    (fitted / "bad.json").write_text(json.dumps(saved))
    result = runner.invoke(main, ["report", "bad.json", "--report", "bad"])
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: Result file 'bad.json' has an invalid key 'network.loss_history': "
        "expected a list of items, each a number; give a result written by "
        "'eqdiscover fit --output'.\n"
    )
    assert "Traceback" not in result.output
    assert not (fitted / "bad").exists()


def test_data_without_an_input_writes_nothing(runner, fitted):
    (fitted / "other.csv").write_text("x,celsius\n1,2\n2,3\n")
    arguments = ["report", "r.json", "--data", "other.csv", "--report", "other"]
    result = runner.invoke(main, arguments)
    assert result.exit_code == 2
    assert "fahrenheit" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (fitted / "other").exists()


def test_unknown_format_rejected(runner, fitted):
    result = runner.invoke(main, ["report", "r.json", "--format", "md,pdf"])
    assert result.exit_code == 2
    assert "'md,pdf' is not a list of report formats" in result.stderr
    assert not (fitted / "reports").exists()


def test_report_file_name_rejected(runner, fitted):
    result = runner.invoke(main, ["fit", "f.csv", "--report", "cars.md"])
    assert result.exit_code == 2
    assert "give a folder such as 'cars'" in result.stderr
    assert not (fitted / "cars.md").exists()


def test_report_folder_holding_data_rejected(runner, fitted):
    (fitted / "fit" / "f.csv").write_bytes((fitted / "f.csv").read_bytes())
    arguments = ["fit", "fit/f.csv", "--report", "fit", "--force"]
    result = runner.invoke(main, arguments)
    assert result.exit_code == 2
    assert "would contain" in result.stderr
    assert (fitted / "fit" / "f.csv").exists()


def readme_report_line():
    """Return the README's shell line that runs ``eqdiscover report``."""
    text = (REPOSITORY / "README.md").read_text()
    for line in re.findall(r"```bash\n(.*?)\n```", text, flags=re.DOTALL):
        if "eqdiscover report" in line:
            return [shlex.split(part) for part in line.split(" && ")]
    raise AssertionError("README has no line running 'eqdiscover report'")


def test_readme_report_example(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    commands = readme_report_line()
    assert [c[:2] for c in commands] == [
        ["eqdiscover", "generate"],
        ["eqdiscover", "fit"],
        ["eqdiscover", "report"],
    ]
    for command in commands:
        result = runner.invoke(main, command[1:])
        assert result.exit_code == 0, result.output
    assert sorted(folder_files(tmp_path / "reports" / "f")) == [
        "figures/found-vs-measured.png",
        "figures/loss.png",
        "figures/path.png",
        "figures/residuals-1.png",
        "report.md",
        "report.tex",
    ]
