"""Figures of a report, drawn with matplotlib into PNG bytes.

Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas,
which needs no display and leaves pyplot's global state alone.
"""

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MatplotlibFigure

from ..expressions import display_name, evaluate, parse_formula
from .document import Code, Figure, spans
from .result import column_symbols

__all__ = ["FIGURE_FOLDER", "draw_figures", "predict"]

FIGURE_FOLDER = "figures"
DPI = 120
SIZE = (6.0, 4.0)
# Scatter plots show at most this many rows, evenly spaced through the data,
# so that a report of a million-row fit stays quick to draw and small.
MAX_POINTS = 5000
MAX_RESIDUAL_PLOTS = 12


def _label(text):
    """Return text that matplotlib shows as it is, without math markup."""
    return str(text).replace("$", r"\$")


def _png(figure):
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _new_axes():
    figure = MatplotlibFigure(figsize=SIZE, layout="constrained")
    return figure, figure.add_subplot()


def predict(result, inputs):
    """Evaluate the found formula of a result on a DataFrame of inputs.

    The formula is read from ``result["expression"]`` by the restricted
    parser, so nothing in the result is run as code.
    """
    symbols = column_symbols(result)
    by_name = {str(symbol): symbol for symbol in symbols.values()}
    expr = parse_formula(result["expression"], by_name)
    values = {
        symbols[column]: inputs[column].to_numpy(dtype=float)
        for column in symbols
        if symbols[column] in expr.free_symbols
    }
    return evaluate(expr, values, len(inputs))


def _sample(n_rows):
    if n_rows <= MAX_POINTS:
        return np.arange(n_rows)
    return np.linspace(0, n_rows - 1, MAX_POINTS).round().astype(int)


def _loss_figure(history, steps=None):
    figure, axes = _new_axes()
    if steps is None or len(steps) != len(history):
        steps = np.arange(1, len(history) + 1)
    axes.plot(steps, history, color="C0")
    if min(history) > 0:
        axes.set_yscale("log")
    axes.set_xlabel("training step")
    axes.set_ylabel("loss (squared error + L1 penalty)")
    axes.grid(True, alpha=0.3)
    return _png(figure)


def _path_figure(path):
    figure, axes = _new_axes()
    alphas = np.asarray(path["alphas"], dtype=float)
    coef = np.asarray(path["coef"], dtype=float).reshape(len(alphas), -1)
    for j, term in enumerate(path["terms"]):
        axes.plot(alphas, coef[:, j], marker=".", label=_label(term))
    if alphas.size and np.all(alphas > 0):
        axes.set_xscale("log")
    axes.axhline(0.0, color="0.5", linewidth=0.8)
    axes.set_xlabel("alpha (L1 weight)")
    axes.set_ylabel("collapsed coefficient")
    if 0 < len(path["terms"]) <= 12:
        axes.legend(fontsize="small")
    axes.grid(True, alpha=0.3)
    return _png(figure)


def _found_figure(measured, found, target):
    figure, axes = _new_axes()
    rows = _sample(len(measured))
    axes.scatter(measured[rows], found[rows], s=6, alpha=0.6, rasterized=True)
    low = float(min(measured.min(), found.min()))
    high = float(max(measured.max(), found.max()))
    axes.plot(
        [low, high], [low, high], color="C3", linewidth=1.0, label="found = measured"
    )
    axes.set_xlabel(_label(f"measured {target}"))
    axes.set_ylabel(_label(f"found {target}"))
    axes.legend(fontsize="small")
    axes.grid(True, alpha=0.3)
    return _png(figure)


def _residual_figure(values, residual, column):
    figure, axes = _new_axes()
    rows = _sample(len(values))
    axes.scatter(values[rows], residual[rows], s=6, alpha=0.6, rasterized=True)
    axes.axhline(0.0, color="C3", linewidth=1.0)
    axes.set_xlabel(_label(column))
    axes.set_ylabel("residual (measured - found)")
    axes.grid(True, alpha=0.3)
    return _png(figure)


def draw_figures(result, dataset=None):
    """Draw every figure that the result and the data allow.

    Parameters
    ----------
    result : dict
        A checked result, see :mod:`eqdiscover.report.result`.
    dataset : Dataset, optional
        The rows, for the plots of found against measured values and of the
        residuals.

    Returns
    -------
    figures : dict of str to list of Figure
        Figure blocks by kind: ``"loss"``, ``"path"``, ``"found"`` and
        ``"residuals"``.
    files : dict of str to bytes
        PNG content by path in the report folder.
    """
    figures, files = {}, {}

    def add(kind, name, content, caption):
        path = f"{FIGURE_FOLDER}/{name}.png"
        files[path] = content
        figures.setdefault(kind, []).append(Figure(path, caption))

    network = result.get("network", {})
    history = network.get("loss_history")
    if history:
        n_steps = network.get("n_iter", len(history))
        caption = spans(f"Training loss over {n_steps} steps.")
        add("loss", "loss", _loss_figure(history, network.get("loss_steps")), caption)
    path = result.get("path")
    if path and path["alphas"]:
        caption = spans("Collapsed coefficient of each term against alpha.")
        add("path", "path", _path_figure(path), caption)
    if dataset is not None:
        _draw_data_figures(result, dataset, add)
    return figures, files


def _draw_data_figures(result, dataset, add):
    measured = dataset.target.to_numpy(dtype=float)
    found = predict(result, dataset.inputs)
    target = display_name(result["target"])
    sampled = "" if len(measured) <= MAX_POINTS else f" ({MAX_POINTS} rows shown)"
    caption = spans(
        "Found against measured ", Code(target), f" on {len(measured)} rows{sampled}."
    )
    add("found", "found-vs-measured", _found_figure(measured, found, target), caption)

    residual = measured - found
    for i, column in enumerate(dataset.inputs.columns[:MAX_RESIDUAL_PLOTS], start=1):
        values = dataset.inputs[column].to_numpy(dtype=float)
        caption = spans("Residual against ", Code(display_name(column)), f"{sampled}.")
        content = _residual_figure(values, residual, display_name(column))
        add("residuals", f"residuals-{i}", content, caption)
