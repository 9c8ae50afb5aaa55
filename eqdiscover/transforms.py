"""Transforms of the target that keep a formula linear in its coefficients.

A power law such as ``G*m1*m2/r**2`` is no sum of library terms, but its
logarithm ``log G + log m1 + log m2 - 2*log r`` is. The lens law is a sum
after the reciprocal, and ``sqrt(x**2 + y**2)`` after the square. A fit
with a transform finds ``g(y)`` as a sum of terms and solves for ``y``.

Fits with different transforms are compared in the units of ``y``: each
formula, solved for ``y``, is scored on the training rows by

    n * log(max(rss, n * floor**2) / n) + k * log(n) + 0.5 * complexity

(the selection's BIC with its complexity cost and residual floor). Here
``rss`` is the residual sum of squares of ``y`` and ``k`` the number of
terms. ``floor`` is the larger of 1e-14 times the root mean square of ``y``
and 1e-9 times its standard deviation.
"""

from dataclasses import dataclass

import numpy as np
import sympy as sp

from .selection import COMPLEXITY_COST, ROUNDING_FLOOR, SPREAD_FLOOR

__all__ = [
    "LOG_SIGN_SHARE",
    "TRANSFORMS",
    "Transform",
    "criterion_in_y",
    "transform_line",
    "transform_names",
]

# The log is fitted when at least this share of the target has one sign. The
# rows of the other sign, values near 0 flipped by noise, are left out of it.
LOG_SIGN_SHARE = 0.9


@dataclass(frozen=True)
class Transform:
    """A transform ``g`` of the target and its inverse.

    Attributes
    ----------
    name : str
    label : str
        ``g(y)`` as text, with ``y`` standing for the target.
    forward : callable
        ``g`` on an array of target values.
    inverse : callable
        ``sign, expr -> y``: the sympy expression of ``y`` given ``g(y)``,
        for a target of the given sign (1 or -1) on every row.
    sign_share : float
        Share of the rows on which the target must have its more common sign.
        The log fits the rows of that sign, so noise that flips the sign of a
        few values near 0 does not rule it out. The other transforms need
        every row.
    """

    name: str
    label: str
    forward: object
    inverse: object
    sign_share: float = 1.0

    def applies(self, y):
        """Return whether the target values allow this transform."""
        if self.name == "none":
            return True
        share = max(np.mean(y > 0), np.mean(y < 0))
        return bool(share >= self.sign_share)

    def rows(self, y):
        """Return the sign of the fit (1 or -1) and a mask of the rows it uses."""
        if self.name == "none":
            return 1, np.ones(len(y), dtype=bool)
        sign = 1 if np.mean(y > 0) >= np.mean(y < 0) else -1
        return sign, sign * y > 0


TRANSFORMS = {
    "none": Transform("none", "y", lambda y: y, lambda sign, expr: expr),
    "log": Transform(
        "log",
        "log(y)",
        lambda y: np.log(np.abs(y)),
        lambda sign, expr: sign * sp.exp(expr),
        sign_share=LOG_SIGN_SHARE,
    ),
    "inverse": Transform(
        "inverse", "1/y", lambda y: 1 / y, lambda sign, expr: 1 / expr
    ),
    "square": Transform(
        "square", "y**2", np.square, lambda sign, expr: sign * sp.sqrt(expr)
    ),
    "inverse_square": Transform(
        "inverse_square",
        "1/y**2",
        lambda y: 1 / np.square(y),
        lambda sign, expr: sign / sp.sqrt(expr),
    ),
}


def transform_names():
    """Return the names that ``transform`` accepts: ``auto`` and the transforms."""
    return ["auto", *TRANSFORMS]


def criterion_in_y(y, prediction, n_terms, complexity):
    """Return the BIC of a prediction of ``y``, with complexity cost and floor.

    A prediction that is not finite on every row scores infinity.
    """
    n_samples = len(y)
    with np.errstate(all="ignore"):
        residual = y - prediction
    if not np.all(np.isfinite(residual)):
        return float("inf")
    # Dividing by the largest |y| keeps the squares in range for y near 1e200
    # or 1e-200.
    unit = float(np.max(np.abs(y)))
    scaled_y, scaled_residual = y / unit, residual / unit
    floor = max(
        ROUNDING_FLOOR * float(np.sqrt(np.mean(scaled_y**2))),
        SPREAD_FLOOR * float(np.std(scaled_y)),
    )
    rss = max(float(scaled_residual @ scaled_residual), n_samples * floor**2)
    return float(
        n_samples * (np.log(rss / n_samples) + 2 * np.log(unit))
        + n_terms * np.log(n_samples)
        + COMPLEXITY_COST * complexity
    )


def transform_line(formula):
    """Return one sentence that names the transform of the target that was fitted."""
    target = formula.target
    label = TRANSFORMS[formula.transform].label.replace("y", target)
    return (
        f"transform: the terms sum to {label}, and the formula is solved for {target}."
    )
