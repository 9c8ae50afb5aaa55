"""The bench command on a small sample of Feynman equations."""

import csv

import pytest
from click.testing import CliRunner

from eqdiscover.bench import run_task, suite_tasks
from eqdiscover.cli import main
from eqdiscover.exceptions import EqdiscoverError


def task(name):
    (found,) = suite_tasks("feynman", [name])
    return found


@pytest.mark.parametrize("name", ["I.12.1", "I.14.3", "II.3.24"])
def test_sample_equations_are_solved_without_noise(name):
    result = run_task(task(name), 0.0, 800)
    assert result.srbench, result.formula
    assert result.r2_test > 1 - 1e-9
    assert result.reason == ""


def test_unsolved_fit_gets_a_reason():
    result = run_task(task("I.8.14"), 0.1, 400)
    assert not result.srbench
    assert result.reason in ("not expressible", "wrong terms", "constants off")


def test_unknown_equation_is_rejected():
    with pytest.raises(EqdiscoverError, match="Unknown equation 'I.0.0'"):
        suite_tasks("feynman", ["I.0.0"])


def test_cli_bench_writes_table_and_csv(tmp_path):
    arguments = ["bench", "--equations", "I.12.1", "--noise", "0,0.01"]
    arguments += ["--rows", "400", "--output", str(tmp_path)]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    assert "[2/2] I.12.1" in result.stderr
    assert "(##########.......... about" in result.stderr
    assert "(#################### about 0 min left)" in result.stderr
    assert "| 0 | 1 | 1 (100.0 %) |" in result.stdout
    with open(tmp_path / "results.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [row["noise"] for row in rows] == ["0.0", "0.01"]
    assert rows[0]["srbench"] == "True"


def test_cli_bench_rejects_bad_noise_levels():
    result = CliRunner().invoke(main, ["bench", "--noise", "0,x"])
    assert result.exit_code == 2
    assert "is not a list of noise levels" in result.stderr
