"""Report folders: content, Markdown structure, figures and strict JSON reading."""

import json
import re
import struct

import numpy as np
import pandas as pd
import pytest

import eqdiscover
from eqdiscover._io import write_folder_atomic
from eqdiscover.data import from_frame
from eqdiscover.exceptions import DataError, OutputError
from eqdiscover.report import build_report, check_report_folder, write_report
from eqdiscover.report.latex import latex_text
from eqdiscover.report.plots import DPI, SIZE
from eqdiscover.report.result import as_result, check_result, read_result

SECTIONS = [
    "Formula",
    "Data",
    "Library",
    "Network",
    "Regularization path",
    "Candidates",
    "Coefficients",
    "Fit on the training rows",
    "Comparison with the truth",
    "Settings",
]


@pytest.fixture(scope="module")
def celsius_fit():
    """Fahrenheit to Celsius on 500 noise-free rows, with the true formula."""
    frame, metadata = eqdiscover.generate("fahrenheit_celsius", n_samples=500)
    dataset = from_frame(frame, target="celsius", truth=metadata["formula"])
    return eqdiscover.fit(dataset), dataset


@pytest.fixture(scope="module")
def celsius_files(celsius_fit):
    formula, dataset = celsius_fit
    return build_report(formula, dataset, formats=("md", "tex"))


def minimal_result(**extra):
    """A hand-made result of y = 2*x + 1 with only the required keys."""
    result = {
        "target": "y",
        "expression": "2.0*x + 1.0",
        "terms": [
            {"term": "x", "coefficient": 2.0},
            {"term": "1", "coefficient": 1.0},
        ],
        "symbols": {"x": "x"},
    }
    return {**result, **extra}


def headings(markdown):
    return re.findall(r"^## (.+)$", markdown, flags=re.MULTILINE)


def table_rows(markdown):
    """Return the cells of every table row, split at unescaped pipes."""
    rows = []
    for line in markdown.splitlines():
        if line.startswith("|"):
            cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
            rows.append([cell.strip() for cell in cells])
    return rows


def png_size(content):
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", content[16:24])


def test_markdown_has_every_section_in_order(celsius_files):
    markdown = celsius_files["report.md"].decode()
    assert markdown.startswith("# celsius: formula found by eqdiscover\n")
    assert headings(markdown) == SECTIONS


def test_markdown_formula_is_display_math(celsius_files):
    markdown = celsius_files["report.md"].decode()
    assert "$$\ncelsius = \\frac{5 fahrenheit}{9} - \\frac{160}{9}\n$$" in markdown
    assert "```text\ncelsius = 5*fahrenheit/9 - 160/9\n```" in markdown


def test_markdown_tables_are_well_formed(celsius_files):
    markdown = celsius_files["report.md"].decode()
    blocks = re.findall(r"(?:^\|.*\|\n)+", markdown, flags=re.MULTILINE)
    assert len(blocks) == 10
    for block in blocks:
        rows = table_rows(block)
        assert all(re.fullmatch(r"-{3}:?", cell) for cell in rows[1]), block
        assert {len(row) for row in rows} == {len(rows[0])}, block


def test_markdown_coefficient_table(celsius_files):
    rows = table_rows(celsius_files["report.md"].decode())
    by_term = {row[0]: row for row in rows if len(row) == 7}
    assert by_term["`fahrenheit`"][3] == "`5/9`"
    assert by_term["`1`"][3] == "`-160/9`"
    assert float(by_term["`fahrenheit`"][2]) == pytest.approx(5 / 9, rel=1e-9)
    assert float(by_term["`fahrenheit`"][6]) == pytest.approx(5 / 9, rel=1e-9)
    # The L1 penalty shrinks the network's collapsed coefficient towards 0.
    assert 0 < float(by_term["`fahrenheit`"][1]) < 5 / 9
    assert by_term["`exp(fahrenheit)`"][2] == ""


def test_markdown_truth_comparison(celsius_files):
    rows = {row[0]: row[1] for row in table_rows(celsius_files["report.md"].decode())}
    assert rows["true formula"] == "`5*fahrenheit/9 - 160/9`"
    assert rows["term precision"] == "1"
    assert rows["term recall"] == "1"
    assert rows["symbolic match (found - true simplifies to 0)"] == "yes"
    srbench = [value for key, value in rows.items() if key.startswith("SRBench")]
    assert srbench == ["yes"]


def test_markdown_figures_are_files(celsius_files):
    markdown = celsius_files["report.md"].decode()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    assert links == [
        "figures/loss.png",
        "figures/path.png",
        "figures/found-vs-measured.png",
        "figures/residuals-1.png",
    ]
    for link in links:
        width, height = png_size(celsius_files[link])
        assert (width, height) == (SIZE[0] * DPI, SIZE[1] * DPI)


def test_report_folder_layout(celsius_fit, tmp_path):
    formula, dataset = celsius_fit
    folder = tmp_path / "reports" / "celsius"
    documents = write_report(formula, folder, dataset=dataset, formats=("md", "tex"))
    assert documents == [str(folder / "report.md"), str(folder / "report.tex")]
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
    assert files == [
        "figures",
        "figures/found-vs-measured.png",
        "figures/loss.png",
        "figures/path.png",
        "figures/residuals-1.png",
        "report.md",
        "report.tex",
    ]


def test_report_without_data_says_so(celsius_fit):
    formula, _ = celsius_fit
    files = build_report(formula)
    markdown = files["report.md"].decode()
    # The loss curve and the path come from the result; the other plots need rows.
    assert sorted(files) == ["figures/loss.png", "figures/path.png", "report.md"]
    assert "found-vs-measured" not in markdown
    assert "rows, which this report was built without" in markdown
    assert "`eqdiscover report RESULT.json --data DATA.csv`" in markdown


def test_minimal_result_renders(tmp_path):
    markdown = build_report(minimal_result())["report.md"].decode()
    assert headings(markdown) == [
        "Formula",
        "Coefficients",
        "Fit on the training rows",
        "Settings",
    ]
    assert "```text\ny = 2.0*x + 1.0\n```" in markdown
    assert "| eqdiscover version | unknown |" in markdown


def test_loss_and_path_figures_from_details():
    path = {
        "alphas": [1e-4, 1e-3, 1e-2, 1e-1],
        "terms": ["x", "x**2", "sin(x)"],
        "coef": [[2.0, 0.1, 0.05], [1.9, 0.02, 0.0], [1.5, 0.0, 0.0], [0.0, 0.0, 0.0]],
    }
    result = minimal_result(
        network={"layer_sizes": [3, 2, 1], "loss_history": [1.0, 0.5, 0.25, 0.2]},
        path=path,
    )
    files = build_report(result)
    markdown = files["report.md"].decode()
    assert "## Regularization path" in markdown
    assert "![Training loss over 4 steps.](figures/loss.png)" in markdown
    assert "(figures/path.png)" in markdown
    assert png_size(files["figures/loss.png"]) == (720, 480)
    assert png_size(files["figures/path.png"]) == (720, 480)
    counts = {
        row[0]: row[1]
        for row in table_rows(markdown)
        if row[0].startswith(("0.", "1e"))
    }
    assert counts == {"0.0001": "3", "0.001": "2", "0.01": "1", "0.1": "0"}
    assert "W2 (1×2) · W1 (2×3)" in markdown


def test_warnings_and_alternative_shown():
    candidate = {
        "terms": ["x"],
        "n_terms": 1,
        "rmse": 0.1,
        "criterion": 10.0,
        "formula": "2.0*x",
        "chosen": True,
    }
    runner_up = {
        **candidate,
        "formula": "2.1*sin(x)",
        "criterion": 11.0,
        "chosen": False,
    }
    selection = {
        "criterion": 10.0,
        "candidates": [candidate, runner_up],
        "runner_up": runner_up,
        "all_pruned": "Pruning removed every term that varies.",
    }
    result = minimal_result(
        misfit="The library probably cannot express it.", selection=selection
    )
    markdown = build_report(result)["report.md"].decode()
    assert "> **Warning:** The library probably cannot express it." in markdown
    assert "> **Warning:** Pruning removed every term that varies." in markdown
    assert (
        "**Equally good alternative:** `2.1*sin(x)` has criterion 11.00 against "
        "10.00 for the chosen formula" in markdown
    )


def test_markdown_escapes_plain_text():
    result = minimal_result(
        notes=["Dropped column 'a*b_c' and <x>."], data={"n_samples": 3}
    )
    markdown = build_report(result)["report.md"].decode()
    assert r"- Dropped column 'a\*b\_c' and \<x\>." in markdown


def test_unknown_format_rejected():
    with pytest.raises(DataError, match="Invalid report format 'pdf'"):
        build_report(minimal_result(), formats=("md", "pdf"))


def test_result_round_trip_is_identical(celsius_fit, tmp_path):
    formula, _ = celsius_fit
    path = tmp_path / "r.json"
    path.write_text(json.dumps(formula.to_dict(), indent=2, allow_nan=False))
    assert read_result(path) == as_result(formula)
    assert build_report(read_result(path)) == build_report(formula)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"terms": "x"}, "invalid key 'terms': expected a list"),
        (
            {"network": {"loss_history": [1.0, "a"]}},
            "key 'network.loss_history\\[1\\]'",
        ),
        (
            {"data": {"inputs": {"x": [0.0]}}},
            "key \"data.inputs\\['x'\\]\": expected a list of 2",
        ),
        (
            {"estimates": {"terms": [{"term": "x", "stderr": True}]}},
            "estimates.terms\\[0\\].stderr",
        ),
        (
            {"path": {"alphas": [0.1, 0.2], "terms": ["x"], "coef": [[1.0]]}},
            "key 'path.coef': expected one row per alpha, 2 rows",
        ),
    ],
)
def test_check_result_rejects_wrong_types(change, message):
    with pytest.raises(DataError, match=message):
        check_result(minimal_result(**change))


def test_check_result_needs_terms():
    result = minimal_result()
    del result["terms"]
    with pytest.raises(DataError, match="key 'terms'.*the key is missing"):
        check_result(result)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"target": NaN}', "is not valid JSON \\(NaN is not a JSON number"),
        ("[1, 2", "is not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "is not valid JSON"),
        ("[1, 2]", "invalid top level: expected an object"),
    ],
)
def test_read_result_rejects_bad_files(tmp_path, text, message):
    path = tmp_path / "r.json"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        read_result(path)


def test_result_formula_is_parsed_not_run():
    result = minimal_result(terms=[{"term": "__import__('os')", "coefficient": 1.0}])
    with pytest.raises(eqdiscover.ParseError, match="Invalid character"):
        build_report(result)


def test_report_folder_needs_force(tmp_path):
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "report.md").write_text("old")
    with pytest.raises(DataError, match="already exists; pass --force to replace it"):
        check_report_folder(folder, force=False)
    check_report_folder(folder, force=True)


def test_force_keeps_foreign_folders(tmp_path):
    folder = tmp_path / "r"
    (folder / "figures").mkdir(parents=True)
    (folder / "figures" / "notes.txt").write_text("mine")
    with pytest.raises(
        DataError, match="contains 'figures', which is not part of a report"
    ):
        check_report_folder(folder, force=True)
    (folder / "figures" / "notes.txt").unlink()
    (folder / "data.csv").write_text("x,y\n")
    with pytest.raises(DataError, match="contains 'data.csv'"):
        check_report_folder(folder, force=True)


def test_report_folder_rejects_file_names(tmp_path):
    with pytest.raises(DataError, match="give a folder such as '.*/cars'"):
        check_report_folder(tmp_path / "cars.md", force=False)


def test_replaced_folder_loses_old_files(tmp_path):
    folder = tmp_path / "r"
    write_folder_atomic(folder, {"report.md": b"old", "figures/a.png": b"a"})
    write_folder_atomic(folder, {"report.md": b"new"})
    assert sorted(p.name for p in folder.rglob("*")) == ["report.md"]
    assert (folder / "report.md").read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_failed_folder_write_leaves_nothing(tmp_path):
    folder = tmp_path / "new" / "r"
    # "a" is written as a file, so "a/b" cannot be created.
    with pytest.raises(OutputError, match="Cannot write"):
        write_folder_atomic(folder, {"a": b"1", "a/b": b"2"})
    assert list(tmp_path.iterdir()) == []


def test_failed_replace_keeps_old_folder(tmp_path):
    folder = tmp_path / "r"
    write_folder_atomic(folder, {"report.md": b"old"})
    with pytest.raises(OutputError):
        write_folder_atomic(folder, {"a": b"1", "a/b": b"2"})
    assert (folder / "report.md").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rate%", r"rate\%"),
        ("temp (F)", "temp (F)"),
        ("a_b&c#d$e", r"a\_b\&c\#d{\char36}e"),
        ("`x`", r"{\char18}x{\char18}"),
        ("θ", r"\ensuremath{\theta}"),
        ("Ω", r"\ensuremath{\Omega}"),
        ("é", "é"),
        ("°C", r"\ensuremath{^\circ}C"),
        ("Ŋ", "[U+014A]"),
        ("中", "[U+4E2D]"),
        ("{x}~^\\", r"\{x\}\textasciitilde{}\textasciicircum{}\textbackslash{}"),
    ],
)
def test_latex_text_escapes(text, expected):
    assert latex_text(text) == expected


def test_large_data_is_sampled_in_plots():
    x = np.linspace(0.0, 1.0, 6000)
    dataset = from_frame(pd.DataFrame({"x": x, "y": 2 * x + 1}), target="y")
    markdown = build_report(minimal_result(), dataset)["report.md"].decode()
    assert "on 6000 rows (5000 rows shown)." in markdown


def test_chunked_metrics_and_inline_exact():
    metrics = {"r2": 0.5, "rmse": 1.0, "max_abs_error": None, "n_samples": 10}
    terms = [
        {"term": "x", "coefficient": 5 / 9, "exact": "5/9"},
        {"term": "1", "coefficient": 1.0, "exact": None},
    ]
    markdown = build_report(minimal_result(metrics=metrics, terms=terms))
    markdown = markdown["report.md"].decode()
    assert "| max absolute error | not computed (rows read in chunks) |" in markdown
    assert "$$\ny = \\frac{5 x}{9} + 1.0\n$$" in markdown


def test_weight_table_multiplies_into_the_coefficients(celsius_fit):
    formula, _ = celsius_fit
    markdown = build_report(formula)["report.md"].decode()
    network = formula.details["network"]
    first, second = (np.array(w) for w in network["weights"])
    product = (second @ first)[0]
    table = re.search(
        r"^\| term \| W1 unit 1 \|.*?\n\n", markdown, re.MULTILINE | re.DOTALL
    )
    rows = {row[0]: row for row in table_rows(table.group(0))[2:]}
    for j, term in enumerate(network["weight_terms"]):
        cells = rows[f"`{term}`"]
        assert float(cells[-1]) == pytest.approx(product[j], abs=1e-5)
