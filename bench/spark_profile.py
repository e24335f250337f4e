"""Where a Spark round's time goes, from Spark's event log: per step of the round (the job group
bench_spark.py gives the jobs of each step), the jobs, their wall time, the stages and tasks,
the bytes shuffled and spilled, and the slowest jobs with what started them.

    python bench/bench_spark.py --customers 1e5 --engines spark --event-log bench/out/events
    python bench/spark_profile.py bench/out/events            # the newest log in the folder
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path


def read_events(path: Path) -> list[dict]:
    """The events of one Spark event log (one JSON object a line; ``.zstd``: Spark's default
    compression, read through pyarrow's stream)."""
    import pyarrow as pa

    with pa.input_stream(str(path), compression="zstd" if path.suffix == ".zstd" else None) as raw:
        text = raw.read().decode("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def profile(events: list[dict]) -> tuple[dict[str, dict[str, float]], list[tuple[float, str, str]]]:
    """Per job group: jobs, wall seconds (job start to end), stages, tasks, task seconds, shuffle
    written/read and disk spill in MB; and every job as (seconds, group, call site)."""
    started: dict[int, tuple[float, str, str, list[int]]] = {}
    stage_job: dict[int, int] = {}
    per: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    jobs: list[tuple[float, str, str]] = []
    for e in events:
        kind = e.get("Event")
        if kind == "SparkListenerJobStart":
            props = e.get("Properties") or {}
            group = props.get("spark.jobGroup.id") or "(none)"
            site = props.get("callSite.short") or ""
            stages = e.get("Stage IDs", [])
            started[e["Job ID"]] = (e["Submission Time"] / 1000, group, site, stages)
            for s in stages:
                stage_job[s] = e["Job ID"]
        elif kind == "SparkListenerJobEnd" and e["Job ID"] in started:
            t0, group, site, _ = started[e["Job ID"]]
            secs = e["Completion Time"] / 1000 - t0
            per[group]["jobs"] += 1
            per[group]["job_s"] += secs
            jobs.append((secs, group, site))
        elif kind == "SparkListenerStageCompleted":
            info = e["Stage Info"]
            job = stage_job.get(info["Stage ID"])
            if job is None or job not in started:
                continue
            group = started[job][1]
            per[group]["stages"] += 1
            per[group]["tasks"] += info.get("Number of Tasks", 0)
            for acc in info.get("Accumulables", []):
                name, value = acc.get("Name", ""), acc.get("Value", 0)
                try:
                    value = float(value)
                except (TypeError, ValueError):
                    continue
                if name == "internal.metrics.executorRunTime":
                    per[group]["task_s"] += value / 1000
                elif name == "internal.metrics.shuffle.write.bytesWritten":
                    per[group]["shuffle_w_mb"] += value / 2**20
                elif name == "internal.metrics.shuffle.read.remoteBytesRead" or name == "internal.metrics.shuffle.read.localBytesRead":
                    per[group]["shuffle_r_mb"] += value / 2**20
                elif name == "internal.metrics.diskBytesSpilled":
                    per[group]["spill_mb"] += value / 2**20
    return per, jobs


def busy_seconds(events: list[dict]) -> tuple[float, float]:
    """The log's span (first job's start to last job's end) and the seconds in it when at least
    one job ran; the rest is the driver alone (planning, Python, Py4J, the fits)."""
    start: dict[int, float] = {}
    spans: list[tuple[float, float]] = []
    for e in events:
        if e.get("Event") == "SparkListenerJobStart":
            start[e["Job ID"]] = e["Submission Time"] / 1000
        elif e.get("Event") == "SparkListenerJobEnd" and e["Job ID"] in start:
            spans.append((start[e["Job ID"]], e["Completion Time"] / 1000))
    if not spans:
        return 0.0, 0.0
    spans.sort()
    busy, (lo, hi) = 0.0, spans[0]
    for a, b in spans[1:]:
        if a > hi:
            busy, lo, hi = busy + hi - lo, a, b
        else:
            hi = max(hi, b)
    return max(b for _, b in spans) - spans[0][0], busy + hi - lo


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path", help="an event log, or a folder of them (the newest is read)")
    ap.add_argument("--top", type=int, default=15, help="the slowest jobs listed")
    args = ap.parse_args()
    path = Path(args.path)
    if path.is_dir():
        logs = [p for p in path.rglob("*") if p.is_file() and not p.name.startswith((".", "appstatus"))]
        path = max(logs, key=lambda p: p.stat().st_mtime)  # Spark 4 writes each log in a folder of its own
    events = read_events(path)
    per, jobs = profile(events)
    print(f"{path.name}\n")
    print("| step | jobs | job wall | stages | tasks | task time | shuffle written | shuffle read | spilled |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for group, f in per.items():
        print(f"| {group} | {f['jobs']:.0f} | {f['job_s']:.1f} s | {f['stages']:.0f} | {f['tasks']:.0f} | "
              f"{f['task_s']:.1f} s | {f['shuffle_w_mb']:.0f} MB | {f['shuffle_r_mb']:.0f} MB | {f['spill_mb']:.0f} MB |")
    total = sum(f["jobs"] for f in per.values())
    span, busy = busy_seconds(events)
    print(f"\n{total:.0f} jobs over {span:.1f} s: a job running for {busy:.1f} s, the driver alone for "
          f"{span - busy:.1f} s. Jobs started from other threads (auto's candidates) carry no step: (none).")
    print("Slowest jobs:")
    for secs, group, site in sorted(jobs, reverse=True)[:args.top]:
        print(f"  {secs:7.1f} s  {group:<20} {site}")


if __name__ == "__main__":
    main()
