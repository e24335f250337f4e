"""MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD where a customer may also drop out
right at her first purchase.

Same parameters and history columns as :class:`~xuanba.models.BGNBD` (``r``, ``alpha``, ``a``,
``b``; ``frequency``, ``recency``, ``T``); the formulas are those of the BG/NBD family with one
extra drop-out chance (see :mod:`xuanba.models.bgnbd`). Unlike BG/NBD, a customer with no repeat
purchase can be "dead", so P(alive) is below 1 for her too.
"""

from __future__ import annotations

from xuanba.models.bgnbd import _BetaGeometricNBD


class MBGNBD(_BetaGeometricNBD):
    """Modified beta-geometric/NBD model (drop-out possible at every purchase, the first included).

    Parameters
    ----------
    penalizer
        L2 penalty on the parameters (0 = maximum likelihood).
    time_unit
        Unit of ``recency`` and ``T``, kept with the model; ``None`` if not stated.

    Examples
    --------
    >>> import pandas as pd
    >>> m = MBGNBD(); m.params_ = pd.Series({"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614})
    >>> h = pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [38.86]})
    >>> round(float(m.probability_alive(h).iloc[0]), 2)
    0.39
    """

    _k = 1
