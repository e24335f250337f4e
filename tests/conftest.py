"""Shared fixtures: where the test data live (inside the repository, see tests/data/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def test_data() -> Path:
    """The folder of public data sets (CDNOW sample, donations) the tests reproduce figures on."""
    return TEST_DATA


def _build_demo(folder: Path) -> None:
    from typer.testing import CliRunner

    from xuanba.cli import app

    res = CliRunner().invoke(app, ["demo", "--out", str(folder / "demo"), "--lang", "en", "--json"])
    assert res.exit_code == 0, res.output
    (folder / "demo.json").write_text(res.stdout, "utf-8")


@pytest.fixture(scope="session")
def demo_built(tmp_path_factory) -> Path:
    """``xuanba demo --lang en --json`` run once per test run, not once per module (10-15 s
    each): the folder holding its output folder ``demo`` and its standard output ``demo.json``.
    Read-only: a test that writes takes ``tests._helpers.demo_copy``. tests/test_demo.py runs
    the command itself, end to end."""
    from tests._helpers import built_once

    return built_once(tmp_path_factory, "demo-en", _build_demo)


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashes():
    """The web app's passwords hashed with Argon2id at the algorithm's least cost (one pass over
    8 KiB) in this process: at its real cost (three passes over 64 MiB, about 0.3 s a hash or a
    log-in, 1 s on a loaded machine) the web tests spent a third of their time in it. Stored
    hashes still name their cost, so a hash made at either cost verifies as before; commands run
    in processes of their own (``xuanba serve`` in the tests beside a server) keep the real cost,
    and tests/security/test_web_access.py checks the real one (``_hasher.real``)."""
    from xuanba.web import store

    real = store._hasher

    def cheap():  # noqa: ANN202
        from argon2 import PasswordHasher

        return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

    cheap.real = real
    mp = pytest.MonkeyPatch()
    mp.setattr(store, "_hasher", cheap)
    yield
    mp.undo()


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
    # The JVM's first (C1) compiler only: the optimising one (C2) pays off in long jobs, but in a
    # test run it competes for the two cores while the queries it would speed up are already done
    # (measured: a cold CDNOW round on Spark 65 s -> 34 s, a warm one 27-31 s -> 20 s at load 8.3;
    # at load 3 the gain is small: test_standard_engine_spark.py alone 71 s -> 67 s).
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1",
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


#: Python's cyclic collector in the tests' processes: a first pass every 10,000 allocations, not
#: 700. Ibis builds and compiles each query as thousands of small objects, so at the default the
#: collector ran some 4,600 passes in 30 s of CPU (tests/test_facts_compiled.py and
#: test_standard_engine_select.py: 4.7 s in the collector, 1.0 s at this threshold; user CPU
#: 30.1 -> 25.3 s; docs/benchmarks_suite.md, session 23). The same generations, passed through
#: 14 times less often: garbage in cycles is still collected (older generations too), a little
#: later; what a test computes does not depend on when. xuanba's own processes keep Python's
#: default (commands and servers a test starts in a process of their own, and every user's).
GC_THRESHOLD = (10_000, 10, 10)
_GC_BEFORE = pytest.StashKey[tuple]()


def pytest_configure(config):
    """Under xdist the controller sends the groups in the order the workers collected them (see
    :func:`pytest_collection_modifyitems`), not re-sorted by their number of tests. The cyclic
    collector's first threshold raised in this process (:data:`GC_THRESHOLD`)."""
    import gc

    config.stash[_GC_BEFORE] = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)
    if getattr(config.option, "dist", "no") != "no" and not hasattr(config, "workerinput"):
        config.option.loadscopereorder = False


def pytest_unconfigure(config):
    """Python's collector put back as it was before the run."""
    import gc

    gc.set_threshold(*config.stash.get(_GC_BEFORE, gc.get_threshold()))



@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Under ``--dist loadgroup`` (pyproject's addopts) each test file goes whole to one worker,
    as with ``loadfile``, except that every test using the ``spark`` fixture goes to the same
    worker: one JVM started and warmed for the run instead of one per worker (and no two JVMs
    sharing the two cores). A file's tests that do not use Spark stay a group of their own, free
    to run on the other worker (tests/test_round_engine_features.py: one Spark test of 22).
    Runs before xdist reads the ``xdist_group`` marks.

    On a worker the collection is put in the order xdist sends the groups in: the Spark group
    first (it is the longest, and one worker's whole share must start early), then the other
    groups by their number of tests, most first (xdist's own order, which ``pytest_configure``
    turns off so that the Spark group keeps its place); a group's tests keep their order."""
    groups = []
    for item in items:
        file = item.nodeid.split("::", 1)[0]
        group = "spark" if "spark" in getattr(item, "fixturenames", ()) else file
        item.add_marker(pytest.mark.xdist_group(group))
        groups.append(group)
    if hasattr(config, "workerinput"):
        size: dict[str, int] = {}
        for group in groups:
            size[group] = size.get(group, 0) + 1
        first = {}
        for i, group in enumerate(groups):
            first.setdefault(group, i)
        place = {g: (g != "spark", -size[g], first[g]) for g in size}
        order = sorted(range(len(items)), key=lambda i: (place[groups[i]], i))
        items[:] = [items[i] for i in order]


@pytest.fixture()
def pandas_reference(monkeypatch):
    """The standard applied by the pandas reference instead of the engine, for a test whose
    subject is not how the standard is applied (a command's output, names read) but which makes
    many selections (a tune: each selection on the engine pays its fixed cost of a call;
    tests/test_one_scoring.py checks that a tune on the engine equals one on this reference)."""
    from xuanba.standard import apply

    monkeypatch.setattr(apply, "DEFAULT_SCORING", "pandas")

