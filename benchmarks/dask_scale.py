"""Rows per second and peak worker memory of a fit on a local Dask cluster.

Writes the table of ``csvdata.py`` (three inputs and a target) split over
several CSV files into a temporary folder, starts a ``LocalCluster`` on
127.0.0.1 with one thread per worker process, and runs
``eqdiscover.fit(pattern, "y", engine="dask")`` with the default library.
After the fit it reads the peak resident memory (``ru_maxrss``) of each
worker through ``client.run``, and deletes the files.

It prints a Markdown table of the rows, files, partitions, the time to write
the files, the fit time, rows per second, the peak memory of each worker and
of the client process, and the formula found.

Usage::

    python benchmarks/dask_scale.py [--rows 1e8] [--files 20] [--workers 2]
"""

import argparse
import logging
import multiprocessing
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

import distributed

import eqdiscover

sys.path.insert(0, str(Path(__file__).resolve().parent))
import csvdata


def peak_mib():
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_file(task):
    path, n_rows, seed = task
    csvdata.write_table(path, n_rows, seed=seed)
    return path


def write_files(folder, n_rows, n_files, n_processes):
    """Write ``n_rows`` rows over ``n_files`` files, several at a time."""
    per_file = -(-n_rows // n_files)
    tasks = []
    for i in range(n_files):
        size = min(per_file, n_rows - i * per_file)
        tasks.append((folder / f"part-{i:03d}.csv", size, i))
    with multiprocessing.Pool(n_processes) as pool:
        pool.map(write_file, tasks)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=1e8)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--folder", help="Folder for the temporary files [default: the system's]."
    )
    args = parser.parse_args()
    n_rows = int(args.rows)

    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        folder = Path(folder)
        start = time.perf_counter()
        write_files(folder, n_rows, args.files, args.workers)
        write_seconds = time.perf_counter() - start
        size_gib = sum(p.stat().st_size for p in folder.glob("*.csv")) / 2**30
        partitions = []
        with (
            distributed.LocalCluster(
                n_workers=args.workers,
                threads_per_worker=1,
                host="127.0.0.1",
                dashboard_address=None,
                silence_logs=logging.CRITICAL,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                formula = eqdiscover.fit(
                    str(folder / "*.csv"),
                    "y",
                    engine="dask",
                    progress=lambda done, total: partitions.append(total),
                )
            fit_seconds = time.perf_counter() - start
            worker_peaks = sorted(client.run(peak_mib).values())

    print(
        f"{n_rows:.0e} rows in {args.files} CSV files ({size_gib:.1f} GiB), "
        f"{partitions[-1]} partitions, {args.workers} workers of one thread, "
        f"truth y = {csvdata.TRUTH}"
    )
    print(f"found: {formula}")
    print()
    print(
        "| rows | write files (s) | fit (s) | rows/s | peak MiB per worker "
        "| client MiB |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    peaks = ", ".join(f"{p:.0f}" for p in worker_peaks)
    print(
        f"| {n_rows:.0e} | {write_seconds:.0f} | {fit_seconds:.1f} | "
        f"{n_rows / fit_seconds:.3g} | {peaks} | {peak_mib():.0f} |"
    )


if __name__ == "__main__":
    main()
