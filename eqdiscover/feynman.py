"""The equations of the Feynman Symbolic Regression Database as generators.

The table ``datasets/feynman.csv`` contains the 100 equations of Udrescu and
Tegmark's database (AI Feynman, Science Advances 2020): the equation's name,
its output, its formula in Python syntax and each input's uniform sampling
range. :func:`feynman_equations` reads it into :class:`FeynmanEquation`
objects, and :func:`eqdiscover.generate` samples one as ``feynman:NAME``.
"""

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .exceptions import DataError
from .expressions import make_symbols, parse_formula

__all__ = ["FEYNMAN_PREFIX", "FeynmanEquation", "feynman_equations"]

FEYNMAN_PREFIX = "feynman:"
# NOTE: the table is read from the repository's datasets folder, so the
# generators work in a source checkout or an editable install, not from a
# wheel.
TABLE_PATH = Path(__file__).resolve().parents[1] / "datasets" / "feynman.csv"
# Functions of the table's Python syntax under the names that
# eqdiscover.expressions.parse_formula reads.
_FUNCTION_NAMES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "ln": "log"}
_MAX_INPUTS = 10


@dataclass(frozen=True)
class FeynmanEquation:
    """One equation of the Feynman database.

    Attributes
    ----------
    name : str
        The database's file name, such as ``I.12.1``.
    target : str
        The output's name.
    formula : str
        The formula, with its function names those of the restricted parser.
    inputs : tuple of (str, float, float)
        Each input's name and the low and high end of its uniform range.
    """

    name: str
    target: str
    formula: str
    inputs: tuple

    @property
    def ranges(self):
        """Map of input name to ``[low, high]``."""
        return {name: [low, high] for name, low, high in self.inputs}


def to_parser_syntax(formula):
    """Rename the table's function names to those of the restricted parser.

    Examples
    --------
    >>> to_parser_syntax("arcsin(n*sin(theta2)) + ln(V2/V1)")
    'asin(n*sin(theta2)) + log(V2/V1)'
    """
    pattern = r"\b(" + "|".join(_FUNCTION_NAMES) + r")\b(?=\s*\()"
    return re.sub(pattern, lambda match: _FUNCTION_NAMES[match.group(1)], formula)


@functools.cache
def feynman_equations(path=TABLE_PATH):
    """Read the Feynman table into a dict of equation name to FeynmanEquation.

    Every formula is parsed once here, so that a formula the restricted parser
    cannot read fails on loading with its name.

    Raises
    ------
    DataError
        If the table is missing, or a row has an invalid variable count, range
        or formula.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(
            f"Feynman table {str(path)!r} not found; the generators read it from "
            f"the repository's datasets folder, so install eqdiscover from a "
            f"source checkout."
        )
    table = pd.read_csv(path)
    equations = {}
    for _, row in table.iterrows():
        equation = _equation(row)
        equations[equation.name] = equation
    return equations


def _equation(row):
    name = str(row["Filename"])
    count = row["# variables"]
    if not 1 <= count <= _MAX_INPUTS:
        raise DataError(f"Feynman equation {name} has an invalid variable count.")
    inputs = []
    for i in range(1, int(count) + 1):
        low, high = float(row[f"v{i}_low"]), float(row[f"v{i}_high"])
        if not low < high:
            raise DataError(
                f"Feynman equation {name} has an invalid range [{low}, {high}]."
            )
        inputs.append((str(row[f"v{i}_name"]), low, high))
    formula = to_parser_syntax(str(row["Formula"]))
    parse_formula(formula, make_symbols([n for n, _, _ in inputs]))
    return FeynmanEquation(name, str(row["Output"]), formula, tuple(inputs))


def find_equation(name):
    """Return the FeynmanEquation called ``name``, without the prefix.

    Raises
    ------
    DataError
        If no equation has that name.
    """
    equations = feynman_equations()
    if name not in equations:
        close = [n for n in equations if n.startswith(name.split(".")[0] + ".")][:5]
        hint = f" such as {', '.join(close)}" if close else ""
        raise DataError(
            f"Unknown Feynman equation {name!r}; give a name from "
            f"datasets/feynman.csv{hint}."
        )
    return equations[name]
