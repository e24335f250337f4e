"""BG/NBD (Fader, Hardie & Lee 2005) and the shared machinery of its MBG/NBD variant.

While alive a customer buys as a Poisson process with rate ``lambda ~ Gamma(r, alpha)``; after
each repeat purchase she drops out with probability ``p ~ Beta(a, b)``. The MBG/NBD variant
(:mod:`xuanba.models.mbgnbd`) also lets her drop out right at her first purchase. Both share one
implementation here: with ``k = 0`` (BG/NBD) or ``k = 1`` (MBG/NBD) extra drop-out chances,

* log-likelihood: ``lnGamma(r+x) - lnGamma(r) + r ln(alpha) + ln B(a, b+x+k) - ln B(a, b)
  - (r+x) ln(alpha+T) + log1p(exp(D))`` when ``x+k > 0``, with
  ``D = ln a - ln(b+x+k-1) + (r+x) ln((alpha+T)/(alpha+t_x))`` (analytic gradient below);
* ``P(alive) = 1 / (1 + exp(D))``;
* ``E[Y(t) | x, t_x, T] = (a+b+x+k-1)/(a-1) [1 - (1-z)^(r+x) 2F1(r+x, b+x+k; a+b+x+k-1; z)]
  P(alive)`` with ``z = t/(alpha+T+t)``, computed with Euler's transformation
  (:func:`xuanba.models._special.scaled_hyp2f1`) so that it neither overflows nor loses digits for
  busy histories (frequency 300 over T 400) or for one-purchase customers.

Time is in whatever unit ``recency`` and ``T`` are measured in; ``alpha`` carries that unit (it
scales with it), ``r``, ``a``, ``b`` do not. ``t`` arguments are in the same unit.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import special

from xuanba.errors import ModelError, Phrase
from xuanba.models._base import validate_history, wdot
from xuanba.models._purchases import PurchaseModel, in_two_threads
from xuanba.models._special import log_nbd_pmf, nbd_survival, scaled_hyp2f1

_COLS = ("frequency", "recency", "T")


def row_loglik(
    r: Any, alpha: Any, a: Any, b: Any, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray,
    *, k: int = 0, grad: bool = False, x_index: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Log-likelihood of each history with per-row parameters (arrays broadcast), and with
    ``grad`` its derivatives by ``(r, alpha, a, b)`` of that row (rows x 4).

    The formula of the module docstring, row by row, for BG/NBD (``k = 0``) and MBG/NBD
    (``k = 1``): the per-row likelihood of the plain models and, with per-customer parameters,
    of the covariate model. The exact Hessian of the fit sums the same terms by distinct value
    (:meth:`_BetaGeometricNBD._loglik_sums`, tested against this function). With scalar ``r``,
    ``a``, ``b``, ``x_index = (distinct x, index of each row's x)`` evaluates the special
    functions once per distinct ``x``.

    Examples
    --------
    >>> x, t_x, big_t = np.array([2.0]), np.array([30.43]), np.array([38.86])
    >>> m = BGNBD(); p = np.array([0.243, 4.414, 0.793, 2.426])
    >>> bool(np.isclose(row_loglik(*p, x, t_x, big_t)[0][0], m._loglik_terms(p, {"frequency": x,
    ...     "recency": t_x, "T": big_t})[0]))
    True
    """
    ux, inv = (x, None) if x_index is None else x_index

    def per_row(values: Any) -> Any:  # a function of x (and the shape parameters) for each row
        return values if inv is None else values[inv]

    with np.errstate(divide="ignore", invalid="ignore"):
        log_at, log_atx = np.log(alpha + big_t), np.log(alpha + t_x)
        dead_u = (ux + k) > 0
        inv_b = per_row(np.where(dead_u, 1.0 / (b + ux + k - 1), 0.0))
        d = np.where(per_row(dead_u), np.log(a) + np.log(inv_b) + (r + x) * (log_at - log_atx), -np.inf)
    shape_u = special.gammaln(r + ux) - special.gammaln(r) + special.betaln(a, b + ux + k) - special.betaln(a, b)
    terms = per_row(shape_u) + r * np.log(alpha) - (r + x) * log_at + np.logaddexp(0.0, d)
    if not grad:
        return terms, None
    w = special.expit(d)  # posterior probability of having dropped out
    psi_ab_u = special.digamma(a + b) - special.digamma(a + b + ux + k)
    psi_ab = per_row(psi_ab_u)
    d_r = per_row(special.digamma(r + ux) - special.digamma(r)) + np.log(alpha) - log_at + w * (log_at - log_atx)
    d_alpha = r / alpha - (r + x) / (alpha + big_t) + w * (r + x) * (1 / (alpha + big_t) - 1 / (alpha + t_x))
    d_a = psi_ab + w / a
    d_b = per_row(special.digamma(b + ux + k) - special.digamma(b) + psi_ab_u) - w * inv_b
    grads = np.column_stack([np.broadcast_to(v, terms.shape) for v in (d_r, d_alpha, d_a, d_b)])
    return terms, grads


class _BetaGeometricNBD(PurchaseModel):
    """BG/NBD-type model (``_k`` extra drop-out chances at the first purchase). Not public."""

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    shape_params: ClassVar[tuple[str, ...]] = ("r", "a", "b")
    history_columns: ClassVar[tuple[str, ...]] = _COLS
    _k: ClassVar[int] = 0

    def __init__(self, *, penalizer: float = 0.0, time_unit: str | None = None) -> None:
        super().__init__(penalizer=penalizer)
        self.time_unit = time_unit

    # -- validation ----------------------------------------------------------------------------
    def _validate(self, frame: pd.DataFrame) -> None:
        validate_history(frame)

    def _check_estimates(self, params: pd.Series, n_customers: float) -> None:
        """Raise :class:`ModelError` when an estimate runs off to the edge of the parameter space
        (``r``, ``a`` or ``b`` above 1e5 or below 1e-8): the data then cannot tell the processes
        apart (typically too few customers or no visible drop-out) and predictions would be
        arbitrary."""
        shape = params[["r", "a", "b"]]
        if ((shape > 1e5) | (shape < 1e-8)).any():
            found = ", ".join(f"{k}={v:.3g}" for k, v in params.items())
            raise ModelError(Phrase("err_model_edge", model=type(self).__name__, found=found, n=f"{n_customers:g}"),
                             fix=Phrase("err_model_edge_fix"))

    def _start(self, data: dict[str, np.ndarray], counts: np.ndarray) -> np.ndarray:
        rate = wdot(counts, data["frequency"]) / max(wdot(counts, data["T"]), 1e-12)
        return np.array([1.0, 1.0 / max(rate, 1e-9), 1.0, 3.0])

    def _prepare(self, data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        extra = {}
        for col in _COLS:  # few distinct values each: parameter-dependent work is done on those
            values, inverse = np.unique(data[col], return_inverse=True)
            extra[f"_u_{col}"], extra[f"_i_{col}"] = values, inverse
        return {**data, **extra}

    # -- likelihood ----------------------------------------------------------------------------
    def _loglik_sums(
        self, params: np.ndarray, data: dict[str, np.ndarray], counts: np.ndarray
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """Weighted log-likelihood, its gradient and its exact Hessian (natural parameters).

        Terms that depend on the history through ``x`` or ``T`` alone are summed over the
        distinct values of ``x`` / ``T`` (counts aggregated once); only the drop-out term
        ``log1p(exp(D))`` is evaluated per row, and only on rows where drop-out is possible.
        With ``w = expit(D)`` its second derivatives are ``w (1-w) D_i D_j + w D_ij``.
        """
        r, alpha, a, b = (float(v) for v in params)
        k = self._k
        if "_u_T" not in data:
            data = self._prepare(data)
        if data.get("_sums_for") is not counts:  # parameter-free aggregates, once per fit
            xi, ti = data["_i_frequency"], data["_i_T"]
            nx, nt = len(data["_u_frequency"]), len(data["_u_T"])
            rows = np.flatnonzero(data["frequency"] + k > 0)
            data.update({
                "_sums_for": counts, "_c_x": np.bincount(xi, counts, nx), "_c_T": np.bincount(ti, counts, nt),
                "_cx_T": np.bincount(ti, counts * data["frequency"], nt), "_s_c": counts[rows],
                "_s_x": data["frequency"][rows], "_s_xi": xi[rows], "_s_ti": ti[rows],
                "_s_txi": data["_i_recency"][rows],
            })
        ux, ut, utx = data["_u_frequency"], data["_u_T"], data["_u_recency"]
        c_x, c_t, cx_t, total = data["_c_x"], data["_c_T"], data["_cx_T"], float(counts.sum())
        c, xi, nx = data["_s_c"], data["_s_xi"], len(ux)
        # parts without the drop-out term: special functions per distinct x, logs per distinct T
        lt_u, it_u = np.log(alpha + ut), 1.0 / (alpha + ut)
        rc_t = r * c_t + cx_t  # sum of c (r + x) by distinct T
        g = special.gammaln(r + ux) - special.gammaln(r) + special.gammaln(b + ux + k) - special.gammaln(b)
        g += special.gammaln(a + b) - special.gammaln(a + b + ux + k)
        ll = float(c_x @ g) + total * r * np.log(alpha) - float(rc_t @ lt_u)
        psi_r = special.digamma(r + ux) - special.digamma(r)
        psi_ab = special.digamma(a + b) - special.digamma(a + b + ux + k)
        psi_b = special.digamma(b + ux + k) - special.digamma(b) + psi_ab
        grad = np.array([
            float(c_x @ psi_r) + total * np.log(alpha) - float(c_t @ lt_u),
            total * r / alpha - float(rc_t @ it_u), float(c_x @ psi_ab), float(c_x @ psi_b),
        ])
        tri_ab = special.polygamma(1, a + b) - special.polygamma(1, a + b + ux + k)
        hess = np.zeros((4, 4))
        hess[0, 0] = float(c_x @ (special.polygamma(1, r + ux) - special.polygamma(1, r)))
        hess[0, 1] = total / alpha - float(c_t @ it_u)
        hess[1, 1] = -total * r / alpha**2 + float(rc_t @ it_u**2)
        hess[2, 2] = hess[2, 3] = float(c_x @ tri_ab)
        hess[3, 3] = float(c_x @ (special.polygamma(1, b + ux + k) - special.polygamma(1, b) + tri_ab))
        # the drop-out term, per row where x + k > 0
        with np.errstate(divide="ignore"):
            inv_b = np.where(ux + k > 0, 1.0 / (b + ux + k - 1), 0.0)
            lead = np.log(a) + np.log(inv_b)
        rx = r + data["_s_x"]
        ti, txi = data["_s_ti"], data["_s_txi"]
        it_v, itx_v = it_u[ti], (1.0 / (alpha + utx))[txi]
        diff = lt_u[ti] - np.log(alpha + utx)[txi]
        d = lead[xi] + rx * diff
        ll += wdot(c, np.logaddexp(0.0, d))
        w = special.expit(d)
        u = c * w  # weight of the first derivatives of D
        v = u * (1.0 - w)  # weight of their products
        e = it_v - itx_v
        d_alpha = rx * e
        u_x = np.bincount(xi, u, nx)
        grad += [wdot(u, diff), wdot(u, d_alpha), u_x.sum() / a, -float(u_x @ inv_b)]
        v_diff, v_dalpha = v * diff, v * d_alpha
        vr_x, va_x, v_x = np.bincount(xi, v_diff, nx), np.bincount(xi, v_dalpha, nx), np.bincount(xi, v, nx)
        hess[0, 0] += wdot(v_diff, diff)
        hess[0, 1] += wdot(v_diff, d_alpha) + wdot(u, e)
        hess[0, 2] += vr_x.sum() / a
        hess[0, 3] -= float(vr_x @ inv_b)
        hess[1, 1] += wdot(v_dalpha, d_alpha) + wdot(u, rx * (itx_v**2 - it_v**2))
        hess[1, 2] += va_x.sum() / a
        hess[1, 3] -= float(va_x @ inv_b)
        hess[2, 2] += (v_x.sum() - u_x.sum()) / a**2
        hess[2, 3] -= float(v_x @ inv_b) / a
        hess[3, 3] += float((v_x + u_x) @ inv_b**2)
        upper = np.triu(hess, 1)
        return ll, grad, hess + upper.T

    def _loglik_terms(self, params: np.ndarray, data: dict[str, np.ndarray]) -> np.ndarray:
        return self._rows(params, data, grad=False)[0]

    def _loglik_grad(self, params: np.ndarray, data: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        terms, grads = self._rows(params, data, grad=True)
        assert grads is not None
        return terms, grads

    def _rows(self, params: np.ndarray, data: dict[str, np.ndarray], grad: bool) -> tuple[np.ndarray, np.ndarray | None]:
        r, alpha, a, b = (float(v) for v in params)
        if "_u_frequency" not in data:
            data = self._prepare(data)
        return row_loglik(r, alpha, a, b, data["frequency"], data["recency"], data["T"], k=self._k, grad=grad,
                          x_index=(data["_u_frequency"], data["_i_frequency"]))

    # -- closed forms at given parameters (arrays over distinct histories) ---------------------
    def _log_dead_odds(self, params: np.ndarray, x: np.ndarray, tx: np.ndarray, big_t: np.ndarray) -> np.ndarray:
        r, alpha, a, b = params
        k = self._k
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(
                (x + k) > 0,
                np.log(a) - np.log(b + x + k - 1) + (r + x) * (np.log(alpha + big_t) - np.log(alpha + tx)),
                -np.inf,
            )

    def _alive(self, params: np.ndarray, h: dict[str, np.ndarray]) -> np.ndarray:
        return special.expit(-self._log_dead_odds(params, h["frequency"], h["recency"], h["T"]))

    def _expected_alive(self, params: np.ndarray, x: np.ndarray, big_t: np.ndarray, t: Any) -> np.ndarray:
        """E[purchases in (T, T+t] | alive at T, x repeat purchases by T] (T = 0 for a new customer)."""
        r, alpha, a, b = params
        k = self._k
        log1mz = np.log(alpha + big_t) - np.log(alpha + big_t + t)
        c = a + b + x + k - 1
        f = scaled_hyp2f1(r + x, b + x + k, c, log1mz, r + x)
        return c / (a - 1) * (1 - f)

    def _expected_new(self, params: np.ndarray, t: np.ndarray) -> np.ndarray:
        _, _, a, b = params
        zero = np.zeros_like(t)
        # MBG/NBD: a new customer survives the drop-out chance at her first purchase w.p. b/(a+b)
        alive0 = 1.0 if self._k == 0 else b / (a + b)
        return alive0 * self._expected_alive(params, zero, zero, t)

    def _expected(self, params: np.ndarray, h: dict[str, np.ndarray], t: float) -> np.ndarray:
        pair, first = self._pairs(h)
        alive_part = self._expected_alive(params, h["frequency"][first], h["T"][first], t)
        return alive_part[pair] * self._alive_at(params, h)

    def _expected_combination(
        self, params: np.ndarray, h: dict[str, np.ndarray], ts: np.ndarray, weights: np.ndarray
    ) -> np.ndarray:
        """``[E[Y(t) | history] for t in ts] @ weights`` (histories x columns of ``weights``).

        P(alive) is computed once and the weighted sum over horizons once per (x, T) pair; the
        horizons' columns (a hypergeometric function each) half on another thread when there are
        many pairs (:func:`~xuanba.models._purchases.in_two_threads`).
        """
        pair, first = self._pairs(h)
        x, big_t = h["frequency"][first], h["T"][first]
        alive_parts = np.column_stack(in_two_threads(
            lambda t: self._expected_alive(params, x, big_t, float(t)), list(ts), work=len(x) * len(ts)))
        return np.einsum("ij,jk->ik", alive_parts, weights)[pair] * self._alive_at(params, h)[:, None]

    def _no_purchase(self, params: np.ndarray, h: dict[str, np.ndarray], t: float) -> np.ndarray:
        r, alpha, _, _ = params
        x, big_t = h["frequency"], h["T"]
        alive = self._alive_at(params, h)
        quiet = np.exp((r + x) * (np.log(alpha + big_t) - np.log(alpha + big_t + t)))
        return 1 - alive * (1 - quiet)

    def _pmf(self, params: np.ndarray, n: np.ndarray, t: float) -> np.ndarray:
        r, alpha, a, b = params
        k = self._k
        log_p = np.log(alpha) - np.log(alpha + t)
        log_q = np.log(t) - np.log(alpha + t) if t > 0 else -np.inf
        lb0 = special.betaln(a, b)
        alive = np.exp(special.betaln(a, b + n + k) - lb0 + log_nbd_pmf(n, r, log_p, log_q))
        with np.errstate(divide="ignore", invalid="ignore"):
            dead = np.where(
                (n + k) > 0,
                np.exp(special.betaln(a + 1, b + n + k - 1) - lb0) * np.where(n > 0, nbd_survival(n, r, t / (alpha + t)), 1.0),
                0.0,
            )
        return alive + dead


class BGNBD(_BetaGeometricNBD):
    """Beta-geometric/NBD model of repeat purchasing (Fader, Hardie & Lee 2005).

    Parameters ``r``, ``alpha`` (purchase rate ~ Gamma(r, alpha)) and ``a``, ``b`` (drop-out
    probability after each repeat purchase ~ Beta(a, b)); history columns ``frequency``,
    ``recency``, ``T``. Fitted with the analytic gradient on distinct histories.

    Parameters
    ----------
    penalizer
        L2 penalty on the parameters (0 = maximum likelihood).
    time_unit
        Unit of ``recency`` and ``T`` ("day", "week", "month"), kept with the model for the
        record and for conversions; ``None`` if not stated.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2); n = 400
    >>> lam, life, T = rng.gamma(0.5, 0.2, n), rng.exponential(30, n), rng.uniform(20, 52, n)
    >>> x = rng.poisson(lam * np.minimum(life, T))
    >>> h = pd.DataFrame({"customer_id": range(n), "frequency": x, "T": T,
    ...     "recency": np.where(x > 0, np.minimum(life, T) * rng.beta(x + 1e-9, 1), 0.0)})
    >>> m = BGNBD(time_unit="week").fit(h)
    >>> m is m.fit(h), list(m.summary().columns)
    (True, ['estimate', 'stderr', 'lower_95', 'upper_95'])

    Predictions at the published CDNOW estimates (Fader, Hardie & Lee 2005):

    >>> m = BGNBD(); m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> round(m.expected_purchases_new(52), 2)
    1.45
    >>> h = pd.DataFrame({"customer_id": ["c1"], "frequency": [2], "recency": [30.43], "T": [38.86]})
    >>> round(float(m.expected_purchases(h, 39).iloc[0]), 3)
    1.226
    >>> h = pd.DataFrame({"frequency": [26], "recency": [30.85714], "T": [31.0]})
    >>> round(float(m.probability_alive(h).iloc[0]), 3)
    0.969
    >>> h = pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [0.0]})
    >>> round(float(m.probability_no_purchase(h, 39).iloc[0]), 4)  # = P(X(39) = 0)
    0.5738
    >>> float(f"{m.probability_purchases(10, 2):.5g}")
    1.0787e-07
    """

    _k = 0
