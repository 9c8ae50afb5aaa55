"""The search over target transforms and a library grown in stages.

With ``transform="auto"`` the search runs these fits in turn, and an exact
fit (residual at rounding level) ends it, as nothing can score better:

1. Power laws. Weighted fits of ``log|y|`` on the logs of the positive
   inputs, and on the logs of ``|x|``, ``|sin x|`` and ``|cos x|`` of every
   input, give an exponent for each factor (:func:`_power_laws`). Rounded to
   multiples of 1/q for each q in ``SNAP_DENOMINATORS``, the exponents give
   one product term each, scored with one coefficient fitted to y itself
   (:func:`_rank_powers`). An exact one is fitted as a library at once.
2. The given library on the untransformed target, as without transforms,
   unless it has more than ``MAX_BASELINE_TERMS`` terms. With one input whose
   residuals follow no trend (the misfit test of :mod:`eqdiscover.residuals`),
   the library expresses the data: the search ends there, unless the best
   power term scores better by more than ``CLEAR_MARGIN``. With several
   inputs the test misses a trend in their interaction, so the search goes
   on.
3. The ``N_POWERS`` best power terms, each fitted as a library.
4. Stage 1, for each transform that the target allows (see
   :mod:`eqdiscover.transforms`): the single-input library. For each input
   x it has x, x**2, x**3, sin x, cos x and exp x, and for a positive input
   also 1/x, 1/x**2, sqrt x and log x, each where it is finite on the data.
   A fit of log(y) also proposes power terms, as in step 1.
5. Stage 2, for up to ``N_GROWN`` transforms whose stage-1 fit of g(y) is
   not exact, highest R² first: the terms that stage 1 kept, with their
   products of 2 to ``MAX_FACTORS`` factors from different inputs.

Every fit is scored in the units of the target with
:func:`eqdiscover.transforms.criterion_in_y`. A fit of the search replaces
the fit of the given library only when its score is lower by more than
``CLEAR_MARGIN``, 10 on the scale of BIC, which is commonly read as very
strong evidence. A requested transform runs stages 1 and 2 for that
transform alone.
"""

import dataclasses
import itertools
import logging
import warnings

import numpy as np
import pandas as pd
import sympy as sp

from .exceptions import DataError, EqdiscoverError
from .expressions import display_name, evaluate, make_symbols, parse_formula
from .formula import Formula
from .library import FeatureLibrary, complexity
from .transforms import TRANSFORMS, criterion_in_y

__all__ = ["CLEAR_MARGIN", "search_transforms"]

logger = logging.getLogger(__name__)

CLEAR_MARGIN = 10.0
# Training steps of the network in the fits of the search. The network only
# ranks the terms for the subset search, which refits them exactly.
SEARCH_MAX_ITER = 300
# Steps of the stepwise refinement in the fits of the search. In a grown
# library of 150 terms an unbounded refinement of a noisy fit added one term
# per step for minutes, and a formula of that many terms solves nothing.
SEARCH_REFINE_STEPS = 10
# Under "auto", a given library of more terms than this is not fitted before
# the search, because its fit costs more than the whole search. The default
# library has 141 terms on 7 inputs and 247 on 9. Its fit on 9 inputs ran for
# over 2 minutes on the benchmark machine of benchmarks/README.md. A library
# given with transform "none" is always fitted.
MAX_BASELINE_TERMS = 120
N_GROWN = 5
# Denominators q of the powers tried: each power of a log fit is rounded to a
# multiple of 1/q, and each rounding gives one product term.
SNAP_DENOMINATORS = (1, 2, 3, 4, 6)
# The best power terms by their score on y that are fitted as a library.
N_POWERS = 2
# A power term whose residual RMS is below this share of the target's RMS is
# exact to rounding, and is fitted at once.
EXACT_POWER = 1e-9
MAX_FACTORS = 4
# Products are added from two factors up while the library stays below this.
MAX_GROWN_TERMS = 150
RULE = (
    "Each fit is solved for the target and scored on the training rows by "
    "n*log(RSS/n) + k*log(n) + 0.5*complexity; a fit with a transform or the "
    "grown library replaces the untransformed fit only when its score is "
    f"lower by more than {CLEAR_MARGIN:g}."
)


@dataclasses.dataclass
class _Attempt:
    formula: Formula
    transform: str
    stage: str
    library: str
    criterion: float
    caught: list

    @property
    def exact_fit(self):
        return bool(self.formula.details["estimates"]["exact_fit"])

    def summary(self):
        return {
            "transform": self.transform,
            "stage": self.stage,
            # None where the fit is not finite on every row, as JSON has no inf.
            "criterion": self.criterion if np.isfinite(self.criterion) else None,
            "n_terms": len(self.formula.terms),
            "formula": str(self.formula),
            "library": self.library,
            "library_size": len(self.formula.details["library"]["terms"]),
        }


def search_transforms(dataset, requested, fit_terms, options):
    """Fit ``dataset`` with the requested transform, or search them for "auto".

    Parameters
    ----------
    dataset : Dataset
    requested : str
        ``"auto"`` or a name of :data:`~eqdiscover.transforms.TRANSFORMS`.
    fit_terms : callable
        ``fit_terms(dataset, library=..., **options)`` fits a sum of
        library terms and returns a Formula, as :func:`eqdiscover.fit`
        does without a transform.
    options : dict
        The other settings of the fit.

    Returns
    -------
    formula : Formula
        The chosen fit, with warnings of the chosen fit re-emitted.
    search : dict
        The requested and chosen transform, the rule and every fit scored.
    """
    y = dataset.target.to_numpy(dtype=float)
    # NOTE: the fits of the search leave out the misfit test, so a chosen fit
    # of the search is not flagged when the residuals still follow an input.
    searching = {
        **options,
        "max_iter": min(options["max_iter"], SEARCH_MAX_ITER),
        "misfit_test": False,
        "max_refine_steps": SEARCH_REFINE_STEPS,
    }
    attempts = []
    baseline = None
    seen = set()
    if requested == "auto":
        ranked_powers = _rank_powers(dataset, _power_laws(dataset, y), y, seen)
        exact = [power for power in ranked_powers if power.exact]
        if exact:
            attempts += _fit_powers(dataset, exact[:1], searching, fit_terms, y)
            if _any_exact(attempts):
                return _finish_exact(attempts, requested)
        size = _library_size(options["library"], dataset)
        if size <= MAX_BASELINE_TERMS:
            baseline = _attempt(dataset, "none", "library", options, fit_terms, y)
            attempts.append(baseline)
            if baseline.exact_fit:
                return _finish(baseline, attempts, requested)
            single_input = dataset.inputs.shape[1] == 1
            if single_input and "misfit" not in baseline.formula.details:
                # The residuals follow no trend in the one input, so the given
                # library expresses the data, and only a power law that scores
                # clearly better can replace it. With several inputs the test
                # misses a trend in their interaction, and the search goes on.
                clear = [
                    power
                    for power in ranked_powers[:1]
                    if power.criterion < baseline.criterion - CLEAR_MARGIN
                ]
                attempts += _fit_powers(dataset, clear, searching, fit_terms, y)
                return _choose(attempts, baseline, requested)
        else:
            logger.info(
                "left out the fit of the given library: %d terms, more than %d",
                size,
                MAX_BASELINE_TERMS,
            )
        attempts += _fit_powers(
            dataset, ranked_powers[:N_POWERS], searching, fit_terms, y
        )
        names = [name for name, t in TRANSFORMS.items() if t.applies(y)]
    else:
        if not TRANSFORMS[requested].applies(y):
            _raise_transform_error(requested, dataset)
        names = [requested]

    spec = ",".join(["const", *_single_terms(dataset)])
    first = [
        _attempt(dataset, name, "single", {**searching, "library": spec}, fit_terms, y)
        for name in names
    ]
    attempts += first
    if requested == "auto":
        attempts += _log_proposals(dataset, first, searching, fit_terms, y, seen)
        if _any_exact(attempts):
            return _finish_exact(attempts, requested)
    # The criterion in y is infinite where a fit is not yet defined on every
    # row (a negative y**2), so growth follows the fit of g(y) itself.
    ranked = sorted(first, key=lambda attempt: attempt.formula.details["metrics"]["r2"])
    ranked.reverse()
    grown = []
    for attempt in [a for a in ranked if not a.exact_fit][:N_GROWN]:
        spec = _grown_library(attempt.formula)
        if spec is None:
            continue
        options_grown = {**searching, "library": spec}
        grown.append(
            _attempt(dataset, attempt.transform, "grown", options_grown, fit_terms, y)
        )
    attempts += grown
    if requested == "auto":
        attempts += _log_proposals(dataset, grown, searching, fit_terms, y, seen)
    return _choose(attempts, baseline, requested)


def _choose(attempts, baseline, requested):
    """Finish with the best fit, which must beat the baseline by the margin."""
    searched = [a for a in attempts if a is not baseline]
    if not searched:
        return _finish(baseline, attempts, requested)
    best = min(searched, key=_order)
    if baseline is not None and not best.criterion < baseline.criterion - CLEAR_MARGIN:
        best = baseline
    return _finish(best, attempts, requested)


def _raise_transform_error(name, dataset):
    share = TRANSFORMS[name].sign_share
    kind = "of one sign on every row" if share == 1 else f"of one sign on {share:.0%}"
    raise DataError(
        f"Transform {name!r} needs a target {kind} of the rows, but "
        f"{dataset.target_name!r} is not; choose another transform or 'auto'."
    )


def _library_size(spec, dataset):
    return len(FeatureLibrary(spec).fit(dataset.inputs.iloc[:1]).terms_)


def _order(attempt):
    # Equal scores, as for exact fits at the residual floor, prefer fewer terms.
    return (attempt.criterion, len(attempt.formula.terms))


def _attempt(dataset, name, stage, options, fit_terms, y):
    """Fit ``name(y)`` as a sum of the library's terms and score it in y."""
    transform = TRANSFORMS[name]
    sign, rows = transform.rows(y)
    if name == "none":
        data = dataset
    else:
        with np.errstate(all="ignore"):
            values = transform.forward(y[rows])
        target = pd.Series(values, name=dataset.target_name)
        inputs = dataset.inputs.loc[rows].reset_index(drop=True)
        data = dataclasses.replace(dataset, inputs=inputs, target=target, truth=None)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fitted = fit_terms(data, **options)

    left_out = int(len(y) - np.count_nonzero(rows))
    if left_out:
        other = "negative or 0" if sign == 1 else "positive or 0"
        label = transform.label.replace("y", dataset.target_name)
        note = (
            f"The fit of {label} left out the {left_out} rows where "
            f"{dataset.target_name} is {other}; R² and RMSE are on every row."
        )
        fitted.details["notes"] = [*fitted.details["notes"], note]

    formula = Formula(
        fitted.target,
        fitted.terms,
        fitted.coef,
        fitted.symbols,
        details=fitted.details,
        exact=fitted.exact,
        transform=name,
        sign=sign,
    )
    cost = sum(complexity(term) for term in formula.terms)
    if formula.expr.is_finite is False:
        # Every term pruned from a fit of 1/y or 1/y**2 leaves 1/0.
        # NOTE: the search passes over such a fit, but a requested transform
        # returns it as the formula.
        criterion = float("inf")
    else:
        prediction = formula.predict(dataset.inputs)
        criterion = criterion_in_y(y, prediction, len(formula.terms), cost)
    logger.info("%s, %s library: %s (criterion %.1f)", name, stage, formula, criterion)
    return _Attempt(formula, name, stage, options["library"], criterion, list(caught))


def _any_exact(attempts):
    return any(attempt.exact_fit for attempt in attempts)


def _finish_exact(attempts, requested):
    """Finish with the best exact fit, as no later fit can score better."""
    best = min((a for a in attempts if a.exact_fit), key=_order)
    return _finish(best, attempts, requested)


def _log_proposals(dataset, attempts, options, fit_terms, y, seen):
    """Fit the best power terms that the fits of log(y) among ``attempts`` propose."""
    proposals = [_log_sum(a.formula) for a in attempts if a.transform == "log"]
    ranked = _rank_powers(dataset, proposals, y, seen)
    return _fit_powers(dataset, ranked[:N_POWERS], options, fit_terms, y)


def _log_sum(formula):
    """Return the factors that a fit of log(y) proposes; see :func:`_power_laws`.

    A term t with coefficient a of ``log|y| = c + sum(a * t)`` is the factor
    ``exp(t)**a``, which is ``x**a`` for ``t = log(x)``.
    """
    return [
        (sp.exp(term), float(value), False)
        for term, value in zip(formula.terms, formula.coef)
        if term.free_symbols
    ]


def _power_laws(dataset, y):
    """Return the factors of the power laws that weighted log fits propose.

    Three fits of ``log|y| = c + sum(a_i * log|f_i|)`` run, over different
    factors f_i:

    - the positive inputs x, on the rows of the target's more common sign;
    - the positive inputs x with ``exp(x)`` and ``exp(x**2)`` of every input,
      for a Boltzmann factor or a Gaussian such as ``exp(-theta**2/2)``;
    - every input x, sin x and cos x that is non-zero on every row, on every
      row with y non-zero, for a law such as ``r*F*sin(theta)`` whose sign
      changes with an input.

    Each row is weighted by ``|y|``, so that the fit approximates least
    squares in y (the error of log y is the error of y over y), and rows
    near 0, where noise swamps the log, count little.

    Returns a list of proposals, each a list of ``(base, power, integer)``:
    the law is a constant times the product of ``base**power``, and a base
    that changes sign takes only an integer power.
    """
    symbols = make_symbols(dataset.inputs.columns)
    inputs = {c: dataset.inputs[c].to_numpy(dtype=float) for c in symbols}
    proposals = []
    positive = [c for c in symbols if inputs[c].min() > 0]
    if TRANSFORMS["log"].applies(y):
        _, rows = TRANSFORMS["log"].rows(y)
        powers = [(symbols[c], np.log(inputs[c][rows]), False) for c in positive]
        exponentials = []
        for column, symbol in symbols.items():
            x = inputs[column][rows]
            exponentials.append((sp.exp(symbol), x, False))
            exponentials.append((sp.exp(symbol**2), x**2, False))
        proposals.append(_weighted_log_fit(powers, y[rows]))
        proposals.append(_weighted_log_fit(powers + exponentials, y[rows]))
    factors = []
    rows = y != 0
    for column, symbol in symbols.items():
        x = inputs[column]
        for base, values in (
            (symbol, x),
            (sp.sin(symbol), np.sin(x)),
            (sp.cos(symbol), np.cos(x)),
        ):
            if np.all(values != 0):
                logs = np.log(np.abs(values[rows]))
                factors.append((base, logs, bool(np.any(values < 0))))
    proposals.append(_weighted_log_fit(factors, y[rows]))
    return [p for p in proposals if p]


def _weighted_log_fit(factors, y):
    """Fit log|y| on the logs of ``(base, logs, changes_sign)`` factors.

    Rows are weighted by |y|. Returns ``(base, power, changes_sign)`` for
    each factor, or an empty list when the fit is not possible.
    """
    if not factors or len(y) <= len(factors) + 1:
        return []
    logs = np.column_stack([values for _, values, _ in factors])
    design = np.column_stack([np.ones(len(y)), logs])
    weight = np.abs(y)
    solution = np.linalg.lstsq(
        design * weight[:, None], np.log(np.abs(y)) * weight, rcond=None
    )[0]
    if not np.all(np.isfinite(solution)):
        return []
    return [
        (base, float(power), changes_sign)
        for (base, _, changes_sign), power in zip(factors, solution[1:])
    ]


@dataclasses.dataclass
class _Power:
    """A product term proposed by a log fit, scored with one coefficient on y."""

    spec: str
    criterion: float
    exact: bool


def _rank_powers(dataset, proposals, y, seen):
    """Score the product terms of the proposals on y, best first.

    ``proposals`` are lists of ``(base, power, integer)``: each proposes a
    constant times the product of ``base**power``. With each power rounded
    to a multiple of 1/q, for each q of ``SNAP_DENOMINATORS`` (to an integer
    where ``integer`` is set), the product is one term. Its coefficient is
    fitted to y itself, where additive noise does not bias it as it biases
    the log, and the fit is scored by :func:`criterion_in_y`. ``seen``
    contains the terms already scored, which are left out.
    """
    symbols = make_symbols(dataset.inputs.columns)
    names = {s: sp.Symbol(display_name(c)) for c, s in symbols.items()}
    values = {symbols[c]: dataset.inputs[c].to_numpy(dtype=float) for c in symbols}
    y_unit = float(np.max(np.abs(y)))
    scale = float(np.sqrt(np.mean((y / y_unit) ** 2))) * y_unit
    ranked = []
    for factors in proposals:
        for q in SNAP_DENOMINATORS:
            powers = [
                sp.Integer(round(p)) if integer else sp.Rational(round(p * q), q)
                for _, p, integer in factors
            ]
            product = sp.Mul(*[base**p for (base, _, _), p in zip(factors, powers)])
            spec = sp.sstr(product.xreplace(names))
            if not product.free_symbols or spec in seen:
                continue
            seen.add(spec)
            with np.errstate(all="ignore"):
                term = evaluate(product, values, len(y))
                unit = float(np.max(np.abs(term)))
            if not np.all(np.isfinite(term)) or not 0 < unit < np.inf:
                continue
            # Scaled to a largest |value| of 1, so the squares stay in range.
            scaled, scaled_y = term / unit, y / y_unit
            coefficient = float(scaled @ scaled_y) / float(scaled @ scaled)
            prediction = coefficient * scaled * y_unit
            criterion = criterion_in_y(y, prediction, 1, complexity(product))
            rms = float(np.sqrt(np.mean(((y - prediction) / y_unit) ** 2))) * y_unit
            ranked.append(_Power(spec, criterion, rms <= EXACT_POWER * scale))
    ranked.sort(key=lambda power: power.criterion)
    return ranked


def _fit_powers(dataset, powers, options, fit_terms, y):
    """Fit each power term of ``powers`` alone, as the pipeline fits a library."""
    found = []
    for power in powers:
        options_power = {**options, "library": power.spec}
        try:
            found.append(
                _attempt(dataset, "none", "power", options_power, fit_terms, y)
            )
        except EqdiscoverError as error:
            logger.info("left out the power term %s: %s", power.spec, error)
    return found


def _finish(chosen, attempts, requested):
    for caught in chosen.caught:
        warnings.warn_explicit(
            caught.message, caught.category, caught.filename, caught.lineno
        )
    search = {
        "requested": requested,
        "chosen": chosen.transform,
        "stage": chosen.stage,
        "rule": RULE,
        "fits": [attempt.summary() for attempt in attempts],
    }
    return chosen.formula, search


def _single_terms(dataset):
    """Return the stage-1 library items: single-input terms finite on the data."""
    items = []
    symbols = make_symbols(dataset.inputs.columns)
    for column in dataset.inputs.columns:
        name = display_name(column)
        values = dataset.inputs[column].to_numpy(dtype=float)
        texts = [name, f"{name}**2", f"{name}**3"]
        texts += [f"sin({name})", f"cos({name})", f"exp({name})"]
        if values.min() > 0:
            texts += [f"1/{name}", f"{name}**(-2)", f"sqrt({name})", f"log({name})"]
        for text in texts:
            expr = parse_formula(text, symbols)
            term = evaluate(expr, {symbols[column]: values}, len(values))
            if np.all(np.isfinite(term)) and np.ptp(term) > 0:
                items.append(text)
    return items


def _grown_library(formula):
    """Return the stage-2 library of a stage-1 fit, or None without products.

    The library is the constant, the terms the fit kept and their products
    of 2 to ``MAX_FACTORS`` factors from different inputs.
    """
    names = formula.display_names
    factors = [term for term in formula.terms if term != 1]
    items = ["const"] + [sp.sstr(term.xreplace(names)) for term in factors]
    n_singles = len(items)
    for size in range(2, MAX_FACTORS + 1):
        products = [
            "*".join(f"({sp.sstr(t.xreplace(names))})" for t in group)
            for group in itertools.combinations(factors, size)
            if len({frozenset(t.free_symbols) for t in group}) == size
            and all(len(t.free_symbols) == 1 for t in group)
        ]
        if len(items) + len(products) > MAX_GROWN_TERMS:
            break
        items += products
    if len(items) == n_singles:
        return None
    return ",".join(items)
