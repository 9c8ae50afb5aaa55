"""Saved fit results: strict reading and checking of their JSON.

A result is the dictionary that :meth:`eqdiscover.Formula.to_dict` returns. The
reports read only that dictionary, so that a report can be rebuilt from a saved
file without refitting. A saved file comes from outside, so every key that a
report reads is checked for its type before use, and formula text in it is
parsed by :func:`eqdiscover.expressions.parse_formula`, never evaluated.
"""

import json
import numbers
from pathlib import Path

import sympy as sp

from ..exceptions import DataError
from ..expressions import parse_formula
from ..transforms import TRANSFORMS

__all__ = [
    "as_result",
    "check_result",
    "column_symbols",
    "found_expression",
    "read_result",
]

MAX_RESULT_BYTES = 64 * 1024 * 1024


class _Spec:
    """Expected shape of one JSON value, with the words that describe it."""

    def __init__(self, description, test):
        self.description = description
        self.test = test

    def check(self, value, where, errors):
        if not self.test(value):
            errors.append((where, self.description))


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_integer(value):
    return isinstance(value, int) and not isinstance(value, bool)


TEXT = _Spec("text", lambda v: isinstance(v, str))
NUMBER = _Spec("a number", _is_number)
INTEGER = _Spec("an integer", _is_integer)
BOOLEAN = _Spec("true or false", lambda v: isinstance(v, bool))
ANY = _Spec("any value", lambda v: True)
TRANSFORM_NAME = _Spec(
    f"one of {', '.join(TRANSFORMS)}", lambda v: isinstance(v, str) and v in TRANSFORMS
)
SIGN = _Spec("1 or -1", lambda v: _is_integer(v) and v in (1, -1))


class _Optional(_Spec):
    def __init__(self, spec):
        super().__init__(f"null or {spec.description}", None)
        self.spec = spec

    def check(self, value, where, errors):
        if value is not None:
            self.spec.check(value, where, errors)


class _List(_Spec):
    def __init__(self, spec, length=None):
        size = "" if length is None else f"{length} "
        super().__init__(f"a list of {size}items, each {spec.description}", None)
        self.spec = spec
        self.length = length

    def check(self, value, where, errors):
        if not isinstance(value, list) or (
            self.length is not None and len(value) != self.length
        ):
            errors.append((where, self.description))
            return
        for i, item in enumerate(value):
            self.spec.check(item, f"{where}[{i}]", errors)


class _Map(_Spec):
    """An object whose values all have one shape, such as column to range."""

    def __init__(self, spec):
        super().__init__(f"an object of {spec.description}", None)
        self.spec = spec

    def check(self, value, where, errors):
        if not isinstance(value, dict):
            errors.append((where, self.description))
            return
        for key, item in value.items():
            self.spec.check(item, f"{where}[{key!r}]", errors)


class _Record(_Spec):
    """An object with named keys; keys not listed are allowed and not read."""

    def __init__(self, fields, required=()):
        super().__init__("an object", None)
        self.fields = fields
        self.required = set(required)

    def check(self, value, where, errors):
        if not isinstance(value, dict):
            errors.append((where, self.description))
            return
        for key, spec in self.fields.items():
            path = f"{where}.{key}" if where else key
            if key not in value:
                if key in self.required:
                    errors.append((path, f"{spec.description} (the key is missing)"))
                continue
            spec.check(value[key], path, errors)


_CANDIDATE = _Record(
    {
        "terms": _List(TEXT),
        "n_terms": INTEGER,
        "rmse": NUMBER,
        "criterion": NUMBER,
        "formula": TEXT,
        "chosen": BOOLEAN,
    },
    required=("n_terms", "rmse", "criterion", "formula", "chosen"),
)
_METRICS = _Record(
    {
        "r2": _Optional(NUMBER),
        "rmse": NUMBER,
        # None when the rows were read in chunks, in one pass.
        "max_abs_error": _Optional(NUMBER),
        "n_samples": INTEGER,
    },
    required=("r2", "rmse", "max_abs_error", "n_samples"),
)

RESULT = _Record(
    {
        "target": TEXT,
        "expression": TEXT,
        "display": TEXT,
        "latex": TEXT,
        "terms": _List(
            _Record(
                {"term": TEXT, "coefficient": NUMBER, "exact": _Optional(TEXT)},
                ("term", "coefficient"),
            )
        ),
        "coefficients": _Map(NUMBER),
        "intercept": NUMBER,
        "symbols": _Map(TEXT),
        "transform": _Record(
            {"name": TRANSFORM_NAME, "sign": SIGN},
            required=("name", "sign"),
        ),
        "transforms": _Record(
            {"requested": TEXT, "chosen": TEXT, "stage": TEXT, "rule": TEXT}
        ),
        "eqdiscover_version": TEXT,
        "data": _Record(
            {
                "source": _Optional(TEXT),
                "n_rows_read": INTEGER,
                "n_samples": INTEGER,
                "inputs": _Map(_List(NUMBER, length=2)),
            }
        ),
        "notes": _List(TEXT),
        "library": _Record(
            {
                "spec": TEXT,
                "terms": _List(TEXT),
                "dropped": _List(
                    _Record({"term": TEXT, "reason": TEXT}, ("term", "reason"))
                ),
            }
        ),
        "network": _Record(
            {
                "layer_sizes": _List(INTEGER),
                "alpha": NUMBER,
                "n_iter": INTEGER,
                "converged": BOOLEAN,
                "final_loss": NUMBER,
                "collapsed": _Map(NUMBER),
                "loss_history": _List(NUMBER),
                "loss_steps": _List(NUMBER),
                "weights": _List(_List(_List(NUMBER))),
                "weight_terms": _List(TEXT),
            }
        ),
        "path": _Record(
            {
                "alphas": _List(NUMBER),
                "terms": _List(TEXT),
                "coef": _List(_List(NUMBER)),
            },
            required=("alphas", "terms", "coef"),
        ),
        "selection": _Record(
            {
                "threshold": NUMBER,
                "n_scored": INTEGER,
                "criterion": NUMBER,
                "candidates": _List(_CANDIDATE),
                "runner_up": _Optional(_CANDIDATE),
                "all_pruned": TEXT,
            }
        ),
        "estimates": _Record(
            {
                "exact_fit": BOOLEAN,
                "terms": _List(
                    _Record(
                        {
                            "term": TEXT,
                            "value": NUMBER,
                            "refit": NUMBER,
                            "exact": _Optional(TEXT),
                            "stderr": _Optional(NUMBER),
                            "interval": _Optional(_List(NUMBER, length=2)),
                        },
                        required=("term",),
                    )
                ),
            }
        ),
        "metrics": _METRICS,
        "misfit": TEXT,
        "truth": _Record(
            {
                "formula": TEXT,
                "terms_match": BOOLEAN,
                "precision": NUMBER,
                "recall": NUMBER,
                "max_relative_error": _Optional(NUMBER),
                "symbolic_match": _Optional(BOOLEAN),
                "srbench_match": _Optional(BOOLEAN),
                "summary": TEXT,
                "terms": _List(
                    _Record(
                        {
                            "term": TEXT,
                            "true": _Optional(NUMBER),
                            "found": _Optional(NUMBER),
                            "relative_error": _Optional(NUMBER),
                        },
                        required=("term",),
                    )
                ),
                "held_out": _Optional(_METRICS),
            }
        ),
        "settings": _Map(ANY),
    },
    required=("target", "expression", "terms", "symbols"),
)


def check_result(result, source="The result"):
    """Raise DataError unless ``result`` has the shape that the reports read.

    Optional keys may be missing, and keys that the reports do not read may
    hold anything. ``source`` names the result in the message.
    """
    errors = []
    RESULT.check(result, "", errors)
    if not errors:
        errors = _path_shape_errors(result.get("path"))
    if errors:
        where, expected = errors[0]
        where = f"key {where!r}" if where else "top level"
        raise DataError(
            f"{source} has an invalid {where}: expected {expected}; give a result "
            f"written by 'eqdiscover fit --output'."
        )
    return result


def _path_shape_errors(path):
    if path is None:
        return []
    if len(path["coef"]) != len(path["alphas"]):
        return [("path.coef", f"one row per alpha, {len(path['alphas'])} rows")]
    for i, row in enumerate(path["coef"]):
        if len(row) != len(path["terms"]):
            return [(f"path.coef[{i}]", f"one value per term, {len(path['terms'])}")]
    return []


def _reject_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def read_result(path):
    """Read and check a result JSON written by ``eqdiscover fit --output``.

    Raises
    ------
    DataError
        If the file is missing, too large, not JSON, or lacks a key that the
        reports need.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"Result file {str(path)!r} not found; check the path.")
    size = path.stat().st_size
    if size > MAX_RESULT_BYTES:
        raise DataError(
            f"Result file {str(path)!r} is {size} bytes, more than the limit of "
            f"{MAX_RESULT_BYTES}; give a result written by 'eqdiscover fit --output'."
        )
    try:
        text = path.read_text(encoding="utf-8")
        result = json.loads(text, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise DataError(
            f"Result file {str(path)!r} is not valid JSON ({error}); give a result "
            f"written by 'eqdiscover fit --output'."
        ) from None
    return check_result(result, f"Result file {str(path)!r}")


def as_result(formula):
    """Return the checked result of a Formula, through the same JSON as a file.

    Going through JSON text makes the dictionary identical to the one that
    :func:`read_result` returns for the saved file, so that both give the same
    report.
    """
    text = json.dumps(formula.to_dict(), allow_nan=False)
    return check_result(json.loads(text))


def found_expression(result, symbols):
    """Return the found formula as a sympy expression, built from its terms.

    With a transform of the target, the terms sum to the transformed target
    and the formula is solved for the target.

    Parameters
    ----------
    result : dict
        A checked result.
    symbols : mapping of str to sympy.Symbol
        Symbol of each input column.

    Returns
    -------
    sympy.Expr
        Exact coefficients, such as ``5/9``, stay exact. The others are floats
        to 15 significant digits, as the printed formula shows them.
    """
    exact = {
        row["term"]: row["exact"]
        for row in [*result.get("estimates", {}).get("terms", []), *result["terms"]]
        if row.get("exact")
    }
    parts = []
    for row in result["terms"]:
        term = parse_formula(row["term"], symbols)
        if row["term"] in exact:
            value = parse_formula(exact[row["term"]], {})
        else:
            value = sp.Float(row["coefficient"], 15)
        parts.append(value * term)
    transform = result.get("transform", {"name": "none", "sign": 1})
    return TRANSFORMS[transform["name"]].inverse(transform["sign"], sp.Add(*parts))


def column_symbols(result):
    """Map each input column of a result to its internal symbol."""
    return {
        column: sp.Symbol(name, real=True) for name, column in result["symbols"].items()
    }
