"""Time CSV readers that can feed a fit, each in its own process.

For each row count, a 4-column table of the benchmark formula (see
``csvdata.py``) is written into a temporary folder and read with every
available reader. The Markdown table gives the wall time and the peak
resident memory of each reading process. The readers are

- ``pandas-c``: ``pandas.read_csv(engine="c")``, the whole file at once;
- ``pandas-c-chunks``: the same engine with ``chunksize``, one chunk in memory;
- ``pandas-pyarrow``: ``pandas.read_csv(engine="pyarrow")``, the whole file at
  once, because that engine has no ``chunksize``;
- ``pyarrow-stream``: ``pyarrow.csv.open_csv``, record batches converted to
  float64 NumPy arrays one at a time.

The last two need pyarrow. Every reader converts each column to a float64
array and sums it, so that no reader skips the conversion.

Usage::

    python benchmarks/csv_readers.py [--rows 1000000,10000000] [--chunk-rows 1000000]
"""

import argparse
import importlib.util
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import csvdata

READERS = ["pandas-c", "pandas-c-chunks", "pandas-pyarrow", "pyarrow-stream"]
NEEDS_PYARROW = {"pandas-pyarrow", "pyarrow-stream"}


def read(reader, path, chunk_rows):
    """Read ``path`` with ``reader`` and return the sum of every column."""
    if reader == "pandas-c":
        return pd.read_csv(path, engine="c").to_numpy(dtype=float).sum(axis=0)
    if reader == "pandas-pyarrow":
        return pd.read_csv(path, engine="pyarrow").to_numpy(dtype=float).sum(axis=0)
    if reader == "pandas-c-chunks":
        total = 0.0
        for chunk in pd.read_csv(path, engine="c", chunksize=chunk_rows):
            total = total + chunk.to_numpy(dtype=float).sum(axis=0)
        return total
    if reader == "pyarrow-stream":
        import pyarrow as pa
        import pyarrow.csv as pa_csv

        names = pd.read_csv(path, nrows=0).columns
        options = pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.float64()))
        total = 0.0
        with pa_csv.open_csv(path, convert_options=options) as batches:
            for batch in batches:
                columns = [c.to_numpy(zero_copy_only=False) for c in batch.columns]
                total = total + np.column_stack(columns).sum(axis=0)
        return total
    raise ValueError(f"Unknown reader {reader!r}.")


def measure_in_child(reader, path, chunk_rows):
    """Run one reader in a new process; return (seconds, peak MiB, column sums)."""
    command = [sys.executable, __file__, "--child", reader, str(path), str(chunk_rows)]
    output = subprocess.run(command, check=True, capture_output=True, text=True)
    result = json.loads(output.stdout)
    return result["seconds"], result["peak_mib"], result["sums"]


def child(reader, path, chunk_rows):
    start = time.perf_counter()
    sums = read(reader, path, int(chunk_rows))
    seconds = time.perf_counter() - start
    # ru_maxrss is in KiB on Linux.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mib": peak, "sums": list(sums)}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000000,10000000")
    parser.add_argument("--chunk-rows", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    has_pyarrow = importlib.util.find_spec("pyarrow") is not None
    readers = [r for r in READERS if has_pyarrow or r not in NEEDS_PYARROW]
    print(f"pandas {pd.__version__}, numpy {np.__version__}", end="")
    if has_pyarrow:
        import pyarrow

        print(f", pyarrow {pyarrow.__version__}", end="")
    print(f", chunks of {args.chunk_rows} rows")
    print()
    print("| rows | reader | seconds | peak MiB | ratio to pandas-c |")
    print("| --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as folder:
        for n_rows in [int(float(r)) for r in args.rows.split(",")]:
            path = csvdata.write_table(Path(folder) / f"rows{n_rows}.csv", n_rows)
            results = {r: measure_in_child(r, path, args.chunk_rows) for r in readers}
            reference_sums = results["pandas-c"][2]
            baseline = results["pandas-c"][0]
            for reader, (seconds, peak, sums) in results.items():
                if not np.allclose(sums, reference_sums, rtol=1e-12):
                    raise SystemExit(f"{reader} read other values than pandas-c.")
                print(
                    f"| {n_rows:.0e} | {reader} | {seconds:.2f} | {peak:.0f} | "
                    f"{seconds / baseline:.2f} |"
                )
            path.unlink()


if __name__ == "__main__":
    main()
