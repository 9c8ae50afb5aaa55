import json
import re

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from eqdiscover.data import (
    GENERATORS,
    from_frame,
    generate,
    metadata_path,
    read_csv,
    write_generated,
)
from eqdiscover.exceptions import DataError
from eqdiscover.feynman import feynman_equations


def test_fahrenheit_generator_default_range():
    frame, metadata = generate("fahrenheit_celsius", n_samples=1000, seed=3)
    assert frame["fahrenheit"].between(0, 1).all()
    assert_allclose(frame["celsius"], (frame["fahrenheit"] - 32) * 5 / 9, rtol=1e-15)
    assert metadata["inputs"] == {"fahrenheit": [0.0, 1.0]}
    assert metadata["seed"] == 3
    assert metadata["n_samples"] == 1000


def test_fahrenheit_generator_other_range():
    frame, metadata = generate("fahrenheit_celsius", n_samples=500, low=-40, high=120)
    assert frame["fahrenheit"].min() < 0
    assert frame["fahrenheit"].max() > 100
    assert metadata["inputs"] == {"fahrenheit": [-40.0, 120.0]}


def test_seeded_generator_uses_standard_normal_coefficients():
    frame, metadata = generate("sine_cubic_mix", n_samples=200, seed=4)
    a, b, c, d = np.random.default_rng(4).standard_normal(4)
    assert metadata["coefficients"] == {"a": a, "b": b, "c": c, "d": d}
    x = frame["x"].to_numpy()
    assert_allclose(frame["y"], a * np.sin(x) + b * x**2 + c * x + d, rtol=1e-12)
    assert x.min() >= -1.5
    assert x.max() < 1.5


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generators_are_reproducible(name):
    first, _ = generate(name, n_samples=50, seed=1, noise=0.1)
    second, _ = generate(name, n_samples=50, seed=1, noise=0.1)
    pd.testing.assert_frame_equal(first, second)


def test_noise_relative_to_rms():
    clean, _ = generate("linear", n_samples=100_000, seed=2)
    noisy, metadata = generate("linear", n_samples=100_000, seed=2, noise=0.1)
    rms = np.sqrt(np.mean(clean["y"] ** 2))
    assert metadata["noise_std"] == pytest.approx(0.1 * rms)
    assert np.std(noisy["y"] - clean["y"]) == pytest.approx(0.1 * rms, rel=0.02)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"name": "cubic"}, "Unknown generator 'cubic'"),
        ({"name": "linear", "low": 2, "high": 1}, r"Invalid input range \[2.0, 1.0\]"),
        ({"name": "linear", "noise": -0.1}, "Invalid noise level -0.1"),
        ({"name": "linear", "n_samples": 0}, "Invalid row count 0"),
    ],
)
def test_generate_rejects(kwargs, message):
    with pytest.raises(DataError, match=message):
        generate(**kwargs)


def test_write_generated_round_trip(tmp_path):
    frame, metadata = generate("quadratic", n_samples=20, seed=0)
    csv_path, meta_path = write_generated(frame, metadata, tmp_path / "q.csv")
    assert meta_path == tmp_path / "q.meta.json"
    assert metadata_path(csv_path) == meta_path
    read_back = pd.read_csv(csv_path)
    assert np.array_equal(read_back.to_numpy(), frame.to_numpy())
    assert json.loads(meta_path.read_text())["formula"] == metadata["formula"]


def test_write_generated_refuses_to_overwrite(tmp_path):
    frame, metadata = generate("linear", n_samples=5)
    (tmp_path / "d.meta.json").write_text("{}")
    with pytest.raises(DataError, match="already exists; pass --force"):
        write_generated(frame, metadata, tmp_path / "d.csv")
    assert not (tmp_path / "d.csv").exists()
    write_generated(frame, metadata, tmp_path / "d.csv", force=True)
    assert (tmp_path / "d.csv").exists()


def test_read_csv_uses_metadata(tmp_path):
    frame, metadata = generate("linear", n_samples=10, seed=0)
    write_generated(frame, metadata, tmp_path / "d.csv")
    dataset = read_csv(tmp_path / "d.csv")
    assert dataset.target_name == "y"
    assert dataset.truth == metadata["formula"]
    assert list(dataset.inputs.columns) == ["x"]


def test_read_csv_drops_row_names(cars_csv):
    dataset = read_csv(cars_csv, target="dist")
    assert list(dataset.inputs.columns) == ["speed"]
    assert dataset.n_samples == 50
    assert dataset.notes == (
        (
            "Left out column 'rownames' because it numbers the rows; name it in "
            "--inputs to use it."
        ),
    )


@pytest.mark.parametrize(
    "name, start", [("Unnamed: 0", 0), ("rownames", 1), ("index", 0)]
)
def test_row_index_columns_are_left_out(name, start):
    frame = pd.DataFrame(
        {name: np.arange(start, start + 5), "x": np.linspace(0, 1, 5), "y": np.ones(5)}
    )
    assert list(from_frame(frame, target="y").inputs.columns) == ["x"]


def test_counting_column_named_n_kept():
    frame = pd.DataFrame({"n": np.arange(5), "y": np.arange(5) * 2.0})
    assert list(from_frame(frame, target="y").inputs.columns) == ["n"]


def test_noncounting_index_name_kept():
    frame = pd.DataFrame({"rownames": [3, 1, 2], "y": [1.0, 2.0, 3.0]})
    assert list(from_frame(frame, target="y").inputs.columns) == ["rownames"]


def test_missing_values_dropped_with_note():
    frame = pd.DataFrame({"x": [1.0, np.nan, 3.0, 4.0], "y": [1.0, 2.0, None, 4.0]})
    dataset = from_frame(frame, target="y")
    assert dataset.n_samples == 2
    assert dataset.notes == ("Dropped 2 of 4 rows with missing values.",)


@pytest.mark.parametrize(
    "frame, kwargs, message",
    [
        (
            pd.DataFrame({"x": [1.0], "y": [2.0]}),
            {"target": "z"},
            "Target column 'z' not found; the columns are 'x', 'y'.",
        ),
        (
            pd.DataFrame({"x": [1.0, 2.0], "y": [2.0, 3.0]}),
            {"target": "y", "inputs": ["w"]},
            "Input column 'w' not found",
        ),
        (
            pd.DataFrame({"x": [1.0, 2.0], "y": [2.0, 3.0]}),
            {"target": "y", "inputs": ["y"]},
            "cannot also be an input",
        ),
        (pd.DataFrame({"y": [2.0, 3.0]}), {"target": "y"}, "No input columns"),
        (
            pd.DataFrame({"x": ["1", "2", "abc"], "y": [1.0, 2.0, 3.0]}),
            {"target": "y"},
            "Column 'x' has the non-numeric value 'abc' in data row 3",
        ),
        (
            pd.DataFrame({"x": [1.0, np.inf], "y": [1.0, 2.0]}),
            {"target": "y"},
            "Column 'x' contains infinite values",
        ),
        (
            pd.DataFrame({"x": [1.0, np.nan], "y": [1.0, 2.0]}),
            {"target": "y"},
            "Only 1 complete row(s) remain",
        ),
    ],
)
def test_from_frame_rejects(frame, kwargs, message):
    with pytest.raises(DataError, match=re.escape(message)):
        from_frame(frame, **kwargs)


def test_read_csv_errors(tmp_path):
    with pytest.raises(DataError, match="not found; check the path"):
        read_csv(tmp_path / "missing.csv", target="y")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match="is empty"):
        read_csv(empty, target="y")
    no_target = tmp_path / "plain.csv"
    no_target.write_text("x,y\n1,2\n")
    with pytest.raises(DataError, match="No target column given"):
        read_csv(no_target)
    bad_metadata = tmp_path / "bad.csv"
    bad_metadata.write_text("x,y\n1,2\n2,3\n")
    (tmp_path / "bad.meta.json").write_text("{not json")
    with pytest.raises(DataError, match="is not valid JSON"):
        read_csv(bad_metadata, target="y")


def test_generate_rejects_overflowing_range():
    with pytest.raises(DataError, match=r"Generator 'linear' overflows for inputs"):
        generate("linear", n_samples=10, low=1e300, high=1.7e308)


def test_constant_input_left_out():
    frame = pd.DataFrame(
        {"c": [0.1] * 4, "x": [1.0, 2.0, 3.0, 4.0], "y": [1.0] * 3 + [2.0]}
    )
    dataset = from_frame(frame, target="y")
    assert list(dataset.inputs.columns) == ["x"]
    assert dataset.notes == ("Left out column 'c' because it is constant (0.1).",)


def test_constant_input_named_explicitly_is_rejected():
    frame = pd.DataFrame({"c": [0.1] * 4, "x": [1.0, 2.0, 3.0, 4.0], "y": [1.0] * 4})
    with pytest.raises(DataError, match=r"Input column 'c' is constant \(0.1\)"):
        from_frame(frame, target="y", inputs=["c", "x"])


def test_repeated_names_are_rejected(tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text("x,x,y\n1,2,3\n4,5,6\n")
    with pytest.raises(DataError, match="Column name 'x' appears more than once in"):
        read_csv(path, target="y")
    frame = pd.DataFrame([[1.0, 2.0, 3.0]], columns=["x", "x", "y"])
    with pytest.raises(DataError, match="appears more than once in the table"):
        from_frame(frame, target="y")
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0]})
    with pytest.raises(DataError, match="appears more than once in the inputs"):
        from_frame(frame, target="y", inputs=["x", "x"])


def test_folder_is_not_a_csv(tmp_path):
    with pytest.raises(DataError, match="is a folder; give the path of a CSV file"):
        read_csv(tmp_path, target="y")


def test_repeated_names_after_blank_line_are_rejected(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("\nx,x,y\n1,2,3\n4,5,6\n")
    with pytest.raises(DataError, match="Column name 'x' appears more than once"):
        read_csv(path, target="y")


def test_several_header_levels_are_rejected():
    columns = pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")])
    frame = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], columns=columns)
    with pytest.raises(DataError, match="several header levels"):
        from_frame(frame, target="y")


def test_generate_rejects_overflowing_noise():
    with pytest.raises(DataError, match="Noise level 1e\\+308 overflows"):
        generate("fahrenheit_celsius", n_samples=10, high=100, noise=1e308)


@pytest.mark.parametrize(
    "values, message",
    [
        (np.array([1 + 2j, 3 + 0j, 2 - 1j]), "contains complex numbers"),
        (pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-04"]), "contains dates"),
        (pd.to_timedelta([1, 2, 3], unit="s"), "contains dates or durations"),
    ],
)
def test_unusable_column_types_are_rejected(values, message):
    frame = pd.DataFrame({"x": values, "y": [1.0, 2.0, 3.0]})
    with pytest.raises(DataError, match=f"Column 'x' {message}"):
        from_frame(frame, target="y")


def test_target_must_be_one_name():
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0]})
    with pytest.raises(DataError, match=r"Target must be one column name, got \['y'\]"):
        from_frame(frame, target=["y"])


def test_generate_limits_the_row_count():
    with pytest.raises(DataError, match="give an integer from 1 to 100,000,000"):
        generate("linear", n_samples=10**13)


def test_every_feynman_equation_generates_finite_rows():
    equations = feynman_equations()
    assert len(equations) == 100
    for name, equation in equations.items():
        frame, _ = generate(f"feynman:{name}", n_samples=50, seed=1)
        assert list(frame.columns) == [*equation.ranges, equation.target], name
        assert np.isfinite(frame.to_numpy()).all(), name


def test_feynman_generator_samples_each_input_range():
    frame, metadata = generate("feynman:I.6.2a", n_samples=2000, noise=0.0, seed=3)
    assert metadata["formula"] == "exp(-theta**2/2)/sqrt(2*pi)"
    assert metadata["inputs"] == {"theta": [1.0, 3.0]}
    theta = frame["theta"].to_numpy()
    assert theta.min() >= 1.0
    assert theta.max() < 3.0
    expected = np.exp(-(theta**2) / 2) / np.sqrt(2 * np.pi)
    assert_allclose(frame["f"].to_numpy(), expected, rtol=1e-14)


def test_feynman_function_names_map_to_the_parser():
    equation = feynman_equations()["I.26.2"]
    assert equation.formula == "asin(n*sin(theta2))"
    assert feynman_equations()["I.44.4"].formula == "n*kb*T*log(V2/V1)"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "feynman:I.99.9"}, "Unknown Feynman equation 'I.99.9'"),
        ({"name": "feynman:I.12.1", "low": 0.0}, "samples each input from its own"),
    ],
)
def test_feynman_generator_rejects_bad_requests(kwargs, message):
    with pytest.raises(DataError, match=message):
        generate(**kwargs)
