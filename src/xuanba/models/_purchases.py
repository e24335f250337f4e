"""The prediction methods every continuous-time purchase model offers (BG/NBD, MBG/NBD, Pareto/NBD).

A model supplies the closed forms at given parameters — ``_expected_new(p, t)``,
``_expected(p, h, t)``, ``_alive(p, h)``, ``_no_purchase(p, h, t)``, ``_pmf(p, n, t)`` — and
inherits the public, vectorised methods here: checked arguments, one evaluation per distinct
history joined back by customer, and intervals from parameter draws.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from xuanba.errors import InputError, ModelError, Phrase
from xuanba.models._base import Model
from xuanba.models._uncertainty import DEFAULT_DRAWS, per_history, scalar_or_series


def check_horizon(t: Any, name: str = "t") -> None:
    """Raise :class:`InputError` unless ``t`` is a non-negative number (or array of them)."""
    arr = np.asarray(t, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InputError(Phrase("err_horizon_negative", name=name, value=repr(t)), fix=Phrase("err_horizon_negative_fix"))


#: Below this many values (rows x columns) :func:`in_two_threads` computes every column here.
TWO_THREADS_WORK = 1 << 17


def in_two_threads(column: Any, args: list[Any], *, work: int) -> list[np.ndarray]:
    """``[column(a) for a in args]``, the second half on another thread when ``work`` (the values
    computed) is at least :data:`TWO_THREADS_WORK`: each column is its own (the same numbers
    whichever thread computes it), and the special functions of a column (``hyp2f1``) release
    the GIL, so two cores share them. The other thread runs in a copy of the caller's context
    (NumPy's ``errstate`` included).

    Example
    -------
    >>> [float(v[0]) for v in in_two_threads(lambda t: np.array([t * 2.0]), [1, 2, 3], work=1 << 20)]
    [2.0, 4.0, 6.0]
    """
    if work < TWO_THREADS_WORK or len(args) < 2:
        return [column(a) for a in args]
    import contextvars
    from concurrent.futures import ThreadPoolExecutor, wait

    half = len(args) // 2
    with ThreadPoolExecutor(max_workers=1) as pool:
        # in a copy of this context: NumPy's error state (np.errstate) is the caller's there too
        later = pool.submit(contextvars.copy_context().run, lambda: [column(a) for a in args[half:]])
        try:
            first = [column(a) for a in args[:half]]
        except BaseException:
            wait([later])  # the first column's error is the one raised, as one after the other
            raise
        rest = later.result()
    return first + rest


def check_identifiable(name: str, data: dict[str, np.ndarray], counts: np.ndarray) -> None:
    """Raise ModelError when no customer repeated or there is a single customer."""
    if not np.any((data["frequency"] > 0) & (counts > 0)):
        raise ModelError(Phrase("err_model_no_repeat", model=name), fix=Phrase("err_model_no_repeat_fix"))
    if len(counts) < 2 or counts.sum() < 2:
        raise ModelError(
            Phrase("err_model_single_history", model=name, distinct=str(len(counts)), n=f"{counts.sum():g}"),
            fix=Phrase("err_model_single_history_fix"),
        )


class PurchaseModel(Model):
    """A continuous-time purchase model: the public predictions over its closed forms."""

    def _check_identifiable(self, data: dict[str, np.ndarray], counts: np.ndarray) -> None:
        check_identifiable(type(self).__name__, data, counts)

    # -- closed forms a model writes (params p, distinct histories h) ---------------------------
    def _expected_new(self, p: np.ndarray, t: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _expected(self, p: np.ndarray, h: dict[str, np.ndarray], t: float) -> np.ndarray:
        raise NotImplementedError

    def _alive(self, p: np.ndarray, h: dict[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def _no_purchase(self, p: np.ndarray, h: dict[str, np.ndarray], t: float) -> np.ndarray:
        raise NotImplementedError

    def _pmf(self, p: np.ndarray, n: np.ndarray, t: float) -> np.ndarray:
        raise NotImplementedError

    def _alive_at(self, p: np.ndarray, h: dict[str, np.ndarray]) -> np.ndarray:
        """:meth:`_alive` at ``p``, computed once per parameter vector for the histories ``h``
        (kept in ``h``): the expectations and the churn score each multiply by it, and an
        interval evaluates all of them at each of a few parameter vectors."""
        # keyed by the model's kind, the parameters and the very arrays of the histories: a dict
        # shared by two models of four parameters, or copied with another ``T``, recomputes
        key = (type(self), np.asarray(p, dtype=float).tobytes())
        arrays = tuple(h.get(c) for c in ("frequency", "recency", "T"))
        kept = h.get("_alive_at")
        if kept is None or kept[0] != key or any(a is not b for a, b in zip(kept[1], arrays, strict=True)):
            kept = (key, arrays, self._alive(p, h))
            h["_alive_at"] = kept  # type: ignore[assignment]
        return kept[2]  # type: ignore[return-value]

    @staticmethod
    def _pairs(h: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Codes of the distinct (x, T) pairs of the histories and the first row of each.

        E[Y(t) | alive] depends on the history only through (x, T) in BG/NBD, MBG/NBD and
        Pareto/NBD: it is evaluated once per distinct pair (a few thousand) rather than once per
        distinct (x, t_x, T) history. The codes are parameter-free and kept in ``h`` for further
        horizons and parameter draws.
        """
        if "_xT_pair" not in h:
            x_codes, _ = pd.factorize(h["frequency"])
            t_codes, t_unique = pd.factorize(h["T"])
            pair, pairs = pd.factorize(x_codes.astype(np.int64) * len(t_unique) + t_codes)
            first = np.empty(len(pairs), dtype=np.int64)
            first[pair[::-1]] = np.arange(len(pair) - 1, -1, -1)  # first row of each (x, T) pair
            h["_xT_pair"], h["_xT_first"] = pair, first
        return h["_xT_pair"], h["_xT_first"]

    # -- public predictions --------------------------------------------------------------------
    def expected_purchases_new(
        self, t: Any, *, interval: float | None = None, n_draws: int = DEFAULT_DRAWS, seed: int = 0
    ) -> float | pd.Series | pd.DataFrame:
        """Expected repeat purchases in ``(0, t]`` of a customer who just made a first purchase.

        ``t`` is a number or an array (same unit as ``T``). A float for a scalar ``t``; a Series
        indexed by ``t`` otherwise; with ``interval=0.9`` a DataFrame with ``lower``/``upper``.
        """
        check_horizon(t)
        return scalar_or_series(t, "t", self, self._expected_new, "expected_purchases", interval, n_draws, seed)

    def expected_purchases(
        self, table: Any, t: float, *, interval: float | None = None, n_draws: int = DEFAULT_DRAWS, seed: int = 0
    ) -> pd.Series | pd.DataFrame:
        """Expected purchases in ``(T, T+t]`` given each customer's history (conditional E[Y(t)]).

        ``table`` has ``frequency``, ``recency``, ``T`` (and ``customer_id``, which indexes the
        result). Computed once per distinct history. A polars or Arrow ``table`` gives a table of
        that kind, ``customer_id`` first.
        """
        check_horizon(t)
        return per_history(
            self, table, self.history_columns, lambda p, h: self._expected(p, h, float(t)),
            "expected_purchases", interval, n_draws, seed,
        )

    def probability_alive(
        self, table: Any, *, interval: float | None = None, n_draws: int = DEFAULT_DRAWS, seed: int = 0
    ) -> pd.Series | pd.DataFrame:
        """Probability that each customer is still active at ``T`` (has not dropped out)."""
        return per_history(self, table, self.history_columns, self._alive, "p_alive", interval, n_draws, seed)

    def probability_no_purchase(
        self, table: Any, t: float, *, interval: float | None = None, n_draws: int = DEFAULT_DRAWS, seed: int = 0
    ) -> pd.Series | pd.DataFrame:
        """Probability of no purchase in ``(T, T+t]`` given the history: a churn score."""
        check_horizon(t)
        return per_history(
            self, table, self.history_columns, lambda p, h: self._no_purchase(p, h, float(t)),
            "p_no_purchase", interval, n_draws, seed,
        )

    def probability_purchases(
        self, n: Any, t: float, *, interval: float | None = None, n_draws: int = DEFAULT_DRAWS, seed: int = 0
    ) -> float | pd.Series | pd.DataFrame:
        """``P(X(t) = n)``: probability that a new customer makes ``n`` repeat purchases in ``(0, t]``."""
        check_horizon(t)
        arr = np.asarray(n, dtype=float)
        if np.any(arr < 0) or np.any(arr != np.round(arr)):
            raise InputError(Phrase("err_not_a_count", n=repr(n)), fix=Phrase("err_not_a_count_fix"))
        return scalar_or_series(
            n, "n", self, lambda p, g: self._pmf(p, g, float(t)), "probability", interval, n_draws, seed
        )
