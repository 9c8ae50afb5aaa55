"""EquationRegressor: the whole fit as a scikit-learn style estimator.

The estimator follows scikit-learn's conventions (keyword parameters stored
unchanged, ``fit`` returning self, fitted attributes ending in an underscore,
``get_params`` and ``set_params``), so it works in ``Pipeline``,
``cross_val_score`` and ``GridSearchCV``. It does not import scikit-learn,
which eqdiscover does not require.
"""

import warnings

import numpy as np
import pandas as pd
import sympy as sp

from ._validation import as_float_matrix, as_float_vector, column_names
from .exceptions import DataError, NotFittedError
from .library import FeatureLibrary
from .pipeline import DEFAULTS, fit

__all__ = ["EquationRegressor"]


class EquationRegressor:
    r"""Find a readable formula for ``y`` in terms of the columns of ``X``.

    The fitted model is a sum of library terms,

    .. math::

        \hat y = \sum_j \mathrm{coef}_j \, \theta_j(x) + \mathrm{intercept}

    where the :math:`\theta_j` are the non-constant terms of the
    :class:`~eqdiscover.library.FeatureLibrary` (x, x², sin x, …), and the
    coefficients of the terms that the fit leaves out are zero.
    :func:`eqdiscover.fit` chooses the terms: an L1-sparse linear network
    ranks them, every small subset of the strongest is refitted by least
    squares and scored by an information criterion, and terms below
    ``threshold`` are pruned.

    Parameters
    ----------
    library : str, default="default"
        Library specification, such as ``"const,poly:2,sin"``; see
        :mod:`eqdiscover.library`. Without ``const`` the intercept is 0.
    layers : sequence of int, default=(2,)
        Hidden layer sizes of the network.
    alpha : "auto" or float, default="auto"
        L1 weight of the network in standardized units; ``"auto"`` trains
        along a path of weights, as :func:`eqdiscover.fit` does.
    threshold : float, default=1e-3
        Non-constant terms whose contribution to the spread of ``y`` is below
        ``threshold`` times its standard deviation are pruned.
    max_iter : int, default=1000
        Maximum training steps of the network.
    random_state : int or None, default=0
        Seed of the network's initialization.

    Attributes
    ----------
    coef_ : ndarray of shape (n_terms,)
        Coefficient of each non-constant library term, in the order of
        :meth:`get_feature_names_out`; 0.0 for a term the formula leaves out.
    intercept_ : float
        Coefficient of the constant term; 0.0 when the formula has none.
    support_ : ndarray of shape (n_terms,), dtype=bool
        Which non-constant library terms the formula keeps.
    library_ : FeatureLibrary
        The library fitted on all columns of ``X``. Its
        ``transform(X)[:, 1:] @ coef_ + intercept_`` equals :meth:`predict`
        when the library starts with ``const``.
    formula_ : Formula
        The formula found, with the fit's details.
    n_features_in_ : int
        Number of columns of ``X`` seen in :meth:`fit`.
    feature_names_in_ : ndarray of shape (n_features_in_,), dtype=object
        Column names of ``X``, set only when ``X`` was a DataFrame whose
        column names are all strings. Otherwise the columns are named
        ``x0, x1, ...`` in the formula.
    n_iter_ : int
        Training steps the network ran.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.linspace(-40, 120, 50).reshape(-1, 1)
    >>> model = EquationRegressor(library="const,poly:2,sin")
    >>> model.fit(X, (X[:, 0] - 32) * 5 / 9)
    EquationRegressor(library='const,poly:2,sin')
    >>> print(model.formula_)
    y = 5*x0/9 - 160/9
    >>> model.get_feature_names_out().tolist(), model.support_.tolist()
    (['x0', 'x0**2', 'sin(x0)'], [True, False, False])
    >>> model.predict([[212.0]]).round(10).tolist()
    [100.0]
    """

    def __init__(
        self,
        *,
        library=DEFAULTS["library"],
        layers=DEFAULTS["layers"],
        alpha=DEFAULTS["alpha"],
        threshold=DEFAULTS["threshold"],
        max_iter=DEFAULTS["max_iter"],
        random_state=DEFAULTS["random_state"],
    ):
        self.library = library
        self.layers = layers
        self.alpha = alpha
        self.threshold = threshold
        self.max_iter = max_iter
        self.random_state = random_state

    def get_params(self, deep=True):
        """Return the constructor parameters as a dict.

        ``deep`` is accepted for scikit-learn; there are no nested estimators.
        """
        return {name: getattr(self, name) for name in DEFAULTS}

    def set_params(self, **params):
        """Set constructor parameters and return self.

        The values are checked in :meth:`fit`, not here.
        """
        for name, value in params.items():
            if name not in DEFAULTS:
                raise ValueError(
                    f"Invalid parameter {name!r} for EquationRegressor; valid "
                    f"parameters are {', '.join(DEFAULTS)}."
                )
            setattr(self, name, value)
        return self

    def __repr__(self):
        changed = [
            f"{name}={value!r}"
            for name, value in self.get_params().items()
            if repr(value) != repr(DEFAULTS[name])
        ]
        return f"EquationRegressor({', '.join(changed)})"

    def __sklearn_tags__(self):
        # Only scikit-learn calls this method, so it is installed whenever the
        # import below runs; eqdiscover itself does not need it.
        from sklearn.utils import RegressorTags, Tags, TargetTags

        return Tags(
            estimator_type="regressor",
            target_tags=TargetTags(required=True),
            regressor_tags=RegressorTags(),
        )

    def __sklearn_is_fitted__(self):
        return hasattr(self, "formula_")

    def fit(self, X, y):
        """Find the formula of ``y`` and return self.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Inputs, with at least 2 samples. A column that is constant gets
            no terms.
        y : array-like of shape (n_samples,)
            Target. A pandas Series lends its name to the formula's target.

        Returns
        -------
        self

        Raises
        ------
        DataError
            A ValueError, for invalid settings, for inputs that are not finite
            real numbers of the right shape, for a constant ``y`` and for
            fewer samples than library terms.
        """
        values = as_float_matrix(X, min_samples=2)
        target = as_float_vector(y, len(values))
        names = column_names(X) or [f"x{i}" for i in range(values.shape[1])]
        if len(set(names)) < len(names):
            raise DataError(
                "X has repeated column names; rename the columns so that each "
                "is unique."
            )
        frame = pd.DataFrame(values, columns=names)
        varying = [c for c in names if np.ptp(frame[c].to_numpy()) > 0]
        if not varying:
            raise DataError(
                "Every column of X is constant, so none can explain y; pass "
                "inputs that vary."
            )
        target_name = _target_name(y, names)
        formula = fit(
            frame.assign(**{target_name: target}),
            target_name,
            inputs=varying,
            # coef_ and intercept_ describe a sum of terms of y, so the
            # estimator fits no transform of the target.
            transform="none",
            **self.get_params(),
        )
        self._store(formula, FeatureLibrary(self.library).fit(frame), X)
        return self

    def _store(self, formula, library, X):
        """Set the fitted attributes from the formula and the full library."""
        # A fit on an array drops the names of an earlier fit on a DataFrame.
        self.__dict__.pop("feature_names_in_", None)
        names = column_names(X)
        if names is not None:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        self.n_features_in_ = len(library.feature_names_in_)

        # The formula's symbols cover only the columns that vary, so its terms
        # are matched to the library's by column name.
        renamed = {s: library.symbols_[c] for c, s in formula.symbols.items()}
        positions = {
            term.expr: i
            for i, term in enumerate(t for t in library.terms_ if not t.is_constant)
        }
        self.coef_ = np.zeros(len(positions))
        self.support_ = np.zeros(len(positions), dtype=bool)
        for term, value in zip(formula.terms, formula.coef):
            if term != 1:
                position = positions[term.xreplace(renamed)]
                self.coef_[position] = value
                self.support_[position] = True
        self.intercept_ = formula.intercept
        self.library_ = library
        self.formula_ = formula
        self.n_iter_ = int(formula.details["network"]["n_iter"])

    def _check_fitted(self):
        if not self.__sklearn_is_fitted__():
            raise NotFittedError(
                "This EquationRegressor is not fitted yet; call fit first."
            )

    def _read_inputs(self, X):
        """Return the rows of ``X`` as a DataFrame with the columns seen in fit."""
        values = as_float_matrix(X)
        if values.shape[1] != self.n_features_in_:
            raise DataError(
                f"X has {values.shape[1]} features, but EquationRegressor is "
                f"expecting {self.n_features_in_} features as input; pass the "
                f"columns used in fit."
            )
        fitted_names = getattr(self, "feature_names_in_", None)
        names = column_names(X)
        if fitted_names is not None and names is not None:
            _check_same_names(names, list(fitted_names))
        elif fitted_names is not None or names is not None:
            with_names = "with" if fitted_names is not None else "without"
            warnings.warn(
                f"X {'has' if names else 'has no'} column names, but "
                f"EquationRegressor was fitted {with_names} them; the columns "
                f"are used in the order of fit.",
                UserWarning,
                stacklevel=3,
            )
        columns = self.library_.feature_names_in_
        return pd.DataFrame(values, columns=list(columns))

    def predict(self, X):
        """Evaluate the formula on the rows of ``X``.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        self._check_fitted()
        return self.formula_.predict(self._read_inputs(X))

    def score(self, X, y, sample_weight=None):
        """Return the coefficient of determination R² of :meth:`predict` on ``X``.

        As ``sklearn.metrics.r2_score`` does with its default
        ``force_finite=True`` (scikit-learn 1.9), a constant ``y`` gives 1.0
        when the predictions equal it and 0.0 otherwise.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weight of each sample.

        Returns
        -------
        float
        """
        predicted = self.predict(X)
        target = as_float_vector(y, len(predicted))
        weights = np.ones(len(target))
        if sample_weight is not None:
            weights = as_float_vector(sample_weight, len(target))
            if (weights < 0).any() or weights.sum() == 0:
                raise DataError(
                    "sample_weight must be non-negative with a positive sum; fix "
                    "the weights."
                )
        return _r2_score(target, predicted, weights)

    def sympy(self):
        """Return the formula as a sympy expression in symbols named for the columns.

        The symbols have no assumptions, so ``sympy.Symbol("x0")`` matches
        them.
        """
        self._check_fitted()
        names = {s: sp.Symbol(c) for c, s in self.formula_.symbols.items()}
        return self.formula_.expr.xreplace(names)

    def latex(self):
        """Return the equation ``target = expression`` as LaTeX."""
        self._check_fitted()
        return self.formula_.latex()

    def get_feature_names_out(self, input_features=None):
        """Return the names of the terms that ``coef_`` and ``support_`` refer to.

        Parameters
        ----------
        input_features : array-like of str, optional
            Accepted for scikit-learn; it must equal the column names of fit.

        Returns
        -------
        ndarray of str objects, of shape (n_terms,)
        """
        self._check_fitted()
        if input_features is not None:
            expected = list(self.library_.feature_names_in_)
            if [str(name) for name in input_features] != expected:
                raise DataError(
                    f"input_features {list(input_features)} differ from the "
                    f"columns {expected} seen in fit; pass those or None."
                )
        library = self.library_
        names = [library.display(t.expr) for t in library.terms_ if not t.is_constant]
        return np.asarray(names, dtype=object)


def _target_name(y, columns):
    """Return the formula's target name: y's Series name, or ``y``, made unique."""
    name = getattr(y, "name", None) if isinstance(y, pd.Series) else None
    name = name if isinstance(name, str) and name else "y"
    while name in columns:
        name = "_" + name
    return name


def _check_same_names(names, fitted_names):
    if names == fitted_names:
        return
    unexpected = [c for c in names if c not in fitted_names]
    missing = [c for c in fitted_names if c not in names]
    if not unexpected and not missing:
        raise DataError(
            "X has the columns of fit in another order; select them as "
            "X[model.feature_names_in_]."
        )
    raise DataError(
        f"The columns of X differ from those seen in fit: unexpected {unexpected}, "
        f"missing {missing}; pass the columns used in fit."
    )


def _r2_score(target, predicted, weights):
    # Dividing by the largest |y| keeps the squares in range for y near 1e200
    # or 1e-200.
    unit = float(np.max(np.abs(target))) or 1.0
    residual = (target - predicted) / unit
    scaled = target / unit
    mean = np.average(scaled, weights=weights)
    rss = float(weights @ residual**2)
    tss = float(weights @ (scaled - mean) ** 2)
    if tss == 0:
        return 1.0 if rss == 0 else 0.0
    return 1.0 - rss / tss
