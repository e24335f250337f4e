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
values) by the same engine as every model (:class:`~xuanba.models._base.Model`): a covariate
model only maps the base parameters and coefficients to each row's parameters and hands them to
the plain model's likelihood. Base parameters are optimised on the log scale, coefficients as
they are; standard errors come from the engine's Hessian at the optimum. Text columns are
one-hot encoded against their first level (sorted), and the same levels are used for
predictions.

Predictions (``probability_alive``, ``expected_purchases``, ``probability_no_purchase``, and
DERT for Pareto/NBD) are point estimates: each distinct covariate profile is handed to the plain
model with that profile's parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import special

from xuanba.errors import InputError, ModelError, Phrase, SchemaError, quoted
from xuanba.models._base import ID, Model, as_frame, compress
from xuanba.models._purchases import check_identifiable
from xuanba.models.bgnbd import BGNBD, row_loglik
from xuanba.models.paretonbd import ParetoNBD, loglik_terms, validate_history

_HIST = ("frequency", "recency", "T")


class _CovariateModel(Model):
    """Covariate encoding, the engine's hooks (rows, parameter scale, per-row parameters),
    reporting and persistence shared by both models. Not public."""

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

    # -- the part a subclass writes ------------------------------------------------------------
    def _row_params(self, base: np.ndarray, zp: np.ndarray, zd: np.ndarray, gp: np.ndarray, gd: np.ndarray) -> list[Any]:
        """Per-row natural parameters in the plain model's order."""
        raise NotImplementedError

    def _row_loglik(self, params: list[Any], h: dict[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    # -- covariate encoding --------------------------------------------------------------------
    def _learn_levels(self, frame: pd.DataFrame) -> None:
        self.levels_: dict[str, list[Any]] = {}
        for col in dict.fromkeys(self.covariates_purchase + self.covariates_dropout):
            if col not in frame.columns:
                raise SchemaError(Phrase("err_covariate_missing", column=quoted(col)), column=col,
                                  fix=Phrase("err_columns_found", columns=str(list(frame.columns))))
            values = frame[col]
            if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
                levels = sorted(values.dropna().unique().tolist(), key=str)
                if len(levels) < 2:
                    raise ModelError(Phrase("err_covariate_one_level", column=quoted(col), levels=repr(levels)),
                                     fix=Phrase("err_covariate_one_level_fix"))
                self.levels_[col] = levels

    def _encode(self, frame: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, list[str]]:
        blocks, names = [], []
        for col in columns:
            if col not in frame.columns:
                raise SchemaError(Phrase("err_covariate_missing", column=quoted(col)), column=col,
                                  fix=Phrase("err_covariate_same_fix"))
            values = frame[col]
            if col in self.levels_:
                levels = self.levels_[col]
                unknown = ~values.isin(levels)
                if unknown.any():
                    raise InputError(
                        Phrase("err_covariate_unseen", column=quoted(col)),
                        column=col, count=int(unknown.sum()),
                        examples=values[unknown].astype(str).unique().tolist(),
                        fix=Phrase("err_covariate_unseen_fix", levels=str(levels)),
                    )
                for level in levels[1:]:
                    blocks.append((values == level).to_numpy(dtype=float))
                    names.append(f"{col}[{level}]")
            else:
                arr = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
                bad = ~np.isfinite(arr)
                if bad.any():
                    ids = frame.loc[bad, ID].tolist() if ID in frame.columns else frame.index[bad].tolist()
                    raise InputError(Phrase("err_covariate_bad", column=quoted(col)), column=col,
                                     count=int(bad.sum()), examples=ids, fix=Phrase("err_covariate_bad_fix"))
                blocks.append(arr)
                names.append(col)
        z = np.column_stack(blocks) if blocks else np.zeros((len(frame), 0))
        return z, names

    # -- the engine's hooks: rows, parameter scale, likelihood --------------------------------------
    def _fit_data(
        self, frame: pd.DataFrame, weights: Any
    ) -> tuple[dict[str, np.ndarray], np.ndarray, list[str]]:
        """Distinct (history, encoded covariates) rows; ``_zp`` / ``_zd`` hold the covariates."""
        self._learn_levels(frame)
        frame, w = self._history(frame, weights)
        zp, p_names = self._encode(frame, self.covariates_purchase)
        zd, d_names = self._encode(frame, self.covariates_dropout)
        keys = pd.DataFrame({c: frame[c].to_numpy(dtype=float) for c in self.history_columns})
        zcols = [f"_zp{i}" for i in range(zp.shape[1])] + [f"_zd{i}" for i in range(zd.shape[1])]
        for col, values in zip(zcols, np.column_stack([zp, zd]).T, strict=True):
            keys[col] = values
        distinct, counts, _ = compress(keys, list(keys.columns), w)
        arrays = {c: distinct[c].to_numpy(dtype=float) for c in self.history_columns}
        arrays["_zp"] = distinct[zcols[: zp.shape[1]]].to_numpy(dtype=float)
        arrays["_zd"] = distinct[zcols[zp.shape[1]:]].to_numpy(dtype=float)
        names = list(self.base_names) + [f"purchase:{n}" for n in p_names] + [f"dropout:{n}" for n in d_names]
        return arrays, counts, names

    def _log_scale(self, names: Sequence[str]) -> np.ndarray:
        """Base parameters are positive; coefficients (``purchase:…``, ``dropout:…``) are not."""
        return np.array([":" not in name for name in names], dtype=bool)

    def _start(self, data: dict[str, np.ndarray], counts: np.ndarray) -> np.ndarray:
        """The plain model's starting values, and no covariate effect."""
        start = self.plain()._start(data, counts)
        return np.r_[start, np.zeros(data["_zp"].shape[1] + data["_zd"].shape[1])]

    def _rows(self, params: np.ndarray, data: dict[str, np.ndarray]) -> list[Any]:
        """Each row's plain-model parameters at (base parameters, coefficients) ``params``."""
        nb, kp = len(self.base_names), data["_zp"].shape[1]
        return self._row_params(params[:nb], data["_zp"], data["_zd"], params[nb : nb + kp], params[nb + kp :])

    def _loglik_terms(self, params: np.ndarray, data: dict[str, np.ndarray]) -> np.ndarray:
        with np.errstate(all="ignore"):
            return self._row_loglik(self._rows(params, data), data)

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
        return row_loglik(r, alpha, a, b, h["frequency"], h["recency"], h["T"])[0]

    def _loglik_grad(self, params: np.ndarray, data: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Per-row log-likelihood and its gradient by (base parameters, coefficients), by the
        chain rule through :meth:`_row_params` from the plain model's per-row derivatives."""
        r, alpha, a, b = rows = self._rows(params, data)
        with np.errstate(all="ignore"):
            terms, d = row_loglik(r, alpha, a, b, data["frequency"], data["recency"], data["T"], grad=True)
        assert d is not None
        # derivatives by log(alpha_i), log(a_i), log(b_i): what the base and coefficients move
        dal, da, db = (np.broadcast_to(v, terms.shape) * d[:, i] for i, v in ((1, rows[1]), (2, rows[2]), (3, rows[3])))
        base = params[:4]
        grads = np.column_stack([d[:, 0], dal / base[1], da / base[2], db / base[3],
                                 -data["_zp"] * dal[:, None], data["_zd"] * (da + db)[:, None]])
        return terms, grads
