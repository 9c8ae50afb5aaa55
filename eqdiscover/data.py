"""Loading tables of measurements and generating data from known formulas."""

import json
import logging
import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._io import check_writable, write_files_atomic
from ._version import __version__
from .exceptions import DataError
from .expressions import evaluate, make_symbols, parse_formula
from .feynman import FEYNMAN_PREFIX, find_equation

__all__ = [
    "GENERATORS",
    "Dataset",
    "from_frame",
    "generate",
    "metadata_path",
    "read_csv",
    "write_generated",
]

logger = logging.getLogger(__name__)

_INDEX_NAMES = {"", "rownames", "index"}
MAX_GENERATED_ROWS = 100_000_000


@dataclass(frozen=True)
class Dataset:
    """Inputs and target of one fit, with what loading them found.

    Attributes
    ----------
    inputs : pandas.DataFrame
        One float column per input.
    target : pandas.Series
        The target values; its name is the target column.
    truth : str or None
        True formula of the target, as text in the column names, when known.
    source : str or None
        Where the data came from, such as the CSV path.
    notes : tuple of str
        Sentences about what loading changed, such as columns left out or
        rows dropped.
    n_rows_read : int
        Rows in the source before any were dropped.
    """

    inputs: pd.DataFrame
    target: pd.Series
    truth: str | None = None
    source: str | None = None
    notes: tuple = field(default_factory=tuple)
    n_rows_read: int = 0

    @property
    def target_name(self):
        return str(self.target.name)

    @property
    def n_samples(self):
        return len(self.target)


def metadata_path(csv_path):
    """Return the path of the metadata JSON that belongs beside a CSV."""
    csv_path = Path(csv_path)
    return csv_path.with_name(csv_path.stem + ".meta.json")


NAN_POLICIES = ("drop", "error")
COEFFICIENT_DECIMALS = 3


def check_nan_policy(nan):
    """Raise DataError unless ``nan`` is one of :data:`NAN_POLICIES`."""
    if not isinstance(nan, str) or nan not in NAN_POLICIES:
        raise DataError(f"Invalid nan policy {nan!r}; give 'drop' or 'error'.")


def check_csv_path(path):
    """Return ``path`` as a Path, or raise DataError if it is not a file."""
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{str(path)!r} is a folder; give the path of a CSV file.")
    if not path.is_file():
        raise DataError(f"File {str(path)!r} not found; check the path.")
    return path


@contextmanager
def csv_errors(path):
    """Turn pandas' errors on reading ``path`` into DataError with one sentence."""
    try:
        yield
    except pd.errors.EmptyDataError:
        raise DataError(
            f"File {str(path)!r} is empty; give a CSV with a header row and data."
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        reason = str(error).strip().splitlines()[0]
        raise DataError(
            f"File {str(path)!r} is not a readable CSV ({reason}); check its format."
        ) from None


def read_csv(path, *, target=None, inputs=None, truth=None, nan="drop"):
    """Read a CSV file into a :class:`Dataset`.

    A metadata JSON beside the file (``data.meta.json`` for ``data.csv``), as
    :func:`write_generated` writes it, supplies the target and the true
    formula unless ``target`` or ``truth`` are given.

    Parameters
    ----------
    path : str or Path
    target : str, optional
        Target column. Required unless the metadata names one.
    inputs : sequence of str, optional
        Input columns. By default every other column, except a row-index
        column (named ``rownames``, ``index`` or ``Unnamed: 0`` and counting
        1 to n or 0 to n-1), which is left out with a note.
    truth : str, optional
        True formula in the column names.
    nan : {"drop", "error"}, default="drop"
        What to do with a row that has an empty or NaN cell in a used column:
        drop it, with a note that counts the dropped rows, or raise DataError.

    Returns
    -------
    Dataset
    """
    check_nan_policy(nan)
    path = check_csv_path(path)
    with csv_errors(path):
        frame = pd.read_csv(path, engine="c")

    _check_unique_names(_header(path), repr(str(path)))
    if frame.empty:
        raise DataError(
            f"File {str(path)!r} has a header but no data rows; add rows of values."
        )
    metadata = _read_metadata(metadata_path(path))
    if target is None:
        target = metadata.get("target")
    if truth is None and metadata.get("target") == target:
        truth = metadata.get("formula")
    if target is None:
        raise DataError(
            f"No target column given for {str(path)!r}; pass --target with one of "
            f"{_column_list(frame)}."
        )
    return from_frame(
        frame, target=target, inputs=inputs, truth=truth, source=str(path), nan=nan
    )


def _header(path):
    """Return the column names of a CSV as written, before pandas renames repeats.

    The header is read by pandas itself, as a data row, so blank lines and
    quoting are handled as in the full read.
    """
    first_row = pd.read_csv(path, header=None, nrows=1, dtype=str, engine="c")
    return [str(name) for name in first_row.iloc[0]] if len(first_row) else []


def _read_metadata(path):
    if not path.is_file():
        return {}
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(
            f"Metadata file {str(path)!r} is not valid JSON ({error}); fix or "
            f"remove it."
        ) from None
    if not isinstance(metadata, dict):
        raise DataError(f"Metadata file {str(path)!r} must hold a JSON object.")
    for key in ("target", "formula"):
        if key in metadata and not isinstance(metadata[key], str):
            raise DataError(
                f"Field {key!r} of metadata file {str(path)!r} must be text."
            )
    return metadata


def from_frame(frame, *, target, inputs=None, truth=None, source=None, nan="drop"):
    """Check a DataFrame and split it into a :class:`Dataset`.

    Rows with a missing value in a used column are dropped (or, with
    ``nan="error"``, raise DataError), and constant columns are left out of
    the default inputs, each with a note.
    """
    check_nan_policy(nan)
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"Expected a pandas DataFrame, got {type(frame).__name__}.")
    if isinstance(frame.columns, pd.MultiIndex):
        raise DataError(
            "The table has several header levels; flatten its columns to one "
            "name each, for example with frame.columns.map('_'.join)."
        )
    frame = frame.rename(columns=str)
    _check_unique_names(frame.columns, "the table")
    if not isinstance(target, str):
        raise DataError(
            f"Target must be one column name, got {target!r}; pass a string."
        )
    if target not in frame.columns:
        raise DataError(
            f"Target column {target!r} not found; the columns are "
            f"{_column_list(frame)}."
        )
    notes = []
    explicit = inputs is not None
    inputs = _choose_inputs(frame, target, inputs, notes)
    numeric = _numeric_rows(frame[inputs + [target]], notes, nan)
    inputs = _drop_constant_inputs(numeric, inputs, explicit, notes)
    if not inputs:
        raise DataError(
            f"No input columns besides the target {target!r} vary; the table needs "
            f"at least one input column that is not constant."
        )
    for note in notes:
        logger.info(note)
    return Dataset(
        inputs=numeric[inputs].reset_index(drop=True),
        target=numeric[target].reset_index(drop=True),
        truth=truth,
        source=source,
        notes=tuple(notes),
        n_rows_read=len(frame),
    )


def _check_unique_names(names, where, fix="rename the columns so that each is unique"):
    seen = set()
    for name in names:
        if name in seen:
            raise DataError(
                f"Column name {name!r} appears more than once in {where}; {fix}."
            )
        seen.add(name)


def _choose_inputs(frame, target, inputs, notes):
    if inputs is None:
        inputs = [c for c in frame.columns if c != target]
        index_columns = [c for c in inputs if _is_row_index(c, frame[c])]
        for column in index_columns:
            notes.append(
                f"Left out column {column!r} because it numbers the rows; name it "
                f"in --inputs to use it."
            )
        inputs = [c for c in inputs if c not in index_columns]
    else:
        if isinstance(inputs, str):
            raise DataError(
                f"Inputs must be a list of column names, got the text {inputs!r}; "
                f"write [{inputs!r}] for one column."
            )
        inputs = [str(c) for c in inputs]
        _check_unique_names(inputs, "the inputs", "name each input once")
        missing = [c for c in inputs if c not in frame.columns]
        if missing:
            raise DataError(
                f"Input column {missing[0]!r} not found; the columns are "
                f"{_column_list(frame)}."
            )
        if target in inputs:
            raise DataError(
                f"Column {target!r} is the target and cannot also be an input."
            )
    if not inputs:
        raise DataError(
            f"No input columns besides the target {target!r}; the table needs at "
            f"least one input column."
        )
    return inputs


def _numeric_rows(used, notes, nan="drop"):
    """Convert the used columns to floats and drop rows with missing values."""
    numeric = used.apply(_to_numeric)
    complete = numeric.notna().all(axis=1)
    n_dropped = int((~complete).sum())
    if n_dropped and nan == "error":
        check_complete(numeric, first_row=0)
    if n_dropped:
        notes.append(f"Dropped {n_dropped} of {len(used)} rows with missing values.")
        numeric = numeric[complete]
    _check_enough_rows(len(numeric))
    _check_finite_columns(numeric)
    return numeric


def check_complete(numeric, first_row):
    """Raise DataError naming the first empty or NaN cell of ``numeric``.

    ``first_row`` is the number of data rows before the first row of
    ``numeric``, so that the message counts rows from the start of the file.
    """
    missing = numeric.isna().to_numpy()
    if not missing.any():
        return
    position, column = np.argwhere(missing)[0]
    raise DataError(
        f"Column {numeric.columns[column]!r} is empty or NaN in data row "
        f"{first_row + position + 1}; fill in the value, or pass --nan drop to "
        f"drop such rows."
    )


def _check_enough_rows(n_samples):
    """Raise DataError unless at least 2 complete rows remain."""
    if n_samples < 2:
        raise DataError(
            f"Only {n_samples} complete row(s) remain; a fit needs at least 2."
        )


def _check_finite_columns(numeric):
    """Raise DataError naming the first column of ``numeric`` with an infinity."""
    infinite = ~np.isfinite(numeric.to_numpy()).all(axis=0)
    if infinite.any():
        column = numeric.columns[np.flatnonzero(infinite)[0]]
        raise DataError(
            f"Column {column!r} contains infinite values; remove or replace them."
        )


def _drop_constant_inputs(numeric, inputs, explicit, notes):
    varying = []
    for column in inputs:
        values = numeric[column].to_numpy()
        if values.min() != values.max():
            varying.append(column)
            continue
        if explicit:
            raise DataError(
                f"Input column {column!r} is constant ({values[0]:g}), so it "
                f"cannot explain the target; leave it out of --inputs."
            )
        notes.append(
            f"Left out column {column!r} because it is constant ({values[0]:g})."
        )
    return varying


def _to_numeric(column, first_row=0, rows_of=""):
    """Convert a column to floats, or raise DataError naming the first bad value.

    ``first_row`` is the number of data rows before the column's first, so
    that a chunk of a file reports the row number in the whole file.
    ``rows_of`` follows the row number, such as " of the partition" when the
    rows are counted from the start of a partition.
    """
    kind = column.dtype.kind
    if kind == "c":
        raise DataError(
            f"Column {column.name!r} contains complex numbers; give its real and "
            f"imaginary parts as two columns."
        )
    if kind in "mM" or isinstance(column.dtype, pd.DatetimeTZDtype):
        raise DataError(
            f"Column {column.name!r} contains dates or durations; convert them to "
            f"numbers, such as seconds since the first row."
        )
    converted = pd.to_numeric(column, errors="coerce")
    bad = converted.isna() & column.notna()
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        row = first_row + position + 1
        raise DataError(
            f"Column {column.name!r} has the non-numeric value "
            f"{column.iloc[position]!r} in data row {row}{rows_of}; "
            f"fix the value or leave the column out with --inputs."
        )
    return converted.astype(float)


def _is_row_index(name, column):
    looks_like_index = name.strip().lower() in _INDEX_NAMES or name.startswith(
        "Unnamed:"
    )
    if not looks_like_index or not pd.api.types.is_numeric_dtype(column):
        return False
    values = column.to_numpy(dtype=float)
    n = len(values)
    return bool(
        np.array_equal(values, np.arange(1, n + 1))
        or np.array_equal(values, np.arange(n))
    )


def _column_list(frame):
    return ", ".join(repr(str(c)) for c in frame.columns)


@dataclass(frozen=True)
class Generator:
    """A formula with named coefficients, its target and input ranges."""

    target: str
    inputs: tuple
    template: str
    coefficients: tuple
    low: float
    high: float


GENERATORS = {
    "fahrenheit_celsius": Generator(
        target="celsius",
        inputs=("fahrenheit",),
        template="5*(fahrenheit - 32)/9",
        coefficients=(),
        low=0.0,
        high=1.0,
    ),
    "linear": Generator(
        target="y",
        inputs=("x",),
        template="{a}*x + {b}",
        coefficients=("a", "b"),
        low=-1.5,
        high=1.5,
    ),
    "quadratic": Generator(
        target="y",
        inputs=("x",),
        template="{a}*x**2 + {b}*x + {c}",
        coefficients=("a", "b", "c"),
        low=0.0,
        high=1.5,
    ),
    "sine_square": Generator(
        target="y",
        inputs=("x",),
        template="{a}*sin(x) + {b}*x**2",
        coefficients=("a", "b"),
        low=-1.5,
        high=1.5,
    ),
    "sine_cubic_mix": Generator(
        target="y",
        inputs=("x",),
        template="{a}*sin(x) + {b}*x**2 + {c}*x + {d}",
        coefficients=("a", "b", "c", "d"),
        low=-1.5,
        high=1.5,
    ),
}


def generate(name, *, n_samples=5000, noise=0.0, seed=0, low=None, high=None):
    """Sample a table from one of the :data:`GENERATORS` or a Feynman equation.

    For a generator, coefficients ``a, b, c, d`` are drawn from a standard
    normal generator seeded by ``seed`` and rounded to 3 decimals (a draw
    below 0.01 in size is drawn again), then the inputs uniformly from
    ``[low, high)``. ``feynman:NAME``, such as ``feynman:I.12.1``, samples each
    input of that equation of ``datasets/feynman.csv`` uniformly from its own
    range. Last comes Gaussian noise with standard deviation ``noise`` times
    the root mean square of the noise-free target.

    Returns
    -------
    frame : pandas.DataFrame
        Input columns, then the target column.
    metadata : dict
        The true formula, target, input ranges, noise, seed and row count.

    Examples
    --------
    >>> frame, metadata = generate("fahrenheit_celsius", n_samples=3)
    >>> list(frame.columns), metadata["formula"]
    (['fahrenheit', 'celsius'], '5*(fahrenheit - 32)/9')
    >>> frame, metadata = generate("feynman:I.12.1", n_samples=3)
    >>> list(frame.columns), metadata["formula"], metadata["inputs"]["mu"]
    (['mu', 'Nn', 'F'], 'mu*Nn', [1.0, 5.0])
    """
    rng = np.random.default_rng(seed)
    if isinstance(name, str) and name.startswith(FEYNMAN_PREFIX):
        if low is not None or high is not None:
            raise DataError(
                f"Generator {name!r} samples each input from its own range; "
                f"leave out low and high."
            )
        equation = find_equation(name.removeprefix(FEYNMAN_PREFIX))
        target, formula, ranges = equation.target, equation.formula, equation.ranges
        coefficients, where = {}, "their ranges"
        _check_generate_settings(n_samples, noise, 0.0, 1.0)
    else:
        if name not in GENERATORS:
            raise DataError(
                f"Unknown generator {name!r}; choose one of "
                f"{', '.join(GENERATORS)} or feynman:NAME."
            )
        spec = GENERATORS[name]
        low = spec.low if low is None else float(low)
        high = spec.high if high is None else float(high)
        _check_generate_settings(n_samples, noise, low, high)
        coefficients = {key: _draw_coefficient(rng) for key in spec.coefficients}
        formula = spec.template.format(**{k: repr(v) for k, v in coefficients.items()})
        formula = formula.replace("+ -", "- ")
        target, ranges = spec.target, {c: [low, high] for c in spec.inputs}
        where = f"[{low:g}, {high:g}]"
    values = {c: rng.uniform(lo, hi, n_samples) for c, (lo, hi) in ranges.items()}

    symbols = make_symbols(list(ranges))
    expr = parse_formula(formula, symbols)
    clean = evaluate(expr, {symbols[c]: v for c, v in values.items()}, n_samples)
    with np.errstate(over="ignore"):
        rms = float(np.sqrt(np.mean(clean**2)))
    if not np.isfinite(rms):
        raise DataError(
            f"Generator {name!r} overflows for inputs in {where}; choose a "
            f"smaller range."
        )
    noise_std = noise * rms
    with np.errstate(over="ignore", invalid="ignore"):
        noisy = clean + rng.normal(0.0, noise_std, n_samples) if noise > 0 else clean
    if not (np.isfinite(noise_std) and np.isfinite(noisy).all()):
        raise DataError(
            f"Noise level {noise:g} overflows for a target of root mean square "
            f"{rms:g}; choose a smaller level."
        )

    frame = pd.DataFrame({**values, target: noisy})
    metadata = {
        "generator": name,
        "target": target,
        "formula": formula,
        "coefficients": coefficients,
        "inputs": ranges,
        "noise": noise,
        "noise_std": noise_std,
        "seed": seed,
        "n_samples": n_samples,
        "eqdiscover_version": __version__,
    }
    return frame, metadata


def _draw_coefficient(rng):
    """Draw from a standard normal, rounded to 3 decimals and at least 0.01 in size.

    Three decimals keep the true formula short, so that a fit can match it
    exactly; a draw that rounds below 0.01 would make its term invisible.
    """
    while True:
        value = round(float(rng.standard_normal()), COEFFICIENT_DECIMALS)
        if abs(value) >= 0.01:
            return value


def _check_generate_settings(n_samples, noise, low, high):
    if not isinstance(n_samples, int) or not 1 <= n_samples <= MAX_GENERATED_ROWS:
        raise DataError(
            f"Invalid row count {n_samples!r}; give an integer from 1 to "
            f"{MAX_GENERATED_ROWS:,}."
        )
    if not math.isfinite(noise) or noise < 0:
        raise DataError(f"Invalid noise level {noise!r}; give a number >= 0.")
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise DataError(
            f"Invalid input range [{low}, {high}]; give finite numbers with low < high."
        )


def write_generated(frame, metadata, path, *, force=False):
    """Write a generated table as CSV with its metadata JSON beside it.

    Neither file is written if either exists and ``force`` is false.

    Returns
    -------
    csv_path, metadata_path : Path
    """
    csv_path = Path(path)
    meta_path = metadata_path(csv_path)
    check_writable([csv_path, meta_path], force)
    metadata_text = json.dumps(metadata, indent=2, allow_nan=False) + "\n"
    write_files_atomic(
        {
            csv_path: lambda stream: frame.to_csv(
                stream, index=False, float_format="%.17g"
            ),
            meta_path: lambda stream: stream.write(metadata_text),
        }
    )
    return csv_path, meta_path
