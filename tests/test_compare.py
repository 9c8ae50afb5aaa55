import pytest
import sympy as sp

from eqdiscover.compare import check_expandable, compare, split_terms
from eqdiscover.exceptions import ParseError

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
