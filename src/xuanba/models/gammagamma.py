"""Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV").

Each transaction's value is Gamma(p, nu) with a customer-level ``nu ~ Gamma(q, v)`` (``v`` is
the γ of the paper). It is fitted on each customer's number of repeat purchases ``x`` and their
mean value ``m``: only customers with ``x > 0`` and ``m > 0`` carry information, so the others are
left out **and listed** in ``excluded_`` with the reason (no repeat purchase; zero or negative
spend, e.g. returns and credit notes netted). The model assumes spend does not depend on the
purchase frequency; the correlation of the two over the fitted customers is reported as
``frequency_spend_correlation_`` with a warning in ``assumption_warning_`` when it is notable.
Fit it on revenue and apply a margin afterwards (:mod:`xuanba.models.value`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import special

from xuanba.errors import InputError, ModelError, Phrase
from xuanba.models._base import ID, Model, wdot
from xuanba.models._uncertainty import DEFAULT_DRAWS, per_history

#: |correlation| of frequency and mean spend from which the independence assumption is flagged.
CORRELATION_WARNING = 0.3

NO_REPEAT = "no repeat purchase"
NON_POSITIVE = "zero or negative spend"


def spend_exclusions(frequency: Any, monetary_value: Any) -> tuple[np.ndarray, np.ndarray]:
    """The customers Gamma-Gamma leaves out, by reason: ``(no repeat purchase, zero or negative
    spend)`` as two disjoint masks (what the fit lists in ``excluded_``, and whose expected spend
    is the population mean).

    >>> a, b = spend_exclusions([0, 2, 3], [0.0, 10.0, -4.0])
    >>> a.tolist(), b.tolist()
    ([True, False, False], [False, False, True])
    """
    x, m = _floats(frequency), _floats(monetary_value)
    no_repeat = x <= 0
    return no_repeat, ~no_repeat & (m <= 0)


def _floats(values: Any) -> np.ndarray:
    """``values`` as floats, anything that is not a number as NaN (a numeric column as it is)."""
    series = pd.Series(values)
    if not pd.api.types.is_numeric_dtype(series.dtype):
        series = pd.to_numeric(series, errors="coerce")
    return series.to_numpy(dtype=float, na_value=np.nan)


class GammaGamma(Model):
    """Gamma-Gamma spend model with parameters ``p``, ``q``, ``v`` (γ in the paper).

    History columns ``frequency`` (repeat purchases) and ``monetary_value`` (their mean value).

    Examples
    --------
    >>> import pandas as pd
    >>> h = pd.DataFrame({"customer_id": list("abcdef"), "frequency": [1, 2, 5, 0, 3, 1],
    ...                   "monetary_value": [20.0, 35.0, 28.0, 0.0, 60.0, -5.0]})
    >>> m = GammaGamma().fit(h)
    >>> m.excluded_.to_dict("records")
    [{'customer_id': 'd', 'reason': 'no repeat purchase'}, {'customer_id': 'f', 'reason': 'zero or negative spend'}]
    """

    param_names: ClassVar[tuple[str, ...]] = ("p", "q", "v")
    history_columns: ClassVar[tuple[str, ...]] = ("frequency", "monetary_value")

    def _fit_data(
        self, frame: pd.DataFrame, weights: Any
    ) -> tuple[dict[str, np.ndarray], np.ndarray, list[str]]:
        """Only customers with repeat purchases and positive mean spend are fitted; the others
        are listed in ``excluded_`` with the reason."""
        missing = [c for c in self.history_columns if c not in frame.columns]
        if missing:
            raise InputError(
                Phrase("err_model_needs_columns", model="GammaGamma", needed=str(list(self.history_columns)),
                       missing=str(missing)),
                fix=Phrase("err_model_columns_fix", columns=str(list(frame.columns))),
            )
        no_repeat, non_positive = spend_exclusions(frame["frequency"], frame["monetary_value"])
        keep = ~(no_repeat | non_positive)
        ids = frame[ID] if ID in frame.columns else pd.Series(frame.index, index=frame.index)
        # reasons as a categorical built for the excluded rows only, and the ids taken in their own
        # kind (a Python string per customer of a 10 M base costs seconds and hundreds of MB)
        reason = pd.Categorical.from_codes(non_positive[~keep].astype(np.int8), categories=[NO_REPEAT, NON_POSITIVE])
        self.excluded_ = pd.DataFrame({ID: ids.array[~keep], "reason": reason})
        self.excluded_counts_ = {
            NO_REPEAT: int(no_repeat.sum()),
            NON_POSITIVE: int(non_positive.sum()),
        }
        cols = list(self.history_columns)
        if weights is None and self.weight_column and self.weight_column in frame.columns:
            cols.append(self.weight_column)
        kept = frame.loc[keep, cols]  # the columns the fit reads, not a copy of the whole table
        w = None
        if weights is not None:
            w = np.asarray(weights, dtype=float)[keep]
        elif self.weight_column and self.weight_column in kept.columns:
            w = kept[self.weight_column].to_numpy(dtype=float)
        if len(kept) < 2:
            raise ModelError(
                Phrase("err_gg_too_few", n=str(len(kept))),
                count=len(self.excluded_),
                examples=self.excluded_[ID].tolist(),
                fix=Phrase("err_gg_too_few_fix"),
            )
        self._set_correlation(kept, w)
        return super()._fit_data(kept[list(self.history_columns)], w)

    def _set_correlation(self, kept: pd.DataFrame, w: np.ndarray | None) -> None:
        x = kept["frequency"].to_numpy(dtype=float)
        m = kept["monetary_value"].to_numpy(dtype=float)
        w = np.ones(len(x)) if w is None else w
        if np.ptp(x) == 0 or np.ptp(m) == 0:
            corr = float("nan")
        else:  # weighted moments by wdot: np.cov's BLAS product threads, and waits, on a busy machine
            total = float(w.sum())
            dx, dm = x - wdot(w, x) / total, m - wdot(w, m) / total
            corr = wdot(w * dx, dm) / np.sqrt(wdot(w * dx, dx) * wdot(w * dm, dm))
        self.frequency_spend_correlation_ = corr
        self.assumption_warning_ = (
            f"frequency and mean spend are correlated (r = {corr:.2f}); the Gamma-Gamma model assumes "
            "they are independent, so its spend predictions are biased for frequent buyers"
            if np.isfinite(corr) and abs(corr) >= CORRELATION_WARNING
            else None
        )

    def _validate(self, frame: pd.DataFrame) -> None:
        """Rows reaching here have frequency > 0 and monetary_value > 0 (fit filters the rest)."""

    def _start(self, data: dict[str, np.ndarray], counts: np.ndarray) -> np.ndarray:
        mean = wdot(counts, data["monetary_value"]) / float(counts.sum())
        return np.array([1.0, 2.0, mean])

    def _check_identifiable(self, data: dict[str, np.ndarray], counts: np.ndarray) -> None:
        if len(counts) < 2:
            raise ModelError(Phrase("err_gg_single"), fix=Phrase("err_gg_single_fix"))

    def _prepare(self, data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Parameter-free pieces computed once: logs of x and m, and the distinct values of x
        (the Gamma functions of the likelihood depend on the row only through x, which takes few
        values, so they are evaluated once per distinct x instead of once per row)."""
        x, m = data["frequency"], data["monetary_value"]
        x_unique, x_inverse = np.unique(x, return_inverse=True)
        return {**data, "_log_m": np.log(m), "_log_x": np.log(x), "_x_unique": x_unique,
                "_x_inverse": x_inverse}

    def _loglik_grad(self, params: np.ndarray, data: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        p, q, v = (float(t) for t in params)
        if "_x_unique" not in data:
            data = self._prepare(data)
        x, m = data["frequency"], data["monetary_value"]
        log_m, log_x, inv = data["_log_m"], data["_log_x"], data["_x_inverse"]
        pxu = p * data["_x_unique"]
        const_u = special.gammaln(pxu + q) - special.gammaln(pxu) - special.gammaln(q) + q * np.log(v)
        psi_u = special.digamma(pxu + q)
        dpsi_u = psi_u - special.digamma(pxu)
        px = p * x
        xm_v = x * m + v
        log_xm_v = np.log(xm_v)
        terms = const_u[inv] + (px - 1) * log_m + px * log_x - (px + q) * log_xm_v
        grads = np.empty((len(x), 3))
        grads[:, 0] = x * (dpsi_u[inv] + log_m + log_x - log_xm_v)
        grads[:, 1] = psi_u[inv] - special.digamma(q) + np.log(v) - log_xm_v
        grads[:, 2] = q / v - (px + q) / xm_v
        return terms, grads

    def _loglik_terms(self, params: np.ndarray, data: dict[str, np.ndarray]) -> np.ndarray:
        return self._loglik_grad(params, data)[0]

    def _loglik_sums(
        self, params: np.ndarray, data: dict[str, np.ndarray], counts: np.ndarray
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """Weighted log-likelihood, gradient and exact Hessian in one pass (a Newton fit).

        With ``u = xm + v`` the second derivatives are ``x²(ψ'(px+q) − ψ'(px))``,
        ``x ψ'(px+q)``, ``−x/u`` (p with p, q, v), ``ψ'(px+q) − ψ'(q)``, ``1/v − 1/u`` (q with
        q, v) and ``−q/v² + (px+q)/u²`` (v with v). The Gamma functions depend on the row only
        through ``x`` and are summed per distinct ``x``; the terms in ``m`` alone are sums fixed
        for the fit; per row there remain ``log u``, ``1/u`` and ``1/u²``, summed with the
        weights ``c`` and ``c x`` (:meth:`_loglik_grad` is the same likelihood row by row).
        """
        p, q, v = (float(t) for t in params)
        if "_x_unique" not in data:
            data = self._prepare(data)
        if data.get("_sums_for") is not counts:  # parameter-free aggregates, once per fit
            x = data["frequency"]
            cx = counts * x
            data.update({
                "_sums_for": counts, "_cx": cx, "_xm": x * data["monetary_value"],
                "_w_u": np.bincount(data["_x_inverse"], weights=counts, minlength=len(data["_x_unique"])),
                "_a_p": wdot(cx, data["_log_m"] + data["_log_x"]), "_a_0": wdot(counts, data["_log_m"]),
            })
        xu, w_u, cx, total = data["_x_unique"], data["_w_u"], data["_cx"], float(counts.sum())
        inv_u = 1.0 / (data["_xm"] + v)
        log_u = -np.log(inv_u)
        inv_u2 = inv_u * inv_u
        s_l, s_xl = wdot(counts, log_u), wdot(cx, log_u)
        s_i, s_xi = wdot(counts, inv_u), wdot(cx, inv_u)
        s_i2, s_xi2 = wdot(counts, inv_u2), wdot(cx, inv_u2)
        pxu = p * xu
        const_u = special.gammaln(pxu + q) - special.gammaln(pxu) - special.gammaln(q) + q * np.log(v)
        psi_u = special.digamma(pxu + q)
        tri_pq = special.polygamma(1, pxu + q)
        tri_p = special.polygamma(1, pxu)
        ll = float(w_u @ const_u) + p * data["_a_p"] - data["_a_0"] - p * s_xl - q * s_l
        grad = np.array([
            float(w_u @ (xu * (psi_u - special.digamma(pxu)))) + data["_a_p"] - s_xl,
            float(w_u @ psi_u) - total * float(special.digamma(q)) + total * np.log(v) - s_l,
            total * q / v - p * s_xi - q * s_i,
        ])
        hess = np.empty((3, 3))
        hess[0, 0] = float(w_u @ (xu**2 * (tri_pq - tri_p)))
        hess[0, 1] = hess[1, 0] = float(w_u @ (xu * tri_pq))
        hess[0, 2] = hess[2, 0] = -s_xi
        hess[1, 1] = float(w_u @ tri_pq) - total * float(special.polygamma(1, q))
        hess[1, 2] = hess[2, 1] = total / v - s_i
        hess[2, 2] = -total * q / v**2 + p * s_xi2 + q * s_i2
        return ll, grad, hess

    # -- persistence ---------------------------------------------------------------------------
    def _save_extra(self) -> dict[str, Any]:
        return {
            "excluded_counts": self.excluded_counts_,
            "frequency_spend_correlation": self.frequency_spend_correlation_,
            "assumption_warning": self.assumption_warning_,
        }

    def _load_extra(self, extra: dict[str, Any]) -> None:
        self.excluded_counts_ = dict(extra.get("excluded_counts", {}))
        self.frequency_spend_correlation_ = float(extra.get("frequency_spend_correlation", float("nan")))
        self.assumption_warning_ = extra.get("assumption_warning")
        # the ids themselves are not saved (they can be millions); the counts are
        self.excluded_ = pd.DataFrame({ID: [], "reason": []})

    # -- predictions ---------------------------------------------------------------------------
    def mean_spend(self) -> float:
        """Population mean spend per transaction ``p v / (q - 1)``.

        Examples
        --------
        >>> m = GammaGamma(); m.params_ = pd.Series({"p": 6.25, "q": 3.74, "v": 15.44})
        >>> round(m.mean_spend(), 2)
        35.22
        """
        self._require_fitted()
        p, q, v = self.params_.to_numpy(dtype=float)
        _require_finite_mean(q)
        return float(p * v / (q - 1))

    @staticmethod
    def _conditional(params: np.ndarray, h: dict[str, np.ndarray]) -> np.ndarray:
        p, q, v = params
        _require_finite_mean(q)
        x = h["frequency"]
        usable = (x > 0) & (h["monetary_value"] > 0)
        x = np.where(usable, x, 0.0)
        m = np.where(usable, h["monetary_value"], 0.0)
        return p * (v + x * m) / (p * x + q - 1)

    def expected_spend(
        self, table: Any, *, interval: float | None = None, n_draws: int = DEFAULT_DRAWS, seed: int = 0
    ) -> pd.Series | pd.DataFrame:
        """Expected spend per future transaction of each customer, given her frequency and mean spend.

        Customers the model could not use (no repeat purchase, zero or negative mean spend) get
        the population mean :meth:`mean_spend`.

        Examples
        --------
        >>> m = GammaGamma(); m.params_ = pd.Series({"p": 6.25, "q": 3.74, "v": 15.44})
        >>> h = pd.DataFrame({"customer_id": [1, 2], "frequency": [2, 0], "monetary_value": [22.35, 0.0]})
        >>> m.expected_spend(h).round(2).tolist()
        [24.66, 35.22]
        """
        return per_history(
            self, table, self.history_columns, self._conditional, "expected_spend", interval, n_draws, seed,
            group=False,  # mean spend is continuous: a formula per row beats grouping the rows
        )


def _require_finite_mean(q: float) -> None:
    if q <= 1:
        raise ModelError(Phrase("err_gg_infinite", q=f"{q:.3g}"), fix=Phrase("err_gg_infinite_fix"))
