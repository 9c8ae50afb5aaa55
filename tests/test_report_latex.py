"""LaTeX reports compiled by the real pdflatex, with the text read back by pdftotext.

Both programs are required: TeX Live's texlive-latex-base and
texlive-latex-recommended packages, and poppler-utils. Each compile takes one
to two seconds, so only two documents are compiled here.
"""

import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

import eqdiscover
from eqdiscover.data import from_frame
from eqdiscover.report import write_report


def run_tool(arguments, folder):
    if shutil.which(arguments[0]) is None:
        pytest.fail(
            f"{arguments[0]} not found; install texlive-latex-base, "
            f"texlive-latex-recommended and poppler-utils to run the report tests."
        )
    return subprocess.run(
        arguments, cwd=folder, capture_output=True, text=True, timeout=120, check=False
    )


def compile_pdf(folder):
    """Compile report.tex in ``folder`` and return the PDF's text, spaces collapsed."""
    arguments = [
        "pdflatex",
        "-interaction=nonstopmode",
        "-halt-on-error",
        "-no-shell-escape",
        "report.tex",
    ]
    latex = run_tool(arguments, folder)
    assert latex.returncode == 0, latex.stdout[-3000:]
    assert (folder / "report.pdf").stat().st_size > 10_000
    text = run_tool(
        ["pdftotext", "-layout", "-enc", "UTF-8", "report.pdf", "-"], folder
    )
    assert text.returncode == 0, text.stderr
    return " ".join(text.stdout.split())


def test_celsius_report_compiles(tmp_path):
    frame, metadata = eqdiscover.generate("fahrenheit_celsius", n_samples=500)
    dataset = from_frame(frame, target="celsius", truth=metadata["formula"])
    formula = eqdiscover.fit(dataset)
    folder = tmp_path / "celsius"
    write_report(formula, folder, dataset=dataset, formats=("tex",))

    tex = (folder / "report.tex").read_text()
    assert r"\frac{5 fahrenheit}{9} - \frac{160}{9}" in tex
    assert tex.count(r"\toprule") == 10
    assert tex.count(r"\includegraphics") == 4

    text = compile_pdf(folder)
    assert "celsius = 5*fahrenheit/9 - 160/9" in text
    assert "Comparison with the truth" in text
    assert "true formula 5*fahrenheit/9 - 160/9" in text
    assert re.search(r"Figure 1: Training loss over \d+ steps", text)
    assert re.search(r"Figure 3: Found against measured celsius on 500 rows", text)


def test_unusual_column_names_compile(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"θ": rng.uniform(1.0, 2.0, 400), "temp (F)": rng.uniform(1.0, 2.0, 400)}
    )
    frame["rate%"] = 2 * frame["θ"] + 3 * frame["temp (F)"] + 1
    dataset = from_frame(frame, target="rate%")
    formula = eqdiscover.fit(dataset, library="const,poly:1")
    folder = tmp_path / "names"
    write_report(formula, folder, dataset=dataset, formats=("tex",))

    tex = (folder / "report.tex").read_text()
    assert r"\text{rate\%} = " in tex
    assert r"2 \theta" in tex
    assert r"3 \text{temp (F)}" in tex

    text = compile_pdf(folder)
    assert str(formula) == "`rate%` = 3*`temp (F)` + 2*θ + 1"
    assert str(formula) in text
    assert "Residual against θ." in text
