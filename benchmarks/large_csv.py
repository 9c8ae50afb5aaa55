"""Peak memory and time of a chunked fit of a large CSV, against a plain solve.

Writes a CSV of three inputs and a target (see ``csvdata.py``) into a
temporary folder. Then, each in its own process so that the peak resident
memory (``ru_maxrss``) of each is its own, it runs

- ``eqdiscover.fit(path, chunk_rows=N)`` with the default library, and
- the baseline: ``pandas.read_csv`` of the whole file, the same library
  matrix, and one ``numpy.linalg.lstsq`` on it, which picks no terms.

It prints a Markdown table of the wall time and peak memory of each, and the
ratio of the two times.

Usage::

    python benchmarks/large_csv.py [--rows 10000000] [--chunk-rows 250000]
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import eqdiscover
from eqdiscover.library import FeatureLibrary

sys.path.insert(0, str(Path(__file__).resolve().parent))
import csvdata


def run_fit(path, chunk_rows):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        formula = eqdiscover.fit(path, "y", chunk_rows=chunk_rows)
    return str(formula)


def run_baseline(path, chunk_rows):
    frame = pd.read_csv(path, engine="c")
    inputs = frame[["x0", "x1", "x2"]]
    theta = FeatureLibrary().fit(inputs).transform(inputs)
    coef, *_ = np.linalg.lstsq(theta, frame["y"].to_numpy(), rcond=None)
    return f"{len(coef)} coefficients"


def child(task, path, chunk_rows):
    start = time.perf_counter()
    result = {"fit": run_fit, "baseline": run_baseline}[task](path, int(chunk_rows))
    seconds = time.perf_counter() - start
    # ru_maxrss is in KiB on Linux.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mib": peak, "result": result}))


def measure(task, path, chunk_rows):
    command = [sys.executable, __file__, "--child", task, str(path), str(chunk_rows)]
    output = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(output.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=1e7)
    parser.add_argument("--chunk-rows", type=int, default=250_000)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    n_rows = int(args.rows)
    with tempfile.TemporaryDirectory() as folder:
        path = csvdata.write_table(Path(folder) / "large.csv", n_rows)
        size_mib = path.stat().st_size / 2**20
        fit = measure("fit", path, args.chunk_rows)
        baseline = measure("baseline", path, args.chunk_rows)
    print(
        f"{n_rows:.0e} rows, 3 inputs, {size_mib:.0f} MiB of CSV, truth "
        f"y = {csvdata.TRUTH}, chunks of {args.chunk_rows} rows"
    )
    print(f"found: {fit['result']}")
    print()
    print("| run | seconds | peak MiB |")
    print("| --- | --- | --- |")
    print(f"| eqdiscover.fit, chunked | {fit['seconds']:.1f} | {fit['peak_mib']:.0f} |")
    print(
        f"| read_csv + library + lstsq | {baseline['seconds']:.1f} | "
        f"{baseline['peak_mib']:.0f} |"
    )
    print()
    print(f"time ratio fit / baseline: {fit['seconds'] / baseline['seconds']:.2f}")


if __name__ == "__main__":
    main()
