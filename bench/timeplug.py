"""A pytest plugin that writes, per test, when it ran and the CPU it took: one JSON line a test
(``id``, ``t0``/``t1`` wall clock, ``cpu`` of the pytest process, ``child`` of its reaped
children, ``jvm`` of its live descendants such as Spark's JVM, read from /proc) into
``$TIMEPLUG_DIR/times-<worker>.jsonl`` (Linux). The suite's per-file CPU figures in
docs/benchmarks_suite.md come from it.

    TIMEPLUG_DIR=out PYTHONPATH=bench python -m pytest -p timeplug -n 0 -q tests/test_facts.py
"""
import json
import os
import time

import pytest

_OUT = os.environ.get("TIMEPLUG_DIR", ".")
_file = None


def _descendants_cpu() -> float:
    """User + system CPU seconds of this process's live descendants (0 where /proc is not there)."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[tuple[int, float]]] = {}
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return 0.0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append((int(p), (int(fields[11]) + int(fields[12])) / tick))
    total, stack = 0.0, [os.getpid()]
    while stack:
        for pid, cpu in children.get(stack.pop(), []):
            total += cpu
            stack.append(pid)
    return total


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    global _file
    if _file is None:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        _file = open(os.path.join(_OUT, f"times-{worker}.jsonl"), "a", buffering=1)  # noqa: SIM115
    t0, c0, d0 = time.time(), os.times(), _descendants_cpu()
    yield
    c1, d1 = os.times(), _descendants_cpu()
    _file.write(json.dumps({"id": item.nodeid, "t0": t0, "t1": time.time(),
                            "cpu": (c1.user - c0.user) + (c1.system - c0.system),
                            "child": (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system),
                            "jvm": d1 - d0}) + "\n")
