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


def test_library_for_two_inputs():
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    library = FeatureLibrary("const,poly:2,sin").fit(frame)
    names = library.get_feature_names_out().tolist()
    assert names == ["1", "a", "b", "a**2", "b**2", "sin(a)", "sin(b)"]


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
    x = sp.Symbol("x")
    assert complexity(x) < complexity(sp.sin(x)) < complexity(x**3)
    assert complexity(x**2) == complexity(sp.sin(x)) == 2


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
