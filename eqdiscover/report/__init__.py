"""Reports of a fit, for people to read: a folder with the documents and figures.

A report folder contains ``report.md``, ``report.tex`` or both, and a
``figures/`` folder of PNG files that the documents link by relative path. The
folder can therefore be moved or shared as a whole. ``pdflatex report.tex``
compiles the LaTeX document inside the folder.
"""

from pathlib import Path

from .._io import check_folder_writable, write_folder_atomic
from ..exceptions import DataError
from .latex import render_latex
from .markdown import render_markdown
from .plots import FIGURE_FOLDER, draw_figures
from .result import as_result, check_result, read_result
from .sections import build_blocks

__all__ = [
    "FORMATS",
    "build_report",
    "check_report_folder",
    "read_result",
    "render_latex",
    "render_markdown",
    "write_report",
]

FORMATS = {"md": "report.md", "tex": "report.tex"}
# Files that a report folder may contain besides the documents and figures:
# what pdflatex writes when it compiles report.tex there.
_LATEX_OUTPUTS = {
    f"report.{suffix}"
    for suffix in ("pdf", "aux", "log", "out", "toc", "fls", "synctex.gz")
}


def _as_checked(result):
    if isinstance(result, dict):
        return check_result(result)
    return as_result(result)


def build_report(result, dataset=None, formats=("md",)):
    """Return the files of a report folder.

    Parameters
    ----------
    result : Formula or dict
        The fit, or its :meth:`~eqdiscover.Formula.to_dict` form as saved in
        a result JSON.
    dataset : Dataset, optional
        The rows of the fit. Without them, the report states that the plots of
        found against measured values and of the residuals need the data.
    formats : sequence of {"md", "tex"}, default=("md",)

    Returns
    -------
    dict of str to bytes
        Content of each file, by its path inside the folder.

    Examples
    --------
    >>> import eqdiscover
    >>> frame, _ = eqdiscover.generate("fahrenheit_celsius", n_samples=200)
    >>> formula = eqdiscover.fit(frame, "celsius", library="const,poly:1")
    >>> sorted(build_report(formula, formats=("md", "tex")))
    ['figures/loss.png', 'figures/path.png', 'report.md', 'report.tex']
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise DataError(
            f"Invalid report format {(unknown or [''])[0]!r}; choose from "
            f"{', '.join(FORMATS)}, such as 'md,tex'."
        )
    result = _as_checked(result)
    figures, files = draw_figures(result, dataset)
    blocks = build_blocks(result, figures, has_data=dataset is not None)
    renderers = {"md": render_markdown, "tex": render_latex}
    for name in dict.fromkeys(formats):
        files[FORMATS[name]] = renderers[name](blocks).encode("utf-8")
    return files


def check_report_folder(path, force, inputs=()):
    """Raise unless a report folder can be written at ``path``.

    An existing folder is replaced only with ``force``, and only when it
    contains nothing but report files, so that ``--force`` never deletes
    other work.
    """
    path = Path(path)
    if path.suffix in (".md", ".tex"):
        folder = str(path.with_suffix(""))
        raise DataError(
            f"Report {str(path)!r} looks like a file name, but a report is a folder "
            f"of documents and figures; give a folder such as {folder!r}."
        )
    check_folder_writable(path, force, inputs)
    if not path.is_dir():
        return
    allowed = set(FORMATS.values()) | _LATEX_OUTPUTS | {FIGURE_FOLDER}
    for item in sorted(path.iterdir()):
        foreign = item.name not in allowed or (
            item.name == FIGURE_FOLDER
            and (not item.is_dir() or any(f.suffix != ".png" for f in item.iterdir()))
        )
        if foreign:
            raise DataError(
                f"Folder {str(path)!r} contains {item.name!r}, which is not part of "
                f"a report, so it is not replaced; choose another folder."
            )


def write_report(result, path, *, dataset=None, formats=("md",), force=False):
    """Write a report folder at ``path``; an existing one needs ``force``.

    The folder is built completely before it replaces any old one, so a
    failure leaves no partial folder.

    Returns
    -------
    list of str
        Paths of the documents written, inside the folder.
    """
    check_report_folder(path, force)
    files = build_report(result, dataset, formats)
    write_folder_atomic(path, files)
    return [str(Path(path) / FORMATS[name]) for name in dict.fromkeys(formats)]
