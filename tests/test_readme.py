"""The README's Python examples run and give what the README shows.

The examples are the project's own documentation, run as code on purpose, in
the way doctest runs docstring examples.
"""

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose

from .conftest import REPOSITORY

README = (REPOSITORY / "README.md").read_text()
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def test_readme_has_python_examples():
    assert len(PYTHON_BLOCKS) == 3


@pytest.mark.parametrize("block", PYTHON_BLOCKS)
def test_readme_python_example_runs(block, monkeypatch):
    monkeypatch.chdir(REPOSITORY)
    namespace = {}
    exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102


def test_readme_api_values(monkeypatch):
    monkeypatch.chdir(REPOSITORY)
    namespace = {}
    exec(compile(PYTHON_BLOCKS[0], "README.md", "exec"), namespace)  # noqa: S102
    formula = namespace["formula"]
    readme_formula = README.split("# dist = ")[1].splitlines()[0]
    readme_coefficients = dict(
        reversed(term.split("*", 1)) for term in readme_formula.split(" + ")
    )
    assert list(formula.coefficients) == ["speed", "speed**2"]
    for term, value in formula.coefficients.items():
        assert_allclose(value, float(readme_coefficients[term]), rtol=1e-12)
    exec(compile(PYTHON_BLOCKS[1], "README.md", "exec"), namespace)  # noqa: S102
    coef, intercept = namespace["net"].collapse()
    np.testing.assert_allclose(coef, [5 / 9], rtol=1e-6)
    np.testing.assert_allclose(intercept, -160 / 9, rtol=1e-6)


def test_readme_solver_values(monkeypatch):
    monkeypatch.chdir(REPOSITORY)
    namespace = {}
    exec(compile(PYTHON_BLOCKS[2], "README.md", "exec"), namespace)  # noqa: S102
    path = namespace["path"]
    assert path.coef.shape == (3, 3)
    assert np.all(path.coef[2] == 0.0)
    assert path.coef[0, 1] == 0.0
    for fitted in (namespace["rows"], namespace["statistics"]):
        assert_allclose(fitted.coef_, [1.99888, 0.0, -0.99891], atol=5e-6)
        assert fitted.coef_[1] == 0.0
