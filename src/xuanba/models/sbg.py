"""Shifted-beta-geometric (sBG) model of contract retention (Fader & Hardie 2007, "How to project
customer retention", Journal of Interactive Marketing 21(1); discounted lifetimes from Fader &
Hardie 2010, "Customer-base valuation in a contractual setting", Marketing Science 29(1)).

Each customer churns at the end of every period with her own probability ``theta ~ Beta(gamma,
delta)``. With ``T`` the number of periods a customer stays:

* ``P(T = t) = B(γ+1, δ+t−1)/B(γ,δ)``, ``S(t) = P(T > t) = B(γ, δ+t)/B(γ,δ)``;
* retention rate of period t: ``r_t = S(t)/S(t−1) = (δ+t−1)/(γ+δ+t−1)`` (it rises with t: the
  customers who churn easily leave first);
* expected lifetime ``Σ_{t>=0} S(t) = (γ+δ−1)/(γ−1)`` for ``γ > 1`` (infinite otherwise);
* DEL (new customer, discount rate d) ``= 2F1(1, δ; γ+δ; 1/(1+d))`` and DERL of a customer who
  has made ``n`` renewals ``= (δ+n)/(γ+δ+n) · 2F1(1, δ+n+1; γ+δ+n+1; 1/(1+d))`` (FH 2010 with
  their ``n−1`` renewals = our ``n``: the next renewal's payment counted at once, later ones
  discounted).

Input, one row per customer (or per distinct history with ``weights``): ``churned`` — 1 if she
has left, 0 if she is still active (right-censored); ``periods`` — for a churned customer the
number of periods she was active (``T``: she left at the end of period T, after T−1 renewals),
for an active one the renewals she has made (``P(T > periods)``; a new customer has 0). A
cohort's retention series (active customers at the start of each period; those at the start of
period t have renewed t times) becomes that table with :func:`lifetimes_from_survivors`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import special

from xuanba.errors import InputError, ModelError, Phrase
from xuanba.models._base import ID, Model
from xuanba.models._uncertainty import DEFAULT_DRAWS, per_history, scalar_or_series

_COLS = ("periods", "churned")


def lifetimes_from_survivors(active: Any) -> pd.DataFrame:
    """A cohort's retention series → the per-lifetime table the sBG is fitted on.

    ``active[t]`` is the number of customers still active at the start of period ``t``
    (``active[0]`` = cohort size). Customers lost between ``t−1`` and ``t`` churned in period
    ``t``; the ``active[-1]`` still there are censored at ``len(active) − 1`` periods.

    Examples
    --------
    >>> lifetimes_from_survivors([1000, 631, 468])
       periods  churned  weights
    0        1        1    369.0
    1        2        1    163.0
    2        2        0    468.0
    """
    counts = np.asarray(active, dtype=float)
    if counts.ndim != 1 or len(counts) < 2:
        raise InputError(Phrase("err_retention_short"), fix=Phrase("err_retention_short_fix"))
    lost = counts[:-1] - counts[1:]
    if np.any(~np.isfinite(counts)) or np.any(counts < 0):
        raise InputError(Phrase("err_retention_increases"), fix=Phrase("err_retention_increases_fix"))
    if np.any(lost < 0):
        bad = np.flatnonzero(lost < 0) + 1  # the periods that begin with more than the one before
        raise InputError(Phrase("err_retention_rises"), count=int(len(bad)), examples=[int(b) for b in bad],
                         fix=Phrase("err_retention_increases_fix"))
    k = len(counts) - 1
    return pd.DataFrame({
        "periods": np.r_[np.arange(1, k + 1), k],
        "churned": np.r_[np.ones(k, dtype=int), 0],
        "weights": np.r_[lost, counts[-1]],
    })


def sample_customers(gamma: float, delta: float, periods: Any, *, seed: int = 0) -> pd.DataFrame:
    """Simulate sBG lifetimes, censored after ``periods`` observed periods.

    Examples
    --------
    >>> h = sample_customers(0.7, 1.2, np.full(100, 7), seed=1)
    >>> int(h["periods"].max()) <= 7
    True
    """
    rng = np.random.default_rng(seed)
    watch = np.asarray(periods, dtype=np.int64)
    theta = rng.beta(gamma, delta, len(watch))
    life = rng.geometric(np.clip(theta, 1e-300, 1.0))
    churned = life <= watch
    return pd.DataFrame({ID: np.arange(len(watch)), "periods": np.where(churned, life, watch),
                         "churned": churned.astype(int)})


def _log_hyp_one(b: np.ndarray, c: np.ndarray, z: float) -> np.ndarray:
    """log 2F1(1, b; c; z) for c > b > 0, 0 <= z < 1, by direct summation of its positive terms."""
    b, c = np.broadcast_arrays(np.asarray(b, dtype=float), np.asarray(c, dtype=float))
    steps = int(min(np.ceil(40.0 / max(-np.log(z), 1e-12)), 2_000_000)) if z > 0 else 1
    total = np.zeros(b.shape)
    log_term = np.zeros(b.shape)
    for start in range(0, steps, 50_000):
        k = np.arange(start, min(start + 50_000, steps))
        logs = np.log(b[..., None] + k) - np.log(c[..., None] + k) + np.log(z)
        run = log_term[..., None] + np.concatenate([np.zeros(b.shape + (1,)), np.cumsum(logs, axis=-1)[..., :-1]], axis=-1)
        total = total + np.exp(run).sum(axis=-1)
        log_term = run[..., -1] + logs[..., -1]
    return np.log(total)


class ShiftedBetaGeometric(Model):
    """sBG retention model of a contractual customer base (Fader & Hardie 2007).

    Parameters ``gamma``, ``delta`` of the Beta distribution of the churn probability per
    period; history columns ``periods`` and ``churned`` (see the module docstring, and
    :func:`lifetimes_from_survivors` for a cohort's retention series).

    Parameters
    ----------
    penalizer
        L2 penalty on the parameters (0 = maximum likelihood).

    Examples
    --------
    >>> regular = [1000, 631, 468, 382, 326, 289, 262, 241]  # Fader & Hardie (2007)
    >>> m = ShiftedBetaGeometric().fit(lifetimes_from_survivors(regular))
    >>> [round(float(v), 3) for v in m.params_]
    [0.704, 1.182]
    """

    param_names: ClassVar[tuple[str, ...]] = ("gamma", "delta")
    shape_params: ClassVar[tuple[str, ...]] = ("gamma", "delta")
    history_columns: ClassVar[tuple[str, ...]] = _COLS

    def _validate(self, frame: pd.DataFrame) -> None:
        t = pd.to_numeric(frame["periods"]).to_numpy(dtype=float)
        c = pd.to_numeric(frame["churned"]).to_numpy(dtype=float)
        checks = [
            ((t != np.round(t)) | (t < 0), "periods", "periods must be whole numbers, 0 or more",
             "periods counts the contract periods a customer has been active."),
            ((t == 0) & (c == 1), "periods", "a customer cannot churn in period 0",
             "A churned customer was active for at least one period: periods >= 1."),
            (~np.isin(c, (0, 1)), "churned", "churned must be 0 or 1 (True/False)",
             "1 if the customer has left, 0 if still active."),
        ]
        for bad, col, message, fix in checks:
            if bad.any():
                ids = (frame.loc[bad, ID] if ID in frame.columns else frame.index[bad]).tolist()
                raise InputError(message, column=col, count=int(bad.sum()), examples=ids, fix=fix)

    def _check_identifiable(self, data: dict[str, np.ndarray], counts: np.ndarray) -> None:
        churned = (data["churned"] == 1) & (counts > 0)
        if not churned.any():
            raise ModelError(Phrase("err_sbg_no_churn"), fix=Phrase("err_sbg_no_churn_fix"))
        if len(np.unique(data["periods"][churned])) < 2 and not np.any((data["churned"] == 0) & (counts > 0)):
            raise ModelError(Phrase("err_sbg_one_period"), fix=Phrase("err_sbg_one_period_fix"))

    def _start(self, data: dict[str, np.ndarray], counts: np.ndarray) -> np.ndarray:
        return np.array([1.0, 1.0])

    def _loglik_terms(self, params: np.ndarray, data: dict[str, np.ndarray]) -> np.ndarray:
        gamma, delta = params
        t, c = data["periods"], data["churned"]
        lb = special.betaln(gamma, delta)
        with np.errstate(all="ignore"):
            churn = special.betaln(gamma + 1, delta + t - 1) - lb
            stay = special.betaln(gamma, delta + t) - lb
        return np.where(c == 1, churn, stay)

    # -- curves --------------------------------------------------------------------------------
    def survival(
        self, t: Any, *, interval: float | None = None, n_draws: int = DEFAULT_DRAWS, seed: int = 0
    ) -> float | pd.Series | pd.DataFrame:
        """Share of a new cohort still active at the start of period ``t`` (``S(t)``, S(0) = 1).

        Examples
        --------
        >>> m = ShiftedBetaGeometric(); m.params_ = pd.Series({"gamma": 0.704, "delta": 1.182})
        >>> round(100 * m.survival(8), 1)
        22.0
        """
        _check_periods(t, "t")
        return scalar_or_series(
            t, "t", self, lambda p, g: np.exp(special.betaln(p[0], p[1] + g) - special.betaln(p[0], p[1])),
            "survival", interval, n_draws, seed,
        )

    def retention_rate(
        self, t: Any, *, interval: float | None = None, n_draws: int = DEFAULT_DRAWS, seed: int = 0
    ) -> float | pd.Series | pd.DataFrame:
        """Retention rate of period ``t >= 1``: share of those active at ``t−1`` still active at ``t``."""
        _check_periods(t, "t", minimum=1)
        return scalar_or_series(
            t, "t", self, lambda p, g: (p[1] + g - 1) / (p[0] + p[1] + g - 1), "retention_rate",
            interval, n_draws, seed,
        )

    def probability_churn(
        self, t: Any, *, interval: float | None = None, n_draws: int = DEFAULT_DRAWS, seed: int = 0
    ) -> float | pd.Series | pd.DataFrame:
        """``P(T = t)``: share of a new cohort that churns in period ``t >= 1``."""
        _check_periods(t, "t", minimum=1)
        return scalar_or_series(
            t, "t", self,
            lambda p, g: np.exp(special.betaln(p[0] + 1, p[1] + g - 1) - special.betaln(p[0], p[1])),
            "probability", interval, n_draws, seed,
        )

    def expected_lifetime(
        self, horizon: int | None = None, *, interval: float | None = None, n_draws: int = DEFAULT_DRAWS,
        seed: int = 0,
    ) -> float | pd.DataFrame:
        """Expected number of periods a new customer stays (``Σ_{t<H} S(t)``).

        Without ``horizon`` this is ``(γ+δ−1)/(γ−1)``, infinite when ``γ <= 1`` (a heavy tail of
        customers who almost never churn); give a ``horizon`` to cap it.
        """
        if horizon is not None:
            _check_periods(horizon, "horizon")

        def compute(p: np.ndarray, _: np.ndarray) -> np.ndarray:
            gamma, delta = p
            if horizon is None:
                return np.array([(gamma + delta - 1) / (gamma - 1) if gamma > 1 else np.inf])
            t = np.arange(int(horizon))
            return np.array([np.exp(special.betaln(gamma, delta + t) - special.betaln(gamma, delta)).sum()])

        out = scalar_or_series(0.0, "t", self, compute, "expected_lifetime", interval, n_draws, seed)
        if isinstance(out, pd.DataFrame):
            return out.reset_index(drop=True)
        return out

    def expected_discounted_lifetime(
        self, discount_rate: float, *, interval: float | None = None, n_draws: int = DEFAULT_DRAWS, seed: int = 0
    ) -> float | pd.DataFrame:
        """DEL: discounted expected lifetime of a new customer, ``Σ_t S(t)/(1+d)^t`` (FH 2010).

        Examples
        --------
        >>> m = ShiftedBetaGeometric(); m.params_ = pd.Series({"gamma": 0.704, "delta": 1.182})
        >>> round(m.expected_discounted_lifetime(0.10), 3)
        3.695
        """
        _check_rate(discount_rate)
        z = 1.0 / (1.0 + discount_rate)

        def compute(p: np.ndarray, _: np.ndarray) -> np.ndarray:
            return np.exp(_log_hyp_one(np.array([p[1]]), np.array([p[0] + p[1]]), z))

        out = scalar_or_series(0.0, "t", self, compute, "del", interval, n_draws, seed)
        return out.reset_index(drop=True) if isinstance(out, pd.DataFrame) else out

    def probability_alive(
        self, table: Any, t: int = 1, *, interval: float | None = None, n_draws: int = DEFAULT_DRAWS,
        seed: int = 0,
    ) -> pd.Series | pd.DataFrame:
        """Probability that each customer is still active ``t`` periods from now (renews ``t``
        more times), given ``n = periods`` renewals so far: ``B(γ, δ+n+t)/B(γ, δ+n)``; 0 if churned.

        Examples
        --------
        >>> m = ShiftedBetaGeometric(); m.params_ = pd.Series({"gamma": 0.704, "delta": 1.182})
        >>> h = pd.DataFrame({"periods": [1, 7, 7], "churned": [0, 0, 1]})
        >>> m.probability_alive(h).round(3).tolist()  # = retention rates of periods 2 and 8
        [0.756, 0.921, 0.0]
        """
        _check_periods(t, "t")

        def compute(p: np.ndarray, h: dict[str, np.ndarray]) -> np.ndarray:
            gamma, delta = p
            b = delta + h["periods"]  # posterior Beta(gamma, delta + renewals made)
            val = np.exp(special.betaln(gamma, b + int(t)) - special.betaln(gamma, b))
            return np.where(h["churned"] == 1, 0.0, val)

        return per_history(self, table, _COLS, compute, "p_alive", interval, n_draws, seed)

    def expected_residual_lifetime(
        self, table: Any, discount_rate: float, *, interval: float | None = None,
        n_draws: int = DEFAULT_DRAWS, seed: int = 0,
    ) -> pd.Series | pd.DataFrame:
        """DERL of each customer (Fader & Hardie 2010): discounted expected future periods.

        ``table`` has ``periods`` (``n``: renewals made so far by an active customer — FH 2010's
        customer with ``n`` renewals, in her period ``n+1``) and ``churned`` (churned customers get
        0). ``Σ_{k>=1} S(n+k)/S(n)/(1+d)^(k−1)``: the next renewal counts in full, later ones are
        discounted by ``(1 + discount_rate)`` per period. Multiply by the margin per period for
        the residual value of the contract.

        Examples
        --------
        >>> m = ShiftedBetaGeometric(); m.params_ = pd.Series({"gamma": 0.704, "delta": 1.182})
        >>> h = pd.DataFrame({"periods": [1, 5, 5], "churned": [0, 0, 1]})
        >>> m.expected_residual_lifetime(h, 0.10).round(3).tolist()
        [4.103, 6.265, 0.0]
        """
        _check_rate(discount_rate)
        z = 1.0 / (1.0 + discount_rate)

        def compute(p: np.ndarray, h: dict[str, np.ndarray]) -> np.ndarray:
            gamma, delta = p
            n = h["periods"]
            val = (delta + n) / (gamma + delta + n) * np.exp(_log_hyp_one(delta + n + 1, gamma + delta + n + 1, z))
            return np.where(h["churned"] == 1, 0.0, val)

        return per_history(self, table, _COLS, compute, "derl", interval, n_draws, seed)

    def sample_customers(self, periods: Any, *, seed: int = 0) -> pd.DataFrame:
        """Simulate lifetimes from the fitted parameters, censored after ``periods``."""
        self._require_fitted()
        return sample_customers(*self.params_.to_numpy(dtype=float), periods, seed=seed)


def _check_periods(t: Any, name: str, minimum: int = 0) -> None:
    arr = np.asarray(t, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr < minimum) or np.any(arr != np.round(arr)):
        raise InputError(Phrase("err_not_periods", name=name, value=repr(t), minimum=str(minimum)),
                         fix=Phrase("err_not_periods_fix"))


def _check_rate(rate: float) -> None:
    if not np.isfinite(rate) or rate <= 0:
        raise InputError(Phrase("err_discount_period", value=repr(rate)), fix=Phrase("err_discount_period_fix"))
