"""Reading a CSV file in chunks into the statistics of its library matrix.

:func:`scan_csv` reads the rows once, a chunk at a time, with the same checks
as :func:`eqdiscover.data.read_csv`. It keeps only what the fit needs, so its
memory does not grow with the number of rows: the QR statistics of every
library term, the range of every input and term, and counts of rows.

Which inputs are constant, or number the rows, is known only after the last
row. So the library is built for every candidate input, and the terms of
inputs that are left out afterwards are removed from the statistics, which
is exact (see :meth:`eqdiscover.statistics.Statistics.select`).
"""

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .data import (
    _INDEX_NAMES,
    _check_enough_rows,
    _check_finite_columns,
    _check_unique_names,
    _header,
    _read_metadata,
    _to_numeric,
    check_complete,
    check_csv_path,
    csv_errors,
    metadata_path,
)
from .exceptions import DataError
from .library import FeatureLibrary
from .residuals import ResidualBins
from .statistics import Statistics, column_divisors

__all__ = ["ChunkTotals", "CsvScan", "finish_scan", "scan_csv"]

logger = logging.getLogger(__name__)


@dataclass
class CsvScan:
    """Summary of one pass over a CSV file: statistics, ranges and row counts.

    Attributes
    ----------
    target_name : str
    truth : str or None
        True formula of the target, from the arguments or the metadata.
    source : str
        The CSV path.
    notes : list of str
        Sentences about columns left out and rows dropped.
    n_rows_read : int
        Data rows in the file.
    n_samples : int
        Rows without a missing value in a used column.
    inputs : pandas.DataFrame
        Two rows, the minimum and the maximum of each input column.
    feature_library : FeatureLibrary
        The library fitted on the input columns.
    term_ranges : ndarray of shape (2, n_terms)
        Minimum and maximum of each library term over the rows, NaN where a
        term is not finite on some row.
    statistics : Statistics
        Statistics of ``[1, T, y]`` for the non-constant library terms ``T``,
        in library order. A term that is not finite on some row counts as
        zero on those rows.
    residual_bins : ResidualBins
        Sums of the same columns within bins of each input, for the test of
        whether a formula's residual still follows an input.
    target_range : tuple of float
        Minimum and maximum of the target.
    """

    target_name: str
    truth: str | None
    source: str
    notes: list
    n_rows_read: int
    n_samples: int
    inputs: pd.DataFrame
    feature_library: FeatureLibrary
    term_ranges: np.ndarray
    statistics: Statistics
    residual_bins: ResidualBins
    target_range: tuple


class _IndexTracker:
    """Whether a column counts the rows 1 to n or 0 to n-1, read a chunk at a time."""

    def __init__(self, name):
        looks_like_index = name.strip().lower() in _INDEX_NAMES or name.startswith(
            "Unnamed:"
        )
        self.from_one = self.from_zero = looks_like_index

    def update(self, column, first_row):
        if not (self.from_one or self.from_zero):
            return
        if not pd.api.types.is_numeric_dtype(column):
            self.from_one = self.from_zero = False
            return
        values = column.to_numpy(dtype=float)
        positions = np.arange(first_row, first_row + len(values))
        self.from_one &= bool(np.array_equal(values, positions + 1))
        self.from_zero &= bool(np.array_equal(values, positions))

    @property
    def is_index(self):
        return self.from_one or self.from_zero


class _Ranges:
    """Running minimum and maximum of each column, NaN once a value is not finite."""

    def __init__(self, n_columns):
        self.low = np.full(n_columns, np.inf)
        self.high = np.full(n_columns, -np.inf)
        self.finite = np.ones(n_columns, dtype=bool)

    def update(self, values):
        if len(values) == 0:
            return
        finite = np.isfinite(values)
        self.finite &= finite.all(axis=0)
        self.low = np.fmin(self.low, np.where(finite, values, np.inf).min(axis=0))
        self.high = np.fmax(self.high, np.where(finite, values, -np.inf).max(axis=0))

    def merge(self, other):
        self.finite = self.finite & other.finite
        self.low = np.fmin(self.low, other.low)
        self.high = np.fmax(self.high, other.high)

    def as_array(self):
        ranges = np.array([self.low, self.high])
        ranges[:, ~self.finite] = np.nan
        return ranges


class ChunkTotals:
    """Statistics, bin sums, ranges and row counts of the chunks added so far.

    Parameters
    ----------
    full_library : FeatureLibrary
        The library fitted on every candidate input, in the order of the
        input columns of each chunk.
    target : str
        The target column.
    bins : ResidualBins, optional
        Empty bins whose edges every chunk shares. By default they start
        from the quantiles of the first chunk with rows.

    Attributes
    ----------
    n_rows_read : int
        Rows read, counted by the caller, with the rows that were dropped.
    n_samples : int
        Complete rows added.
    stats : Statistics or None
        Statistics of ``[1, T, y]`` for the non-constant terms ``T``; None
        before the first complete row.
    """

    def __init__(self, full_library, target, bins=None):
        self.full_library = full_library
        self.target = target
        self.candidates = full_library.feature_names_in_.tolist()
        self.varying_terms = [not t.is_constant for t in full_library.terms_]
        self.n_rows_read = 0
        self.n_samples = 0
        self.stats = None
        self.bins = bins
        self.input_ranges = _Ranges(len(self.candidates))
        self.term_ranges = _Ranges(len(full_library.terms_))
        self.target_ranges = _Ranges(1)

    def add(self, numeric):
        """Add a chunk of complete rows: the inputs and the target as floats."""
        if len(numeric) == 0:
            return
        self.n_samples += len(numeric)
        y = numeric[self.target].to_numpy()
        inputs = numeric[self.candidates]
        theta = self.full_library.transform(inputs)
        inputs = inputs.to_numpy()
        self.input_ranges.update(inputs)
        self.term_ranges.update(theta)
        self.target_ranges.update(y[:, None])
        columns = np.where(np.isfinite(theta), theta, 0.0)[:, self.varying_terms]
        piece = Statistics.from_chunk(columns, y, column_divisors(columns, y))
        self.stats = piece if self.stats is None else self.stats.merge(piece)
        if self.bins is None:
            self.bins = ResidualBins.start(inputs, columns, y)
        self.bins.update(inputs, columns, y)

    def merge(self, other):
        """Add the totals of other rows, read with the same library and bins."""
        self.n_rows_read += other.n_rows_read
        if other.n_samples == 0:
            return self
        self.n_samples += other.n_samples
        for name in ("input_ranges", "term_ranges", "target_ranges"):
            getattr(self, name).merge(getattr(other, name))
        if self.stats is None:
            self.stats, self.bins = other.stats, other.bins
        else:
            self.stats = self.stats.merge(other.stats)
            self.bins = self.bins.merge(other.bins)
        return self


def _chunks(path, columns, chunk_rows):
    """Yield the chunks of the CSV, turning parser errors into DataError."""
    with csv_errors(path):
        yield from pd.read_csv(path, engine="c", usecols=columns, chunksize=chunk_rows)


def scan_csv(
    path, *, target=None, inputs=None, truth=None, library, chunk_rows, nan="drop"
):
    """Read a CSV file a chunk at a time into a :class:`CsvScan`.

    Checks the data as :func:`eqdiscover.data.read_csv` does: the metadata
    JSON beside the file, a row-index column, rows with missing values
    (dropped with a count), non-numeric values (named with their row),
    infinite values, and constant inputs.

    Parameters
    ----------
    path : str or Path
    target, inputs, truth, nan
        As for :func:`eqdiscover.data.read_csv`.
    library : str
        Library specification.
    chunk_rows : int
        Rows read and transformed at a time.

    Returns
    -------
    CsvScan
    """
    path = check_csv_path(path)
    with csv_errors(path):
        names = [str(name) for name in pd.read_csv(path, nrows=0, engine="c").columns]
    _check_unique_names(_header(path), repr(str(path)))
    metadata = _read_metadata(metadata_path(path))
    if target is None:
        target = metadata.get("target")
    if truth is None and metadata.get("target") == target:
        truth = metadata.get("formula")
    columns_text = ", ".join(repr(name) for name in names)
    if target is None:
        raise DataError(
            f"No target column given for {str(path)!r}; pass --target with one of "
            f"{columns_text}."
        )
    explicit = inputs is not None
    candidates = _candidate_inputs(names, target, inputs)
    used = candidates + [target]

    trackers = (
        {name: _IndexTracker(name) for name in candidates} if not explicit else {}
    )
    full_library = FeatureLibrary(library).fit(pd.DataFrame(columns=candidates))
    totals = ChunkTotals(full_library, target)
    for chunk in _chunks(path, used, chunk_rows):
        chunk = chunk.rename(columns=str)[used]
        for name, tracker in trackers.items():
            tracker.update(chunk[name], totals.n_rows_read)
        numeric = chunk.apply(_to_numeric, first_row=totals.n_rows_read)
        if nan == "error":
            check_complete(numeric, first_row=totals.n_rows_read)
        numeric = numeric[numeric.notna().all(axis=1)]
        if len(numeric):
            _check_finite_columns(numeric)
        totals.n_rows_read += len(chunk)
        totals.add(numeric)
    if totals.n_rows_read == 0:
        raise DataError(
            f"File {str(path)!r} has a header but no data rows; add rows of values."
        )
    index_columns = [name for name, tracker in trackers.items() if tracker.is_index]
    return finish_scan(
        totals,
        source=str(path),
        truth=truth,
        explicit=explicit,
        index_columns=index_columns,
    )


def finish_scan(totals, *, source, truth, explicit, index_columns, notes=()):
    """Leave out index and constant inputs, and return the :class:`CsvScan`.

    Parameters
    ----------
    totals : ChunkTotals
        The sums of every row read.
    source : str
    truth : str or None
    explicit : bool
        Whether the user named the inputs; a constant input is then an error.
    index_columns : list of str
        Inputs found to number the rows.
    notes : sequence of str
        Notes that come before those of the columns and rows left out.
    """
    target = totals.target
    candidates = totals.candidates
    n_rows_read, n_samples = totals.n_rows_read, totals.n_samples
    notes = list(notes)
    for name in index_columns:
        notes.append(
            f"Left out column {name!r} because it numbers the rows; name it "
            f"in --inputs to use it."
        )
    if n_samples < n_rows_read:
        notes.append(
            f"Dropped {n_rows_read - n_samples} of {n_rows_read} rows with missing "
            f"values."
        )
    _check_enough_rows(n_samples)
    ranges = totals.input_ranges.as_array()
    kept = []
    for position, name in enumerate(candidates):
        if name in index_columns:
            continue
        low, high = ranges[:, position]
        if low != high:
            kept.append(position)
        elif explicit:
            raise DataError(
                f"Input column {name!r} is constant ({low:g}), so it cannot explain "
                f"the target; leave it out of --inputs."
            )
        else:
            notes.append(f"Left out column {name!r} because it is constant ({low:g}).")
    if not kept:
        raise DataError(
            f"No input columns besides the target {target!r} vary; the table needs "
            f"at least one input column that is not constant."
        )
    for note in notes:
        logger.info(note)

    input_names = [candidates[i] for i in kept]
    full_library = totals.full_library
    feature_library = FeatureLibrary(full_library.spec).fit(
        pd.DataFrame(columns=input_names)
    )
    term_index = _term_positions(feature_library, full_library)
    varying_index = np.cumsum(totals.varying_terms) - 1
    selected = [
        int(varying_index[i])
        for i, term in zip(term_index, feature_library.terms_)
        if not term.is_constant
    ]
    return CsvScan(
        target_name=target,
        truth=truth,
        source=source,
        notes=notes,
        n_rows_read=n_rows_read,
        n_samples=n_samples,
        inputs=pd.DataFrame(ranges[:, kept], columns=input_names),
        feature_library=feature_library,
        term_ranges=totals.term_ranges.as_array()[:, term_index],
        statistics=totals.stats.select(selected),
        residual_bins=totals.bins.select_inputs(kept).select(selected),
        target_range=tuple(float(v) for v in totals.target_ranges.as_array()[:, 0]),
    )


def _candidate_inputs(names, target, inputs):
    """Return the input columns to read, before constant and index columns go."""
    if target not in names:
        raise DataError(
            f"Target column {target!r} not found; the columns are "
            f"{', '.join(repr(n) for n in names)}."
        )
    if inputs is None:
        candidates = [name for name in names if name != target]
    else:
        if isinstance(inputs, str):
            raise DataError(
                f"Inputs must be a list of column names, got the text {inputs!r}; "
                f"write [{inputs!r}] for one column."
            )
        candidates = [str(name) for name in inputs]
        _check_unique_names(candidates, "the inputs", "name each input once")
        missing = [name for name in candidates if name not in names]
        if missing:
            raise DataError(
                f"Input column {missing[0]!r} not found; the columns are "
                f"{', '.join(repr(n) for n in names)}."
            )
        if target in candidates:
            raise DataError(
                f"Column {target!r} is the target and cannot also be an input."
            )
    if not candidates:
        raise DataError(
            f"No input columns besides the target {target!r}; the table needs at "
            f"least one input column."
        )
    return candidates


def _term_positions(feature_library, full_library):
    """Return the position in ``full_library`` of each term of ``feature_library``.

    The two libraries may name an input by other symbols, because symbols of
    columns that are not plain names depend on the column's position.
    """
    renames = {
        symbol: full_library.symbols_[column]
        for column, symbol in feature_library.symbols_.items()
    }
    positions = {term.expr: i for i, term in enumerate(full_library.terms_)}
    return [positions[term.expr.xreplace(renames)] for term in feature_library.terms_]
