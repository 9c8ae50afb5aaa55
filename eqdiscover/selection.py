"""Choosing the formula: subsets of the strongest terms, refitted and scored.

The trained network ranks the terms by their collapsed coefficients in
standardized units. A linear network walks a lasso path, and the lasso picks
wrong terms when the columns are collinear. So the ranking only chooses where
to look. Every subset of the ``MAX_SEARCH_TERMS`` strongest terms, with and
without the constant, is refitted by least squares from the QR statistics and
scored. In a library of up to that many terms the search is exhaustive. In a
larger one, the best subset is then refined step by step: any term of the
whole library is added, or any chosen term dropped, while that lowers the
score. This recovers a true term that the L1 penalty set to zero.

The score is the Bayesian information criterion plus a cost per unit of term
complexity::

    n * log(max(rss / sum(y**2), floor**2)) + k * log(n)
        + complexity_cost * complexity

which differs from the usual ``n * log(rss / n) + k * log(n)`` by a constant
for a given data set. The floor stops rounding-level residuals of noise-free
data from making extra terms look free. It is the larger of two residuals:
``ROUNDING_FLOOR`` times the root mean square of the target, the size of
rounding errors, and ``SPREAD_FLOOR`` times the target's standard deviation.
Tying the second to the spread lets a target with a large offset keep the
terms that explain its small variation. The complexity cost decides between
subsets that fit equally well, such as x and sin(x) on a narrow range.

Last, non-constant terms of the chosen subset whose contribution (coefficient
times the term's standard deviation, over the target's standard deviation) is
below ``threshold`` are pruned, and the rest are refitted. The constant adds
nothing to the spread of the target, so only the score decides whether it
stays.
"""

import itertools
import logging
import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Candidate", "Selection", "contributions", "select_terms"]

logger = logging.getLogger(__name__)

ROUNDING_FLOOR = 1e-14
SPREAD_FLOOR = 1e-9
MAX_SEARCH_TERMS = 12
COMPLEXITY_COST = 0.5
# Candidates kept, refitted, in the result; every subset is scored.
MAX_CANDIDATES = 20
# Two formulas whose scores differ by less than this fit equally well: a
# difference of 2 in BIC is commonly read as no evidence either way.
MARGIN = 2.0


@dataclass(frozen=True)
class Candidate:
    """One refitted subset of terms.

    Attributes
    ----------
    columns : tuple of int
        Columns of ``[1, X]`` in the statistics: 0 is the constant.
    coef : ndarray
        Least-squares coefficients of those columns, in the same order.
    relative_rss : float
        Residual sum of squares on the training rows over ``sum(y**2)``.
    complexity : int
        Sum of the complexities of the terms.
    score : float
        Information criterion; lower is better.
    """

    columns: tuple
    coef: np.ndarray
    relative_rss: float
    complexity: int
    score: float


@dataclass(frozen=True)
class Selection:
    """Result of :func:`select_terms`.

    Attributes
    ----------
    searched : tuple of int
        Columns of ``X`` whose subsets were searched, strongest first.
    candidates : list of Candidate
        The best subsets scored, refitted, best first; at most
        ``MAX_CANDIDATES`` and the refinement's result.
    chosen : Candidate
        The best candidate after pruning terms below the threshold.
    pruned : tuple of int
        Columns of ``[1, X]`` pruned from the best candidate by the threshold.
    n_scored : int
        Number of subsets scored.
    runner_up : Candidate or None
        The best candidate with other terms than ``chosen`` whose score is
        within ``MARGIN`` of it, or None. A superset of ``chosen`` whose
        extra terms were all pruned does not count.
    """

    searched: tuple
    candidates: list
    chosen: Candidate
    pruned: tuple
    n_scored: int
    runner_up: Candidate = None


def residual_floor(stats):
    """Return the floor of the relative residual, as a fraction of ``sum(y**2)``."""
    floor = max(ROUNDING_FLOOR, SPREAD_FLOOR * stats.target_spread_ratio)
    return floor**2


def score(relative_rss, n_samples, n_terms, complexity, complexity_cost, floor):
    """Return the information criterion of one refitted subset.

    ``floor`` is the smallest relative residual that counts as different from
    zero, as :func:`residual_floor` returns it.
    """
    variance = max(relative_rss, floor)
    return (
        n_samples * math.log(variance)
        + n_terms * math.log(n_samples)
        + complexity_cost * complexity
    )


def select_terms(
    stats,
    strength,
    complexities,
    *,
    threshold,
    allow_constant=True,
    complexity_cost=COMPLEXITY_COST,
    supports=(),
    max_refine_steps=None,
):
    """Refit every subset of the strongest terms, rank them and prune the best.

    Parameters
    ----------
    stats : Statistics
        Statistics of ``[1, X, y]``.
    strength : ndarray of shape (n_features,)
        Absolute collapsed coefficients of ``X`` in standardized units.
    complexities : sequence of int
        Complexity of the constant, then of each column of ``X``.
    threshold : float
        Non-constant terms of the best subset contributing less than this,
        relative to the target's standard deviation, are pruned.
    allow_constant : bool, default=True
        Whether subsets may include the constant.
    complexity_cost : float, default=0.5
        Score added per unit of complexity.
    supports : iterable of sequences of int, default=()
        More subsets of columns of ``X`` to score, such as the terms the
        network keeps at each alpha of its path.
    max_refine_steps : int, optional
        Largest number of steps of the stepwise refinement; by default it
        runs until no step lowers the score.

    Returns
    -------
    Selection
    """
    strength = np.asarray(strength, dtype=float)
    searched = [int(j) for j in np.argsort(-strength, kind="stable")]
    if len(searched) > MAX_SEARCH_TERMS:
        logger.info(
            "searching subsets of the %d strongest of %d terms",
            MAX_SEARCH_TERMS,
            len(searched),
        )
        searched = searched[:MAX_SEARCH_TERMS]
    columns = [j + 1 for j in sorted(searched)]
    constant_options = [(), (0,)] if allow_constant else [()]

    floor = residual_floor(stats)

    def refit(chosen):
        return _refit(stats, chosen, complexities, complexity_cost, floor)

    subsets = [
        constant + subset
        for size in range(len(columns) + 1)
        for subset in itertools.combinations(columns, size)
        for constant in constant_options
    ]
    extra = [
        constant + tuple(j + 1 for j in sorted(support))
        for support in supports
        for constant in constant_options
    ]
    subsets = list(dict.fromkeys(subsets + extra))
    relative_rss = _subset_residuals(stats, subsets)
    scores = [
        score(
            rss,
            stats.n_samples,
            len(subset),
            sum(complexities[c] for c in subset),
            complexity_cost,
            floor,
        )
        for subset, rss in zip(subsets, relative_rss)
    ]
    order = sorted(range(len(subsets)), key=lambda i: (scores[i], len(subsets[i])))
    candidates = [refit(subsets[i]) for i in order[:MAX_CANDIDATES]]
    candidates.sort(key=lambda c: (c.score, len(c.columns)))
    logger.info("scored %d subsets of %d terms", len(subsets), len(searched))

    chosen = candidates[0]
    if len(searched) < len(strength):
        everything = ([0] if allow_constant else []) + list(range(1, len(strength) + 1))
        chosen = _refine(chosen, everything, refit, max_refine_steps)
        if chosen is not candidates[0]:
            logger.info("stepwise refinement moved to columns %s", chosen.columns)
            candidates.insert(0, chosen)
    pruned = []
    while True:
        weak = [
            column
            for column, value in zip(chosen.columns, contributions(stats, chosen))
            if column != 0 and value < threshold
        ]
        if not weak:
            break
        pruned.extend(weak)
        chosen = refit(tuple(c for c in chosen.columns if c not in weak))
    if chosen.columns not in {c.columns for c in candidates}:
        candidates.append(chosen)
        candidates.sort(key=lambda c: (c.score, len(c.columns)))
    return Selection(
        tuple(searched),
        candidates,
        chosen,
        tuple(pruned),
        len(subsets),
        _runner_up(candidates, chosen, pruned),
    )


def _runner_up(candidates, chosen, pruned):
    kept = set(chosen.columns)
    for candidate in candidates:
        columns = set(candidate.columns)
        if columns == kept or (columns > kept and columns - kept <= set(pruned)):
            continue
        if candidate.score <= chosen.score + MARGIN:
            return candidate
        break
    return None


def contributions(stats, candidate):
    """Return each term's contribution relative to the target's spread.

    A term's contribution is its coefficient times the term's standard
    deviation, divided by the target's standard deviation. The constant's is 0.
    """
    std = stats.std
    spread = np.concatenate([[0.0], std[:-1]])[list(candidate.columns)]
    return np.abs(candidate.coef) * spread / std[-1]


def _refine(candidate, columns, refit, max_steps=None):
    """Add or drop one column at a time while that lowers the score.

    Each step takes the single addition or removal with the lowest score; the
    score falls at every step, so the loop ends, after ``max_steps`` steps
    at most when that is given.
    """
    steps = itertools.count()
    while max_steps is None or next(steps) < max_steps:
        chosen = set(candidate.columns)
        moves = [tuple(sorted(chosen ^ {column})) for column in columns]
        best = min(map(refit, moves), key=lambda c: (c.score, len(c.columns)))
        if best.score >= candidate.score:
            return candidate
        candidate = best
    return candidate


def _subset_residuals(stats, subsets):
    """Return the relative residual of least squares on each subset of ``[1, X]``.

    Subsets of equal size are solved together by one batched QR of the
    columns of a factor restricted to the columns in use, which is small.
    """
    used = sorted({c for subset in subsets for c in subset})
    position = {c: i for i, c in enumerate(used)}
    small = np.linalg.qr(stats.r[:, used + [stats.r.shape[1] - 1]], mode="r")
    y_norm_squared = float(np.sum(stats.r[:, -1] ** 2))
    result = np.empty(len(subsets))
    by_size = {}
    for i, subset in enumerate(subsets):
        by_size.setdefault(len(subset), []).append(i)
    for size, indices in by_size.items():
        picks = np.array(
            [[position[c] for c in subsets[i]] + [len(used)] for i in indices]
        )
        stacked = small[:, picks].transpose(1, 0, 2)
        factors = np.linalg.qr(stacked, mode="r")
        tail = factors[:, size:, size] if size < small.shape[0] else 0.0
        rss = np.sum(np.atleast_2d(tail) ** 2, axis=-1)
        result[indices] = rss / y_norm_squared if y_norm_squared > 0 else 0.0
    return result


def _refit(stats, columns, complexities, complexity_cost, floor):
    coef, relative_rss = stats.lstsq(columns)
    total = int(sum(complexities[c] for c in columns))
    value = score(
        relative_rss, stats.n_samples, len(columns), total, complexity_cost, floor
    )
    return Candidate(tuple(columns), coef, relative_rss, total, value)
