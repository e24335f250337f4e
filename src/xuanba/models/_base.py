"""The contract every customer-base model follows (scikit-learn's estimator habits).

* The constructor stores options only; ``fit(table)`` validates, learns and returns ``self``.
* Learned values end in ``_``: ``params_``, ``stderr_``, ``covariance_``, ``loglik_``, ``aic_``,
  ``bic_``, ``n_customers_``, ``n_distinct_``.
* Fitting runs on customers **compressed to their distinct histories** with counts as weights,
  so its cost grows with the number of distinct histories, not of customers.
* Tables in, tables out: predictions take a table keyed by ``customer_id`` and return a
  Series / DataFrame keyed the same way; the work is done once per distinct history.
* Options are the constructor's keywords: ``get_params`` / ``set_params`` / ``clone`` read the
  signature; a failed ``fit`` leaves the model unfitted (no learned value of it, nor of a
  previous fit, remains).
* Every model class registers itself under its class name; :meth:`Model.load` looks the saved
  name up there, so this module imports none of its subclasses.

One fitting engine (:class:`Model`) serves every model, the covariate ones included: a subclass
declares ``param_names``, ``history_columns`` and implements ``_loglik_terms`` (per-row
log-likelihood for given natural parameters) and, optionally, the hooks listed on :class:`Model`.
"""

from __future__ import annotations

import copy
import inspect
import json
import math
import os
import threading
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import optimize

from xuanba._files import write_text_atomic
from xuanba.errors import InputError, ModelError, NotFittedError, Phrase, SchemaError, quoted
from xuanba.i18n import t

ID = "customer_id"


def as_frame(data: Any, *, name: str = "table") -> pd.DataFrame:
    """Turn a pandas/polars DataFrame, an Arrow table, a dict of arrays or an Ibis table into pandas."""
    if isinstance(data, pd.DataFrame):
        return data
    if hasattr(data, "to_pandas"):  # pyarrow.Table, polars.DataFrame, ibis Table
        return data.to_pandas()
    if isinstance(data, dict):
        return pd.DataFrame(data)
    raise InputError(
        f"cannot use a {type(data).__name__} as {name}",
        fix="Pass a pandas or polars DataFrame, an Arrow table or a dict of columns.",
    )


def compress(
    frame: pd.DataFrame, columns: Sequence[str], weights: np.ndarray | None = None
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Distinct rows of ``columns`` with summed weights, and the map from each row to its group.

    Returns ``(distinct, counts, inverse)`` where ``distinct.iloc[inverse]`` gives back every row.
    The grouping of a table is kept (weakly: it goes when the table does) and reused when the
    same table is compressed on the same columns again, as a fit and then each prediction do;
    a reused grouping is first checked to give back every row exactly, so a table changed in
    place is grouped anew.

    Examples
    --------
    >>> t = pd.DataFrame({"x": [1, 2, 1, 1], "T": [5.0, 5.0, 5.0, 6.0]})
    >>> distinct, counts, inverse = compress(t, ["x", "T"])
    >>> distinct.to_dict("list"), counts.tolist(), inverse.tolist()
    ({'x': [1, 2, 1], 'T': [5.0, 5.0, 6.0]}, [2.0, 1.0, 1.0], [0, 1, 0, 2])
    """
    keys = frame[list(columns)]
    codes, first = _grouping(frame, keys)
    w = np.ones(len(frame)) if weights is None else np.asarray(weights, dtype=float)
    counts = np.bincount(codes, weights=w, minlength=len(first))
    distinct = keys.iloc[first].reset_index(drop=True)
    return distinct, counts, codes


#: Groupings of the tables compressed last: (weak reference to the table, columns, codes, first
#: row of each group). A few, so that a purchase and a spend model's tables both stay.
_GROUPINGS: list[tuple[weakref.ref[pd.DataFrame], tuple[str, ...], np.ndarray, np.ndarray]] = []
_GROUPINGS_KEPT = 4
_GROUPINGS_LOCK = threading.Lock()


def _grouping(frame: pd.DataFrame, keys: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, first)``: each row's group (groups numbered by first appearance) and the first
    row of each group; reused from :data:`_GROUPINGS` when it still gives back every row."""
    columns = tuple(keys.columns)
    with _GROUPINGS_LOCK:
        known = [(c, f) for ref, cols, c, f in _GROUPINGS
                 if ref() is frame and cols == columns and len(c) == len(frame)]
    for codes, first in known:
        if all(_gives_back(keys[col].to_numpy(), codes, first) for col in columns):
            return codes, first
    codes = _group_codes(keys)
    n_groups = int(codes.max()) + 1 if len(codes) else 0
    first = np.empty(n_groups, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # first row of each distinct history
    codes.flags.writeable = first.flags.writeable = False  # shared by every caller from now on
    try:
        ref = weakref.ref(frame, _forget_grouping)
    except TypeError:  # pragma: no cover - pandas frames take weak references
        return codes, first
    with _GROUPINGS_LOCK:
        alive = [g for g in _GROUPINGS if g[0]() is not None and not (g[0]() is frame and g[1] == columns)]
        _GROUPINGS[:] = alive[-(_GROUPINGS_KEPT - 1):]
        _GROUPINGS.append((ref, columns, codes, first))
    return codes, first


def _forget_grouping(ref: weakref.ref[pd.DataFrame]) -> None:
    """Drop the grouping of a table that is gone (a weak reference's callback: no lock, which
    the garbage collector may run while it is held; a list assignment is atomic)."""
    _GROUPINGS[:] = [g for g in _GROUPINGS if g[0] is not ref]


def _gives_back(values: np.ndarray, codes: np.ndarray, first: np.ndarray) -> bool:
    """Whether every row equals the first row of its group (NaN never does: grouped anew)."""
    try:
        return bool(np.array_equal(values[first][codes], values))
    except (TypeError, ValueError, IndexError):  # pragma: no cover - NA objects: group anew
        return False


def _group_codes(keys: pd.DataFrame) -> np.ndarray:
    """Group codes of the rows of ``keys`` (numbered by first appearance).

    Each column is hash-factorized and the codes are folded into one integer key, which is
    factorized once at the end (and in between only when the key would overflow)."""
    codes = np.zeros(len(keys), dtype=np.int64)
    size = 1
    for col in keys.columns:
        col_codes, col_uniques = pd.factorize(keys[col], use_na_sentinel=False)
        n = max(len(col_uniques), 1)
        if size * n >= 2**62:
            codes, uniques = pd.factorize(codes)
            size = max(len(uniques), 1)
        codes = codes * n + col_codes
        size *= n
    if len(keys.columns) > 1:
        codes, _ = pd.factorize(codes)
    return np.asarray(codes, dtype=np.int64)


def wdot(weights: np.ndarray, values: np.ndarray) -> float:
    """``sum(weights * values)`` as a plain loop (``einsum``), never a BLAS call.

    The sums of a fit run hundreds of times over every distinct history. OpenBLAS threads a
    vector dot product and, on a machine whose cores are busy with other work, its threads wait
    for each other: a dot over 100,000 histories measured 4 ms threaded against 0.1 ms here.

    >>> wdot(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    11.0
    """
    return float(np.einsum("i,i->", weights, values))


def history_ids(frame: pd.DataFrame, mask: Any) -> list[Any]:
    """The ``customer_id`` (else the index) of the rows ``mask`` selects: a message's examples."""
    return (frame.loc[mask, ID] if ID in frame.columns else frame.index[mask]).tolist()


def validate_history(frame: pd.DataFrame) -> None:
    """Check ``frequency``/``recency``/``T`` for impossible values; raise InputError with ids."""
    x_col = pd.to_numeric(frame["frequency"])
    x = x_col.to_numpy(dtype=float)
    tx = pd.to_numeric(frame["recency"]).to_numpy(dtype=float)
    big_t = pd.to_numeric(frame["T"]).to_numpy(dtype=float)
    whole = x_col.dtype.kind in "iub"  # an integer column needs no rounding check
    checks = [
        (x < 0, "frequency", "frequency is negative", "Count repeat purchases: 0 or more."),
        (np.zeros(1, dtype=bool) if whole else np.modf(x)[0] != 0, "frequency",
         "frequency is not a whole number", "frequency counts repeat purchases; it must be 0, 1, 2, ..."),
        (tx < 0, "recency", "recency is negative", "recency is the time from first to last purchase."),
        (big_t < 0, "T", "T is negative", "T is the time from first purchase to the cutoff."),
        (tx > big_t * (1 + 1e-9) + 1e-9, "recency", "recency is larger than T",
         "The last purchase cannot come after the cutoff; recompute the facts at one cutoff."),
        ((x == 0) & (tx != 0), "recency", "customers with frequency 0 have a recency other than 0",
         "With no repeat purchase recency is 0 (first = last purchase)."),
    ]
    for bad, col, message, fix in checks:
        if bad.any():
            raise InputError(message, column=col, count=int(bad.sum()), examples=history_ids(frame, bad), fix=fix)


#: Every model class by class name (the name :meth:`Model.save` writes); filled by
#: :meth:`Model.__init_subclass__`, so this module never imports the modules of its subclasses.
_REGISTRY: dict[str, type[Model]] = {}

_Z95 = 1.959963984540054

#: A shape parameter (declared in :attr:`Model.shape_params`) below ``EDGE[0]`` or above
#: ``EDGE[1]`` has run to an edge of its space: the data cannot pin it down. A fit stops as soon as
#: one passes these bounds (the gradient and simplex fits; Newton where
#: :attr:`Model.newton_stops_at_edge`): the likelihood is flat out there (the fit is flagged in
#: ``problems_`` anyway), and walking after it towards 0 or infinity took half a minute on a few
#: thousand customers.
EDGE: tuple[float, float] = (1e-4, 1e4)
#: Condition number of the covariance on the relative (log) scale above which the Hessian is
#: called ill-conditioned. Healthy fits of the published data sets are near 1e2-1e3; fits that
#: ran to an edge are near 1e10 and beyond.
MAX_CONDITION = 1e8
#: Iterations over which a shape parameter must move one way before the jump to the edge is tried.
_RUN_STEPS = 4
#: A Newton or L-BFGS-B fit that stops because no step improves any more (round-off near the
#: optimum) is accepted at an optimum when the gradient of the mean negative log-likelihood
#: (free scale) is below this.
NEWTON_ROUNDOFF_GTOL = 1e-8
#: A Newton fit over at least this many distinct histories starts from the fit of a systematic
#: subsample of about this many (:meth:`Model._subsample_start`).
WARM_START_ROWS = 20_000
#: The gradient (of the mean negative log-likelihood, free scale) at which the subsample's fit
#: stops: a start for the full fit needs no more (where the full fit ends does not depend on its
#: start). At 1 M customers Pareto/NBD's subsample (~20,000 histories but ~7,000 distinct pairs of
#: tail integrals) took 7 steps at 1e-6, as much time as the 4 full passes; at 1e-3 it takes 5-6.
SUBSAMPLE_GTOL = 1e-3


def fit_problems(
    params: pd.Series, covariance: np.ndarray, *, converged: bool, log_scale: np.ndarray,
    shape_params: Sequence[str] = (),
) -> list[str]:
    """Why a fit cannot be trusted (empty when it can): an estimate at an edge of its space,
    a singular or ill-conditioned Hessian, a zero or non-finite standard error, no convergence.

    Examples
    --------
    >>> p = pd.Series({"r": 2.0, "a": 1e-7})
    >>> fit_problems(p, np.diag([0.01, 0.0]), converged=True, log_scale=np.array([True, True]),
    ...              shape_params=("r", "a"))  # doctest: +NORMALIZE_WHITESPACE
    ['a = 1e-07 is at the edge of its range', 'the standard error of a is zero']
    """
    out: list[str] = []
    values = params.to_numpy(dtype=float)
    for name in shape_params:
        if name in params.index:
            v = float(params[name])
            if not (EDGE[0] <= v <= EDGE[1]):
                out.append(t("problem_edge", "en", name=name, value=f"{v:.3g}"))
    cov = np.asarray(covariance, dtype=float)
    if cov.shape != (len(values), len(values)) or not np.all(np.isfinite(cov)):
        out.append(t("problem_no_stderr", "en"))
    else:
        diag = np.diag(cov)
        for name, d in zip(params.index, diag, strict=True):
            if d <= 0:
                out.append(t("problem_zero_stderr", "en", name=name))
        scale = np.where(np.asarray(log_scale, dtype=bool), np.abs(values), 1.0)
        if np.all(scale > 0) and np.all(diag > 0):
            rel = cov / np.outer(scale, scale)
            with np.errstate(all="ignore"):
                eig = np.linalg.eigvalsh((rel + rel.T) / 2)
            if eig.min() <= 0:
                out.append(t("problem_not_maximum", "en"))
            elif eig.max() / eig.min() > MAX_CONDITION:
                out.append(t("problem_ill_conditioned", "en", number=f"{eig.max() / eig.min():.1g}"))
    if not converged:
        out.append(t("problem_not_converged", "en"))
    return out


def registered_models() -> dict[str, type[Model]]:
    """The model classes defined so far, by class name (a copy).

    Importing :mod:`xuanba.models` defines every model of the package, the covariate ones
    included.

    Examples
    --------
    >>> import xuanba.models
    >>> {"BGNBD", "GammaGamma", "ParetoNBDCovariates"} <= set(registered_models())
    True
    """
    return dict(_REGISTRY)


class Model:
    """Base class: maximum likelihood on compressed histories, Hessian standard errors, save/load.

    Options are the constructor's keyword arguments, each kept under its own name:
    :meth:`get_params`, :meth:`set_params` and :meth:`clone` read them from the signature (as
    scikit-learn's ``BaseEstimator`` does), and :meth:`save` writes them. Every concrete subclass
    registers itself under its class name, which is how :meth:`load` finds it.

    One fitting engine serves every model. A subclass declares ``param_names`` and
    ``history_columns`` and writes ``_loglik_terms`` (per-row log-likelihood at natural
    parameters); it may add ``_loglik_grad`` / ``_loglik_sums`` (analytic gradient / exact
    Hessian), ``_start``, ``_check_identifiable``, ``_prepare``, ``_check_estimates``, and — for
    a model whose rows carry more than the history (covariates) — ``_fit_data`` and
    ``_log_scale``. Positive parameters are optimised on the log scale, others as they are.

    Parameters
    ----------
    penalizer
        L2 penalty on the parameters (0 = plain maximum likelihood), as in lifetimes: it only
        helps when the likelihood is flat; the published fits use 0.
    """

    param_names: ClassVar[tuple[str, ...]] = ()
    #: Parameters without a unit whose estimate beyond :data:`EDGE` means the fit ran off.
    shape_params: ClassVar[tuple[str, ...]] = ()
    history_columns: ClassVar[tuple[str, ...]] = ()
    weight_column: ClassVar[str | None] = "weights"
    #: Whether the Newton fit gives way to the gradient fit (:meth:`_fit_gradient`, which stops
    #: at an edge) as soon as a shape parameter passes :data:`EDGE`: for a model whose
    #: likelihood grows costly out there (Pareto/NBD's tail integrals as ``beta / alpha`` grows),
    #: where Newton would keep walking after a maximum at infinity.
    newton_stops_at_edge: ClassVar[bool] = False

    def __init__(self, *, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._option_names()  # a constructor taking *args / **kwargs fails here, at definition
        if cls.__name__.startswith("_"):
            return  # shared private bases are not models one saves
        known = _REGISTRY.get(cls.__name__)
        if known is not None and (known.__module__, known.__qualname__) != (cls.__module__, cls.__qualname__):
            raise TypeError(
                f"two model classes are named {cls.__name__!r} ({known.__module__} and {cls.__module__}); "
                "saved models name their class, so the names must differ"
            )
        _REGISTRY[cls.__name__] = cls

    # -- options (scikit-learn's get_params / set_params / clone) -------------------------------
    @classmethod
    def _option_names(cls) -> list[str]:
        """The constructor's keyword names, sorted (its signature is the list of options)."""
        names = []
        for param in inspect.signature(cls.__init__).parameters.values():
            if param.name == "self":
                continue
            if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
                raise TypeError(
                    f"{cls.__name__}.__init__ takes *{param.name}: a model's constructor names each "
                    "option, so that get_params, clone and save can find them"
                )
            names.append(param.name)
        return sorted(names)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The options this model was built with, by name (the constructor's keywords).

        ``deep`` is accepted for scikit-learn compatibility; no option is itself a model.

        Examples
        --------
        >>> from xuanba.models import BGNBD
        >>> BGNBD(time_unit="week").get_params()
        {'penalizer': 0.0, 'time_unit': 'week'}
        """
        return {name: getattr(self, name) for name in self._option_names()}

    def set_params(self, **params: Any) -> Model:
        """Change options by name and return ``self``.

        Changing an option's value discards a previous fit (its values belong to the old options).

        Examples
        --------
        >>> from xuanba.models import BGNBD
        >>> BGNBD().set_params(penalizer=0.01).penalizer
        0.01
        """
        known = self._option_names()
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise InputError(Phrase("err_model_no_option", model=type(self).__name__, option=repr(unknown[0])),
                             fix=Phrase("err_model_options", options=str(known)))
        changed = False
        for name, value in params.items():
            old = getattr(self, name)
            changed = changed or type(old) is not type(value) or bool(np.any(old != value))
            setattr(self, name, value)
        if changed:
            self._discard_fit()
        return self

    def clone(self) -> Model:
        """A new, unfitted model of the same class with (copies of) the same options.

        Examples
        --------
        >>> from xuanba.models import ParetoNBD
        >>> m = ParetoNBD(penalizer=0.1).clone()
        >>> m.penalizer, hasattr(m, "params_")
        (0.1, False)
        """
        return type(self)(**copy.deepcopy(self.get_params()))

    def _learned_names(self) -> list[str]:
        """Names of the learned attributes set on this model (public, ending in ``_``)."""
        return [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]

    def _discard_fit(self) -> None:
        for name in self._learned_names():
            delattr(self, name)

    # -- the part a subclass writes ------------------------------------------------------------
    def _loglik_terms(self, params: np.ndarray, data: dict[str, np.ndarray]) -> np.ndarray:
        """Log-likelihood of each (distinct) row at natural parameters ``params``."""
        raise NotImplementedError

    def _loglik_grad(
        self, params: np.ndarray, data: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Optional: per-row log-likelihood and its gradient (rows x params) at natural ``params``.

        A subclass that overrides this is fitted with L-BFGS-B on the analytic gradient (Nelder-Mead
        only if that fails) and gets its Hessian from differences of the gradient.
        """
        raise NotImplementedError

    def _loglik_grad_sum(
        self, params: np.ndarray, data: dict[str, np.ndarray], counts: np.ndarray
    ) -> tuple[float, np.ndarray]:
        """The ``counts``-weighted sum of :meth:`_loglik_grad` (a model may sum before expanding)."""
        terms, grads = self._loglik_grad(params, data)
        return wdot(counts, terms), np.einsum("i,ij->j", counts, grads)

    def _loglik_sums(
        self, params: np.ndarray, data: dict[str, np.ndarray], counts: np.ndarray
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """Optional: ``counts``-weighted log-likelihood, gradient and exact Hessian at natural ``params``.

        A subclass that overrides this (and :meth:`_loglik_grad`) is fitted by a trust-region
        Newton method and gets its standard errors from this Hessian.
        """
        raise NotImplementedError

    def _prepare(self, data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Optional: add parameter-free arrays computed once before fitting (e.g. distinct values)."""
        return data

    def _check_identifiable(self, data: dict[str, np.ndarray], counts: np.ndarray) -> None:
        """Raise :class:`ModelError` when the data cannot identify the model."""

    def _check_estimates(self, params: pd.Series, n_customers: float) -> None:
        """Raise :class:`ModelError` when the estimates are unusable (checked before any is kept)."""

    def _start(self, data: dict[str, np.ndarray], counts: np.ndarray) -> np.ndarray:
        """Starting values (natural scale)."""
        return np.ones(len(self.param_names))

    def _validate(self, frame: pd.DataFrame) -> None:
        """Check value ranges of the history columns; raise :class:`InputError` with ids."""

    def _log_scale(self, names: Sequence[str]) -> np.ndarray:
        """Which parameters are positive (optimised, and given intervals, on the log scale)."""
        return np.ones(len(names), dtype=bool)

    def _fit_data(
        self, frame: pd.DataFrame, weights: Any
    ) -> tuple[dict[str, np.ndarray], np.ndarray, list[str]]:
        """The rows the likelihood runs over: ``(arrays of the distinct rows, their counts,
        parameter names)``. A model whose rows carry more than the history overrides this."""
        frame, w = self._history(frame, weights)
        distinct, counts, _ = compress(frame, self.history_columns, w)
        arrays = {c: distinct[c].to_numpy(dtype=float) for c in self.history_columns}
        return arrays, counts, list(self.param_names)

    # -- fitting -------------------------------------------------------------------------------
    def _history(self, data: Any, weights: Any = None) -> tuple[pd.DataFrame, np.ndarray | None]:
        frame = as_frame(data, name="the history table")
        missing = [c for c in self.history_columns if c not in frame.columns]
        if missing:
            raise SchemaError(
                Phrase("err_model_needs_columns", model=type(self).__name__, needed=str(list(self.history_columns)),
                       missing=str(missing)),
                fix=Phrase("err_model_columns_fix", columns=str(list(frame.columns))),
            )
        for col in self.history_columns:
            values = pd.to_numeric(frame[col], errors="coerce")
            bad = values.isna() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
            if bad.any():
                ids = frame.loc[bad, ID].tolist() if ID in frame.columns else frame.index[bad].tolist()
                raise InputError(
                    Phrase("err_model_column_bad", column=quoted(col)),
                    column=col,
                    count=int(bad.sum()),
                    examples=ids,
                    fix=Phrase("err_model_column_bad_fix"),
                )
        self._validate(frame)
        w: np.ndarray | None
        if weights is not None:
            w = np.asarray(weights, dtype=float)
        elif self.weight_column and self.weight_column in frame.columns:
            w = frame[self.weight_column].to_numpy(dtype=float)
        else:
            w = None
        return frame, w

    def fit(self, data: Any, *, weights: Any = None, start: Any = None) -> Model:
        """Fit by maximum likelihood and return ``self``.

        ``data`` is a table with the model's ``history_columns`` (one row per customer, or per
        distinct history with a ``weights`` column / ``weights`` argument giving counts). A
        previous fit is discarded first; if fitting raises, the model is left unfitted.
        ``start`` (natural-scale parameters in ``param_names`` order, e.g. the ``params_`` of a fit
        at the previous cutoff) is where the search begins instead of the model's own guess: the
        same optimum in fewer steps. A start of the wrong length, not finite or outside the
        parameters' range is ignored.
        """
        self._discard_fit()
        try:
            self._fit(as_frame(data, name="the history table"), weights, start)
        except BaseException:
            self._discard_fit()
            raise
        return self

    def _fit(self, frame: pd.DataFrame, weights: Any, start: Any = None) -> None:
        """The engine: rows, identifiability, optimum, Hessian; sets the learned values last."""
        arrays, counts, names = self._fit_data(frame, weights)
        self._check_identifiable(arrays, counts)
        arrays = self._prepare(arrays)
        space = _Space(np.asarray(self._log_scale(names), dtype=bool))
        guess = None if start is None else np.asarray(start, dtype=float).reshape(-1)
        if guess is None or len(guess) != len(names) or not np.all(np.isfinite(guess)) \
                or np.any(guess[space.log] <= 0):
            guess = np.asarray(self._start(arrays, counts), dtype=float)
        x0 = space.free(guess)
        cls = type(self)
        if cls._loglik_sums is not Model._loglik_sums:
            best = self._fit_newton(x0, space, arrays, counts)
            if best is None:
                best = self._fit_gradient(x0, space, arrays, counts)
        elif cls._loglik_grad is not Model._loglik_grad:
            best = self._fit_gradient(x0, space, arrays, counts)
        else:
            best = self._fit_simplex(x0, space, arrays, counts)
        learned = self._learned(best, space, arrays, counts, names)
        self._check_estimates(learned["params_"], learned["n_customers_"])
        for name, value in learned.items():
            setattr(self, name, value)

    def _penalty(self, p: np.ndarray) -> float:
        return self.penalizer * float(np.sum(p**2)) if self.penalizer else 0.0

    def _fit_simplex(
        self, x0: np.ndarray, space: _Space, arrays: dict[str, np.ndarray], counts: np.ndarray
    ) -> Any:
        """Without derivatives: L-BFGS-B and Nelder-Mead, the better polished by L-BFGS-B."""

        def nll(free: np.ndarray) -> float:
            p = space.natural(free)
            value = -wdot(counts, self._loglik_terms(p, arrays)) + self._penalty(p)
            return value if np.isfinite(value) else 1e300

        shapes = np.isin(np.asarray(self.param_names if len(self.param_names) == len(x0) else ()),
                         self.shape_params)
        edge = np.log(EDGE)
        seen: list[np.ndarray] = []
        jumped: list[np.ndarray] = []

        def at_edge(free: np.ndarray) -> bool:
            return bool(np.any((free[shapes] < edge[0]) | (free[shapes] > edge[1])))

        def watch(intermediate_result: Any) -> None:
            """Stop at an edge; and when a shape parameter has run steadily towards 0 or
            infinity over the last iterations, try the point where that run reaches the edge:
            if the likelihood is as high there, the maximum is at the edge and the walk stops."""
            free = np.asarray(intermediate_result.x, dtype=float)
            seen.append(free.copy())
            if at_edge(free):
                raise StopIteration
            if len(seen) < _RUN_STEPS + 1:
                return
            track = np.array(seen[-_RUN_STEPS - 1:])
            steps = np.diff(track, axis=0)
            steady = np.all(steps < 0, axis=0) | np.all(steps > 0, axis=0)
            move = np.where(steady, track[-1] - track[0], 0.0)  # only what runs one way moves
            for j in np.flatnonzero(shapes):
                if steady[j] and abs(move[j]) > np.log(2.0):
                    target = edge[0] - 1.0 if move[j] < 0 else edge[1] + 1.0
                    jump = free + (target - free[j]) / move[j] * move
                    if nll(jump) <= float(intermediate_result.fun):
                        jumped.append(jump)
                        raise StopIteration

        best = optimize.minimize(nll, x0, method="L-BFGS-B", options={"maxiter": 5000}, callback=watch)
        if jumped:  # the edge is the maximum: fit the parameters that stay inside it
            jump = jumped[0]
            inner = ~((jump < edge[0]) | (jump > edge[1])) | ~shapes
            moved = np.flatnonzero(np.abs(jump - seen[-1]) > 0)
            inner[moved] = False

            def nll_inner(v: np.ndarray) -> float:
                full = jump.copy()
                full[inner] = v
                return nll(full)

            res = optimize.minimize(nll_inner, jump[inner], method="L-BFGS-B", options={"maxiter": 50})
            best.x = jump.copy()
            best.x[inner] = res.x
            best.fun = float(res.fun)
        if shapes.any() and at_edge(np.asarray(best.x, dtype=float)):
            best.success = True  # it converged to an edge: problems_ says so; no polish helps
            return best
        runs = [best]
        res = optimize.minimize(nll, best.x, method="Nelder-Mead", options={"maxiter": 20000})
        runs.append(res)
        if res.fun < best.fun:
            best = res
        # Polish with a second L-BFGS-B run from the best point (cheap, tightens the optimum).
        res = optimize.minimize(nll, best.x, method="L-BFGS-B", options={"ftol": 1e-15, "gtol": 1e-9})
        runs.append(res)
        if res.fun <= best.fun:
            best = res
        # Converged when a run that met its own criterion reached the optimum found: the strict
        # polish often ends on "abnormal line search" at an optimum a finite-difference gradient
        # cannot improve, which is not a failure to converge.
        tol = 1e-6 * max(1.0, abs(float(best.fun)))
        best.success = any(bool(r.success) and float(r.fun) - float(best.fun) <= tol for r in runs)
        return best

    def _fit_gradient(
        self, x0: np.ndarray, space: _Space, arrays: dict[str, np.ndarray], counts: np.ndarray
    ) -> Any:
        """L-BFGS-B on the analytic gradient of the mean negative log-likelihood (free scale)."""
        total = float(counts.sum())

        def nll_grad(free: np.ndarray) -> tuple[float, np.ndarray]:
            with np.errstate(all="ignore"):
                p = space.natural(free)
                jac = space.jacobian(p)
                value, grad = self._loglik_grad_sum(p, arrays, counts)
                value, grad = -value, -grad * jac
            if self.penalizer:
                value += self._penalty(p)
                grad = grad + 2 * self.penalizer * p * jac
            if not (np.isfinite(value) and np.all(np.isfinite(grad))):
                return 1e300, np.zeros_like(p)
            return value / total, grad / total

        shapes = np.isin(np.asarray(self.param_names if len(self.param_names) == len(x0) else ()),
                         self.shape_params)
        edge = np.log(EDGE)

        def at_edge(free: np.ndarray) -> bool:
            return bool(np.any((free[shapes] < edge[0]) | (free[shapes] > edge[1])))

        def watch(intermediate_result: Any) -> None:
            """Stop once a shape parameter has run past an edge: the likelihood is flat out there
            (the fit is flagged in ``problems_``), and walking after it is slow."""
            if at_edge(np.asarray(intermediate_result.x, dtype=float)):
                raise StopIteration

        best = optimize.minimize(
            nll_grad, x0, jac=True, method="L-BFGS-B",
            options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-10}, callback=watch if shapes.any() else None,
        )
        if shapes.any() and best.fun < 1e299 and at_edge(np.asarray(best.x, dtype=float)):
            best.success = True  # it converged to an edge: problems_ says so; no polish helps
        elif (not best.success and best.status == 2 and best.fun < 1e299
              and np.max(np.abs(best.jac)) <= NEWTON_ROUNDOFF_GTOL):
            # the line search found no lower point because none is left to find: the gradient is
            # round-off. Flagging it "did not converge" made `auto` drop a good fit (and a polish
            # spent seconds confirming the optimum), as the Newton fits already know
            best.success = True
        elif not best.success or best.fun >= 1e299:
            # A bounded polish only: where L-BFGS-B stops short because the likelihood keeps
            # rising towards an edge of the parameter space (no heterogeneity to estimate), an
            # unbounded simplex would walk after it for minutes over every distinct history.
            budget = 300 * len(x0)
            simplex = optimize.minimize(
                lambda v: nll_grad(v)[0], best.x if best.fun < 1e299 else x0, method="Nelder-Mead",
                options={"maxiter": budget, "maxfev": budget, "xatol": 1e-10, "fatol": 1e-14},
            )
            if simplex.fun < best.fun:
                best = simplex
        best.fun = best.fun * total
        return best

    def _fit_newton(
        self, x0: np.ndarray, space: _Space, arrays: dict[str, np.ndarray], counts: np.ndarray
    ) -> Any:
        """Trust-region Newton (scipy ``trust-exact``) on the mean negative log-likelihood (free
        scale); ``None`` when it does not converge to a finite optimum. It converges in about ten
        evaluations (three or four from :meth:`_subsample_start`); L-BFGS-B on the gradient
        remains the fallback.

        The fit ends at the first point evaluated whose gradient is below ``gtol`` (1e-10), even
        one that trust-exact would reject: so close to the optimum the change of the likelihood
        is below the round-off of its sum over every history, and only the gradient can still
        tell the points apart.
        """
        total = float(counts.sum())
        gtol = 1e-10
        cache: dict[bytes, tuple[float, np.ndarray, np.ndarray, np.ndarray]] = {}
        flattest: list[Any] = [np.inf, None]  # the smallest gradient seen, and its point
        off_edge = self._edge_check(len(x0))

        def sums(free: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
            key = free.tobytes()
            if key not in cache:  # value, gradient and Hessian come from one pass
                cache.clear()
                if off_edge(free):
                    raise _OffEdge
                p = space.natural(free)
                jac, curve = space.jacobian(p), space.curvature(p)
                with np.errstate(all="ignore"):
                    try:
                        ll, g, h = self._loglik_sums(p, arrays, counts)
                    except OverflowError:  # a Python float ran out of range (far off at an edge); a bug raises
                        ll, g, h = -np.inf, np.zeros_like(p), np.eye(len(p))
                    value, grad = -ll, -g * jac
                    hess = -(h * np.outer(jac, jac)) - np.diag(g * curve)  # chain rule
                    if self.penalizer:
                        value += self._penalty(p)
                        grad = grad + 2 * self.penalizer * p * jac
                        hess = hess + np.diag(2 * self.penalizer * (jac**2 + p * curve))
                if not (np.isfinite(value) and np.all(np.isfinite(grad)) and np.all(np.isfinite(hess))):
                    value, grad, hess = np.inf, np.zeros_like(p), np.eye(len(p))
                cache[key] = (value / total, grad / total, hess / total, h)
                steep = float(np.max(np.abs(grad))) / total
                if np.isfinite(value) and steep < flattest[0]:
                    flattest[:] = [steep, (free.copy(), *cache[key])]
                    if steep <= gtol:
                        raise _AtOptimum
            return cache[key][:3]

        if len(counts) >= WARM_START_ROWS:
            x0 = self._subsample_start(x0, space, arrays, counts)
        try:
            res = optimize.minimize(
                lambda v: sums(v)[0], x0, jac=lambda v: sums(v)[1], hess=lambda v: sums(v)[2],
                method="trust-exact", options={"gtol": gtol, "maxiter": 200},
            )
        except _AtOptimum:
            res = optimize.OptimizeResult(success=True, status=0, message="gradient below gtol")
        except (ValueError, np.linalg.LinAlgError, _OffEdge):
            return None
        if flattest[1] is not None and (not res.success or flattest[0] <= gtol):
            # Status 2 ("no step improves"): over hundreds of thousands of histories the sums'
            # round-off stops trust-exact a hair above gtol; the flattest point seen is the
            # optimum when its gradient is far below the one L-BFGS-B stops at (1e-8).
            free, value, grad, _, h = flattest[1]
            if res.success or (getattr(res, "status", None) == 2 and flattest[0] <= NEWTON_ROUNDOFF_GTOL):
                res.update(x=free, fun=value, jac=grad, success=True)
            res.loglik_hessian = h  # for the standard errors
        if not res.success or not np.isfinite(res.fun):
            return None
        if getattr(res, "loglik_hessian", None) is None:
            final = cache.get(np.asarray(res.x, dtype=float).tobytes())
            res.loglik_hessian = final[3] if final is not None else None
        res.fun = res.fun * total
        return res

    def _edge_check(self, n_free: int) -> Any:
        """``off_edge(free)``: whether a shape parameter has passed :data:`EDGE` (always
        ``False`` unless :attr:`newton_stops_at_edge`)."""
        names = np.asarray(self.param_names if len(self.param_names) == n_free else ())
        shapes = np.flatnonzero(np.isin(names, self.shape_params)) if self.newton_stops_at_edge else []
        edge = np.log(EDGE)

        def off_edge(free: np.ndarray) -> bool:
            return bool(len(shapes)) and bool(np.any((free[shapes] < edge[0]) | (free[shapes] > edge[1])))

        return off_edge

    def _subsample_start(
        self, x0: np.ndarray, space: _Space, arrays: dict[str, np.ndarray], counts: np.ndarray
    ) -> np.ndarray:
        """A starting point for the Newton fit of many histories: the optimum over every k-th
        distinct history (about :data:`WARM_START_ROWS` of them, with their counts), or ``x0``
        when that fit fails. Near the optimum Newton converges in a few steps, so the full fit
        takes three or four passes over all histories instead of six to nine from ``x0``; where
        it ends does not depend on the start."""
        step = len(counts) // WARM_START_ROWS + 1
        base = {k: v for k, v in arrays.items() if not k.startswith("_")}
        if not base or any(np.shape(v) != counts.shape for v in base.values()):
            return x0
        sub = self._prepare({k: np.ascontiguousarray(v[::step]) for k, v in base.items()})
        sub_counts = np.ascontiguousarray(counts[::step])
        total = float(sub_counts.sum())
        cache: dict[bytes, tuple[float, np.ndarray, np.ndarray]] = {}
        off_edge = self._edge_check(len(x0))

        def sums(free: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
            key = free.tobytes()
            if key not in cache:
                cache.clear()
                if off_edge(free):
                    raise _OffEdge
                p = space.natural(free)
                jac, curve = space.jacobian(p), space.curvature(p)
                with np.errstate(all="ignore"):
                    try:
                        ll, g, h = self._loglik_sums(p, sub, sub_counts)
                    except OverflowError:  # as in _fit_newton: only a float out of range is -inf
                        ll, g, h = -np.inf, np.zeros_like(p), np.eye(len(p))
                    hess = -(h * np.outer(jac, jac)) - np.diag(g * curve)
                    value = -ll + (self._penalty(p) * total / float(counts.sum()) if self.penalizer else 0.0)
                if not (np.isfinite(value) and np.all(np.isfinite(g)) and np.all(np.isfinite(hess))):
                    cache[key] = (np.inf, np.zeros_like(p), np.eye(len(p)))
                else:
                    cache[key] = (value / total, -g * jac / total, hess / total)
            return cache[key]

        try:
            res = optimize.minimize(
                lambda v: sums(v)[0], x0, jac=lambda v: sums(v)[1], hess=lambda v: sums(v)[2],
                method="trust-exact", options={"gtol": SUBSAMPLE_GTOL, "maxiter": 50},
            )
        except (ValueError, np.linalg.LinAlgError, _OffEdge):
            return x0
        start = np.asarray(res.x, dtype=float)
        if not (np.isfinite(res.fun) and np.all(np.isfinite(start))):
            return x0
        natural = space.natural(start)
        if any(not EDGE[0] <= v <= EDGE[1] for n, v in zip(self.param_names, natural, strict=False)
               if n in self.shape_params):
            return x0  # the subsample ran to an edge: let the full data decide from the crude start
        return start

    def _learned(
        self, best: Any, space: _Space, arrays: dict[str, np.ndarray], counts: np.ndarray, names: list[str]
    ) -> dict[str, Any]:
        """Every learned value of a fit at the optimum ``best`` (nothing is set on ``self``)."""
        if not np.isfinite(best.fun) or best.fun >= 1e299:
            raise ModelError(Phrase("err_model_likelihood", model=type(self).__name__),
                             fix=Phrase("err_model_likelihood_fix"))
        params = space.natural(np.asarray(best.x, dtype=float))
        loglik = -float(best.fun) if not self.penalizer else float(
            wdot(counts, self._loglik_terms(params, arrays))
        )
        n_customers = float(counts.sum())
        edge = [n for n, v in zip(names, params, strict=True)
                if n in self.shape_params and not EDGE[0] <= v <= EDGE[1]]
        cls = type(self)
        if edge and (cls._loglik_sums is Model._loglik_sums or cls.newton_stops_at_edge):
            # no standard errors at an edge (the fit is flagged): a Hessian from differences
            # there costs many slow evaluations and would be meaningless (and a model whose
            # Newton fit gives way at the edge has no Hessian of its own there either)
            covariance = np.full((len(params), len(params)), np.nan)
        else:
            covariance = self._covariance(params, space, arrays, counts,
                                          hessian=getattr(best, "loglik_hessian", None))
        k = len(names)
        series = pd.Series(params, index=names, name="estimate")
        return {
            "params_": series,
            "loglik_": loglik,
            "n_customers_": n_customers,
            "n_distinct_": len(counts),
            "aic_": 2 * k - 2 * loglik,
            "bic_": k * math.log(n_customers) - 2 * loglik,
            "covariance_": covariance,
            "stderr_": pd.Series(np.sqrt(np.clip(np.diag(covariance), 0, None)), index=names, name="stderr"),
            "converged_": bool(best.success),
            "problems_": fit_problems(series, covariance, converged=bool(best.success),
                                      log_scale=space.log, shape_params=self.shape_params),
        }

    def _covariance(
        self, params: np.ndarray, space: _Space, arrays: dict[str, np.ndarray], counts: np.ndarray,
        *, hessian: np.ndarray | None = None,
    ) -> np.ndarray:
        """Inverse of the observed information (negative Hessian of the log-likelihood), natural scale.

        Exact when the model gives :meth:`_loglik_sums`, else differences of the analytic
        gradient, else second differences of the log-likelihood; steps are relative to each
        parameter, with a floor of 0.1 for the parameters that may be 0 (coefficients).
        """
        cls = type(self)
        floor = np.where(space.log, 1e-8, 0.1)

        def ll(p: np.ndarray) -> float:
            return wdot(counts, self._loglik_terms(p, arrays))

        if hessian is not None:  # the exact Hessian the Newton fit computed at this point
            hess = hessian
        elif cls._loglik_sums is not Model._loglik_sums:
            with np.errstate(all="ignore"):
                hess = self._loglik_sums(params, arrays, counts)[2]
        elif cls._loglik_grad is not Model._loglik_grad:
            hess = gradient_hessian(lambda p: self._loglik_grad_sum(p, arrays, counts)[1], params, floor=floor)
        else:
            hess = numerical_hessian(ll, params, floor=floor)
        try:
            return np.linalg.inv(-hess)
        except np.linalg.LinAlgError:
            return np.full((len(params), len(params)), np.nan)

    # -- reporting -----------------------------------------------------------------------------
    def _require_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise NotFittedError(Phrase("err_model_not_fitted", model=type(self).__name__),
                                 fix=Phrase("err_model_not_fitted_fix"))

    def summary(self) -> pd.DataFrame:
        """Estimates with standard errors and 95% intervals, one row per parameter.

        Positive parameters are fitted on the log scale, so their interval is the Wald interval
        of ``log(estimate)`` (standard error ``stderr / estimate`` by the delta method) mapped
        back: it never crosses zero and is not symmetric. Other parameters (covariate
        coefficients) get the plain Wald interval ``estimate ± 1.96 stderr``.
        """
        self._require_fitted()
        est, se = self.params_, self.stderr_
        lower, upper = est - _Z95 * se, est + _Z95 * se
        log = np.asarray(self._log_scale(list(est.index)), dtype=bool)
        spread = np.exp(_Z95 * se[log] / est[log])
        lower[log], upper[log] = est[log] / spread, est[log] * spread
        return pd.DataFrame({"estimate": est, "stderr": se, "lower_95": lower, "upper_95": upper})

    def _repr_html_(self) -> str:
        """The model in a notebook: its options, and once fitted its estimates with standard
        errors and 95% intervals and its fit statistics."""
        from xuanba import _html
        from xuanba.i18n import display_lang

        name, lang = type(self).__name__, display_lang()
        if not hasattr(self, "params_"):
            return _html.card(f"{name}: {t('nb_not_fitted', lang)}", self.get_params().items())
        stats = [(_html.header(k, lang), v) for k, v in self.fit_stats().items()]
        return _html.card(name, [*self.get_params().items(), *stats],
                          _html.table(self.summary().rename_axis(t("nb_parameter", lang)), index=True, max_rows=50,
                                      caption=t("nb_params", lang), lang=lang))

    def fit_stats(self) -> dict[str, float]:
        """Log-likelihood, AIC, BIC and the customer counts."""
        self._require_fitted()
        return {
            "loglik": self.loglik_,
            "aic": self.aic_,
            "bic": self.bic_,
            "n_customers": self.n_customers_,
            "n_distinct": float(self.n_distinct_),
        }

    # -- persistence ---------------------------------------------------------------------------
    def to_document(self) -> dict[str, Any]:
        """Options and fitted values as a JSON-ready dict: what :meth:`save` writes (a round
        stores it too) and :meth:`load` reads back."""
        self._require_fitted()
        return {
            "model": type(self).__name__,
            "options": self.get_params(),
            "params": self.params_.to_dict(),
            "covariance": np.asarray(self.covariance_).tolist(),
            "loglik": self.loglik_,
            "n_customers": self.n_customers_,
            "n_distinct": self.n_distinct_,
            "converged": bool(getattr(self, "converged_", True)),
            "extra": self._save_extra(),
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_document` to a JSON file; :meth:`load` reads it back."""
        out = Path(path)
        write_text_atomic(out, json.dumps(self.to_document(), indent=2, allow_nan=True))
        return out

    def _save_extra(self) -> dict[str, Any]:
        return {}

    def _load_extra(self, extra: dict[str, Any]) -> None:
        pass

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Model:
        """Read a model written by :meth:`save`, as the class it was saved from.

        Called on ``Model`` it returns whatever model the file holds; called on a model class it
        raises :class:`InputError` if the file holds a model of another kind.
        """
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(Phrase("err_model_unreadable", reason=str(exc)), file=str(path)) from None
        target = _REGISTRY.get(str(doc.get("model")))
        if target is None:
            raise InputError(Phrase("err_model_type_unknown", model=repr(doc.get("model"))), file=str(path))
        if not issubclass(target, cls):
            raise InputError(Phrase("err_model_file_holds", found=target.__name__, wanted=cls.__name__), file=str(path),
                             fix=Phrase("err_model_file_holds_fix", found=target.__name__))
        model = target(**doc["options"])
        # parameters in the order they were fitted (a covariate model names its own coefficients)
        model.params_ = pd.Series(doc["params"], name="estimate", dtype=float)
        model.covariance_ = np.asarray(doc["covariance"], dtype=float)
        model.stderr_ = pd.Series(
            np.sqrt(np.clip(np.diag(model.covariance_), 0, None)), index=model.params_.index,
            name="stderr",
        )
        model.loglik_ = float(doc["loglik"])
        model.n_customers_ = float(doc["n_customers"])
        model.n_distinct_ = int(doc["n_distinct"])
        k = len(model.params_)
        model.aic_ = 2 * k - 2 * model.loglik_
        model.bic_ = k * math.log(model.n_customers_) - 2 * model.loglik_
        model.converged_ = bool(doc.get("converged", True))
        model.problems_ = fit_problems(
            model.params_, model.covariance_, converged=model.converged_,
            log_scale=np.asarray(model._log_scale(list(model.params_.index)), dtype=bool),
            shape_params=model.shape_params,
        )
        model._load_extra(doc.get("extra", {}))
        return model

    def __repr__(self) -> str:
        if hasattr(self, "params_"):
            inner = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        else:
            inner = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({inner})"


class _AtOptimum(Exception):
    """Raised inside a Newton fit when an evaluated point's gradient is below the tolerance."""


class _OffEdge(Exception):
    """Raised inside a Newton fit of a model that :attr:`Model.newton_stops_at_edge` when a
    shape parameter passes the edge: the gradient fit takes over."""


class _Space:
    """The free (optimiser) scale of the parameters: log for positive ones, identity for others."""

    def __init__(self, log: np.ndarray) -> None:
        self.log = log

    def free(self, natural: np.ndarray) -> np.ndarray:
        out = np.array(natural, dtype=float)
        out[self.log] = np.log(out[self.log])
        return out

    def natural(self, free: np.ndarray) -> np.ndarray:
        out = np.array(free, dtype=float)
        out[self.log] = np.exp(out[self.log])
        return out

    def jacobian(self, natural: np.ndarray) -> np.ndarray:
        """d natural / d free (diagonal)."""
        return np.where(self.log, natural, 1.0)

    def curvature(self, natural: np.ndarray) -> np.ndarray:
        """d² natural / d free² (diagonal)."""
        return np.where(self.log, natural, 0.0)


def numerical_hessian(f: Any, x: np.ndarray, rel_step: float = 1e-4, floor: Any = 1e-8) -> np.ndarray:
    """Central-difference Hessian of a scalar function (steps ``rel_step · max(|x|, floor)``)."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    h = rel_step * np.maximum(np.abs(x), floor)
    hess = np.empty((n, n))
    f0 = f(x)
    for i in range(n):
        ei = np.zeros(n)
        ei[i] = h[i]
        hess[i, i] = (f(x + ei) - 2 * f0 + f(x - ei)) / h[i] ** 2
        for j in range(i + 1, n):
            ej = np.zeros(n)
            ej[j] = h[j]
            val = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h[i] * h[j])
            hess[i, j] = hess[j, i] = val
    return hess


def gradient_hessian(grad: Any, x: np.ndarray, rel_step: float = 1e-5, floor: Any = 1e-8) -> np.ndarray:
    """Hessian from central differences of an analytic gradient (steps ``rel_step · max(|x|,
    floor)``, symmetrised)."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    h = rel_step * np.maximum(np.abs(x), floor)
    hess = np.empty((n, n))
    for i in range(n):
        e = np.zeros(n)
        e[i] = h[i]
        hess[i] = (np.asarray(grad(x + e)) - np.asarray(grad(x - e))) / (2 * h[i])
    return (hess + hess.T) / 2
