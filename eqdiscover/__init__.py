"""eqdiscover: find the formula behind a table of measurements."""

from ._version import __version__
from .data import Dataset, generate, read_csv
from .estimator import EquationRegressor
from .exceptions import (
    ConvergenceWarning,
    DataError,
    DataTypeError,
    EqdiscoverError,
    ParseError,
)
from .formula import Formula, load
from .library import FeatureLibrary
from .network import SparseLinearNetwork
from .pipeline import fit
from .statistics import Statistics

__all__ = [
    "ConvergenceWarning",
    "DataError",
    "DataTypeError",
    "Dataset",
    "EqdiscoverError",
    "EquationRegressor",
    "FeatureLibrary",
    "Formula",
    "ParseError",
    "SparseLinearNetwork",
    "Statistics",
    "__version__",
    "fit",
    "generate",
    "load",
    "read_csv",
]
