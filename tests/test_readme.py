"""The README's Python examples run and give what the README shows.

The examples are the project's own documentation, run as code on purpose, in
the way doctest runs docstring examples. They run in a temporary folder that
links to the bundled datasets, so that files they save stay out of the
repository.
"""

import ast
import re
from fractions import Fraction

import numpy as np
import pytest
from numpy.testing import assert_allclose

from .conftest import REPOSITORY

README = (REPOSITORY / "README.md").read_text()
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def readme_comment(code):
    """Return the comment after the first README line that starts with ``code``."""
    for block in PYTHON_BLOCKS:
        for line in block.splitlines():
            if line.startswith(code) and "  # " in line:
                return line.split("  # ", 1)[1]
    raise AssertionError(f"README has no commented line starting with {code!r}")


@pytest.fixture
def run_blocks(tmp_path, monkeypatch):
    """Run README blocks in order in one namespace, as a reader would."""
    (tmp_path / "datasets").symlink_to(REPOSITORY / "datasets")
    monkeypatch.chdir(tmp_path)
    namespace = {}

    def run(*indices):
        for index in indices:
            code = compile(PYTHON_BLOCKS[index], "README.md", "exec")
            exec(code, namespace)  # noqa: S102
        return namespace

    return run


def test_readme_has_python_examples():
    assert len(PYTHON_BLOCKS) == 6


def test_readme_fit_values(run_blocks):
    namespace = run_blocks(0)
    formula = namespace["formula"]
    readme_formula = readme_comment("print(formula)").removeprefix("dist = ")
    readme_coefficients = dict(
        reversed(term.split("*", 1)) for term in readme_formula.split(" + ")
    )
    assert list(formula.coefficients) == ["speed", "speed**2"]
    for term, value in formula.coefficients.items():
        assert_allclose(value, float(readme_coefficients[term]), rtol=1e-12)
    assert formula.compare("0.09*speed**2 + 1.2*speed").terms_match


def test_readme_save_load_values(run_blocks, tmp_path):
    namespace = run_blocks(0, 1)
    assert (tmp_path / "cars.json").is_file()
    speeds = {"speed": [10.0, 20.0]}
    expected = namespace["formula"].predict(speeds)
    assert_allclose(namespace["loaded"].predict(speeds), expected, rtol=1e-12)


def test_readme_estimator_values(run_blocks):
    namespace = run_blocks(2)
    model = namespace["model"]
    names = ast.literal_eval(readme_comment("model.get_feature_names_out()"))
    assert model.get_feature_names_out().tolist() == names
    coef = ast.literal_eval(readme_comment("model.coef_"))
    assert_allclose(model.coef_, coef, rtol=1e-9, atol=1e-12)
    support = ast.literal_eval(readme_comment("model.support_"))
    assert model.support_.tolist() == support
    assert_allclose(model.intercept_, 1.0, rtol=1e-9)
    assert_allclose(model.score(namespace["X"], namespace["y"]), 1.0, rtol=1e-12)


def test_readme_network_values(run_blocks):
    namespace = run_blocks(3)
    coef, intercept = namespace["net"].collapse()
    assert_allclose(coef, [5 / 9], rtol=1e-6)
    assert_allclose(intercept, -160 / 9, rtol=1e-6)
    assert Fraction(coef[0]).limit_denominator(100) == Fraction(5, 9)
    assert Fraction(intercept).limit_denominator(100) == Fraction(-160, 9)
    names = ast.literal_eval(readme_comment("library.get_feature_names_out()"))
    assert namespace["library"].get_feature_names_out().tolist() == names


def test_readme_solver_values(run_blocks):
    namespace = run_blocks(4)
    path = namespace["path"]
    assert path.coef.shape == (3, 3)
    assert np.all(path.coef[2] == 0.0)
    assert path.coef[0, 1] == 0.0
    for fitted in (namespace["rows"], namespace["statistics"]):
        assert_allclose(fitted.coef_, [1.99888, 0.0, -0.99891], atol=5e-6)
        assert fitted.coef_[1] == 0.0


def test_readme_transform_values(run_blocks):
    namespace = run_blocks(5)
    gravity, in_logs = namespace["gravity"], namespace["in_logs"]
    assert str(gravity) == readme_comment("print(gravity)")
    stage = readme_comment('gravity.details["transforms"]["stage"]')
    assert gravity.details["transforms"]["stage"] == ast.literal_eval(stage)
    assert in_logs.transform == ast.literal_eval(readme_comment("in_logs.transform"))
    coefficients = ast.literal_eval(readme_comment("in_logs.coefficients"))
    assert list(in_logs.coefficients) == list(coefficients)
    for term, value in coefficients.items():
        assert_allclose(in_logs.coefficients[term], value, rtol=1e-9)
