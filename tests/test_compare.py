import numpy as np
import pytest
import sympy as sp

from eqdiscover.compare import check_expandable, compare, split_terms
from eqdiscover.exceptions import DataError, ParseError

x, y = sp.symbols("x y")


def test_split_terms_expands_and_collects():
    terms = split_terms(3 * (x + 1) * y + sp.pi * x - 2)
    assert terms == {x * y: 3, y: 3, x: sp.pi, sp.Integer(1): -2}


def test_exact_match():
    result = compare(5 * (x - 32) / 9, 0.5555555555555556 * x - 17.77777777777778)
    assert result.terms_match
    assert result.precision == 1.0
    assert result.recall == 1.0
    assert result.max_relative_error < 1e-15
    assert result.summary().startswith("found exactly the true terms")


def test_wrong_term_lowers_precision():
    result = compare(2 * x + 1, 2.0 * sp.sin(x) + 1.0)
    assert not result.terms_match
    assert result.precision == pytest.approx(0.5)
    assert result.recall == pytest.approx(0.5)
    assert result.missing == [x]
    assert result.extra == [sp.sin(x)]
    assert result.summary() == "terms differ from the truth: missing x; extra sin(x)"


def test_missing_term_lowers_recall():
    result = compare(x**2 + 3 * x, 1.0 * x**2)
    assert result.precision == 1.0
    assert result.recall == pytest.approx(0.5)
    assert result.summary() == "terms differ from the truth: missing x"


def test_coefficient_error_is_relative():
    result = compare(4 * x, 4.4 * x)
    assert result.terms_match
    assert result.max_relative_error == pytest.approx(0.1)


def test_check_expandable_rejects_huge_powers():
    a, b, c = sp.symbols("a b c")
    with pytest.raises(ParseError, match="expands to up to 4.59e\\+06 terms"):
        check_expandable((a + b + c + 1) ** 300, "(a+b+c+1)**300")
    check_expandable((a + 1) ** 12, "(a+1)**12")


def test_summary_lists_at_most_five_terms():
    terms = [x**k for k in range(1, 9)]
    result = compare(sp.Add(*terms), 1.0 * x)
    assert result.summary().endswith("missing x**2, x**3, x**4, x**5, x**6 and 2 more")


def test_exact_match_is_symbolic():
    result = compare(5 * (x - 32) / 9, sp.Rational(5, 9) * x - sp.Rational(160, 9))
    assert result.symbolic_match is True
    assert result.srbench_match is True


def test_float_five_ninths_fails_srbench():
    # Rounded to 3 decimals, 0.5555... is 0.556, which differs from 5/9 by a
    # multiple of x: only an exact coefficient passes the rule here.
    result = compare(5 * (x - 32) / 9, 0.5555555555555556 * x - 17.77777777777778)
    assert result.symbolic_match is False
    assert result.srbench_match is False


def test_added_constant_matches_srbench_only():
    result = compare(5 * (x - 32) / 9, sp.Rational(5, 9) * x + 2.5)
    assert result.symbolic_match is False
    assert result.srbench_match is True
    assert result.recall == 1.0
    assert result.max_relative_error == pytest.approx((2.5 + 160 / 9) / (160 / 9))


def test_overall_scale_matches_srbench_only():
    result = compare(x**2 + sp.sin(x), 3.0 * x**2 + 3.0 * sp.sin(x))
    assert result.symbolic_match is False
    assert result.srbench_match is True


def test_srbench_rounds_to_three_decimals():
    assert compare(sp.Rational(1, 2) * x + y, 0.5004 * x + y).srbench_match is True
    assert compare(sp.Rational(1, 2) * x + y, 0.5006 * x + y).srbench_match is False


def test_wrong_term_matches_neither_rule():
    result = compare(2 * x + 1, 2.0 * sp.sin(x) + 1.0)
    assert result.symbolic_match is False
    assert result.srbench_match is False
    assert result.precision < 1.0


def test_missing_term_matches_neither_rule():
    result = compare(x**2 + 3 * x, 1.0 * x**2)
    assert result.symbolic_match is False
    assert result.srbench_match is False
    assert result.recall < 1.0


def test_identity_simplifies_to_match():
    result = compare(sp.sin(x) ** 2 + 1, 2 - sp.cos(x) ** 2)
    assert result.symbolic_match is True
    assert not result.terms_match


def test_held_out_metrics_against_truth():
    X = {x: np.linspace(0.0, 2.0, 5)}
    result = compare(2 * x + 1, 2.0 * x + 1.5, X=X)
    assert result.held_out["n_samples"] == 5
    assert result.held_out["rmse"] == pytest.approx(0.5, rel=1e-12)
    assert result.held_out["max_abs_error"] == pytest.approx(0.5, rel=1e-12)
    # Total sum of squares of 2x + 1 on the grid is 10, the residual one 1.25.
    assert result.held_out["r2"] == pytest.approx(1 - 1.25 / 10, rel=1e-12)


def test_held_out_metrics_against_measured_target():
    X = {x: np.array([0.0, 1.0, 2.0, 3.0])}
    measured = np.array([1.0, 3.0, 5.0, 8.0])
    result = compare(2 * x + 1, 2.0 * x + 1.0, X=X, y=measured)
    assert result.held_out["max_abs_error"] == pytest.approx(1.0, rel=1e-12)
    assert result.held_out["rmse"] == pytest.approx(0.5, rel=1e-12)


def test_held_out_rejects_mismatched_target():
    with pytest.raises(DataError, match="shape \\(2,\\) but X has 3 rows"):
        compare(x, 1.0 * x, X={x: np.zeros(3)}, y=np.zeros(2))


def test_large_expressions_are_not_simplified():
    truth = sp.Add(*[sp.sin(k * x) * sp.cos(k * y) for k in range(1, 120)])
    # The same function written with sums of angles: equal at every point, so
    # only simplify could confirm it, and it is too large to simplify.
    found = sp.Add(
        *[(sp.sin(k * x + k * y) + sp.sin(k * x - k * y)) / 2 for k in range(1, 120)]
    )
    result = compare(truth, found)
    assert result.symbolic_match is None
    assert result.srbench_match is None


def test_plainly_different_large_expressions_do_not_match():
    truth = sp.Add(*[sp.sin(k * x) * sp.cos(k * y) for k in range(1, 120)])
    result = compare(truth, 1.0 * x)
    assert result.symbolic_match is False
    assert result.srbench_match is False


def test_inputs_positive_on_the_points_count_as_positive():
    a, b = sp.symbols("a b")
    truth, found = sp.sqrt(a * b), sp.sqrt(a) * sp.sqrt(b)
    positive = {a: np.linspace(1.0, 5.0, 7), b: np.linspace(0.5, 2.0, 7)}
    assert compare(truth, found, points=positive).symbolic_match is True
    # Without points, a and b may be negative, and for a = b = -1 the two
    # formulas differ, so sympy is right not to match them.
    assert compare(truth, found).symbolic_match is False
    signed = {a: np.linspace(-1.0, 5.0, 7), b: np.linspace(-2.0, 2.0, 7)}
    assert compare(truth, found, points=signed).symbolic_match is False
