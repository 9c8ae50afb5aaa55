import numpy as np
import pandas as pd
import pytest
import sympy as sp
from numpy.testing import assert_allclose

from eqdiscover.exceptions import DataError, NotFittedError
from eqdiscover.library import DEFAULT_LIBRARY, FeatureLibrary, complexity


def test_default_library_for_one_input():
    library = FeatureLibrary().fit(pd.DataFrame({"x": [0.5, 1.0]}))
    names = library.get_feature_names_out().tolist()
    assert names == ["1", "x", "x**2", "x**3", "sin(x)", "cos(x)", "exp(x)"]


def test_poly_gives_every_monomial_of_two_inputs():
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    library = FeatureLibrary("const,poly:2,sin").fit(frame)
    names = library.get_feature_names_out().tolist()
    assert names == ["1", "a", "b", "a**2", "a*b", "b**2", "sin(a)", "sin(b)"]


def test_pow_gives_powers_without_cross_products():
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    names = FeatureLibrary("pow:2").fit(frame).get_feature_names_out().tolist()
    assert names == ["a", "b", "a**2", "b**2"]


def test_products_draw_factors_from_different_inputs():
    frame = pd.DataFrame({"m": [1.0], "g": [2.0], "z": [3.0]})
    library = FeatureLibrary("pow:1,sin,prod:3").fit(frame)
    names = set(library.get_feature_names_out().tolist())
    # 3 inputs with 2 single-input terms each: 6 + 3 * 2**2 + 2**3 terms.
    assert len(names) == 6 + 12 + 8
    assert {"g*m*z", "m*sin(g)", "g*m*sin(z)", "sin(g)*sin(m)*sin(z)"} <= names
    assert "m**2" not in names
    assert not any("sin(m)*m" in name or "m*sin(m)" in name for name in names)


def test_function_items_and_their_values():
    frame = pd.DataFrame({"x": [0.25, 4.0]})
    library = FeatureLibrary("log,sqrt,inv").fit(frame)
    assert library.get_feature_names_out().tolist() == ["log(x)", "sqrt(x)", "1/x"]
    expected = [[np.log(0.25), 0.5, 4.0], [np.log(4.0), 2.0, 0.25]]
    assert_allclose(library.transform(frame), expected, rtol=1e-15)


def test_custom_terms_are_parsed_in_the_column_names():
    frame = pd.DataFrame({"t": [0.0, 2.0], "temp (F)": [1.0, 3.0]})
    library = FeatureLibrary("exp(-t/2), t*sin(`temp (F)`), `temp (F)`^2").fit(frame)
    names = library.get_feature_names_out().tolist()
    assert names == ["exp(-t/2)", "t*sin(`temp (F)`)", "`temp (F)`**2"]
    expected = [[1.0, 0.0, 1.0], [np.exp(-1.0), 2.0 * np.sin(3.0), 9.0]]
    assert_allclose(library.transform(frame), expected, rtol=1e-15)
    assert not any(term.from_default for term in library.terms_)


def test_custom_term_that_runs_code_is_rejected(tmp_path):
    marker = tmp_path / "marker"
    spec = f"__import__('os').system('touch {marker}')"
    with pytest.raises(DataError, match="does not parse"):
        FeatureLibrary(spec).fit(pd.DataFrame({"x": [1.0]}))
    assert not marker.exists()


def test_library_sizes_follow_the_documented_counts():
    for n_inputs, size in [(1, 7), (2, 16), (3, 29), (6, 102)]:
        frame = pd.DataFrame({f"v{i}": [1.0] for i in range(n_inputs)})
        assert len(FeatureLibrary().fit(frame).terms_) == size


def test_too_large_library_fails_before_building():
    frame = pd.DataFrame({f"v{i}": [1.0] for i in range(8)})
    message = (
        r"Library 'poly:3,sin,cos,prod:4' on 8 inputs would have up to \d+ terms, "
        r"more than 2000; lower the numbers"
    )
    with pytest.raises(DataError, match=message):
        FeatureLibrary("poly:3,sin,cos,prod:4").fit(frame)


def test_transform_values():
    frame = pd.DataFrame({"x": [0.5, 2.0]})
    theta = FeatureLibrary(DEFAULT_LIBRARY).fit(frame).transform(frame)
    x = frame["x"].to_numpy()
    expected = np.column_stack(
        [np.ones(2), x, x**2, x**3, np.sin(x), np.cos(x), np.exp(x)]
    )
    assert_allclose(theta, expected, rtol=1e-15)


def test_transform_accepts_arrays():
    library = FeatureLibrary("poly:2").fit(np.array([[1.0], [2.0]]))
    assert library.get_feature_names_out().tolist() == ["x0", "x0**2"]
    assert library.transform(np.array([[3.0]])).tolist() == [[3.0, 9.0]]


def test_repeated_items_give_each_term_once():
    library = FeatureLibrary("poly:2,poly:3,const,const").fit(
        pd.DataFrame({"x": [1.0]})
    )
    assert library.get_feature_names_out().tolist() == ["x", "x**2", "x**3", "1"]


def test_names_show_column_names():
    frame = pd.DataFrame({"temp (F)": [1.0, 2.0]})
    library = FeatureLibrary("const,poly:2").fit(frame)
    names = library.get_feature_names_out().tolist()
    assert names == ["1", "`temp (F)`", "`temp (F)`**2"]
    assert str(library.terms_[1].expr) == "x0"


@pytest.mark.parametrize(
    "spec, message",
    [
        ("const,cube", "Unknown library item 'cube'"),
        ("poly:0", "Invalid library item 'poly:0'"),
        ("poly:x", "Invalid library item 'poly:x'"),
        (" , ", "has no terms"),
        ("prod:1", "Invalid library item 'prod:1'.*from 2 to 4"),
        ("pow:11", "Invalid library item 'pow:11'.*from 1 to 10"),
        ("x*sin(", "Library term 'x\\*sin\\(' in 'x\\*sin\\(' does not parse"),
        ("2*pi", "Library term '2\\*pi' in '2\\*pi' uses no input"),
        ("x*q", "Unknown name 'q'"),
    ],
)
def test_invalid_spec(spec, message):
    with pytest.raises(DataError, match=message):
        FeatureLibrary(spec).fit(pd.DataFrame({"x": [1.0]}))


def test_missing_column_at_transform():
    library = FeatureLibrary().fit(pd.DataFrame({"x": [1.0]}))
    with pytest.raises(DataError, match="Missing input columns \\['x'\\]"):
        library.transform(pd.DataFrame({"z": [1.0]}))


def test_complexity_orders_terms():
    x, y = sp.symbols("x y")
    assert complexity(x) < complexity(sp.sin(x)) < complexity(x**3)
    assert complexity(x**2) == complexity(sp.sin(x)) == complexity(1 / x) == 2
    assert complexity(x * y * sp.sin(x)) == 4


def test_default_combines_with_other_items():
    library = FeatureLibrary("default,poly:5").fit(pd.DataFrame({"x": [1.0]}))
    names = library.get_feature_names_out().tolist()
    assert names[-2:] == ["x**4", "x**5"]
    assert len(names) == 9
    origin = {library.display(t.expr): t.from_default for t in library.terms_}
    assert origin["sin(x)"] is True
    assert origin["x"] is False
    assert origin["x**5"] is False


def test_degree_must_be_ascii_digits():
    with pytest.raises(DataError, match="Invalid library item 'poly:²'"):
        FeatureLibrary("poly:²").fit(pd.DataFrame({"x": [1.0]}))


def test_transform_before_fit_raises():
    with pytest.raises(NotFittedError, match="FeatureLibrary is not fitted yet"):
        FeatureLibrary().transform(pd.DataFrame({"x": [1.0]}))
