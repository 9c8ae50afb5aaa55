"""Checks of the X and y arrays that EquationRegressor receives.

Each check turns an input into a float64 array or raises a DataError, a
ValueError, with one sentence that names the problem and the fix. Some
messages contain the phrases that scikit-learn's estimator checks look for,
such as "Complex data not supported" and "Reshape your data".
"""

import warnings

import numpy as np
import pandas as pd

from .exceptions import DataError, DataTypeError

__all__ = ["as_float_matrix", "as_float_vector", "column_names"]


def column_names(X):
    """Return the column names of a DataFrame whose names are all text, else None."""
    if isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns):
        return [str(c) for c in X.columns]
    return None


def _is_sparse(data):
    return type(data).__module__.startswith("scipy.sparse")


def _check_kind(dtype, name):
    if dtype.kind == "c":
        raise DataError(
            f"Complex data not supported in {name}; give the real and imaginary "
            f"parts as separate columns."
        )
    if dtype.kind in "mM" or isinstance(dtype, pd.DatetimeTZDtype):
        raise DataError(
            f"{name} contains dates or durations; convert them to numbers, such "
            f"as seconds since the first sample."
        )
    if dtype.kind in "US":
        raise DataError(f"{name} contains text; give numbers only.")


def _to_float(data, name):
    """Convert an array or DataFrame to a float64 ndarray, checking element types."""
    if data is None:
        raise DataError(f"{name} is None; pass an array of numbers.")
    if _is_sparse(data):
        raise DataError(
            f"{name} is a sparse matrix, which is not supported; convert it with "
            f"{name}.toarray()."
        )
    if isinstance(data, pd.DataFrame):
        for dtype in data.dtypes:
            _check_kind(dtype, name)
        convert = data.to_numpy
    else:
        try:
            array = np.asarray(data)
        except ValueError as error:
            raise DataError(
                f"{name} is not a rectangular array ({error}); give every sample "
                f"the same number of values."
            ) from None
        _check_kind(array.dtype, name)
        convert = array.astype
    try:
        return np.asarray(convert(dtype=float), dtype=float)
    except TypeError as error:
        raise DataTypeError(
            f"{name} contains a value that is not a number ({error}); give numbers "
            f"only."
        ) from None
    except ValueError as error:
        raise DataError(
            f"{name} contains a value that is not a number ({error}); give numbers "
            f"only."
        ) from None


def _check_finite(array, name):
    bad = ~np.isfinite(array)
    if bad.any():
        position = tuple(int(i) for i in np.argwhere(bad)[0])
        raise DataError(
            f"{name} contains NaN or infinity at index {position}; remove or "
            f"replace those values."
        )


def as_float_matrix(X, *, min_samples=1):
    """Return ``X`` as a finite float64 array of shape (n_samples, n_features).

    Raises
    ------
    DataError
        If ``X`` is not 2-D, is empty, has fewer than ``min_samples`` rows, is
        sparse or complex, or contains NaN or infinity.
    DataTypeError
        If a value of ``X`` cannot be converted to a float.
    """
    array = _to_float(X, "X")
    if array.ndim != 2:
        raise DataError(
            f"X must be 2-D with one row per sample, got shape {array.shape}. "
            f"Reshape your data, for example with X.reshape(-1, 1) for a single "
            f"feature."
        )
    n_samples, n_features = array.shape
    if n_features == 0:
        raise DataError(
            f"X has 0 features (shape {array.shape}); pass at least one input column."
        )
    if n_samples < min_samples:
        noun = "sample" if n_samples == 1 else "samples"
        raise DataError(
            f"X has {n_samples} {noun}; a fit needs at least {min_samples}."
        )
    _check_finite(array, "X")
    return array


def as_float_vector(y, n_samples):
    """Return ``y`` as a finite float64 array of shape (n_samples,).

    A column vector of shape (n_samples, 1) is accepted with a warning.

    Raises
    ------
    DataError
        If ``y`` is missing, has another shape or length, or contains NaN or
        infinity.
    DataTypeError
        If a value of ``y`` cannot be converted to a float.
    """
    if y is None:
        raise DataError(
            "y is None, but y should be a 1d array with one target value per "
            "sample; pass the target to fit."
        )
    array = _to_float(y, "y")
    if array.ndim == 2 and array.shape[1] == 1:
        warnings.warn(
            f"y has shape {array.shape}, a column vector; it is used as a 1-D "
            f"array. Pass y.ravel() to avoid this warning.",
            UserWarning,
            stacklevel=3,
        )
        array = array[:, 0]
    if array.ndim != 1:
        raise DataError(
            f"y should be a 1d array, got shape {array.shape}; fit one "
            f"EquationRegressor per target column."
        )
    if len(array) != n_samples:
        raise DataError(
            f"X has {n_samples} samples but y has {len(array)}; give one target "
            f"value per sample."
        )
    _check_finite(array, "y")
    return array
