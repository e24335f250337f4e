"""Where DuckDB's CPU goes while it appends rows into a file, from a ``perf`` call-graph recording:
each sample inside an ``INSERT`` (``PhysicalInsert::Sink``, ``PhysicalBatchInsert``, the commit)
is put under one heading by the DuckDB functions on its stack —

* ``analyse: <method>`` — choosing a segment's compression (``DetectBestCompressionMethod``),
  by the method whose analysis the sample is in;
* ``compress: <method>`` — compressing the chosen way (``ColumnDataCheckpointer::WriteToDisk``);
* ``write: blocks`` — checksumming and writing the blocks;
* ``append rows: statistics`` / ``append rows: other`` — putting the rows into the transaction's
  row groups, its min/max and distinct-count statistics apart;
* ``~ not the insert`` — the rest of the process (Python, reading the data, start-up).

    flock /tmp/xuanba-heavy.lock perf record -F 499 --call-graph dwarf,16384 -o /tmp/fields.data -- \\
        python bench/bench_saver_append.py --repeat 2 --cases fields
    perf script -i /tmp/fields.data -F comm,tid,ip,sym > /tmp/fields.txt
    python bench/perf_insert_split.py /tmp/fields.txt --runs 2 --hz 499
"""

from __future__ import annotations

import argparse
import collections
import re
from collections.abc import Iterator

#: DuckDB's compression methods as its function names spell them (ALPRD before ALP: it matches first).
METHODS = ("AlpRD", "Alp", "Dictionary", "FSST", "Bitpacking", "RLE", "Uncompressed", "Zstd", "Roaring")


def stacks(path: str) -> Iterator[list[str]]:
    """Each sample's stack (leaf first) as function names, from ``perf script`` output."""
    frames: list[str] | None = None
    with open(path, errors="replace") as fh:
        for line in fh:
            if not line.strip():
                if frames:
                    yield frames
                frames = None
            elif not line[0].isspace():
                frames = []
            elif frames is not None:
                parts = line.strip().split(" ", 1)
                frames.append(parts[1] if len(parts) > 1 else parts[0])
    if frames:
        yield frames


def heading(frames: list[str]) -> str:
    text = " | ".join(frames)
    if not any(k in text for k in ("PhysicalInsert::Sink", "PhysicalBatchInsert", "CommitTransaction")):
        return "~ not the insert"
    if "DetectBestCompressionMethod" in text:
        for f in frames:
            if "Analyze" in f or "FindTopK" in f:
                m = re.search(f"({'|'.join(METHODS)})", f, re.I)
                return f"analyse: {METHODS[[k.lower() for k in METHODS].index(m.group(1).lower())] if m else 'other'}"
        return "analyse: other (scanning the segment)"
    if "ColumnDataCheckpointer::WriteToDisk" in text or "FlushSegment" in text:
        for f in frames:
            if "ChecksumAndWrite" in f or "pwrite" in f:
                return "write: blocks"
            m = re.search(r"duckdb::(Alp|Dictionary|FSST|Bitpacking|RLE|Uncompressed|Validity|Constant)", f)
            if m:
                return f"compress: {m.group(1)}"
        return "compress: other"
    if "RowGroupCollection::Append" in text or "LocalStorage::Append" in text:
        stats = ("Stats", "GreaterThan", "IsNan", "HyperLogLog")
        return "append rows: statistics" if any(k in f for f in frames for k in stats) else "append rows: other"
    return "insert: other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("script", help="perf script -F comm,tid,ip,sym output")
    parser.add_argument("--runs", type=float, default=1.0, help="appends recorded (the figures are per append)")
    parser.add_argument("--hz", type=float, default=499.0, help="perf record's -F")
    args = parser.parse_args()
    counts = collections.Counter(heading(f) for f in stacks(args.script))
    print("| heading | samples | CPU s per append |")
    print("|---|---:|---:|")
    for name, n in sorted(counts.items()):
        print(f"| {name} | {n} | {n / args.hz / args.runs:.3f} |")
    inside = sum(n for k, n in counts.items() if not k.startswith("~"))
    print(f"| **the insert** | {inside} | **{inside / args.hz / args.runs:.3f}** |")


if __name__ == "__main__":
    main()
