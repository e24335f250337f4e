"""Probe: what reading a text return flag costs DuckDB, per cell (alias26).

``xuanba.ingest.rules.flag_value`` over a column of 2,000,000 text flags that say no, written in
ASCII (``否``, ``no``, ``0``, ``N``) or full width (``否``, ``ｎｏ``, ``０``, ``Ｎ``), as one
aggregate; and DuckDB's ``translate`` alone by the length of its map (it costs per character of
the map for every cell). Run it with this tree's or another commit's ``src`` first on the path:

    python bench/probe_flag_text.py
    PYTHONPATH=<another tree's src> python bench/probe_flag_text.py --no-translate
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import duckdb
import ibis

from xuanba.ingest.rules import flag_value

WIDE = "０１２３４５６７８９．，－（）＋ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ"
NARROW = "0123456789.,-()+ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cells", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--no-translate", action="store_true", help="skip the map-length sweep")
    args = ap.parse_args()
    print(f"{args.cells:,} cells, load {os.getloadavg()[0]:.2f}, {time.strftime('%H:%M UTC', time.gmtime())}")
    con = ibis.duckdb.connect()
    for name, cells in (("ascii", "['否','no','0','N']"), ("full-width", "['否','ｎｏ','０','Ｎ']")):
        con.con.execute(f"CREATE OR REPLACE TABLE f AS SELECT {cells}[1 + CAST(i % 4 AS BIGINT)] AS q "
                        f"FROM range({args.cells}) t(i)")
        t = con.table("f")
        read, unread = flag_value(t.q)
        query = t.aggregate(yes=read.cast("int64").sum(), unread=unread.cast("int64").sum())
        for _ in range(args.repeat):
            c0, w0 = _cpu(), time.perf_counter()
            got = query.to_pyarrow().to_pylist()[0]
            print(f"flag_value {name}: {time.perf_counter() - w0:.2f} s, CPU {_cpu() - c0:.2f} s, {got}")
    if args.no_translate:
        return
    raw = duckdb.connect()
    raw.execute(f"CREATE TABLE f AS SELECT ['否','ｎｏ','０','Ｎ'][1 + CAST(i % 4 AS BIGINT)] AS q FROM range({args.cells}) t(i)")
    for k in (5, 20, 40, 70):
        c0 = _cpu()
        raw.execute(f"SELECT count(*) FILTER (WHERE translate(q, '{WIDE[:k]}', '{NARROW[:k]}') = 'no') FROM f").fetchall()
        print(f"translate, a map of {k} characters: CPU {_cpu() - c0:.2f} s")


if __name__ == "__main__":
    main()
