"""Customer-base models: how much each customer will buy, whether they are still alive, and
what they are worth.

============================  ======================  =========================================
class                         CLI name                setting
============================  ======================  =========================================
:class:`BGNBD`                ``bgnbd``               non-contractual, continuous time
:class:`ParetoNBD`            ``pareto-nbd``          non-contractual, continuous time
:class:`MBGNBD`               ``mbgnbd``              non-contractual, continuous time
:class:`BGBB`                 ``bgbb``                non-contractual, discrete time
:class:`ShiftedBetaGeometric` ``sbg``                 contractual (retention by cohort)
:class:`GammaGamma`           ``gamma-gamma``         spend per transaction
============================  ======================  =========================================

:class:`BGNBDCovariates` and :class:`ParetoNBDCovariates` (:mod:`xuanba.models.covariates`) add
static covariates to BG/NBD and Pareto/NBD. Importing this package defines every model class, so
:meth:`Model.load` can find any saved one by its class name.
"""

from __future__ import annotations

from xuanba.models._base import Model
from xuanba.models.bgbb import BGBB
from xuanba.models.bgnbd import BGNBD
from xuanba.models.covariates import BGNBDCovariates, ParetoNBDCovariates
from xuanba.models.gammagamma import GammaGamma
from xuanba.models.mbgnbd import MBGNBD
from xuanba.models.paretonbd import ParetoNBD
from xuanba.models.sbg import ShiftedBetaGeometric

MODELS: dict[str, type[Model]] = {
    "bgnbd": BGNBD,
    "pareto-nbd": ParetoNBD,
    "mbgnbd": MBGNBD,
    "bgbb": BGBB,
    "sbg": ShiftedBetaGeometric,
    "gamma-gamma": GammaGamma,
}

__all__ = [
    "BGBB", "BGNBD", "MBGNBD", "MODELS", "BGNBDCovariates", "GammaGamma", "Model", "ParetoNBD",
    "ParetoNBDCovariates", "ShiftedBetaGeometric",
]
