"""How many of a thread's NumPy overflows a round keeps while pandas casts on another thread.

pandas wraps ``astype`` of floats to integers in ``catch_warnings()`` with an "ignore
RuntimeWarning" filter; Python 3.11's filters belong to the process, so an overflow warned on
another thread meanwhile is dropped from a ``catch_warnings(record=True)`` list (how rounds caught
their fits' warnings up to 3ae5fe9). :func:`xuanba.models._caught.catching` has NumPy log them as
data instead. The pandas thread casts two million values in a loop (NumPy releases the GIL while
it casts); the other overflows ``--n`` times, a millisecond apart.

    python bench/probe_warnings_threads.py --n 300
"""

from __future__ import annotations

import argparse
import threading
import time
import warnings

import numpy as np
import pandas as pd

from xuanba.models._caught import catching


def kept(catch: object, n: int) -> int:
    """Overflows of ``n`` kept by ``catch`` (a context manager giving a list of warnings)."""
    stop = threading.Event()
    values = pd.Series(np.arange(2_000_000, dtype=float))

    def cast() -> None:
        while not stop.is_set():
            values.astype("int64")

    with catch as caught:  # type: ignore[attr-defined]
        if isinstance(catch, warnings.catch_warnings):
            warnings.simplefilter("always")
        other = threading.Thread(target=cast)
        other.start()
        for _ in range(n):
            np.exp(np.array([1000.0]))
            time.sleep(0.001)
        stop.set()
        other.join()
    return sum("overflow" in str(w.message) for w in caught)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    n = parser.parse_args().n
    print(f"catch_warnings(record=True): {kept(warnings.catch_warnings(record=True), n)} of {n} kept")
    print(f"catching():                  {kept(catching(), n)} of {n} kept")


if __name__ == "__main__":
    main()
