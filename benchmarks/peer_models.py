"""The peer methods of ``peers.py``, each fitted and turned into a sympy formula.

Every peer takes the training inputs, the target and the input symbols, and
returns a :class:`PeerModel`: the fitted formula as a sympy expression in the
symbols, and the peer's own prediction for other rows. The formulas are built
from each package's fitted objects or from gplearn's program text, never by
evaluating text.

- ``stlsq``: PySINDy's ``STLSQ(threshold=0.05)`` on eqdiscover's default
  library matrix (``const,poly:3,sin,cos,exp``).
- ``lassocv``: scikit-learn's ``LassoCV`` (default settings, 5 folds) on the
  same matrix without its constant column. The intercept is the constant.
- ``ffx``: FFX's ``FFXRegressor``, whose formula is the model with the most
  bases on its Pareto front of error and size.
- ``gplearn``: gplearn's ``SymbolicRegressor`` with :data:`GPLEARN_SETTINGS`.

Each peer imports its package when it first runs, so only the packages of
the peers chosen need to be installed. :data:`PEER_MODULES` names the module
to import beforehand, so that a timed fit does not include the import.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp

from eqdiscover.library import FeatureLibrary

STLSQ_THRESHOLD = 0.05
# Small settings, so that a fit on 7500 rows takes seconds: 2 to 19 s on the
# sample of benchmarks/README.md. The functions are those of SRBench's
# experiment/methods/gplearn.py without max and min, plus sin and cos. The
# other settings are gplearn's defaults.
GPLEARN_SETTINGS = {
    "population_size": 1000,
    "generations": 20,
    "function_set": ("add", "sub", "mul", "div", "sqrt", "log", "sin", "cos"),
    "random_state": 0,
}
# gplearn's functions by name, with their arity and sympy form. div, sqrt,
# log and inv are protected in gplearn: sqrt and log take the absolute value,
# which the sympy forms keep.
# NOTE: the sympy forms leave out gplearn's guard near zero (div returns 1,
# log and inv return 0 where the argument is within 0.001 of zero), so they
# differ from the program on such rows.
GPLEARN_FUNCTIONS = {
    "add": (2, lambda a, b: a + b),
    "sub": (2, lambda a, b: a - b),
    "mul": (2, lambda a, b: a * b),
    "div": (2, lambda a, b: a / b),
    "sqrt": (1, lambda a: sp.sqrt(sp.Abs(a))),
    "log": (1, lambda a: sp.log(sp.Abs(a))),
    "neg": (1, lambda a: -a),
    "inv": (1, lambda a: 1 / a),
    "abs": (1, sp.Abs),
    "max": (2, sp.Max),
    "min": (2, sp.Min),
    "sin": (1, sp.sin),
    "cos": (1, sp.cos),
    "tan": (1, sp.tan),
}
_PROGRAM_TOKEN = re.compile(
    r"\s*(?:(?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
    r"|(?P<name>[A-Za-z_]\w*)|(?P<punctuation>[(),]))"
)
_FEATURE_NAME = re.compile(r"X(\d+)")


@dataclass
class PeerModel:
    """A fitted peer: its formula and its own prediction.

    Attributes
    ----------
    expr : sympy.Expr
        The fitted formula in the input symbols.
    predict : callable
        Takes a DataFrame with the training input columns and returns the
        peer's prediction, an ndarray of shape (n_samples,).
    """

    expr: sp.Expr
    predict: Callable


def fit_stlsq(X, y, symbols):
    """Fit PySINDy's STLSQ on the default library matrix of ``X``."""
    import pysindy

    library, theta = _library_matrix(X)
    optimizer = pysindy.STLSQ(threshold=STLSQ_THRESHOLD).fit(theta, y[:, None])
    return _library_model(library, optimizer.coef_[0])


def fit_lassocv(X, y, symbols):
    """Fit scikit-learn's LassoCV on the default library matrix of ``X``."""
    from sklearn.linear_model import LassoCV

    library, theta = _library_matrix(X)
    lasso = LassoCV().fit(theta[:, 1:], y)
    return _library_model(library, np.concatenate([[lasso.intercept_], lasso.coef_]))


def _library_matrix(X):
    library = FeatureLibrary().fit(X)
    if library.terms_[0].expr != 1:
        raise ValueError(
            f"The default library starts with {library.terms_[0].expr}, not the "
            f"constant 1 that the library peers expect in column 0."
        )
    return library, library.transform(X)


def _library_model(library, coef):
    terms = [term.expr for term in library.terms_]
    expr = sp.Add(*(sp.Float(c) * t for c, t in zip(coef, terms) if c != 0))

    def predict(frame):
        return library.transform(frame) @ coef

    return PeerModel(expr, predict)


def fit_ffx(X, y, symbols):
    """Fit FFX and build the formula of the model with the most bases.

    That model is the most accurate on the training rows among FFX's Pareto
    front of error against number of bases.
    """
    import ffx

    estimator = ffx.FFXRegressor().fit(X.to_numpy(), y)

    def predict(frame):
        return estimator.predict(frame.to_numpy())

    return PeerModel(ffx_to_sympy(estimator.model_, symbols), predict)


def ffx_to_sympy(model, symbols):
    """Build the sympy formula of a fitted FFX model from its bases.

    Parameters
    ----------
    model : ffx.core.models.FFXModel or ConstantModel
        The fitted model. Its numerator is ``coefs_n[0]`` plus the weighted
        bases ``bases_n``. Its denominator, when it has bases, is 1 plus the
        weighted bases ``bases_d``.
    symbols : list of sympy.Symbol
        The symbol of each input column, in the order of FFX's ``x0, x1, ...``.
    """
    from ffx.core.models import ConstantModel

    if isinstance(model, ConstantModel):
        return sp.Float(model.constant)
    numerator = sp.Float(model.coefs_n[0]) + _weighted_sum(
        model.coefs_n[1:], model.bases_n, symbols
    )
    if not model.bases_d:
        return numerator
    return numerator / (1 + _weighted_sum(model.coefs_d, model.bases_d, symbols))


def _weighted_sum(coefs, bases, symbols):
    return sp.Add(*(sp.Float(c) * _ffx_base(b, symbols) for c, b in zip(coefs, bases)))


def _ffx_base(base, symbols):
    """Build one FFX basis function, following its ``simulate`` method."""
    from ffx.core import constants
    from ffx.core.bases import OperatorBase, ProductBase, SimpleBase

    if isinstance(base, SimpleBase):
        return symbols[base.var] ** sp.Rational(base.exponent)
    if isinstance(base, ProductBase):
        return _ffx_base(base.base1, symbols) * _ffx_base(base.base2, symbols)
    if not isinstance(base, OperatorBase):
        raise TypeError(f"Unknown FFX basis function {base} of type {type(base)}.")
    inner = _ffx_base(base.simple_base, symbols)
    operators = {
        constants.OP_ABS: lambda: sp.Abs(inner),
        constants.OP_MAX0: lambda: sp.Max(0, inner),
        constants.OP_MIN0: lambda: sp.Min(0, inner),
        constants.OP_LOG10: lambda: sp.log(inner, 10),
        constants.OP_GTH: lambda: sp.Max(0, sp.Float(base.thr) - inner),
        constants.OP_LTH: lambda: sp.Max(0, inner - sp.Float(base.thr)),
    }
    if base.nonlin_op not in operators:
        raise ValueError(f"Unknown FFX operator {base.nonlin_op} in {base}.")
    return operators[base.nonlin_op]()


def fit_gplearn(X, y, symbols):
    """Fit gplearn's SymbolicRegressor and convert its best program."""
    from gplearn.genetic import SymbolicRegressor

    estimator = SymbolicRegressor(**GPLEARN_SETTINGS).fit(X.to_numpy(), y)

    def predict(frame):
        return estimator.predict(frame.to_numpy())

    # The program's nodes carry the constants at full precision, where its
    # text rounds them to 3 decimals.
    return PeerModel(
        gplearn_nodes_to_sympy(estimator._program.program, symbols), predict
    )


def gplearn_nodes_to_sympy(nodes, symbols):
    """Convert the node list of a fitted gplearn program into sympy.

    The list is in prefix order: functions (objects with ``name`` and
    ``arity``), ints that index the input columns, and float constants.
    """
    stack = []
    for node in reversed(nodes):
        if isinstance(node, (int, np.integer)):
            stack.append(symbols[node])
        elif isinstance(node, (float, np.floating)):
            stack.append(sp.Float(float(node)))
        else:
            arity, build = _gplearn_function(node.name)
            if len(stack) < arity or arity != node.arity:
                raise ValueError(
                    f"Invalid gplearn program: too few arguments of {node.name}."
                )
            stack.append(build(*(stack.pop() for _ in range(arity))))
    if len(stack) != 1:
        raise ValueError(f"Invalid gplearn program of {len(nodes)} nodes.")
    return stack[0]


def program_to_sympy(text, symbols):
    """Parse the text of a gplearn program into sympy, without ``eval``.

    The text is gplearn's own, such as ``str(estimator._program)``: the
    functions of :data:`GPLEARN_FUNCTIONS`, inputs ``X0, X1, ...`` and numbers.

    Examples
    --------
    >>> import sympy as sp
    >>> x0, x1 = sp.symbols("x0 x1")
    >>> expr = program_to_sympy("add(mul(X0, X1), 0.5)", [x0, x1])
    >>> sp.sstr(expr, full_prec=False)
    'x0*x1 + 0.5'
    >>> program_to_sympy("log(sub(X0, inv(neg(X1))))", [x0, x1])
    log(Abs(x0 + 1/x1))
    """
    tokens = _tokenize_program(text)
    expr, position = _parse_program(tokens, 0, symbols, text)
    if position != len(tokens):
        raise ValueError(f"Unexpected {tokens[position][1]!r} in program {text!r}.")
    return expr


def _tokenize_program(text):
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _PROGRAM_TOKEN.match(text, position)
        if match is None:
            raise ValueError(
                f"Invalid character at position {position} in program {text!r}."
            )
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        position = match.end()
    return tokens


def _parse_program(tokens, position, symbols, text):
    """Parse one node at ``position``; return it and the position after it."""
    if position >= len(tokens):
        raise ValueError(f"Program {text!r} ends too early.")
    kind, value = tokens[position]
    if kind == "number":
        return sp.Float(float(value)), position + 1
    if kind != "name":
        raise ValueError(f"Unexpected {value!r} in program {text!r}.")
    feature = _FEATURE_NAME.fullmatch(value)
    if feature is not None:
        index = int(feature.group(1))
        if index >= len(symbols):
            raise ValueError(f"Input {value} of program {text!r} does not exist.")
        return symbols[index], position + 1

    arity, build = _gplearn_function(value)
    arguments = []
    position = _expect(tokens, position + 1, "(", text)
    for i in range(arity):
        if i > 0:
            position = _expect(tokens, position, ",", text)
        argument, position = _parse_program(tokens, position, symbols, text)
        arguments.append(argument)
    position = _expect(tokens, position, ")", text)
    return build(*arguments), position


def _expect(tokens, position, punctuation, text):
    if position >= len(tokens) or tokens[position][1] != punctuation:
        raise ValueError(f"Expected {punctuation!r} in program {text!r}.")
    return position + 1


def _gplearn_function(name):
    if name not in GPLEARN_FUNCTIONS:
        raise ValueError(
            f"Unknown gplearn function {name!r}; the converter accepts "
            f"{', '.join(GPLEARN_FUNCTIONS)}."
        )
    return GPLEARN_FUNCTIONS[name]


PEERS = {
    "stlsq": fit_stlsq,
    "lassocv": fit_lassocv,
    "ffx": fit_ffx,
    "gplearn": fit_gplearn,
}
# The module that each peer imports, imported before a fit is timed.
PEER_MODULES = {
    "stlsq": "pysindy",
    "lassocv": "sklearn.linear_model",
    "ffx": "ffx",
    "gplearn": "gplearn.genetic",
}
# The package that each peer needs, by its distribution name.
PEER_PACKAGES = {
    "stlsq": "pysindy",
    "lassocv": "scikit-learn",
    "ffx": "ffx",
    "gplearn": "gplearn",
}
