"""How long a round's scoring spends compiling Ibis expressions to SQL on its main thread: one
round of ``bench/profile_round.py`` (its arguments pass through) with the engine cache's compile
step timed (wall and the calling thread's CPU), and the cache's counters at the end (a fresh
process compiles every query once: ``compiles``, no hits).

    python bench/probe_compiles.py --customers 1e6 --no-profile
"""
import runpy
import sys
import time
from pathlib import Path

import xuanba.standard.engine_cache as engine_cache

spent = {"queries": 0, "wall_s": 0.0, "thread_cpu_s": 0.0}
_compile = engine_cache._compiled_locked


def _timed(backend, expr):
    t0, c0 = time.perf_counter(), time.thread_time()
    try:
        return _compile(backend, expr)
    finally:
        spent["queries"] += 1
        spent["wall_s"] += time.perf_counter() - t0
        spent["thread_cpu_s"] += time.thread_time() - c0


if __name__ == "__main__":
    engine_cache._compiled_locked = _timed
    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here))
    sys.argv = [str(here / "profile_round.py"), *sys.argv[1:]]
    try:
        runpy.run_path(str(here / "profile_round.py"), run_name="__main__")
    finally:
        print(f"\nscoring's compiles: {spent['queries']} queries, {spent['wall_s']:.3f} s wall, "
              f"{spent['thread_cpu_s']:.3f} s of the calling thread's CPU; cache counters {dict(engine_cache.STATS)}")
