"""BG/BB: beta-geometric/beta-Bernoulli model of discrete-time repeat transactions
(Fader, Hardie & Shang 2010, "Customer-base analysis in a discrete-time noncontractual setting").

At each of ``n`` transaction opportunities after the first, a living customer transacts with
probability ``p ~ Beta(alpha, beta)``; before each opportunity she dies with probability
``theta ~ Beta(gamma, delta)``. A history is ``frequency`` (x, repeat transactions),
``recency`` (t_x, the opportunity of the last one, 0 when none) and ``periods`` (n).

* likelihood ``B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
  + Σ_{i=0}^{n−t_x−1} B(α+x, β+t_x−x+i)/B(α,β) · B(γ+1, δ+t_x+i)/B(γ,δ)``;
* ``P(alive at n+1) = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n+1)/B(γ,δ) / L``;
* ``E[X(n, n+t) | history]`` and DERT are sums of ``P(transaction at n+k)`` =
  ``B(α+x+1, β+n−x)/B(α,β) · B(γ, δ+n+k)/B(γ,δ) / L`` over the next opportunities.

Everything is in log space (``betaln``); the work is per distinct history (at most
``(n+1)(n+2)/2`` of them for one cohort).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import special

from xuanba.errors import InputError, ModelError, Phrase
from xuanba.models._base import ID, Model, history_ids
from xuanba.models._uncertainty import DEFAULT_DRAWS, per_history, scalar_or_series

_COLS = ("frequency", "recency", "periods")


def _check_count(value: Any, name: str) -> None:
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr != np.round(arr)):
        raise InputError(Phrase("err_not_opportunities", name=name, value=repr(value)), fix=Phrase("err_not_opportunities_fix"))


def log_likelihood_parts(
    alpha: float, beta: float, gamma: float, delta: float, x: np.ndarray, t_x: np.ndarray, n: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(log alive-through-n part, log likelihood)`` of each history."""
    x, t_x, n = (np.asarray(v, dtype=float) for v in (x, t_x, n))
    lb_ab = special.betaln(alpha, beta)
    lb_gd = special.betaln(gamma, delta)
    log_alive = special.betaln(alpha + x, beta + n - x) - lb_ab + special.betaln(gamma, delta + n) - lb_gd
    width = int(np.max(n - t_x)) if len(n) else 0
    if width <= 0:
        return log_alive, log_alive
    i = np.arange(width)[None, :]
    dead = (
        special.betaln(alpha + x[:, None], beta + t_x[:, None] - x[:, None] + i) - lb_ab
        + special.betaln(gamma + 1.0, delta + t_x[:, None] + i) - lb_gd
    )
    dead = np.where(i < (n - t_x)[:, None], dead, -np.inf)
    log_dead = special.logsumexp(dead, axis=1)
    return log_alive, np.logaddexp(log_alive, log_dead)


def sample_customers(
    alpha: float, beta: float, gamma: float, delta: float, periods: Any, *, seed: int = 0
) -> pd.DataFrame:
    """Simulate BG/BB histories (``frequency``, ``recency``, ``periods``) for given ``periods``.

    Examples
    --------
    >>> h = sample_customers(1.2, 0.75, 0.66, 2.78, np.full(500, 6), seed=1)
    >>> int(h["frequency"].max()) <= 6, list(h.columns)
    (True, ['customer_id', 'frequency', 'recency', 'periods'])
    """
    rng = np.random.default_rng(seed)
    n = np.asarray(periods, dtype=np.int64)
    size = len(n)
    p = rng.beta(alpha, beta, size)
    theta = rng.beta(gamma, delta, size)
    # the opportunity before which the customer dies (geometric), so she is alive at 1..life-1
    life = rng.geometric(np.clip(theta, 1e-300, 1.0))
    x = np.zeros(size, dtype=np.int64)
    t_x = np.zeros(size, dtype=np.int64)
    for t in range(1, int(n.max(initial=0)) + 1):
        buy = (t < life) & (t <= n) & (rng.random(size) < p)
        x += buy
        t_x[buy] = t
    return pd.DataFrame({ID: np.arange(size), "frequency": x, "recency": t_x, "periods": n})


class BGBB(Model):
    """BG/BB model for discrete transaction opportunities (donations each year, annual events).

    Parameters ``alpha``, ``beta`` (transaction probability ~ Beta) and ``gamma``, ``delta``
    (drop-out probability per opportunity ~ Beta); history columns ``frequency``, ``recency``
    (the opportunity of the last transaction, 0 = none) and ``periods`` (opportunities watched;
    a column ``n_periods`` is accepted too). Time arguments count opportunities.

    Parameters
    ----------
    penalizer
        L2 penalty on the parameters (0 = maximum likelihood).

    Examples
    --------
    >>> m = BGBB()
    >>> m.params_ = pd.Series({"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783})
    >>> round(m.expected_purchases_new(1), 4)
    0.4985
    """

    param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta", "gamma", "delta")
    shape_params: ClassVar[tuple[str, ...]] = ("alpha", "beta", "gamma", "delta")
    history_columns: ClassVar[tuple[str, ...]] = _COLS

    # -- fitting -------------------------------------------------------------------------------
    def _history(self, data: Any, weights: Any = None) -> tuple[pd.DataFrame, np.ndarray | None]:
        from xuanba.models._base import as_frame

        frame = as_frame(data, name="the history table")
        if "periods" not in frame.columns and "n_periods" in frame.columns:
            frame = frame.rename(columns={"n_periods": "periods"})
        return super()._history(frame, weights)

    def _validate(self, frame: pd.DataFrame) -> None:
        x = pd.to_numeric(frame["frequency"]).to_numpy(dtype=float)
        tx = pd.to_numeric(frame["recency"]).to_numpy(dtype=float)
        n = pd.to_numeric(frame["periods"]).to_numpy(dtype=float)
        whole = (x != np.round(x)) | (tx != np.round(tx)) | (n != np.round(n))
        checks = [
            (whole, "frequency", "frequency, recency and periods must be whole numbers of opportunities",
             "BG/BB counts opportunities (e.g. years); aggregate the log to one row per opportunity."),
            ((x < 0) | (n < 0) | (tx < 0), "frequency", "negative counts",
             "frequency, recency and periods are 0 or more."),
            (x > tx, "recency", "frequency is larger than recency",
             "recency is the opportunity of the last transaction, so x transactions need recency >= x."),
            (tx > n, "recency", "recency is larger than periods",
             "The last transaction cannot come after the last opportunity watched."),
            ((x == 0) & (tx != 0), "recency", "customers with frequency 0 have a recency other than 0",
             "With no repeat transaction recency is 0."),
        ]
        for bad, col, message, fix in checks:
            if bad.any():
                raise InputError(message, column=col, count=int(bad.sum()), examples=history_ids(frame, bad), fix=fix)

    def _check_identifiable(self, data: dict[str, np.ndarray], counts: np.ndarray) -> None:
        if not np.any((data["frequency"] > 0) & (counts > 0)):
            raise ModelError(Phrase("err_bgbb_no_repeat"), fix=Phrase("err_bgbb_no_repeat_fix"))
        if len(counts) < 2 or counts.sum() < 2:
            raise ModelError(Phrase("err_bgbb_single", n=f"{counts.sum():g}"), fix=Phrase("err_bgbb_single_fix"))

    def _start(self, data: dict[str, np.ndarray], counts: np.ndarray) -> np.ndarray:
        return np.array([1.0, 1.0, 1.0, 3.0])

    def _loglik_terms(self, params: np.ndarray, data: dict[str, np.ndarray]) -> np.ndarray:
        with np.errstate(all="ignore"):
            return log_likelihood_parts(*params, data["frequency"], data["recency"], data["periods"])[1]

    # -- closed forms at given parameters ------------------------------------------------------
    @staticmethod
    def _log_buy_next(p: np.ndarray, h: dict[str, np.ndarray], k: np.ndarray) -> np.ndarray:
        """log P(transaction at opportunity n+k | history), rows x k."""
        alpha, beta, gamma, delta = p
        x, t_x, n = h["frequency"], h["recency"], h["periods"]
        _, log_l = log_likelihood_parts(alpha, beta, gamma, delta, x, t_x, n)
        head = special.betaln(alpha + x + 1, beta + n - x) - special.betaln(alpha, beta) - log_l
        tail = special.betaln(gamma, delta + n[:, None] + k[None, :]) - special.betaln(gamma, delta)
        return head[:, None] + tail

    @staticmethod
    def _alive(p: np.ndarray, h: dict[str, np.ndarray]) -> np.ndarray:
        alpha, beta, gamma, delta = p
        x, t_x, n = h["frequency"], h["recency"], h["periods"]
        _, log_l = log_likelihood_parts(alpha, beta, gamma, delta, x, t_x, n)
        log_next = (special.betaln(alpha + x, beta + n - x) - special.betaln(alpha, beta)
                    + special.betaln(gamma, delta + n + 1) - special.betaln(gamma, delta))
        return np.exp(log_next - log_l)

    @classmethod
    def _expected(cls, p: np.ndarray, h: dict[str, np.ndarray], t: int) -> np.ndarray:
        if t == 0:
            return np.zeros(len(h["frequency"]))
        return np.exp(cls._log_buy_next(p, h, np.arange(1, t + 1))).sum(axis=1)

    @staticmethod
    def _expected_new(p: np.ndarray, t: np.ndarray) -> np.ndarray:
        alpha, beta, gamma, delta = p
        ratio = np.exp(special.gammaln(gamma + delta) - special.gammaln(1 + delta)
                       + special.gammaln(1 + delta + t) - special.gammaln(gamma + delta + t))
        if abs(gamma - 1.0) < 1e-10:  # limit gamma -> 1: sum of delta/(delta+k)
            return alpha / (alpha + beta) * delta * (special.digamma(delta + 1 + t) - special.digamma(delta + 1))
        return alpha / (alpha + beta) * delta / (gamma - 1) * (1 - ratio)

    @staticmethod
    def _no_purchase(p: np.ndarray, h: dict[str, np.ndarray], t: int) -> np.ndarray:
        alpha, beta, gamma, delta = p
        x, t_x, n = h["frequency"], h["recency"], h["periods"]
        log_alive, log_l = log_likelihood_parts(alpha, beta, gamma, delta, x, t_x, n)
        lb_ab, lb_gd = special.betaln(alpha, beta), special.betaln(gamma, delta)
        dead_now = -np.expm1(log_alive - log_l)
        k = np.arange(t)[None, :]
        die_quiet = (special.betaln(alpha + x[:, None], beta + (n - x)[:, None] + k) - lb_ab
                     + special.betaln(gamma + 1, delta + n[:, None] + k) - lb_gd)
        quiet_alive = (special.betaln(alpha + x, beta + n - x + t) - lb_ab
                       + special.betaln(gamma, delta + n + t) - lb_gd)
        alive_quiet = np.logaddexp(special.logsumexp(die_quiet, axis=1), quiet_alive) if t else quiet_alive
        return np.clip(dead_now + np.exp(alive_quiet - log_l), 0.0, 1.0)

    @classmethod
    def _dert(cls, p: np.ndarray, h: dict[str, np.ndarray], rate: float, horizon: int | None) -> np.ndarray:
        steps = horizon if horizon is not None else int(np.ceil(40.0 / np.log1p(rate)))
        if steps == 0:
            return np.zeros(len(h["frequency"]))
        out = np.zeros(len(h["frequency"]))
        for start in range(1, steps + 1, 50_000):  # chunks keep memory flat for tiny rates
            k = np.arange(start, min(start + 50_000, steps + 1))
            out += np.exp(cls._log_buy_next(p, h, k) - k[None, :] * np.log1p(rate)).sum(axis=1)
        return out

    @staticmethod
    def _pmf(p: np.ndarray, x: np.ndarray, t: int) -> np.ndarray:
        alpha, beta, gamma, delta = p
        lb_ab, lb_gd = special.betaln(alpha, beta), special.betaln(gamma, delta)
        log_choose = special.gammaln(t + 1) - special.gammaln(x + 1) - special.gammaln(t - x + 1)
        alive = np.exp(log_choose + special.betaln(alpha + x, beta + t - x) - lb_ab
                       + special.betaln(gamma, delta + t) - lb_gd)
        i = np.arange(t)[None, :]
        xs = x[:, None]
        with np.errstate(invalid="ignore"):
            term = (special.gammaln(i + 1) - special.gammaln(xs + 1) - special.gammaln(i - xs + 1)
                    + special.betaln(alpha + xs, beta + i - xs) - lb_ab
                    + special.betaln(gamma + 1, delta + i) - lb_gd)
        dead = np.where(i >= xs, np.exp(term), 0.0).sum(axis=1)
        return np.where(x <= t, alive + dead, 0.0)

    # -- public predictions --------------------------------------------------------------------
    def expected_purchases_new(
        self, t: Any, *, interval: float | None = None, n_draws: int = DEFAULT_DRAWS, seed: int = 0
    ) -> float | pd.Series | pd.DataFrame:
        """Expected repeat transactions in the first ``t`` opportunities of a new customer.

        Examples
        --------
        >>> m = BGBB()
        >>> m.params_ = pd.Series({"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783})
        >>> round(m.expected_purchases_new(10), 2)
        3.18
        """
        _check_count(t, "t")
        return scalar_or_series(
            t, "t", self, self._expected_new, "expected_purchases", interval, n_draws, seed
        )

    def expected_purchases(
        self, table: Any, t: int, *, interval: float | None = None, n_draws: int = DEFAULT_DRAWS, seed: int = 0
    ) -> pd.Series | pd.DataFrame:
        """Expected transactions in the next ``t`` opportunities (n+1 .. n+t) given the history."""
        _check_count(t, "t")
        return per_history(
            self, table, _COLS, lambda p, h: self._expected(p, h, int(t)), "expected_purchases",
            interval, n_draws, seed,
        )

    def probability_alive(
        self, table: Any, *, interval: float | None = None, n_draws: int = DEFAULT_DRAWS, seed: int = 0
    ) -> pd.Series | pd.DataFrame:
        """Probability that each customer is alive at the next opportunity (n+1)."""
        return per_history(self, table, _COLS, self._alive, "p_alive", interval, n_draws, seed)

    def probability_no_purchase(
        self, table: Any, t: int, *, interval: float | None = None, n_draws: int = DEFAULT_DRAWS, seed: int = 0
    ) -> pd.Series | pd.DataFrame:
        """Probability of no transaction in the next ``t`` opportunities: a churn score."""
        _check_count(t, "t")
        return per_history(
            self, table, _COLS, lambda p, h: self._no_purchase(p, h, int(t)), "p_no_purchase",
            interval, n_draws, seed,
        )

    def probability_purchases(
        self, n: Any, t: int, *, interval: float | None = None, n_draws: int = DEFAULT_DRAWS, seed: int = 0
    ) -> float | pd.Series | pd.DataFrame:
        """``P(X(t) = n)``: probability of ``n`` repeat transactions in a new customer's first ``t``."""
        _check_count(n, "n")
        _check_count(t, "t")
        return scalar_or_series(
            n, "n", self, lambda p, g: self._pmf(p, g, int(t)), "probability", interval, n_draws, seed
        )

    def expected_discounted_purchases(
        self,
        table: Any,
        discount_rate: float,
        *,
        horizon: int | None = None,
        interval: float | None = None,
        n_draws: int = DEFAULT_DRAWS,
        seed: int = 0,
    ) -> pd.Series | pd.DataFrame:
        """DERT: expected transactions at opportunities n+1, n+2, ... discounted by
        ``(1 + discount_rate)^-k`` (Fader, Hardie & Shang 2010); ``horizon`` opportunities, or all.
        """
        if not np.isfinite(discount_rate) or discount_rate <= 0:
            raise InputError(Phrase("err_discount_opportunity", value=repr(discount_rate)),
                             fix=Phrase("err_discount_opportunity_fix"))
        if horizon is not None:
            _check_count(horizon, "horizon")
        return per_history(
            self, table, _COLS,
            lambda p, h: self._dert(p, h, float(discount_rate), None if horizon is None else int(horizon)),
            "dert", interval, n_draws, seed,
        )

    def sample_customers(self, periods: Any, *, seed: int = 0) -> pd.DataFrame:
        """Simulate histories from the fitted parameters for the given numbers of opportunities."""
        self._require_fitted()
        return sample_customers(*self.params_.to_numpy(dtype=float), periods, seed=seed)
