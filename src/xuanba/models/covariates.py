"""BG/NBD and Pareto/NBD with time-invariant (static) covariates, as the R package CLVTools does.

Each customer ``i`` has covariate vectors ``z_i`` (e.g. channel, region, first-order size). The
purchase process scales the gamma rate parameter, the drop-out process the drop-out parameters:

* purchase (both models): ``alpha_i = alpha · exp(−γ_pᵀ z_i)`` — a positive coefficient means
  a higher purchase rate (the mean rate is ``r/alpha_i``);
* drop-out, Pareto/NBD: ``beta_i = beta · exp(−γ_dᵀ z_i)`` — positive = drops out sooner;
* drop-out, BG/NBD: ``a_i = a · exp(γ_dᵀ z_i)`` and ``b_i = b · exp(γ_dᵀ z_i)`` (one coefficient
  scales both, as in CLVTools).

With no covariates the models are exactly :class:`~xuanba.models.BGNBD` and
:class:`~xuanba.models.ParetoNBD`. Fitting runs on customers compressed by (history, covariate
values); base parameters are optimised on the log scale, coefficients as they are; standard
errors come from the numerical Hessian at the optimum. Text columns are one-hot encoded against
their first level (sorted), and the same levels are used for predictions.

Predictions (``probability_alive``, ``expected_purchases``, ``probability_no_purchase``, and
DERT for Pareto/NBD) are point estimates: each distinct covariate profile is handed to the plain
model with that profile's parameters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import optimize, special

from xuanba.errors import InputError, ModelError, SchemaError
from xuanba.models._base import ID, Model, as_frame, compress
from xuanba.models._purchases import check_identifiable
from xuanba.models.bgnbd import BGNBD
from xuanba.models.paretonbd import ParetoNBD, loglik_terms, validate_history

_HIST = ("frequency", "recency", "T")


def _hessian(f: Any, x: np.ndarray) -> np.ndarray:
    """Central-difference Hessian with steps ``1e-4 · max(|x|, 0.1)`` (works at x = 0)."""
    n = len(x)
    h = 1e-4 * np.maximum(np.abs(x), 0.1)
    out = np.empty((n, n))
    f0 = f(x)
    for i in range(n):
        ei = np.zeros(n)
        ei[i] = h[i]
        out[i, i] = (f(x + ei) - 2 * f0 + f(x - ei)) / h[i] ** 2
        for j in range(i + 1, n):
            ej = np.zeros(n)
            ej[j] = h[j]
            out[i, j] = out[j, i] = (
                f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)
            ) / (4 * h[i] * h[j])
    return out


def bgnbd_loglik_terms(
    r: float, alpha: Any, a: Any, b: Any, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray
) -> np.ndarray:
    """BG/NBD log-likelihood of each history with per-row ``alpha``, ``a``, ``b`` (Fader, Hardie &
    Lee 2005, eq. 6, in log space)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_at = np.log(alpha + big_t)
        d = np.where(
            x > 0, np.log(a) - np.log(b + x - 1) + (r + x) * (log_at - np.log(alpha + t_x)), -np.inf
        )
    return (
        special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
        + special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * log_at + np.logaddexp(0.0, d)
    )


class _CovariateModel(Model):
    """Shared fitting, encoding, reporting and persistence. Not public."""

    base_names: ClassVar[tuple[str, ...]] = ()
    plain: ClassVar[type[Model]] = Model

    def __init__(
        self,
        *,
        covariates_purchase: Sequence[str] = (),
        covariates_dropout: Sequence[str] = (),
        penalizer: float = 0.0,
        time_unit: str | None = None,
    ) -> None:
        super().__init__(penalizer=penalizer)
        self.covariates_purchase = list(covariates_purchase)
        self.covariates_dropout = list(covariates_dropout)
        self.time_unit = time_unit

    def _get_options(self) -> dict[str, Any]:
        return {
            "covariates_purchase": self.covariates_purchase,
            "covariates_dropout": self.covariates_dropout,
            "penalizer": self.penalizer,
            "time_unit": self.time_unit,
        }

    # -- the part a subclass writes ------------------------------------------------------------
    def _row_params(self, base: np.ndarray, zp: np.ndarray, zd: np.ndarray, gp: np.ndarray, gd: np.ndarray) -> list[Any]:
        """Per-row natural parameters in the plain model's order."""
        raise NotImplementedError

    def _row_loglik(self, params: list[Any], h: dict[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def _row_loglik_grad(
        self, theta: np.ndarray, zp: np.ndarray, zd: np.ndarray, h: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Optional: per-row log-likelihood and its gradient (rows x len(theta)) with respect to
        ``theta = (log base parameters, purchase coefficients, drop-out coefficients)``."""
        raise NotImplementedError

    # -- covariate encoding --------------------------------------------------------------------
    def _learn_levels(self, frame: pd.DataFrame) -> None:
        self.levels_: dict[str, list[Any]] = {}
        for col in dict.fromkeys(self.covariates_purchase + self.covariates_dropout):
            if col not in frame.columns:
                raise SchemaError(
                    f"covariate column '{col}' is not in the table",
                    column=col,
                    fix=f"Columns found: {list(frame.columns)}.",
                )
            values = frame[col]
            if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
                levels = sorted(values.dropna().unique().tolist(), key=str)
                if len(levels) < 2:
                    raise ModelError(
                        f"covariate '{col}' has a single level ({levels!r}), so its effect cannot be estimated",
                        fix="Drop it from the covariates.",
                    )
                self.levels_[col] = levels

    def _encode(self, frame: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, list[str]]:
        blocks, names = [], []
        for col in columns:
            if col not in frame.columns:
                raise SchemaError(f"covariate column '{col}' is not in the table", column=col,
                                  fix="Give the same covariate columns the model was fitted with.")
            values = frame[col]
            if col in self.levels_:
                levels = self.levels_[col]
                unknown = ~values.isin(levels)
                if unknown.any():
                    raise InputError(
                        f"covariate '{col}' has values the model has not seen (or missing values)",
                        column=col, count=int(unknown.sum()),
                        examples=values[unknown].astype(str).unique().tolist(),
                        fix=f"Known levels: {levels}. Map new levels to one of them or refit.",
                    )
                for level in levels[1:]:
                    blocks.append((values == level).to_numpy(dtype=float))
                    names.append(f"{col}[{level}]")
            else:
                arr = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
                bad = ~np.isfinite(arr)
                if bad.any():
                    ids = frame.loc[bad, ID].tolist() if ID in frame.columns else frame.index[bad].tolist()
                    raise InputError(f"covariate '{col}' has missing or non-numeric values", column=col,
                                     count=int(bad.sum()), examples=ids,
                                     fix="Fill or drop those customers; covariates must be numbers or levels.")
                blocks.append(arr)
                names.append(col)
        z = np.column_stack(blocks) if blocks else np.zeros((len(frame), 0))
        return z, names

    # -- fitting -------------------------------------------------------------------------------
    def fit(self, data: Any, *, weights: Any = None) -> _CovariateModel:
        """Fit by maximum likelihood on distinct (history, covariates) rows and return ``self``."""
        raw = as_frame(data, name="the history table")
        self._learn_levels(raw)
        frame, w = self._history(raw, weights)
        zp, p_names = self._encode(frame, self.covariates_purchase)
        zd, d_names = self._encode(frame, self.covariates_dropout)
        keys = pd.DataFrame({c: frame[c].to_numpy(dtype=float) for c in self.history_columns})
        zcols = [f"_zp{i}" for i in range(zp.shape[1])] + [f"_zd{i}" for i in range(zd.shape[1])]
        for i, col in enumerate(zcols):
            keys[col] = zp[:, i] if i < zp.shape[1] else zd[:, i - zp.shape[1]]
        distinct, counts, _ = compress(keys, list(keys.columns), w)
        h = {c: distinct[c].to_numpy(dtype=float) for c in self.history_columns}
        self._check_identifiable(h, counts)
        dzp = distinct[zcols[: zp.shape[1]]].to_numpy(dtype=float)
        dzd = distinct[zcols[zp.shape[1]:]].to_numpy(dtype=float)
        nb, kp = len(self.base_names), zp.shape[1]

        def split(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            return theta[:nb], theta[nb : nb + kp], theta[nb + kp :]

        def loglik(natural: np.ndarray) -> float:
            base, gp, gd = split(natural)
            with np.errstate(all="ignore"):
                terms = self._row_loglik(self._row_params(base, dzp, dzd, gp, gd), h)
            return float(np.dot(counts, terms))

        def nll(theta: np.ndarray) -> float:
            natural = np.r_[np.exp(theta[:nb]), theta[nb:]]
            value = -loglik(natural)
            if self.penalizer:
                value += self.penalizer * float(np.sum(natural**2))
            return value if np.isfinite(value) else 1e300

        start = self.plain()._start(h, counts)
        x0 = np.r_[np.log(start), np.zeros(kp + dzd.shape[1])]
        if type(self)._row_loglik_grad is not _CovariateModel._row_loglik_grad:
            total = float(counts.sum())

            def nll_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
                with np.errstate(all="ignore"):
                    terms, grads = self._row_loglik_grad(theta, dzp, dzd, h)
                natural = np.r_[np.exp(theta[:nb]), theta[nb:]]
                value, grad = -float(counts @ terms), -(counts @ grads)
                if self.penalizer:
                    value += self.penalizer * float(np.sum(natural**2))
                    grad = grad + 2 * self.penalizer * natural * np.r_[natural[:nb], np.ones(len(theta) - nb)]
                if not (np.isfinite(value) and np.all(np.isfinite(grad))):
                    return 1e300, np.zeros_like(theta)
                return value / total, grad / total

            best = optimize.minimize(nll_grad, x0, jac=True, method="L-BFGS-B",
                                     options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-10})
            best.fun = nll(best.x)
            analytic = bool(best.success)
        else:
            analytic = False
        if not analytic:
            best = optimize.minimize(nll, x0, method="L-BFGS-B", options={"maxiter": 5000})
            if not best.success:
                simplex = optimize.minimize(nll, best.x, method="Nelder-Mead",
                                            options={"maxiter": 40000, "xatol": 1e-9, "fatol": 1e-11})
                if simplex.fun < best.fun:
                    best = simplex
            polish = optimize.minimize(nll, best.x, method="L-BFGS-B", options={"ftol": 1e-15, "gtol": 1e-9})
            if polish.fun <= best.fun:
                best = polish
        if not np.isfinite(best.fun) or best.fun >= 1e299:
            raise ModelError(f"{type(self).__name__} could not be fitted: the likelihood is not finite",
                             fix="Check the history columns and covariates for impossible values.")
        natural = np.r_[np.exp(best.x[:nb]), best.x[nb:]]
        names = list(self.base_names) + [f"purchase:{n}" for n in p_names] + [f"dropout:{n}" for n in d_names]
        self.params_ = pd.Series(natural, index=names, name="estimate")
        self.loglik_ = loglik(natural)
        if analytic:
            # Hessian in theta from differences of the analytic gradient; at the optimum the
            # natural-scale Hessian is J^-1 H_theta J^-1 with J = d natural / d theta (diagonal).
            def grad_theta(theta: np.ndarray) -> np.ndarray:
                with np.errstate(all="ignore"):
                    return counts @ self._row_loglik_grad(theta, dzp, dzd, h)[1]

            step = 1e-5 * np.maximum(np.abs(best.x), 0.1)
            h_theta = np.empty((len(best.x), len(best.x)))
            for i in range(len(best.x)):
                e = np.zeros(len(best.x))
                e[i] = step[i]
                h_theta[i] = (grad_theta(best.x + e) - grad_theta(best.x - e)) / (2 * step[i])
            jac = np.r_[natural[:nb], np.ones(len(natural) - nb)]
            hess = (h_theta + h_theta.T) / 2 / np.outer(jac, jac)
        else:
            hess = _hessian(loglik, natural)
        try:
            self.covariance_ = np.linalg.inv(-hess)
        except np.linalg.LinAlgError:
            self.covariance_ = np.full((len(natural), len(natural)), np.nan)
        self.stderr_ = pd.Series(np.sqrt(np.clip(np.diag(self.covariance_), 0, None)), index=names, name="stderr")
        self.n_customers_ = float(counts.sum())
        self.n_distinct_ = len(distinct)
        self._set_criteria()
        self.converged_ = bool(best.success)
        return self

    def _set_criteria(self) -> None:
        k = len(self.params_)
        self.aic_ = 2 * k - 2 * self.loglik_
        self.bic_ = k * math.log(self.n_customers_) - 2 * self.loglik_

    def summary(self) -> pd.DataFrame:
        """Base parameters and covariate coefficients with standard errors, 95% Wald intervals
        and, for coefficients, the two-sided p-value of "no effect"."""
        out = super().summary()
        z = out["estimate"] / out["stderr"]
        is_coef = [":" in name for name in out.index]
        out["p_value"] = np.where(is_coef, 2 * special.ndtr(-np.abs(z)), np.nan)
        return out

    # -- predictions via the plain model, one covariate profile at a time --------------------------
    def _per_profile(self, table: Any, method: str, *args: Any, **kwargs: Any) -> pd.Series:
        self._require_fitted()
        frame = as_frame(table, name="the history table")
        zp, _ = self._encode(frame, self.covariates_purchase)
        zd, _ = self._encode(frame, self.covariates_dropout)
        prof = pd.DataFrame(np.column_stack([zp, zd])) if zp.shape[1] + zd.shape[1] else pd.DataFrame({"_": np.zeros(len(frame))})
        distinct, _, inverse = compress(prof, list(prof.columns))
        nb, kp = len(self.base_names), zp.shape[1]
        theta = self.params_.to_numpy(dtype=float)
        out = np.empty(len(frame))
        index = pd.Index(frame[ID].to_numpy(), name=ID) if ID in frame.columns else frame.index
        name = None
        for g in range(len(distinct)):
            rows = np.flatnonzero(inverse == g)
            zrow = distinct.iloc[g].to_numpy(dtype=float) if kp + zd.shape[1] else np.zeros(0)
            params = self._row_params(theta[:nb], zrow[None, :kp], zrow[None, kp:], theta[nb : nb + kp], theta[nb + kp :])
            plain = self.plain()
            plain.params_ = pd.Series([float(np.ravel(v)[0]) for v in params], index=list(self.plain.param_names))
            sub = frame.iloc[rows][list(self.history_columns)].reset_index(drop=True)
            values = getattr(plain, method)(sub, *args, **kwargs)
            name = values.name
            out[rows] = values.to_numpy(dtype=float)
        return pd.Series(out, index=index, name=name)

    def individual_parameters(self, table: Any) -> pd.DataFrame:
        """Each customer's model parameters after applying the covariates."""
        self._require_fitted()
        frame = as_frame(table, name="the covariate table")
        zp, _ = self._encode(frame, self.covariates_purchase)
        zd, _ = self._encode(frame, self.covariates_dropout)
        nb, kp = len(self.base_names), zp.shape[1]
        theta = self.params_.to_numpy(dtype=float)
        params = self._row_params(theta[:nb], zp, zd, theta[nb : nb + kp], theta[nb + kp :])
        index = pd.Index(frame[ID].to_numpy(), name=ID) if ID in frame.columns else frame.index
        return pd.DataFrame({n: np.broadcast_to(np.asarray(v, dtype=float), (len(frame),))
                             for n, v in zip(self.plain.param_names, params, strict=True)}, index=index)

    def probability_alive(self, table: Any) -> pd.Series:
        """P(alive) per customer (point estimate), with each customer's covariates applied."""
        return self._per_profile(table, "probability_alive")

    def expected_purchases(self, table: Any, t: float) -> pd.Series:
        """Expected purchases in ``(T, T+t]`` per customer (point estimate)."""
        return self._per_profile(table, "expected_purchases", t)

    def probability_no_purchase(self, table: Any, t: float) -> pd.Series:
        """P(no purchase in ``(T, T+t]``) per customer (point estimate)."""
        return self._per_profile(table, "probability_no_purchase", t)

    # -- checks shared by both processes' models --------------------------------------------
    def _validate(self, frame: pd.DataFrame) -> None:
        validate_history(frame)

    def _check_identifiable(self, data: dict[str, np.ndarray], counts: np.ndarray) -> None:
        check_identifiable(type(self).__name__, data, counts)

    # -- persistence (Model.save / Model.load; the covariate levels travel as "extra") ---------
    def _save_extra(self) -> dict[str, Any]:
        return {"levels": {k: [str(v) if not isinstance(v, (int, float, bool)) else v for v in vals]
                           for k, vals in self.levels_.items()}}

    def _load_extra(self, extra: dict[str, Any]) -> None:
        self.levels_ = extra.get("levels", {})
        self._set_criteria()

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(covariates_purchase={self.covariates_purchase!r}, "
                f"covariates_dropout={self.covariates_dropout!r})")


class ParetoNBDCovariates(_CovariateModel):
    """Pareto/NBD with static covariates: ``alpha_i = alpha·exp(−γ_pᵀz_i)``,
    ``beta_i = beta·exp(−γ_dᵀz_i)``.

    Parameters
    ----------
    covariates_purchase, covariates_dropout
        Column names of the covariates of each process (numbers, or text levels that are
        one-hot encoded against the first level).
    penalizer
        L2 penalty on all parameters (0 = maximum likelihood).

    Examples
    --------
    >>> from xuanba.models.paretonbd import sample_customers
    >>> h = sample_customers(0.55, 10.6, 0.61, 11.7, np.full(2000, 39.0), seed=1)
    >>> h["web"] = np.arange(2000) % 2
    >>> m = ParetoNBDCovariates(covariates_purchase=["web"]).fit(h)
    >>> list(m.params_.index)
    ['r', 'alpha', 's', 'beta', 'purchase:web']
    """

    base_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")
    history_columns: ClassVar[tuple[str, ...]] = _HIST
    plain: ClassVar[type[Model]] = ParetoNBD

    def _row_params(self, base, zp, zd, gp, gd):  # type: ignore[no-untyped-def]
        r, alpha, s, beta = base
        return [r, alpha * np.exp(-(zp @ gp)), s, beta * np.exp(-(zd @ gd))]

    def _row_loglik(self, params: list[Any], h: dict[str, np.ndarray]) -> np.ndarray:
        r, alpha, s, beta = params
        return loglik_terms(r, alpha, s, beta, h["frequency"], h["recency"], h["T"])

    def expected_discounted_purchases(self, table: Any, discount_rate: float, *, horizon: float | None = None) -> pd.Series:
        """DERT per customer (point estimate); see :meth:`ParetoNBD.expected_discounted_purchases`."""
        return self._per_profile(table, "expected_discounted_purchases", discount_rate, horizon=horizon)


class BGNBDCovariates(_CovariateModel):
    """BG/NBD with static covariates: ``alpha_i = alpha·exp(−γ_pᵀz_i)``,
    ``a_i = a·exp(γ_dᵀz_i)``, ``b_i = b·exp(γ_dᵀz_i)``.

    Parameters
    ----------
    covariates_purchase, covariates_dropout
        Column names of the covariates of each process (numbers, or text levels that are
        one-hot encoded against the first level).
    penalizer
        L2 penalty on all parameters (0 = maximum likelihood).

    Examples
    --------
    >>> import pandas as pd
    >>> h = pd.DataFrame({"frequency": [0, 1, 3, 0, 2, 5, 1, 4], "recency": [0, 4.0, 20, 0, 9, 30, 2, 25],
    ...                   "T": [10, 30, 31, 38, 25, 39, 12, 33.0], "web": [0, 1, 0, 1, 0, 1, 0, 1]})
    >>> m = BGNBDCovariates(covariates_purchase=["web"]).fit(h)
    >>> list(m.summary().columns)
    ['estimate', 'stderr', 'lower_95', 'upper_95', 'p_value']
    """

    base_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    history_columns: ClassVar[tuple[str, ...]] = _HIST
    plain: ClassVar[type[Model]] = BGNBD

    def _row_params(self, base, zp, zd, gp, gd):  # type: ignore[no-untyped-def]
        r, alpha, a, b = base
        scale = np.exp(zd @ gd)
        return [r, alpha * np.exp(-(zp @ gp)), a * scale, b * scale]

    def _row_loglik(self, params: list[Any], h: dict[str, np.ndarray]) -> np.ndarray:
        r, alpha, a, b = params
        return bgnbd_loglik_terms(r, alpha, a, b, h["frequency"], h["recency"], h["T"])

    def _row_loglik_grad(
        self, theta: np.ndarray, zp: np.ndarray, zd: np.ndarray, h: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        kp = zp.shape[1]
        r, alpha, a, b = self._row_params(np.exp(theta[:4]), zp, zd, theta[4 : 4 + kp], theta[4 + kp :])
        x, t_x, big_t = h["frequency"], h["recency"], h["T"]
        terms = bgnbd_loglik_terms(r, alpha, a, b, x, t_x, big_t)
        log_at, log_atx = np.log(alpha + big_t), np.log(alpha + t_x)
        d = np.where(x > 0, np.log(a) - np.log(b + x - 1) + (r + x) * (log_at - log_atx), -np.inf)
        w = special.expit(d)  # posterior probability of having dropped out
        psi_ab = special.digamma(a + b) - special.digamma(a + b + x)
        d_r = special.digamma(r + x) - special.digamma(r) + np.log(alpha) - log_at + w * (log_at - log_atx)
        d_alpha = r / alpha - (r + x) / (alpha + big_t) + w * (r + x) * (1 / (alpha + big_t) - 1 / (alpha + t_x))
        d_a = psi_ab + w / a
        d_b = special.digamma(b + x) - special.digamma(b) + psi_ab - np.where(x > 0, w / (b + x - 1), 0.0)
        da_log, db_log, dal_log = a * d_a, b * d_b, alpha * d_alpha
        grads = np.column_stack([r * d_r, dal_log, da_log, db_log, -zp * dal_log[:, None],
                                 zd * (da_log + db_log)[:, None]])
        return terms, grads
