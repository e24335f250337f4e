"""Shared fixtures: where the test data live (inside the repository, see tests/data/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def test_data() -> Path:
    """The folder of public data sets (CDNOW sample, donations) the tests reproduce figures on."""
    return TEST_DATA


@pytest.fixture(autouse=True)
def _english_messages(monkeypatch):
    """Messages follow the locale (LC_ALL, LC_MESSAGES, LANG: zh… gives Chinese); tests that read
    them expect English unless they set a locale or --lang themselves, whoever runs them."""
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


#: Spark settings for the tests' tiny tables. Spark's defaults suit big data: compiling Java for
#: every query stage (whole-stage code generation) and re-planning each shuffle (adaptive
#: execution) cost more than the rows themselves here, and made the Spark tests a third of the
#: suite's time. Results do not depend on them; two shuffle partitions still make every window
#: and join cross partitions.
SPARK_TEST_CONF = {
    "spark.master": "local[2]",
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
}


@pytest.fixture(scope="session")
def spark():
    """One local[2] Spark session for the whole test run (a JVM takes seconds to start), as an
    Ibis backend made by the helper the CLI uses; skipped without pyspark or Java."""
    import shutil

    pytest.importorskip("pyspark", reason="pyspark is in the test extra: pip install -e '.[test]'")
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java (17+)")
    from xuanba.rounds.spark import spark_backend

    con = spark_backend(SPARK_TEST_CONF, app_name="xuanba-tests")
    con._session.sparkContext.setLogLevel("ERROR")
    yield con
    con._session.stop()
