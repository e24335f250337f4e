"""xuanba (选拔): select customers by one open standard, every round.

The public API is listed in ``__all__`` and documented in the README; everything else is
private and may change. Every stage (the workspace and the facts too) loads on first use, so
``import xuanba`` and the command line stay quick.

Example
-------
>>> import xuanba
>>> ws = xuanba.Workspace(":memory:")
>>> report = xuanba.ingest.ingest(xuanba.demo_sales_path(), ws)  # doctest: +SKIP
>>> facts = xuanba.customer_facts(ws, "2026-06-30")             # doctest: +SKIP
>>> rnd = xuanba.run_round(ws, xuanba.starter_standard("zh"), "2026-06-30")  # doctest: +SKIP
>>> rnd  # in a notebook: a table of the selected, with names and owners  # doctest: +SKIP
>>> xuanba.plots.value_potential(rnd)                          # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from xuanba._version import __version__
from xuanba.errors import (
    DataError,
    InputError,
    ModelError,
    NotFittedError,
    SchemaError,
    WorkspaceError,
    XuanbaError,
)

#: name -> module that defines it, imported when the name is first used (even the workspace and
#: the facts: ``xuanba --help`` must not pay for DuckDB, pandas and Ibis).
_LAZY = {
    "Workspace": "xuanba.workspace",
    "FACT_COLUMNS": "xuanba.facts",
    "calibration_holdout": "xuanba.facts",
    "customer_facts": "xuanba.facts",
    "accounts": "xuanba.accounts",
    "ingest": "xuanba.ingest",  # the stage's package: xuanba.ingest.ingest(source, workspace)
    "IngestReport": "xuanba.ingest",
    "demo_sales_path": "xuanba.demo",
    "run_demo": "xuanba.demo.pipeline",
    "BGNBD": "xuanba.models",
    "MBGNBD": "xuanba.models",
    "ParetoNBD": "xuanba.models",
    "BGBB": "xuanba.models",
    "ShiftedBetaGeometric": "xuanba.models",
    "GammaGamma": "xuanba.models",
    "BGNBDCovariates": "xuanba.models.covariates",
    "ParetoNBDCovariates": "xuanba.models.covariates",
    "predict_customers": "xuanba.models.predict",
    "customer_value": "xuanba.models.value",
    "evaluate": "xuanba.models.evaluate",
    "Standard": "xuanba.standard",
    "load_standard": "xuanba.standard",
    "starter_standard": "xuanba.standard",
    "Round": "xuanba.rounds",
    "RoundDiff": "xuanba.rounds",
    "run_round": "xuanba.rounds",
    "load_round": "xuanba.rounds",
    "list_rounds": "xuanba.rounds",
    "diff_rounds": "xuanba.rounds",
    "replay_rounds": "xuanba.rounds",
    "backtest": "xuanba.rounds.backtest",
    "Backtest": "xuanba.rounds.backtest",
    "whatif": "xuanba.rounds.whatif",
    "tune": "xuanba.rounds.tune",
    "WhatIf": "xuanba.rounds.whatif",
    "write_report": "xuanba.outputs",
    "write_statements": "xuanba.outputs",
    "export_round": "xuanba.outputs",
    "export_tables": "xuanba.outputs",
    "plots": "xuanba.outputs.plots",  # a module: xuanba.plots.period_transactions(model, facts)
    "set_lang": "xuanba.i18n",  # the language of the notebook display
}
#: the lazy names that are modules, not names inside one
_MODULES = {"accounts", "ingest", "plots"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'xuanba' has no attribute {name!r}")
    loaded = importlib.import_module(module)
    value = loaded if name in _MODULES else getattr(loaded, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:  # for type checkers and editors: the lazy names, eagerly
    from xuanba import accounts, ingest
    from xuanba.demo import demo_sales_path
    from xuanba.demo.pipeline import run_demo
    from xuanba.facts import FACT_COLUMNS, calibration_holdout, customer_facts
    from xuanba.i18n import set_lang
    from xuanba.ingest import IngestReport
    from xuanba.models import BGBB, BGNBD, MBGNBD, GammaGamma, ParetoNBD, ShiftedBetaGeometric
    from xuanba.models.covariates import BGNBDCovariates, ParetoNBDCovariates
    from xuanba.models.evaluate import evaluate
    from xuanba.models.predict import predict_customers
    from xuanba.models.value import customer_value
    from xuanba.outputs import export_round, export_tables, plots, write_report, write_statements
    from xuanba.rounds import (
        Round,
        RoundDiff,
        diff_rounds,
        list_rounds,
        load_round,
        replay_rounds,
        run_round,
    )
    from xuanba.rounds.backtest import Backtest, backtest
    from xuanba.rounds.tune import tune
    from xuanba.rounds.whatif import WhatIf, whatif
    from xuanba.standard import Standard, load_standard, starter_standard
    from xuanba.workspace import Workspace

__all__ = [
    "BGBB",
    "BGNBD",
    "BGNBDCovariates",
    "Backtest",
    "DataError",
    "FACT_COLUMNS",
    "GammaGamma",
    "IngestReport",
    "InputError",
    "MBGNBD",
    "ModelError",
    "NotFittedError",
    "ParetoNBD",
    "ParetoNBDCovariates",
    "Round",
    "RoundDiff",
    "SchemaError",
    "ShiftedBetaGeometric",
    "Standard",
    "WhatIf",
    "Workspace",
    "WorkspaceError",
    "XuanbaError",
    "__version__",
    "accounts",
    "backtest",
    "calibration_holdout",
    "customer_facts",
    "customer_value",
    "demo_sales_path",
    "diff_rounds",
    "evaluate",
    "export_round",
    "export_tables",
    "ingest",
    "list_rounds",
    "load_round",
    "load_standard",
    "plots",
    "predict_customers",
    "replay_rounds",
    "run_demo",
    "run_round",
    "set_lang",
    "starter_standard",
    "tune",
    "whatif",
    "write_report",
    "write_statements",
]
