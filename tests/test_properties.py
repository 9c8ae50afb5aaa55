"""Property test: random sparse formulas from the library are recovered exactly."""

import os
import warnings

import numpy as np
import pandas as pd
import sympy as sp
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from eqdiscover import fit
from eqdiscover.library import FeatureLibrary

N_SAMPLES = 400
# Terms contributing less than this share of the target's spread are left
# out of the draws: the default pruning threshold is ten times smaller, and
# such a term is close to invisible in the data.
MIN_CONTRIBUTION = 1e-2


@st.composite
def sparse_formulas(draw):
    n_inputs = draw(st.integers(1, 2))
    columns = ["x", "z"][:n_inputs]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    frame = pd.DataFrame()
    for column in columns:
        low = draw(st.floats(-3.0, 2.0))
        width = draw(st.floats(0.5, 4.0))
        frame[column] = rng.uniform(low, low + width, N_SAMPLES)
    library = FeatureLibrary("default").fit(frame)
    varying = [t for t in library.terms_ if not t.is_constant]
    chosen = draw(
        st.lists(st.sampled_from(varying), min_size=1, max_size=3, unique=True)
    )
    sizes = st.floats(0.5, 5.0)
    coefficients = [draw(sizes) * draw(st.sampled_from([-1, 1])) for _ in chosen]
    constant = draw(st.one_of(st.just(0.0), sizes))
    return frame, library, chosen, coefficients, constant


@settings(
    max_examples=int(os.environ.get("EQDISCOVER_PROPERTY_EXAMPLES", "200")),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(sparse_formulas())
def test_random_sparse_formula_is_recovered(drawn):
    frame, library, chosen, coefficients, constant = drawn
    theta = library.transform(frame)
    index = {t.expr: i for i, t in enumerate(library.terms_)}
    columns = theta[:, [index[t.expr] for t in chosen]]
    y = columns @ coefficients + constant
    spread = np.std(y)
    assume(spread > 0)
    assume(
        all(
            abs(c) * np.std(col) >= MIN_CONTRIBUTION * spread
            for c, col in zip(coefficients, columns.T)
        )
    )

    truth = sum((c * t.expr for c, t in zip(coefficients, chosen)), sp.Float(constant))
    text = library.display(truth)
    note(f"formula: y = {text}; ranges: {frame.agg(['min', 'max']).to_dict()}")
    frame = frame.assign(y=y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        formula = fit(frame, "y")
    found = set(formula.coefficients)
    expected = {library.display(t.expr) for t in chosen}
    assert found == expected, f"y = {text} gave {formula}"
    for term, value in zip(chosen, coefficients):
        got = formula.coefficients[library.display(term.expr)]
        assert abs(got - value) <= 1e-6 * abs(value), f"y = {text} gave {formula}"
    if constant:
        assert abs(formula.intercept - constant) <= 1e-6 * max(abs(constant), spread)
    else:
        assert 1 not in formula.terms, f"y = {text} gave {formula}"
