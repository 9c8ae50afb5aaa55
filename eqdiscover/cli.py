"""The ``eqdiscover`` command."""

import functools
import glob
import json
import logging
import math
import time
import warnings
from pathlib import Path

import click

from ._io import check_writable, write_folder_atomic, write_texts_atomic
from ._version import __version__
from .bench import format_progress, format_report, run_suite, suite_tasks, to_csv
from .data import (
    GENERATORS,
    NAN_POLICIES,
    generate,
    metadata_path,
    read_csv,
    write_generated,
)
from .exceptions import EqdiscoverError
from .expressions import display_name
from .feynman import FEYNMAN_PREFIX, find_equation
from .library import DEFAULT_LIBRARY
from .pipeline import DEFAULT_TRANSFORM, DEFAULTS, _check_engine
from .pipeline import fit as fit_formula
from .report import FORMATS, build_report, check_report_folder, read_result
from .report.result import as_result
from .transforms import transform_line, transform_names

logger = logging.getLogger(__name__)


class InputError(click.ClickException):
    """Bad input from the user: one sentence on stderr and exit status 2."""

    exit_code = 2


_VERBOSE_KEY = "eqdiscover.verbose"


def _configure_logging(verbose):
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    package = logging.getLogger("eqdiscover")
    package.handlers[:] = [handler]
    package.setLevel(logging.INFO if verbose else logging.WARNING)
    package.propagate = False


def _count_verbose(ctx, param, value):
    if value:
        root = ctx.find_root()
        root.meta[_VERBOSE_KEY] = root.meta.get(_VERBOSE_KEY, 0) + value
        _configure_logging(verbose=True)


verbose_option = click.option(
    "-v",
    "--verbose",
    count=True,
    expose_value=False,
    callback=_count_verbose,
    help="Log the steps and their timings on stderr, and tracebacks of errors.",
)


def _reports_errors(command):
    """Turn eqdiscover's errors into exit status 2 and warnings into stderr lines.

    Warnings of other categories than UserWarning, such as NumPy's floating
    point RuntimeWarning, go to the log instead.
    """

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        verbose = click.get_current_context().find_root().meta.get(_VERBOSE_KEY, 0)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = command(*args, **kwargs)
        except EqdiscoverError as error:
            if verbose:
                logger.exception("details for a bug report")
            raise InputError(str(error)) from None
        except OSError as error:
            if verbose:
                logger.exception("details for a bug report")
            raise click.ClickException(
                f"{error.strerror or error} ({error.filename or 'no file name'})."
            ) from None
        for warning in caught:
            if issubclass(warning.category, UserWarning):
                click.echo(f"Warning: {warning.message}", err=True)
            else:
                logger.info("%s: %s", warning.category.__name__, warning.message)
        return result

    return wrapper


def _coefficient_lines(coefficients):
    """Return the printed coefficient table: value, exact form and uncertainty."""
    if coefficients["exact_fit"]:
        lines = ["coefficients (the fit is exact to rounding: no noise to estimate):"]
    else:
        lines = ["coefficients (standard error; 95% interval):"]
    for row in coefficients["terms"]:
        text = f"  {row['term']}: "
        if row["exact"] is not None:
            text += f"{row['exact']} (refit {row['refit']:.15g})"
        else:
            text += f"{row['value']:.15g}"
        if row["stderr"] is not None:
            low, high = row["interval"]
            text += f" ({row['stderr']:.3g}; {low:.6g} to {high:.6g})"
        lines.append(text)
    return lines


def _alternative_line(formula, runner_up):
    chosen = formula.details["selection"]["criterion"]
    return (
        f"alternative: {display_name(formula.target)} = {runner_up['formula']} fits "
        f"equally well (criterion {runner_up['criterion']:.1f} against "
        f"{chosen:.1f}); the data cannot tell the two apart."
    )


def _split_list(value):
    return [item.strip() for item in value.split(",") if item.strip()]


def _parse_generator(ctx, param, value):
    if value in GENERATORS:
        return value
    if value.startswith(FEYNMAN_PREFIX):
        try:
            find_equation(value.removeprefix(FEYNMAN_PREFIX))
        except EqdiscoverError as error:
            raise click.BadParameter(str(error)) from None
        return value
    names = ", ".join(repr(name) for name in sorted(GENERATORS))
    raise click.BadParameter(
        f"{value!r} is not one of {names}, or feynman:NAME with NAME an equation "
        f"of datasets/feynman.csv such as I.12.1."
    )


def _parse_alpha(ctx, param, value):
    if value == "auto":
        return value
    try:
        alpha = float(value)
    except ValueError:
        alpha = math.nan
    if not math.isfinite(alpha) or alpha < 0:
        raise click.BadParameter(f"{value!r} is not 'auto' or a number >= 0.")
    return alpha


def _parse_formats(ctx, param, value):
    if value is None:
        return None
    formats = tuple(dict.fromkeys(_split_list(value)))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise click.BadParameter(
            f"{value!r} is not a list of report formats; give 'md', 'tex' or 'md,tex'."
        )
    return formats


report_option = click.option(
    "--report",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the report into: report.md and/or report.tex, and "
    "figures/ [default with --format: reports/NAME].",
)
format_option = click.option(
    "--format",
    "formats",
    callback=_parse_formats,
    help="Report documents, comma-separated: md (Markdown), tex (LaTeX) [default: md].",
)


def _report_folder(report, formats, name):
    """Return the report folder and formats that the options ask for, or None."""
    if report is None and formats is None:
        return None, None
    if report is None:
        report = Path("reports") / name
    return report, formats or ("md",)


def _parse_layers(ctx, param, value):
    try:
        sizes = tuple(int(item) for item in _split_list(value))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise click.BadParameter(
            f"{value!r} is not a list of positive integers; give hidden layer "
            f"sizes such as '2' or '4,2'."
        )
    return sizes


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="eqdiscover")
@verbose_option
@click.pass_context
def main(ctx):
    """Find the formula behind a table of measurements."""
    _configure_logging(verbose=ctx.meta.get(_VERBOSE_KEY, 0) > 0)


@main.command("generate")
@click.argument("name", callback=_parse_generator)
@click.option(
    "--rows",
    default=5000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Number of rows.",
)
@click.option(
    "--noise",
    default=0.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Gaussian noise, standard deviation as a fraction of the "
    "target's root mean square.",
)
@click.option(
    "--seed",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Seed of the coefficients, inputs and noise.",
)
@click.option("--low", type=float, help="Lower end of the input range.")
@click.option("--high", type=float, help="Upper end of the input range.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV to write [default: NAME.csv]; metadata goes beside it.",
)
@click.option("--force", is_flag=True, help="Overwrite existing files.")
@verbose_option
@_reports_errors
def generate_command(name, rows, noise, seed, low, high, output, force):
    """Write a CSV sampled from a known formula, with a metadata JSON beside it.

    NAME is one of the generators, whose seeded ones draw their coefficients
    a, b, c, d from a standard normal generator, or feynman:NAME, an equation of
    the Feynman database such as feynman:I.12.1, whose inputs are sampled from
    their own ranges.
    """
    frame, metadata = generate(
        name, n_samples=rows, noise=noise, seed=seed, low=low, high=high
    )
    output = output or Path(f"{name}.csv")
    csv_path, meta_path = write_generated(frame, metadata, output, force=force)
    click.echo(f"{metadata['target']} = {metadata['formula']}")
    row_word = "row" if rows == 1 else "rows"
    click.echo(
        f"Wrote {rows} {row_word} to {csv_path} and metadata to {meta_path}.",
        err=True,
    )


@main.command("fit")
@click.argument("data", type=click.Path(path_type=Path))
@click.option("--target", "-t", help="Column to explain [default: from the metadata].")
@click.option("--inputs", help="Comma-separated input columns [default: all others].")
@click.option(
    "--library",
    default=DEFAULTS["library"],
    show_default=True,
    help=f"Candidate terms, such as 'const,poly:2,sin,prod:2,x*exp(-y)'; "
    f"'default' is '{DEFAULT_LIBRARY}'. See the README for every item.",
)
@click.option(
    "--layers",
    default=",".join(map(str, DEFAULTS["layers"])),
    show_default=True,
    callback=_parse_layers,
    help="Hidden layer sizes of the network, comma-separated.",
)
@click.option(
    "--alpha",
    default=DEFAULTS["alpha"],
    show_default=True,
    callback=_parse_alpha,
    help="L1 weight of the network, in standardized units, or 'auto' to train "
    "along a path of weights and take every set of terms kept as a candidate.",
)
@click.option(
    "--threshold",
    default=DEFAULTS["threshold"],
    show_default=True,
    type=click.FloatRange(min=0),
    help="Prune non-constant terms contributing less than this fraction of "
    "the target's standard deviation.",
)
@click.option(
    "--max-iter",
    default=DEFAULTS["max_iter"],
    show_default=True,
    type=click.IntRange(min=1),
    help="Maximum training steps of the network.",
)
@click.option(
    "--seed",
    default=DEFAULTS["random_state"],
    show_default=True,
    type=click.IntRange(min=0),
    help="Seed of the network's initial weights.",
)
@click.option("--truth", help="True formula in the column names, to compare with.")
@click.option(
    "--nan",
    type=click.Choice(NAN_POLICIES),
    default="drop",
    show_default=True,
    help="Rows with an empty or NaN cell in a used column: drop them with a note, "
    "or stop with an error that names the first one.",
)
@click.option(
    "--chunk-rows",
    type=click.IntRange(min=1),
    help="Read the CSV this many rows at a time, so memory does not grow with "
    "the number of rows; the maximum absolute error is then not computed.",
)
@click.option(
    "--engine",
    type=click.Choice(["pandas", "dask"]),
    default="pandas",
    show_default=True,
    help="Read the rows in this process with pandas, or on a Dask cluster, "
    "partition by partition; DATA may then be a quoted glob pattern of CSV or "
    "Parquet files, such as 'logs/*.csv'.",
)
@click.option(
    "--scheduler",
    help="Address of the Dask scheduler, such as tcp://127.0.0.1:8786 "
    "[default: a local cluster on 127.0.0.1, started for the fit].",
)
@click.option(
    "--strict",
    is_flag=True,
    help="With --engine dask, stop at the first invalid file or partition "
    "instead of skipping it with a note.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the result as JSON to this file.",
)
@click.option(
    "--transform",
    type=click.Choice(transform_names()),
    default=DEFAULT_TRANSFORM,
    show_default=True,
    help="Transform of the target fitted as a sum of terms: auto searches them.",
)
@report_option
@format_option
@click.option(
    "--force", is_flag=True, help="Overwrite existing output files and folders."
)
@verbose_option
@_reports_errors
def fit_command(
    data,
    target,
    inputs,
    library,
    layers,
    alpha,
    threshold,
    max_iter,
    seed,
    truth,
    nan,
    chunk_rows,
    engine,
    scheduler,
    strict,
    transform,
    output,
    report,
    formats,
    force,
):
    """Find the formula of a target column in a CSV file DATA.

    Prints TARGET = EXPRESSION, the fit on the training rows, and the
    comparison with the true formula when --truth or a metadata JSON beside
    the CSV gives one. With --engine dask, DATA may be a glob pattern of CSV
    or Parquet files, and the metadata JSON beside the first file counts.
    """
    inputs_read = [data, metadata_path(data)]
    outputs = [p for p in (output,) if p is not None]
    check_writable(outputs, force, inputs=inputs_read)
    report, formats = _report_folder(report, formats, _data_name(data))
    if report is not None:
        check_report_folder(report, force, inputs=inputs_read + outputs)
    inputs = _split_list(inputs) if inputs is not None else None
    _check_engine(engine, data, scheduler, strict)
    dataset = None
    if chunk_rows is None and engine == "pandas":
        dataset = data = read_csv(
            data, target=target, inputs=inputs, truth=truth, nan=nan
        )
        target = inputs = truth = None
    formula = fit_formula(
        str(data) if engine == "dask" else data,
        target,
        inputs=inputs,
        truth=truth,
        chunk_rows=chunk_rows,
        nan=nan,
        engine=engine,
        scheduler=scheduler,
        strict=strict,
        progress=_partition_progress() if engine == "dask" else None,
        library=library,
        layers=layers,
        alpha=alpha,
        threshold=threshold,
        max_iter=max_iter,
        random_state=seed,
        transform=transform,
    )
    for note in formula.details["notes"]:
        click.echo(f"Note: {note}", err=True)
    click.echo(str(formula))
    if formula.transform != "none":
        click.echo(transform_line(formula))
    metrics = formula.details["metrics"]
    click.echo(
        f"fit: R^2 = {metrics['r2']:.10g}, RMSE = {metrics['rmse']:.4g} "
        f"on {metrics['n_samples']} rows"
    )
    for line in _coefficient_lines(formula.details["estimates"]):
        click.echo(line)
    runner_up = formula.details["selection"]["runner_up"]
    if runner_up is not None:
        click.echo(_alternative_line(formula, runner_up))
    truth_details = formula.details.get("truth")
    if truth_details:
        verdict = "matches" if truth_details["terms_match"] else "does not match"
        click.echo(
            f"truth: {formula.target} = {truth_details['formula']} ({verdict}: "
            f"{truth_details['summary']})"
        )
    # Render everything before writing anything, so a failure leaves no file.
    files = {}
    if output is not None:
        files[output] = json.dumps(formula.to_dict(), indent=2, allow_nan=False) + "\n"
    report_files = None
    if report is not None:
        report_files = build_report(as_result(formula), dataset, formats)
    # NOTE: the JSON and the report folder are renamed into place one after the
    # other, so a failure between the two renames leaves the JSON alone.
    write_texts_atomic(files)
    if report_files is not None:
        write_folder_atomic(report, report_files)
    for path in files:
        click.echo(f"Wrote {path}.", err=True)
    if report_files is not None:
        _echo_report(report, formats)


def _data_name(data):
    """Return the name of the data for its report folder: a pattern's folder name."""
    if not glob.has_magic(str(data)):
        return data.stem
    folders = []
    for part in data.parts:
        if glob.has_magic(part):
            break
        folders.append(part)
    return Path(*folders).name if folders else "data"


# Seconds between two progress lines, so that thousands of partitions do not
# flood stderr.
PROGRESS_INTERVAL = 2.0


def _partition_progress():
    """Return a callback that prints the count of partitions read on stderr."""
    last = -math.inf

    def report(done, total):
        nonlocal last
        now = time.monotonic()
        if done == total or now - last >= PROGRESS_INTERVAL:
            click.echo(f"Read {done} of {total} partitions.", err=True)
            last = now

    return report


def _echo_report(folder, formats):
    documents = ", ".join(FORMATS[name] for name in formats)
    click.echo(f"Wrote the report to {folder} ({documents} and figures).", err=True)


@main.command("report")
@click.argument("result", type=click.Path(path_type=Path))
@click.option(
    "--data",
    type=click.Path(path_type=Path),
    help="CSV of the fit, to draw the plots of found against measured values "
    "and of the residuals.",
)
@report_option
@format_option
@click.option("--force", is_flag=True, help="Replace an existing report folder.")
@verbose_option
@_reports_errors
def report_command(result, data, report, formats, force):
    """Build the report of a saved RESULT JSON without refitting.

    RESULT is a file written by 'eqdiscover fit --output'. The report folder
    defaults to reports/NAME, after the RESULT file's name.
    """
    report, formats = _report_folder(report, formats or ("md",), result.stem)
    inputs_read = [result] + ([data] if data is not None else [])
    check_report_folder(report, force, inputs=inputs_read)
    saved = read_result(result)
    dataset = None
    if data is not None:
        columns = saved.get("data", {}).get("inputs")
        dataset = read_csv(
            data,
            target=saved["target"],
            inputs=list(columns) if columns else None,
        )
    write_folder_atomic(report, build_report(saved, dataset, formats))
    _echo_report(report, formats)


def _parse_levels(ctx, param, value):
    try:
        levels = [float(item) for item in _split_list(value)]
    except ValueError:
        levels = []
    if not levels or not all(math.isfinite(v) and v >= 0 for v in levels):
        raise click.BadParameter(
            f"{value!r} is not a list of noise levels; give numbers >= 0 such as "
            f"'0,0.001,0.01,0.1'."
        )
    return levels


@main.command("bench")
@click.option(
    "--suite",
    type=click.Choice(["feynman", "basic"]),
    default="feynman",
    show_default=True,
    help="Equations to fit: the 100 Feynman equations, or the basic generators.",
)
@click.option(
    "--noise",
    default="0,0.001,0.01,0.1",
    show_default=True,
    callback=_parse_levels,
    help="Comma-separated noise levels: standard deviation over the target's RMS.",
)
@click.option(
    "--rows",
    default=10000,
    show_default=True,
    type=click.IntRange(min=8),
    help="Rows sampled per fit, before the 75/25 train/test split.",
)
@click.option(
    "--jobs",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Processes that fit in parallel.",
)
@click.option("--equations", help="Comma-separated equations of the suite to run.")
@click.option(
    "--output",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write results.md and results.csv into.",
)
@click.option("--force", is_flag=True, help="Overwrite existing result files.")
@verbose_option
@_reports_errors
def bench_command(suite, noise, rows, jobs, equations, output, force):
    """Fit every equation of a suite at every noise level and score the formulas.

    Each fit uses default settings on 75% of the rows; the other 25% give the
    test R². Progress goes to stderr, and the Markdown report to stdout.
    """
    tasks = suite_tasks(suite, _split_list(equations) if equations else None)
    paths = None
    if output is not None:
        paths = [output / "results.md", output / "results.csv"]
        check_writable(paths, force)

    start = time.perf_counter()

    def progress(done, total, result):
        elapsed = time.perf_counter() - start
        click.echo(format_progress(done, total, result, elapsed), err=True)

    results = run_suite(tasks, noise, rows, jobs=jobs, progress=progress)
    report = format_report(results, noise, time.perf_counter() - start)
    click.echo(report)
    if paths is not None:
        write_texts_atomic({paths[0]: report, paths[1]: to_csv(results)})
        click.echo(f"Wrote {paths[0]} and {paths[1]}.", err=True)
