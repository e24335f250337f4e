"""Benchmark: how long the ``xuanba`` command takes to start, against Python's own floor.

Each case is a fresh interpreter (``python -c ...``, wall clock from spawn to exit, output
discarded), run in rotation so that a noisy neighbour slows every case alike. The floors, in the
same run: ``python -c pass`` (the interpreter alone), ``python -c "import typer"`` (the
command-line library xuanba is built on) and the help of a two-command Typer app (what any Typer
command line pays: Typer builds its Click commands and, in recent versions, pydantic adapters). The cases call the console script's entry point,
``xuanba.cli.main``, so no launcher (a pyenv shim, a virtualenv script) is timed. Reported: the
median of each case and its ratio to both floors; ``--json`` prints the figures.

    python bench/bench_startup.py                 # 15 runs of each case
    python bench/bench_startup.py --repeat 5      # quick
    python bench/bench_startup.py --before a626ce5   # also the source of that commit, same run

Target (issue 11, point 13): ``xuanba --help``, ``xuanba --version`` and ``xuanba version`` in
under 0.5 s (about 1.5 s before: DuckDB, pandas and Ibis were imported by every command).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
MAIN = "import sys; from xuanba.cli import main; sys.argv[0] = 'xuanba'; main()"
#: The smallest Typer app built as xuanba's is (two commands, one option; no completion, no pretty
#: tracebacks), asked for its help: what any command line on Typer pays to start.
TINY = ("import typer\n"
        "app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)\n"
        "@app.command()\ndef a(x: str = '1') -> None:\n    print(x)\n"
        "@app.command()\ndef b() -> None:\n    pass\n"
        "app()\n")
CASES: dict[str, list[str]] = {
    "python -c pass (floor)": ["-c", "pass"],
    "python -c 'import typer' (floor)": ["-c", "import typer"],
    "a two-command Typer app --help (floor)": ["-c", TINY, "--help"],
    "xuanba --version": ["-c", MAIN, "--version"],
    "xuanba version": ["-c", MAIN, "version"],
    "xuanba --help": ["-c", MAIN, "--help"],
    "xuanba report --help": ["-c", MAIN, "report", "--help"],
}


def _once(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def _source_of(rev: str, into: Path) -> Path:
    """The ``src`` folder of commit ``rev`` of this repository, unpacked into ``into``."""
    repo = Path(__file__).resolve().parents[1]
    archive = subprocess.run(["git", "-C", str(repo), "archive", rev, "src"], capture_output=True, check=True).stdout
    import io
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="runs of each case (median reported)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--before", metavar="REV", help="also time `xuanba --help` from the source of this commit")
    opts = parser.parse_args()
    cases = {name: (args, SRC) for name, args in CASES.items()}
    with tempfile.TemporaryDirectory() as tmp:
        if opts.before:
            cases[f"xuanba --help at {opts.before}"] = (["-c", MAIN, "--help"], _source_of(opts.before, Path(tmp)))
        envs = {name: {**os.environ, "PYTHONPATH": str(src)} for name, (_, src) in cases.items()}
        for name, (args, _) in cases.items():  # warm the file cache and the bytecode once, untimed
            _once(args, envs[name])
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(opts.repeat):
            for name, (args, _) in cases.items():
                times[name].append(_once(args, envs[name]))
    med = {name: statistics.median(v) for name, v in times.items()}
    bare, typer_floor = med["python -c pass (floor)"], med["python -c 'import typer' (floor)"]
    tiny = med["a two-command Typer app --help (floor)"]
    rows = [{"case": name, "median_s": round(m, 3), "min_s": round(min(times[name]), 3),
             "x_python": round(m / bare, 2), "x_typer": round(m / typer_floor, 2), "x_typer_app": round(m / tiny, 2)}
            for name, m in med.items()]
    if opts.json:
        print(json.dumps({"repeat": opts.repeat, "python": sys.version.split()[0], "rows": rows}, indent=2))
        return
    print(f"{opts.repeat} runs each, Python {sys.version.split()[0]}")
    print("| case | median s | min s | × python -c pass | × import typer | × Typer app |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['case']} | {r['median_s']:.3f} | {r['min_s']:.3f} | {r['x_python']:.2f} | {r['x_typer']:.2f} "
              f"| {r['x_typer_app']:.2f} |")


if __name__ == "__main__":
    main()
