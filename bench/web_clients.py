"""Lean HTTP clients for ``bench_web_load.py``: many keep-alive connections in one asyncio loop,
in a process of their own.

Each client holds one HTTP/1.1 connection (kept alive, as a browser keeps its connections to a
site) and asks its requests one after another: the request is written whole, the answer read to
the end of its body (``Content-Length`` or chunked), and the time from the write to the last
byte is kept. Anything but a 200 is an error. Nothing is cached and nothing is skipped: each
answer is read in full. The spec comes as JSON on standard input and the result goes as JSON
to standard output, so the clients' Python never shares a process (nor its GIL) with the
timing of the load benchmark.

    echo '{"host": "127.0.0.1", "port": 8000, "cookies": ["xb_session=..."], ...}' | python bench/web_clients.py

Spec: ``host``, ``port``, ``cookies`` (one Cookie header per client), ``plans`` (per client, a
list of ``[kind, path]``), ``max_seconds``. Result: ``times`` and ``errors`` per kind,
``start`` and ``end`` (wall clock, ``time.time()``, of the timed part), ``wall`` seconds and
``cpu`` (this process's user and system seconds while timed).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time


class Connection:
    """One keep-alive HTTP/1.1 connection; reconnects when the server closed it."""

    def __init__(self, host: str, port: int, cookie: str) -> None:
        self.host, self.port, self.cookie = host, port, cookie
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def get(self, path: str) -> tuple[int, int]:
        """``(status, body bytes)`` of a GET of ``path``."""
        if self.writer is None or self.writer.is_closing():
            await self.open()
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nCookie: {self.cookie}\r\n"
                          "Accept: */*\r\nAccept-Encoding: identity\r\n\r\n".encode("latin-1"))
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if line:
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            size = int(headers["content-length"])
            await self.reader.readexactly(size)
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            size = 0
            while True:
                n = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await self.reader.readexactly(n + 2)
                size += n
                if n == 0:
                    break
        else:  # read to the close
            size = len(await self.reader.read())
        if headers.get("connection", "").lower() == "close":
            self.writer.close()
            self.writer = None
        return status, size

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def run(spec: dict) -> dict:
    kinds = sorted({k for plan in spec["plans"] for k, _ in plan})
    times: dict[str, list[float]] = {k: [] for k in kinds}
    errors: dict[str, int] = dict.fromkeys(kinds, 0)
    conns = [Connection(spec["host"], spec["port"], c) for c in spec["cookies"]]
    await asyncio.gather(*(c.open() for c in conns))  # every client connected: the pages are timed
    stop = time.monotonic() + spec["max_seconds"]

    async def client(conn: Connection, plan: list) -> None:
        for kind, path in plan:
            if time.monotonic() > stop:
                return
            t0 = time.perf_counter()
            try:
                status, _ = await asyncio.wait_for(conn.get(path), 30)
                ok = status == 200
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError):
                ok = False
                conn.close()
                conn.writer = None
            times[kind].append(1000 * (time.perf_counter() - t0))
            errors[kind] += not ok

    start, cpu0, t0 = time.time(), time.process_time(), time.perf_counter()
    await asyncio.gather(*(client(c, p) for c, p in zip(conns, spec["plans"], strict=True)))
    wall, cpu, end = time.perf_counter() - t0, time.process_time() - cpu0, time.time()
    for c in conns:
        c.close()
    return {"times": times, "errors": errors, "start": start, "end": end, "wall": wall, "cpu": cpu}


def main() -> None:
    spec = json.load(sys.stdin)
    json.dump(asyncio.run(run(spec)), sys.stdout)


if __name__ == "__main__":
    main()
