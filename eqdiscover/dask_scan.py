"""Reading files or a Dask DataFrame on a Dask cluster into the fit's statistics.

:func:`scan_dask` turns each partition into a
:class:`~eqdiscover.streaming.ChunkTotals` on the cluster's workers, and a
tree of merges adds them up there, so only small sums travel. The QR
statistics merge exactly up to rounding, and the residual bin sums add, as
long as every partition uses the same library and the same bins. So the
library is fitted on the column names, and the bin edges come from the first
rows of the first readable partition, read before the pass.

A partition that cannot be read or fails a check is skipped with a note that
names it and the rows it held, unless ``strict=True``, which stops the fit.

Dask is an optional dependency, imported only when a scan starts.
"""

import copy
import glob
import logging
import sys
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .data import (
    _INDEX_NAMES,
    _check_finite_columns,
    _check_unique_names,
    _header,
    _read_metadata,
    _to_numeric,
    metadata_path,
)
from .exceptions import DataError
from .library import FeatureLibrary
from .residuals import ResidualBins
from .streaming import ChunkTotals, _candidate_inputs, finish_scan

__all__ = ["is_dask_frame", "scan_dask"]

logger = logging.getLogger(__name__)

INSTALL_COMMAND = "pip install 'eqdiscover[dask]'"
# Column that dask.dataframe.read_csv adds with the file of each row.
PATH_COLUMN = "__eqdiscover_path__"
# Partition sums merged by one task of the reduction tree.
FAN_IN = 8
# Time to wait for a connection to a scheduler given by its address.
CONNECT_TIMEOUT = "20s"
PARQUET_SUFFIXES = (".parquet", ".pq")


class BadPartition(Exception):
    """A partition that failed a check, with the reason and the rows it held."""

    def __init__(self, reason, n_rows, path):
        super().__init__(reason, n_rows, path)
        self.reason, self.n_rows, self.path = reason, n_rows, path


@dataclass
class _PartitionSettings:
    """Settings of every partition task: the columns, library, bins and chunk size."""

    used: list
    target: str
    full_library: FeatureLibrary
    bins: ResidualBins
    chunk_rows: int
    index_names: list


@dataclass
class _Partial:
    """Merged sums of some partitions, with each partition's file and row count.

    ``partitions`` maps a partition number to its file (or None), its row
    count, and for each column that may number the rows, its first value and
    whether it counts up by one.
    """

    totals: ChunkTotals
    partitions: dict


def import_dask():
    """Import dask.dataframe and distributed, or raise DataError with the fix."""
    try:
        import dask.dataframe
        import distributed
    except ImportError:
        raise DataError(
            f"The dask engine needs Dask, which is not installed; install it with "
            f"{INSTALL_COMMAND}."
        ) from None
    return dask.dataframe, distributed


def is_dask_frame(data):
    """Return whether ``data`` is a Dask DataFrame, without importing Dask."""
    module = sys.modules.get("dask.dataframe")
    return module is not None and isinstance(data, module.DataFrame)


def scan_dask(
    data,
    *,
    target=None,
    inputs=None,
    truth=None,
    library,
    chunk_rows,
    scheduler=None,
    strict=False,
    progress=None,
):
    """Read files or a Dask DataFrame on a Dask cluster into a :class:`CsvScan`.

    Checks the data as :func:`eqdiscover.streaming.scan_csv` does. A column
    that numbers the rows must count them within each file.

    Parameters
    ----------
    data : str, Path or dask.dataframe.DataFrame
        A CSV or Parquet file, or a glob pattern such as ``"logs/*.csv"``
        (Parquet by the suffix ``.parquet`` or ``.pq``), or a DataFrame.
    target, inputs, truth
        As for :func:`eqdiscover.data.read_csv`. The metadata JSON beside
        the first file supplies the target and the truth.
    library : str
        Library specification.
    chunk_rows : int
        Rows of a partition transformed at a time.
    scheduler : str, optional
        Address of a Dask scheduler, such as ``"tcp://127.0.0.1:8786"``.
        Without it the current Dask client is used, or a local cluster on
        127.0.0.1 is started for the scan and closed after it.
    strict : bool, default=False
        Stop at the first bad partition instead of skipping it with a note.
    progress : callable, optional
        Called as ``progress(done, total)`` each time a partition finishes.

    Returns
    -------
    CsvScan
    """
    _, distributed = import_dask()
    source, frames, notes = _open(data, target, inputs, truth, strict)
    with _client(distributed, scheduler) as client:
        reader = _PartitionReader(client, frames, strict, progress)
        totals, index_columns, more_notes = reader.run(library, chunk_rows)
    return finish_scan(
        totals,
        source=source,
        truth=frames.truth,
        explicit=frames.explicit,
        index_columns=index_columns,
        notes=notes + more_notes,
    )


@dataclass
class _Frames:
    """The data as Dask DataFrames, with the columns and what they came from.

    ``text`` reads the same CSV blocks with every value as text. It is read
    only for a partition that fails with numeric columns, to find the bad
    value, or to fit the partition when its values are numbers after all.
    ``files`` names the file of each partition when that is known.
    """

    numbers: object
    text: object
    target: str
    truth: str
    candidates: list
    explicit: bool
    files: list

    @property
    def used(self):
        return self.candidates + [self.target]


def _open(data, target, inputs, truth, strict):
    """Return the data's source, its :class:`_Frames` and notes on skipped files."""
    dd, _ = import_dask()
    if is_dask_frame(data):
        names = [str(name) for name in data.columns]
        _check_unique_names(names, "the table")
        if target is None:
            raise DataError("No target column given; pass target=<column name>.")
        candidates = _candidate_inputs(names, target, inputs)
        frames = _Frames(data, None, target, truth, candidates, inputs is not None, [])
        return None, frames, []

    pattern = str(data)
    paths = _match(pattern)
    if paths[0].lower().endswith(PARQUET_SUFFIXES):
        names = [str(name) for name in dd.read_parquet(paths).columns]
        notes = []
    else:
        paths, names, notes = _check_headers(paths, strict)
    metadata = _read_metadata(metadata_path(paths[0]))
    if target is None:
        target = metadata.get("target")
    if truth is None and metadata.get("target") == target:
        truth = metadata.get("formula")
    if target is None:
        raise DataError(
            f"No target column given for {pattern!r}; pass --target with one of "
            f"{', '.join(repr(name) for name in names)}."
        )
    candidates = _candidate_inputs(names, target, inputs)
    used = candidates + [target]
    if paths[0].lower().endswith(PARQUET_SUFFIXES):
        numbers = dd.read_parquet(paths, columns=used)
        text = None
        files = paths if numbers.npartitions == len(paths) else []
    else:
        options = {"usecols": used, "include_path_column": PATH_COLUMN}
        numbers = dd.read_csv(paths, dtype=dict.fromkeys(used, "float64"), **options)
        text = dd.read_csv(paths, dtype=object, **options)
        files = []
    frames = _Frames(
        numbers, text, target, truth, candidates, inputs is not None, files
    )
    return pattern, frames, notes


def _match(pattern):
    """Return the files that a path or glob pattern names, in sorted order."""
    if glob.has_magic(pattern):
        paths = sorted(p for p in glob.glob(pattern) if Path(p).is_file())
    else:
        paths = [pattern] if Path(pattern).is_file() else []
    if not paths:
        if Path(pattern).is_dir():
            raise DataError(
                f"{pattern!r} is a folder; give a file or a pattern such as "
                f"'{Path(pattern) / '*.csv'}'."
            )
        raise DataError(f"No file matches {pattern!r}; check the path or pattern.")
    kinds = {p.lower().endswith(PARQUET_SUFFIXES) for p in paths}
    if len(kinds) > 1:
        raise DataError(
            f"Pattern {pattern!r} matches both Parquet and CSV files; give a "
            f"pattern of one kind, such as '*.csv'."
        )
    return paths


def _check_headers(paths, strict):
    """Return the CSV files whose header matches the first file's, and notes.

    A file that is empty, unreadable or has other columns is left out with a
    note, or raises DataError when ``strict`` is true.
    """
    names, kept, notes = None, [], []
    for path in paths:
        try:
            header = _header(path)
        except pd.errors.EmptyDataError:
            header, problem = None, "it is empty"
        except (pd.errors.ParserError, UnicodeDecodeError, OSError) as error:
            reason = str(error).strip().splitlines()[0]
            header, problem = None, f"it is not a readable CSV ({reason})"
        if names is None and header is not None:
            _check_unique_names(header, repr(path))
            names = header
        if header is not None and header != names:
            problem = f"its columns differ from those of {kept[0]!r}"
        elif header is not None:
            kept.append(path)
            continue
        if strict:
            raise DataError(f"File {path!r} is invalid: {problem}; fix or remove it.")
        notes.append(f"Skipped file {path!r} because {problem}.")
    if not kept:
        raise DataError(
            f"No readable CSV file among the {len(paths)} files, the first "
            f"{paths[0]!r}; give files with a header row and data."
        )
    return kept, names, notes


@contextmanager
def _client(distributed, scheduler):
    """Yield a Dask client: the scheduler's, the current one or a local cluster's.

    The local cluster listens on 127.0.0.1 only and has no dashboard.
    """
    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as error:
            raise DataError(
                f"Could not connect to the Dask scheduler at {scheduler!r} "
                f"({error}); check the address and that the scheduler runs."
            ) from None
        with client:
            yield client
        return
    try:
        current = distributed.default_client()
    except ValueError:
        current = None
    if current is not None:
        yield current
        return
    # NOTE: without a dashboard the scheduler still serves its other HTTP
    # routes on 127.0.0.1, port 8787 or a free one when 8787 is taken.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Port 8787 is already in use")
        cluster = distributed.LocalCluster(
            host="127.0.0.1", dashboard_address=None, silence_logs=logging.CRITICAL
        )
    with cluster, distributed.Client(cluster) as client:
        yield client


class _PartitionReader:
    """One pass over the partitions: sums, failures and progress.

    Partition sums are merged in partition order, ``FAN_IN`` at a time, and
    the merged sums merged again, so the reduction is a tree whose shape does
    not depend on which partition finished first.
    """

    def __init__(self, client, frames, strict, progress):
        self.client = client
        self.frames = frames
        self.strict = strict
        self.progress = progress
        self.n_partitions = frames.numbers.npartitions
        self.levels = [[]]

    def run(self, library, chunk_rows):
        """Return the merged totals, the columns that number rows, and notes."""
        frames = self.frames
        full_library = FeatureLibrary(library).fit(
            pd.DataFrame(columns=frames.candidates)
        )
        bins = self._start_bins(full_library, chunk_rows)
        index_names = [] if frames.explicit else _index_like(frames.candidates)
        settings = _PartitionSettings(
            frames.used, frames.target, full_library, bins, chunk_rows, index_names
        )
        partials, failures = self._reduce(settings)
        if partials is None:
            number, failure = min(failures.items())
            raise DataError(
                f"No partition could be read; {self._describe(number, failure)} is "
                f"invalid: {_lower_first(failure.reason)}"
            )
        partitions = dict(partials.partitions)
        for number, failure in failures.items():
            partitions[number] = (failure.path, failure.n_rows, None)
        index_columns = [
            name for name in index_names if _numbers_rows(partitions, name)
        ]
        notes = [self._skip_note(n, f) for n, f in sorted(failures.items())]
        return partials.totals, index_columns, notes

    def _start_bins(self, full_library, chunk_rows):
        """Return empty bins with edges from the first readable partition's rows."""
        dask = sys.modules["dask"]
        frames = self.frames
        for number in range(self.n_partitions):
            sample = None
            for frame in (frames.numbers, frames.text):
                if frame is None:
                    continue
                task = dask.delayed(_first_rows)(
                    frame.partitions[number], frames.used, chunk_rows
                )
                try:
                    sample = self.client.compute(task).result()
                except Exception as error:  # noqa: BLE001
                    # A read can fail with any error; the pass over every
                    # partition reports it.
                    logger.info("partition %d failed: %s", number + 1, error)
                    continue
                break
            if sample is None:
                continue
            try:
                numeric = sample.apply(_to_numeric)
            except DataError:
                continue
            numeric = numeric[numeric.notna().all(axis=1)]
            if len(numeric) == 0:
                continue
            inputs = numeric[frames.candidates]
            theta = full_library.transform(inputs)
            varying = [not t.is_constant for t in full_library.terms_]
            columns = np.where(np.isfinite(theta), theta, 0.0)[:, varying]
            y = numeric[frames.target].to_numpy()
            return ResidualBins.start(inputs.to_numpy(), columns, y)
        # No partition has a complete row; the pass names the reason.
        return None

    def _reduce(self, settings):
        """Sum every partition; return the merged partial (or None) and failures.

        A CSV partition that fails to read as numbers is read again as text,
        which finds the bad value, or fits the partition when its values are
        numbers after all.
        """
        distributed = sys.modules["distributed"]
        summarize = sys.modules["dask"].delayed(_summarize_partition, pure=True)
        text = self.frames.text
        tasks = [
            summarize(part, number, settings)
            for number, part in enumerate(self.frames.numbers.to_delayed())
        ]
        futures = self.client.compute(tasks)
        numbers = {future.key: number for number, future in enumerate(futures)}
        retries, first_failures = {}, {}
        finished, failures = {}, {}
        next_number = done = 0
        pending = distributed.as_completed(futures)
        for future in pending:
            is_retry = future.key in retries
            number = retries[future.key] if is_retry else numbers[future.key]
            if future.status != "error":
                finished[number] = future
            else:
                failure = _failure(future)
                unread = not isinstance(future.exception(), BadPartition)
                if unread and not is_retry and text is not None:
                    first_failures[number] = failure
                    part = text.partitions[number].to_delayed()[0]
                    again = self.client.compute(summarize(part, number, settings))
                    retries[again.key] = number
                    futures.append(again)
                    pending.add(again)
                    continue
                if unread and is_retry:
                    failure = first_failures[number]
                if self.strict:
                    self.client.cancel(futures)
                    raise DataError(
                        f"{_upper_first(self._describe(number, failure))} is "
                        f"invalid: {_lower_first(failure.reason)}"
                    )
                failures[number] = failure
                finished[number] = None
            done += 1
            if self.progress is not None:
                self.progress(done, self.n_partitions)
            while next_number in finished:
                ready = finished.pop(next_number)
                if ready is not None:
                    self._push(ready, 0)
                next_number += 1
        leftovers = [f for level in self.levels for f in level]
        if not leftovers:
            return None, failures
        final = self.client.submit(_merge_partials, *leftovers)
        return final.result(), failures

    def _push(self, future, level):
        """Add partition sums to the tree, merging each full group of FAN_IN."""
        if level == len(self.levels):
            self.levels.append([])
        group = self.levels[level]
        group.append(future)
        if len(group) == FAN_IN:
            self.levels[level] = []
            self._push(self.client.submit(_merge_partials, *group), level + 1)

    def _describe(self, number, failure):
        where = f"partition {number + 1} of {self.n_partitions}"
        path = failure.path
        if path is None and self.frames.files:
            path = self.frames.files[number]
        return where if path is None else f"{where} (file {path!r})"

    def _skip_note(self, number, failure):
        rows = (
            "an unknown number of rows"
            if failure.n_rows is None
            else f"{failure.n_rows} rows"
        )
        return (
            f"Skipped {self._describe(number, failure)} with {rows}: "
            f"{_lower_first(failure.reason)}"
        )


def _failure(future):
    """Return the future's error as a BadPartition, with its reason."""
    error = future.exception()
    if isinstance(error, BadPartition):
        return error
    lines = str(error).strip().splitlines()
    detail = lines[0] if lines else type(error).__name__
    reason = f"It could not be read ({detail}); check the data's format."
    return BadPartition(reason, None, None)


def _first_rows(frame, used, n_rows):
    """Return the first rows of a partition's used columns, unconverted."""
    return frame.rename(columns=str)[used].iloc[:n_rows]


def _summarize_partition(frame, number, settings):
    """Return the :class:`_Partial` of one partition, or raise BadPartition.

    Non-numeric values are named by their row counted from the partition's
    first row.
    """
    path = None
    if PATH_COLUMN in frame.columns and len(frame):
        path = str(frame[PATH_COLUMN].iloc[0])
    n_rows = len(frame)
    try:
        frame = frame.rename(columns=str)[settings.used]
        runs = {name: _count_run(frame[name]) for name in settings.index_names}
        if settings.bins is None:
            bins = None
        else:
            bins = settings.bins.empty_copy()
        totals = ChunkTotals(settings.full_library, settings.target, bins)
        for start in range(0, n_rows, settings.chunk_rows):
            chunk = frame.iloc[start : start + settings.chunk_rows]
            numeric = chunk.apply(
                _to_numeric, first_row=start, rows_of=" of the partition"
            )
            numeric = numeric[numeric.notna().all(axis=1)]
            if len(numeric):
                _check_finite_columns(numeric)
            totals.add(numeric)
        totals.n_rows_read = n_rows
    except DataError as error:
        raise BadPartition(str(error), n_rows, path) from None
    return _Partial(totals, {number: (path, n_rows, runs)})


def _merge_partials(*partials):
    """Return the sums of several partials, without changing them."""
    merged = copy.deepcopy(partials[0])
    for other in partials[1:]:
        merged.totals.merge(other.totals)
        merged.partitions.update(other.partitions)
    return merged


def _index_like(candidates):
    return [
        name
        for name in candidates
        if name.strip().lower() in _INDEX_NAMES or name.startswith("Unnamed:")
    ]


def _count_run(column):
    """Return the first value of a column and whether it counts up by one."""
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    if len(values) == 0:
        return None
    steps = values - values[0]
    return float(values[0]), bool(np.array_equal(steps, np.arange(len(values))))


def _numbers_rows(partitions, name):
    """Return whether ``name`` counts the rows 1 to n, or 0 to n-1, in each file.

    A partition whose rows were not counted, because it could not be read,
    leaves the count unknown, and the column is then kept as an input.
    """
    from_one = from_zero = True
    offsets = {}
    for number in sorted(partitions):
        path, n_rows, runs = partitions[number]
        if n_rows is None:
            return False
        offset = offsets.get(path, 0)
        offsets[path] = offset + n_rows
        if n_rows == 0 or runs is None:
            continue
        run = runs[name]
        first, counts_up = run
        from_one &= counts_up and first == offset + 1
        from_zero &= counts_up and first == offset
    return from_one or from_zero


def _lower_first(text):
    return text[:1].lower() + text[1:]


def _upper_first(text):
    return text[:1].upper() + text[1:]
