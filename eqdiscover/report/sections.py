"""The sections of a report, built as blocks from a checked result.

Every section reads only the result dictionary and skips what is missing, so
that results of older versions, or of fits that recorded less, still give a
report.
"""

import sympy as sp

from ..expressions import display_name
from ..transforms import TRANSFORMS
from .document import (
    Code,
    Equation,
    Heading,
    Items,
    Paragraph,
    Strong,
    Table,
    WarningBlock,
    spans,
)
from .plots import MAX_RESIDUAL_PLOTS
from .result import column_symbols, found_expression

__all__ = ["build_blocks"]

# The path table lists at most this many alphas, evenly spaced along the path.
MAX_PATH_ROWS = 20
# Each row of the path table names at most this many terms.
MAX_PATH_TERMS = 6
# Warning text of a fit whose figures of the rows were not drawn.
NO_DATA_TEXT = (
    "The plots of found against measured values and of the residuals need the "
    "rows, which this report was built without. Rebuild it with "
)


def _number(value, digits=10):
    return "" if value is None else f"{value:.{digits}g}"


def _cell(*parts):
    return spans(*parts)


def build_blocks(result, figures, has_data):
    """Return the blocks of the whole report, section by section.

    Parameters
    ----------
    result : dict
        A checked result.
    figures : dict of str to list of Figure
        The figures drawn, by kind, as :func:`~eqdiscover.report.plots.draw_figures`
        returns them.
    has_data : bool
        Whether the rows were given, so that the figures of the rows exist.
    """
    title = f"{display_name(result['target'])}: formula found by eqdiscover"
    sections = [
        [Heading(title, level=1)],
        _formula_section(result),
        _data_section(result),
        _library_section(result),
        _network_section(result, figures),
        _path_section(result, figures),
        _candidate_section(result),
        _coefficient_section(result),
        _fit_section(result, figures, has_data),
        _truth_section(result),
        _settings_section(result),
    ]
    return [block for section in sections for block in section]


def formula_text(result):
    """Return the found formula as plain text in the column names."""
    display = result.get("display")
    if display is None:
        symbols = {
            column: sp.Symbol(display_name(column))
            for column in result["symbols"].values()
        }
        display = sp.sstr(found_expression(result, symbols))
    return f"{display_name(result['target'])} = {display}"


def _formula_section(result):
    blocks = [Heading("Formula")]
    warnings = [
        result.get("misfit"),
        result.get("selection", {}).get("all_pruned"),
    ]
    blocks += [WarningBlock(spans(text)) for text in warnings if text]
    symbols = column_symbols(result)
    expr = found_expression(result, symbols)
    columns = {symbol: column for column, symbol in symbols.items()}
    blocks.append(Equation(result["target"], expr, columns, formula_text(result)))
    transform = result.get("transform", {"name": "none"})["name"]
    if transform != "none":
        label = TRANSFORMS[transform].label.replace("y", display_name(result["target"]))
        rule = result.get("transforms", {}).get("rule", "")
        text = f"Transform of the target: {transform}. The terms sum to "
        blocks.append(
            Paragraph(spans(text, Code(label), f", solved for the target. {rule}"))
        )
    return blocks


def _data_section(result):
    data = result.get("data")
    if not data:
        return []
    source = Code(data["source"]) if data.get("source") else "a table in memory"
    n_read = data.get("n_rows_read")
    n_used = data.get("n_samples")
    counts = f"Rows read: {n_read}; rows used: {n_used}"
    if n_read is not None and n_used is not None:
        counts += f"; rows dropped: {n_read - n_used}"
    blocks = [
        Heading("Data"),
        Paragraph(spans("Source: ", source, f". {counts}.")),
    ]
    notes = result.get("notes", [])
    if notes:
        blocks.append(Paragraph(spans("What loading and the library left out:")))
        blocks.append(Items(tuple(spans(note) for note in notes)))
    ranges = data.get("inputs", {})
    if ranges:
        rows = tuple(
            (
                _cell(Code(display_name(column))),
                _cell(_number(low)),
                _cell(_number(high)),
            )
            for column, (low, high) in ranges.items()
        )
        blocks.append(Table(("input", "min", "max"), rows, frozenset({1, 2})))
    return blocks


def _library_section(result):
    library = result.get("library")
    if not library:
        return []
    terms = library.get("terms", [])
    text = [f"The library has {len(terms)} candidate terms"]
    if library.get("spec"):
        text += [" from the specification ", Code(library["spec"])]
    text.append(":")
    listed = []
    for i, term in enumerate(terms):
        listed += [", " if i else " ", Code(term)]
    blocks = [Heading("Library"), Paragraph(spans(*text, *listed, "."))]
    dropped = library.get("dropped", [])
    if dropped:
        blocks.append(
            Paragraph(spans("Terms left out before training, and the reason:"))
        )
        rows = tuple((_cell(Code(d["term"])), _cell(d["reason"])) for d in dropped)
        blocks.append(Table(("term", "reason"), rows))
    else:
        blocks.append(Paragraph(spans("No term was left out as redundant.")))
    return blocks


# Rows of the weight table; a large library shows its strongest terms.
MAX_WEIGHT_ROWS = 30


def _network_section(result, figures):
    network = result.get("network")
    if not network:
        return []
    sizes = network.get("layer_sizes")
    blocks = [Heading("Network")]
    facts = []
    if sizes:
        facts.append(spans("Layer sizes: ", Code(", ".join(map(str, sizes))), "."))
    if network.get("alpha") is not None:
        facts.append(spans(f"L1 weight alpha: {network['alpha']:g}."))
    if network.get("n_iter") is not None:
        converged = "yes" if network.get("converged") else "no"
        facts.append(
            spans(f"Training steps: {network['n_iter']} (converged: {converged}).")
        )
    if network.get("final_loss") is not None:
        facts.append(spans(f"Final loss: {network['final_loss']:.6g}."))
    if facts:
        blocks.append(Items(tuple(facts)))
    blocks.append(Paragraph(spans(_collapse_text(sizes))))
    collapsed = network.get("collapsed", {})
    if collapsed:
        rows = tuple(
            (_cell(Code(term)), _cell(_number(value)))
            for term, value in collapsed.items()
        )
        blocks.append(Table(("term", "collapsed coefficient"), rows, frozenset({1})))
    blocks += _weight_blocks(network)
    blocks += figures.get("loss", [])
    return blocks


def _weight_blocks(network):
    """Show the trained weight matrices and their product, one row per term.

    Only a network with one hidden layer is shown in full; the table has a
    column per hidden unit for W1 and one for W2, so each row reads as the
    term's coefficient c = sum over units of W2 times W1.
    """
    weights = network.get("weights")
    terms = network.get("weight_terms")
    if not weights or not terms or len(weights) != 2:
        return []
    first, second = weights
    hidden = len(first)
    if len(second) != 1 or len(second[0]) != hidden:
        return []
    if any(len(row) != len(terms) for row in first):
        return []
    order = sorted(
        range(len(terms)),
        key=lambda j: -abs(sum(second[0][k] * first[k][j] for k in range(hidden))),
    )[:MAX_WEIGHT_ROWS]
    header = (
        "term",
        *(f"W1 unit {k + 1}" for k in range(hidden)),
        "c = W2·W1",
    )
    rows = []
    for j in order:
        product = sum(second[0][k] * first[k][j] for k in range(hidden))
        cells = [_cell(Code(terms[j]))]
        cells += [_cell(_number(first[k][j], 6)) for k in range(hidden)]
        cells.append(_cell(_number(product, 6)))
        rows.append(tuple(cells))
    units = ", ".join(_number(value, 6) for value in second[0])
    text = (
        f"The trained weights in standardized units: W2 = [{units}]. Each row "
        f"multiplies into the term's coefficient c; rows are ordered by |c|"
        + (
            f", the first {MAX_WEIGHT_ROWS} shown."
            if len(terms) > MAX_WEIGHT_ROWS
            else "."
        )
    )
    numeric = frozenset(range(1, hidden + 2))
    return [Paragraph(spans(text)), Table(header, tuple(rows), numeric)]


def _collapse_text(sizes):
    text = (
        "With linear activations the network's output is c·θ + c0, where θ holds "
        "the library terms, c is the product of the weight matrices, last "
        "layer first, and c0 collects the biases carried through the later "
        "layers."
    )
    if sizes and len(sizes) >= 2:
        shapes = " · ".join(
            f"W{k} ({sizes[k]}×{sizes[k - 1]})" for k in range(len(sizes) - 1, 0, -1)
        )
        text += (
            f" Here c = {shapes}, a 1×{sizes[0]} row: one coefficient per term "
            f"other than the constant."
        )
    text += (
        " The table gives c, mapped back from standardized units to the units of "
        "the data; the constant's entry is c0. The network only ranks the terms: "
        "the coefficients of the formula come from the least-squares refit below."
    )
    return text


def _path_section(result, figures):
    path = result.get("path")
    if not path or not path["alphas"]:
        return []
    alphas, coef = path["alphas"], path["coef"]
    blocks = [
        Heading("Regularization path"),
        Paragraph(
            spans(
                f"The network was trained at {len(alphas)} values of alpha, from "
                f"{min(alphas):.3g} to {max(alphas):.3g}. The table counts the "
                f"terms whose collapsed coefficient is not zero."
            )
        ),
    ]
    step = max(1, -(-len(alphas) // MAX_PATH_ROWS))
    rows = []
    for i in range(0, len(alphas), step):
        nonzero = [term for term, c in zip(path["terms"], coef[i]) if c != 0]
        cell = []
        for k, term in enumerate(nonzero[:MAX_PATH_TERMS]):
            cell += [", " if k else "", Code(term)]
        if len(nonzero) > MAX_PATH_TERMS:
            cell.append(f" and {len(nonzero) - MAX_PATH_TERMS} more")
        rows.append((_cell(f"{alphas[i]:.4g}"), _cell(str(len(nonzero))), _cell(*cell)))
    header = ("alpha", "terms not zero", "terms")
    blocks.append(Table(header, tuple(rows), frozenset({0, 1})))
    return blocks + figures.get("path", [])


def _candidate_section(result):
    selection = result.get("selection", {})
    candidates = selection.get("candidates")
    if not candidates:
        return []
    rows = tuple(
        (
            _cell(Strong("chosen") if c["chosen"] else ""),
            _cell(str(c["n_terms"])),
            _cell(f"{c['rmse']:.6g}"),
            _cell(f"{c['criterion']:.2f}"),
            _cell(Code(c["formula"])),
        )
        for c in candidates
    )

    scored = selection.get("n_scored")
    count = f"{scored} subsets" if scored is not None else "Subsets"
    text = (
        f"{count} of terms were refitted and scored; the best are listed. "
        f"Criterion: BIC, n·log(RSS/n) + k·log(n), plus 0.5 per unit of term "
        f"complexity; lower is better."
    )
    blocks = [Heading("Candidates"), Paragraph(spans(text))]

    runner_up = selection.get("runner_up")
    if runner_up is not None:
        against = selection.get("criterion")
        against = "" if against is None else f" against {against:.2f}"
        blocks.append(
            Paragraph(
                spans(
                    Strong("Equally good alternative:"),
                    " ",
                    Code(runner_up["formula"]),
                    f" has criterion {runner_up['criterion']:.2f}{against} for the "
                    f"chosen formula, within the margin of 2. The data cannot tell "
                    f"the two apart.",
                )
            )
        )
    header = ("", "terms", "RMSE", "criterion", "formula")
    blocks.append(Table(header, rows, frozenset({1, 2, 3})))
    return blocks


def _coefficient_section(result):
    collapsed = result.get("network", {}).get("collapsed", {})
    refit = {row["term"]: row["coefficient"] for row in result["terms"]}
    truth = result.get("truth", {})
    true = {
        row["term"]: row["true"]
        for row in truth.get("terms", [])
        if row.get("true") is not None
    }
    estimates = result.get("estimates", {})
    by_term = {row["term"]: row for row in estimates.get("terms", [])}
    names = list(dict.fromkeys([*collapsed, *by_term, *refit, *true]))

    rows = []
    for name in names:
        row = by_term.get(name, {})
        interval = row.get("interval")
        rows.append(
            (
                _cell(Code(name)),
                _cell(_number(collapsed.get(name))),
                _cell(_number(row.get("refit", refit.get(name)))),
                _cell(Code(row["exact"]) if row.get("exact") else ""),
                _cell(_number(row.get("stderr"))),
                _cell(f"{interval[0]:.6g} to {interval[1]:.6g}" if interval else ""),
                _cell(_number(true.get(name))),
            )
        )

    text = (
        "Collapsed: the network's weight matrices multiplied into one coefficient "
        "per term. Refit: least squares on the chosen terms; a blank cell means "
        "the term was not chosen. Exact: the simple value that replaces the refit "
        "where the fit allows it. The standard error and the 95% interval come "
        "from the refit."
    )
    if estimates.get("exact_fit"):
        text += (
            " The residual is at rounding level, so the data carries no noise to "
            "estimate an error from: the coefficients are exact to rounding."
        )

    header = (
        "term",
        "collapsed (network)",
        "refit",
        "exact",
        "standard error",
        "95% interval",
        "true",
    )
    numeric = frozenset({1, 2, 4, 6})
    if not true:
        header, rows = header[:-1], [row[:-1] for row in rows]
    return [
        Heading("Coefficients"),
        Paragraph(spans(text)),
        Table(header, tuple(rows), numeric),
    ]


def _fit_section(result, figures, has_data):
    metrics = result.get("metrics")
    blocks = [Heading("Fit on the training rows")]
    if metrics:
        r2 = metrics["r2"]
        rows = (
            (_cell("R²"), _cell("" if r2 is None else f"{r2:.10g}")),
            (_cell("RMSE"), _cell(f"{metrics['rmse']:.6g}")),
            (_cell("max absolute error"), _cell(_max_error_text(metrics))),
            (_cell("rows"), _cell(str(metrics["n_samples"]))),
        )
        blocks.append(Table(("metric", "value"), rows, frozenset({1})))
    if not has_data:
        blocks.append(
            Paragraph(
                spans(
                    NO_DATA_TEXT,
                    Code("eqdiscover report RESULT.json --data DATA.csv"),
                    ".",
                )
            )
        )
        return blocks
    blocks += figures.get("found", [])
    residuals = figures.get("residuals", [])
    n_inputs = len(result.get("data", {}).get("inputs", {}))
    if n_inputs > MAX_RESIDUAL_PLOTS:
        blocks.append(
            Paragraph(
                spans(
                    f"Residuals are plotted against the first {MAX_RESIDUAL_PLOTS} "
                    f"of the {n_inputs} inputs."
                )
            )
        )
    return blocks + residuals


def _max_error_text(metrics):
    if metrics["max_abs_error"] is None:
        return "not computed (rows read in chunks)"
    return f"{metrics['max_abs_error']:.6g}"


def _truth_section(result):
    truth = result.get("truth")
    if not truth:
        return []

    def verdict(value):
        return {True: "yes", False: "no", None: "not checked (too large)"}[value]

    rows = [
        (_cell("true formula"), _cell(Code(truth["formula"]))),
        (_cell("verdict"), _cell(truth["summary"])),
        (_cell("term precision"), _cell(f"{truth['precision']:.3g}")),
        (_cell("term recall"), _cell(f"{truth['recall']:.3g}")),
    ]
    if truth.get("max_relative_error") is not None:
        error = truth["max_relative_error"]
        rows.append(
            (_cell("largest relative coefficient error"), _cell(f"{error:.3g}"))
        )
    if "symbolic_match" in truth:
        rows.append(
            (
                _cell("symbolic match (found - true simplifies to 0)"),
                _cell(verdict(truth["symbolic_match"])),
            )
        )
    if "srbench_match" in truth:
        rows.append(
            (
                _cell(
                    "SRBench rule (found - true or found / true is a constant, "
                    "with the found constants rounded to 3 decimals)"
                ),
                _cell(verdict(truth["srbench_match"])),
            )
        )
    blocks = [
        Heading("Comparison with the truth"),
        Table(("comparison", "result"), tuple(rows)),
    ]
    terms = truth.get("terms", [])
    if terms:
        term_rows = tuple(
            (
                _cell(Code(row["term"])),
                _cell(_number(row.get("true"))),
                _cell(_number(row.get("found"))),
                _cell(_number(row.get("relative_error"), 3)),
            )
            for row in terms
        )
        header = ("term", "true", "found", "relative error")
        blocks.append(Table(header, term_rows, frozenset({1, 2, 3})))
    held_out = truth.get("held_out")
    if held_out:
        r2 = held_out["r2"]
        blocks.append(
            Paragraph(
                spans(
                    f"On {held_out['n_samples']} held-out rows: R² "
                    f"{'undefined' if r2 is None else f'{r2:.10g}'}, RMSE "
                    f"{held_out['rmse']:.6g}, max absolute error "
                    f"{_max_error_text(held_out)}."
                )
            )
        )
    return blocks


def _settings_section(result):
    rows = [
        (_cell(Code(key)), _cell(Code(str(value))))
        for key, value in result.get("settings", {}).items()
    ]
    selection = result.get("selection", {})
    if selection.get("n_scored") is not None:
        rows.append((_cell("subsets scored"), _cell(str(selection["n_scored"]))))
    version = result.get("eqdiscover_version", "unknown")
    rows.append((_cell("eqdiscover version"), _cell(version)))
    return [Heading("Settings"), Table(("setting", "value"), tuple(rows))]
