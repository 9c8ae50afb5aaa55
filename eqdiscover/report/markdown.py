"""Markdown report of one fit."""

from .._io import check_writable, write_texts_atomic
from .._version import __version__

__all__ = ["render_markdown", "write_markdown"]


def _code(text):
    """Format text as inline code, so that ``*`` and ``|`` stay literal in tables.

    Text that contains a backtick, such as a quoted column name, is fenced with
    two backticks and spaces.
    """
    text = str(text).replace("|", "\\|")
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _number(value):
    return "" if value is None else f"{value:.10g}"


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def render_markdown(formula):
    """Return the Markdown report of a :class:`~eqdiscover.formula.Formula`."""
    details = formula.details
    sections = [
        f"# {formula.target}: formula found by eqdiscover",
        _formula_section(formula),
        _data_section(details.get("data"), details.get("notes", [])),
        _coefficient_section(formula),
        _candidate_section(formula),
        _metrics_section(details.get("metrics")),
        _truth_section(details.get("truth")),
        _settings_section(details),
    ]
    return "\n\n".join(s for s in sections if s) + "\n"


def _formula_section(formula):
    parts = ["## Formula"]
    details = formula.details
    warnings = [details.get("misfit"), details.get("selection", {}).get("all_pruned")]
    parts += [f"> **Warning:** {text}" for text in warnings if text]
    parts += [f"$$\n{formula.latex()}\n$$", f"```text\n{formula}\n```"]
    return "\n\n".join(parts)


def _data_section(data, notes):
    if not data:
        return ""
    source = _code(data["source"]) if data.get("source") else "a table in memory"
    lines = [
        "## Data",
        (
            f"Source: {source}. Rows read: {data['n_rows_read']}; rows used: "
            f"{data['n_samples']}."
        ),
    ]
    lines += [f"- {note}" for note in notes]
    ranges = [
        [_code(column), _number(low), _number(high)]
        for column, (low, high) in data["inputs"].items()
    ]
    lines.append(_table(["input", "min", "max"], ranges))
    return "\n\n".join(lines)


def _coefficient_section(formula):
    details = formula.details
    collapsed = details.get("network", {}).get("collapsed", {})
    refit = {**formula.coefficients}
    if any(term == 1 for term in formula.terms):
        refit["1"] = formula.intercept
    true = {
        row["term"]: row["true"]
        for row in details.get("truth", {}).get("terms", [])
        if row["true"] is not None
    }
    estimates = details.get("estimates", {"exact_fit": False, "terms": []})
    by_term = {row["term"]: row for row in estimates["terms"]}
    names = list(dict.fromkeys([*collapsed, *by_term, *refit, *true]))
    rows = []
    for name in names:
        row = by_term.get(name, {})
        interval = row.get("interval")
        rows.append(
            [
                _code(name),
                _number(collapsed.get(name)),
                _number(row.get("refit", refit.get(name))),
                _code(row["exact"]) if row.get("exact") else "",
                _number(row.get("stderr")),
                f"{interval[0]:.6g} to {interval[1]:.6g}" if interval else "",
                _number(true.get(name)),
            ]
        )
    text = (
        "Collapsed: the network's weight matrices multiplied into one coefficient "
        "per term. Refit: least squares on the chosen terms; a blank cell means "
        "the term was not chosen. Exact: the simple value that replaces the refit "
        "where the fit allows it. The standard error and the 95% interval come "
        "from the refit."
    )
    if estimates["exact_fit"]:
        text += (
            " The residual is at rounding level, so the data carries no noise to "
            "estimate an error from: the coefficients are exact to rounding."
        )
    header = [
        "term",
        "collapsed (network)",
        "refit",
        "exact",
        "standard error",
        "95% interval",
        "true",
    ]
    if not true:
        header, rows = header[:-1], [row[:-1] for row in rows]
    return "\n\n".join(["## Coefficients", text, _table(header, rows)])


def _candidate_section(formula):
    selection = formula.details.get("selection", {})
    candidates = selection.get("candidates")
    if not candidates:
        return ""
    rows = [
        [
            "**chosen**" if c["chosen"] else "",
            str(c["n_terms"]),
            f"{c['rmse']:.6g}",
            f"{c['criterion']:.2f}",
            _code(c["formula"]),
        ]
        for c in candidates
    ]
    text = (
        f"{selection['n_scored']} subsets of terms were refitted and scored; the "
        f"best are listed. Criterion: BIC, n·log(RSS/n) + k·log(n), plus 0.5 per "
        f"unit of term complexity; lower is better."
    )
    parts = ["## Candidates", text]
    runner_up = selection.get("runner_up")
    if runner_up is not None:
        parts.append(
            f"**Equally good alternative:** {_code(runner_up['formula'])} has "
            f"criterion {runner_up['criterion']:.2f} against "
            f"{selection['criterion']:.2f} for the chosen formula, within the "
            f"margin of 2. The data cannot tell the two apart."
        )
    header = ["", "terms", "RMSE", "criterion", "formula"]
    parts.append(_table(header, rows))
    return "\n\n".join(parts)


def _metrics_section(metrics):
    if not metrics:
        return ""
    max_error = metrics["max_abs_error"]
    rows = [
        ["R²", f"{metrics['r2']:.10g}"],
        ["RMSE", f"{metrics['rmse']:.6g}"],
        [
            "max absolute error",
            "not computed (rows read in chunks)"
            if max_error is None
            else f"{max_error:.6g}",
        ],
        ["rows", str(metrics["n_samples"])],
    ]
    return "\n\n".join(
        ["## Fit on the training rows", _table(["metric", "value"], rows)]
    )


def _truth_section(truth):
    if not truth:
        return ""
    rows = [
        ["true formula", _code(truth["formula"])],
        ["verdict", truth["summary"]],
        ["term precision", f"{truth['precision']:.3g}"],
        ["term recall", f"{truth['recall']:.3g}"],
    ]
    table = _table(["comparison", "result"], rows)
    return f"## Comparison with the truth\n\n{table}"


def _settings_section(details):
    settings = details.get("settings", {})
    network = details.get("network", {})
    library = details.get("library", {})
    selection = details.get("selection", {})
    rows = [[_code(key), _code(value)] for key, value in settings.items()]
    rows += [
        ["library terms", ", ".join(_code(t) for t in library.get("terms", []))],
        [
            "terms left out",
            "; ".join(
                f"{_code(d['term'])}: {d['reason']}" for d in library.get("dropped", [])
            )
            or "none",
        ],
        ["network layer sizes", _code(network.get("layer_sizes"))],
        [
            "training steps",
            (
                f"{network.get('n_iter')} (converged: "
                f"{'yes' if network.get('converged') else 'no'})"
            ),
        ],
        ["subsets scored", str(selection.get("n_scored"))],
        ["eqdiscover version", __version__],
    ]
    return "\n\n".join(["## Settings", _table(["setting", "value"], rows)])


def write_markdown(formula, path, *, force=False):
    """Write the Markdown report to ``path``; an existing file needs ``force``."""
    check_writable([path], force)
    write_texts_atomic({path: render_markdown(formula)})
