"""Benchmark: xuanba's BG/NBD against lifetimes 0.11.3 and PyMC-Marketing (MAP), side by side.

One run creates the peers' virtual environments (bench/out/venvs, see bench/peers/venvs.py),
simulates the same BG/NBD + Gamma-Gamma customers for everyone (bench/simulate.py: r=0.243,
α=4.414, a=0.793, b=2.426, T uniform over 26–78 weeks in whole days), writes them to Parquet,
and runs each implementation in a subprocess of its own, timing

  (a) the BG/NBD fit, and
  (b) the whole chain: BG/NBD + Gamma-Gamma fits, 52-week expected purchases, P(alive) and a
      36-month value discounted at 1% a month, for every customer (bench/peers/_protocol.py).

It reports the median of the repeats, the ratios peer/xuanba, the agreement of the BG/NBD
parameters with lifetimes (relative difference), and xuanba alone on 10 M customers (wall time
of the chain and peak RSS of the process).

    python bench/bench_models.py                       # 1 M customers, 3 repeats, + 10 M xuanba
    python bench/bench_models.py --customers 1e5 --repeat 3 --no-big   # quick

Targets (issue 3): fit >= 10x faster than both peers, chain >= 30x faster than lifetimes,
parameters within 1e-4 of lifetimes, 10 M customers in <= 30 s and <= 4 GB.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
PEERS = BENCH / "peers"
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(PEERS))

import venvs  # noqa: E402

from simulate import bgnbd_customers  # noqa: E402

RUNNERS = {
    "xuanba": (lambda: Path(sys.executable), "run_xuanba.py"),
    "lifetimes": (lambda: venvs.ensure("lifetimes"), "run_lifetimes.py"),
    "pymc-marketing": (lambda: venvs.ensure("pymc_marketing"), "run_pymc_marketing.py"),
}


def make_data(n: int, seed: int = 0) -> Path:
    path = OUT / f"bgnbd_{n}_{seed}.parquet"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        bgnbd_customers(n, seed=seed).to_parquet(path, index=False)
    return path


def run(peer: str, data: Path, task: str, repeat: int) -> dict[str, Any]:
    """Run one peer's runner in a subprocess and return its JSON (plus the process wall time)."""
    python, script = RUNNERS[peer]
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(python()), str(PEERS / script), "--data", str(data), "--task", task, "--repeat", str(repeat)],
        capture_output=True, text=True, cwd=PEERS,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{peer} {task} failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_s"] = time.perf_counter() - t0
    out["median_s"] = statistics.median(out["times"])
    out["median_cpu_s"] = statistics.median(out["cpu_times"]) if "cpu_times" in out else None
    return out


def rel_diff(a: dict[str, float], b: dict[str, float]) -> float:
    return max(abs(a[k] - b[k]) / abs(b[k]) for k in b)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=float, default=1e6)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--peers", default="lifetimes,pymc-marketing")
    ap.add_argument("--big", type=float, default=1e7, help="customers for the xuanba-only run")
    ap.add_argument("--no-big", action="store_true")
    ap.add_argument("--json", type=Path, default=OUT / "bench_models.json")
    args = ap.parse_args()

    n = int(args.customers)
    peers = [p for p in args.peers.split(",") if p]
    for p in peers:  # create the venvs first (slow once), so timings never include it
        RUNNERS[p][0]()
    data = make_data(n)
    results: dict[str, Any] = {"customers": n, "repeat": args.repeat, "runs": {}}
    for task in ("fit", "chain"):
        for peer in ["xuanba", *peers]:
            print(f"{peer:15s} {task:5s} ...", end=" ", flush=True)
            r = run(peer, data, task, args.repeat)
            results["runs"][f"{peer}/{task}"] = r
            print(f"median {r['median_s']:.3f} s wall, {r['median_cpu_s'] or float('nan'):.3f} s CPU  "
                  f"(runs {', '.join(f'{t:.2f}' for t in r['times'])})", flush=True)

    runs = results["runs"]
    print(f"\n{n:,} customers, median of {args.repeat}")
    for key, label in (("median_s", "wall"), ("median_cpu_s", "CPU")):
        if any(runs[k][key] is None for k in runs):
            continue
        print(f"{label + ' seconds':16s}{'BG/NBD fit':>12s}{'chain':>12s}{'fit ratio':>11s}{'chain ratio':>13s}")
        for peer in ["xuanba", *peers]:
            f, c = runs[f"{peer}/fit"][key], runs[f"{peer}/chain"][key]
            rf = f / runs["xuanba/fit"][key]
            rc = c / runs["xuanba/chain"][key]
            print(f"{peer:16s}{f:12.3f}{c:12.3f}{rf:10.1f}x{rc:12.1f}x")
            results.setdefault("ratios", {}).setdefault(label, {})[peer] = {"fit": rf, "chain": rc}
    if "lifetimes" in peers:
        x, lt = runs["xuanba/fit"]["params"], runs["lifetimes/fit"]["params"]
        results["param_rel_diff_lifetimes"] = rel_diff(x, lt)
        results["gg_param_rel_diff_lifetimes"] = rel_diff(
            runs["xuanba/chain"]["gg_params"], runs["lifetimes/chain"]["gg_params"]
        )
        results["sums_rel_diff_lifetimes"] = rel_diff(runs["xuanba/chain"]["sums"], runs["lifetimes/chain"]["sums"])
        print(f"\nBG/NBD parameters vs lifetimes: max relative difference {results['param_rel_diff_lifetimes']:.2e}")
        print(f"Gamma-Gamma parameters vs lifetimes: {results['gg_param_rel_diff_lifetimes']:.2e}; "
              f"prediction sums vs lifetimes: {results['sums_rel_diff_lifetimes']:.2e}")
        for peer in ["xuanba", *peers]:
            print(f"  {peer:15s} {runs[f'{peer}/fit']['params']}")
    if not args.no_big:
        big = make_data(int(args.big))
        r = run("xuanba", big, "chain", 1)
        results["big"] = {"customers": int(args.big), "chain_s": r["median_s"], "process_s": r["process_s"],
                          "peak_rss_mb": r["peak_rss_mb"], "steps": r.get("steps")}
        print(f"\nxuanba, {int(args.big):,} customers: chain {r['median_s']:.2f} s, process {r['process_s']:.2f} s "
              f"(with start-up and reading), peak RSS {r['peak_rss_mb'] / 1024:.2f} GB; steps {r.get('steps')}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"\nresults -> {args.json}")


if __name__ == "__main__":
    main()
