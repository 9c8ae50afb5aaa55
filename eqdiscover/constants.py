"""Exact values for fitted constants: 5/9 in place of 0.555555555555556.

After the least-squares refit, each coefficient that is known precisely
enough is compared with simple exact numbers. These are rationals p/q with q
up to ``MAX_DENOMINATOR``, their multiples of pi, 1/pi and pi**2 and of the
square root of a small square-free integer, and decimals of up to ``MAX_DIGITS``
significant digits. The simplest value within the coefficient's
uncertainty is tried, and kept when the fit's criterion rises by no more than
``margin``, plus ``parameter_cost`` for each coefficient fixed, with the other
coefficients refitted.

A coefficient is tried only when its uncertainty is below ``MAX_RELATIVE_ERROR``
of its size. With fewer digits known, some fraction of small denominator lies
within reach of almost any number, and the exact value would be a chance
match rather than a finding. Noisy data gets one narrower chance: a
coefficient known to within ``NOISY_RELATIVE_ERROR`` of its size is compared
with integers and fractions of denominator up to ``NOISY_MAX_DENOMINATOR``
only, such as the 1 of ``x1*y1 + x2*y2`` or the 1/2 of ``m*v**2/2``.
"""

import math
from fractions import Fraction

import numpy as np
import sympy as sp

__all__ = ["MAX_DENOMINATOR", "exact_candidates", "snap_coefficients"]

MAX_DENOMINATOR = 12
MAX_NUMERATOR = 10_000
MAX_RELATIVE_ERROR = 1e-6
# Relative uncertainty assumed for a coefficient of noise-free data, whose
# standard error is rounding noise.
ROUNDING_RELATIVE_ERROR = 1e-9
MAX_DIGITS = 6
# From noisy data, a coefficient known to within this share of its size (3
# standard errors) is compared with integers and fractions of denominator up
# to NOISY_MAX_DENOMINATOR only. Such a value is the simplest that the data
# allow, not a proof: the JSON keeps the refitted value and its error.
NOISY_RELATIVE_ERROR = 0.05
NOISY_MAX_DENOMINATOR = 4
_SURDS = (2, 3, 5, 6, 7, 10)


def _multiples(value, unit, unit_value, tolerance):
    """Yield (cost, exact) for each p/q * unit within ``tolerance`` of ``value``."""
    for q in range(1, MAX_DENOMINATOR + 1):
        p = round(value * q / unit_value)
        if p == 0 or abs(p) > MAX_NUMERATOR:
            continue
        if abs(p * unit_value / q - value) <= tolerance:
            fraction = Fraction(p, q)
            yield q, sp.Rational(fraction.numerator, fraction.denominator) * unit


def exact_candidates(value, tolerance):
    """Return the simple exact numbers near ``value``, simplest first.

    Near means within ``tolerance``.

    Rationals come first, then multiples of pi, 1/pi and pi**2, multiples of
    square roots and short decimals. Within each kind a smaller denominator, or fewer
    digits, comes first.

    Examples
    --------
    >>> exact_candidates(0.5555555555555556, 1e-12)
    [5/9]
    >>> exact_candidates(2.0943951023931957, 1e-12)
    [2*pi/3]
    >>> exact_candidates(1.7320508075688772, 1e-12)
    [sqrt(3)]
    >>> exact_candidates(0.07957747154594767, 1e-12)
    [1/(4*pi)]
    >>> exact_candidates(9.869604401089358, 1e-12)
    [pi**2]
    >>> exact_candidates(-0.13200000000000003, 1e-12)
    [-33/250]
    """
    found = {}
    kinds = [(sp.Integer(1), 1.0), (sp.pi, math.pi), (1 / sp.pi, 1 / math.pi)]
    kinds += [(sp.pi**2, math.pi**2)]
    kinds += [(sp.sqrt(n), math.sqrt(n)) for n in _SURDS]
    for rank, (unit, unit_value) in enumerate(kinds):
        for cost, exact in _multiples(value, unit, unit_value, tolerance):
            found.setdefault(exact, (min(rank, 2), cost))
    for digits, exact in _decimals(value, tolerance):
        found.setdefault(exact, (3, digits))
    return sorted(found, key=found.get)


def _small_fractions(value, tolerance):
    """Return p/q with q up to NOISY_MAX_DENOMINATOR within ``tolerance``."""
    found = []
    for q in range(1, NOISY_MAX_DENOMINATOR + 1):
        p = round(value * q)
        if p != 0 and abs(p / q - value) <= tolerance:
            exact = sp.Rational(p, q)
            if exact not in found:
                found.append(exact)
    return found


def _decimals(value, tolerance):
    """Yield (digits, exact) for the shortest decimal within ``tolerance``."""
    if value == 0 or not math.isfinite(value):
        return
    for digits in range(1, MAX_DIGITS + 1):
        text = f"{value:.{digits - 1}e}"
        if abs(float(text) - value) <= tolerance:
            yield digits, sp.Rational(text)
            return


def snap_coefficients(
    stats, columns, coef, stderr, *, exact_fit, score, margin, parameter_cost=0.0
):
    """Replace coefficients by simple exact values where the fit allows it.

    Parameters
    ----------
    stats : Statistics
        Statistics of ``[1, X, y]``.
    columns : sequence of int
        Columns of ``[1, X]`` of the refitted formula.
    coef, stderr : ndarray
        Refitted coefficients and their standard errors.
    exact_fit : bool
        Whether the residual is at rounding level, so that the standard errors
        say nothing and :data:`ROUNDING_RELATIVE_ERROR` is used instead.
    score : callable
        Criterion of a relative residual sum of squares; lower is better.
    margin : float
        Largest rise of the criterion that snapping may cause.
    parameter_cost : float, default=0.0
        Further rise allowed for each coefficient snapped, as it is one
        parameter fewer: log(n_samples) on the scale of BIC.

    Returns
    -------
    values : ndarray
        Coefficients after snapping, the free ones refitted.
    exact : list of sympy.Expr or None
        The exact value of each snapped coefficient, None for the others.
    """
    columns = list(columns)
    coef = np.asarray(coef, dtype=float)
    baseline = score(stats.lstsq(columns)[1])
    exact = [None] * len(columns)
    values = coef.copy()
    order = np.argsort(-np.abs(coef), kind="stable")
    for i in order:
        size = abs(coef[i])
        uncertainty = ROUNDING_RELATIVE_ERROR * size if exact_fit else 3 * stderr[i]
        if not np.isfinite(uncertainty):
            continue
        if uncertainty <= MAX_RELATIVE_ERROR * size:
            candidates = exact_candidates(float(coef[i]), uncertainty)
        elif uncertainty <= NOISY_RELATIVE_ERROR * size:
            candidates = _small_fractions(float(coef[i]), uncertainty)
        else:
            continue
        for candidate in candidates:
            trial = [e if j != i else candidate for j, e in enumerate(exact)]
            trial_values, relative_rss = _refit_free(stats, columns, trial)
            n_fixed = sum(e is not None for e in trial)
            if score(relative_rss) <= baseline + margin + parameter_cost * n_fixed:
                exact, values = trial, trial_values
                break
    return values, exact


def _refit_free(stats, columns, exact):
    """Refit the coefficients whose ``exact`` entry is None, the others fixed."""
    fixed = {c: float(e) for c, e in zip(columns, exact) if e is not None}
    free = [c for c, e in zip(columns, exact) if e is None]
    coef, relative_rss = stats.lstsq(free, fixed=fixed)
    by_column = dict(zip(free, coef)) | fixed
    return np.array([by_column[c] for c in columns]), relative_rss
