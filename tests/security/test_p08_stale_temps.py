"""Point 8: a killed write leaves a hidden ``.xuanba-tmp-*`` file beside the previous one; the next
write into that folder removes it once it can prove the writer dead (its process on this machine is
gone, or the file has not been touched for a day), and keeps the files of live writers."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.test_exports import FRAME
from xuanba import _files
from xuanba.outputs.exports import export_table


def _temp(folder, host: str, pid: int, age_h: float = 0.0):
    path = folder / f"{_files.TEMP_PREFIX}{host}-{pid}-abc123.csv"
    path.write_bytes(b"half a file")
    if age_h:
        t = path.stat().st_mtime - age_h * 3600
        os.utime(path, (t, t))
    return path


@pytest.mark.skipif(os.name != "posix", reason="a dead writer is recognised by its process id on POSIX")
def test_a_write_removes_the_temps_of_dead_writers_and_keeps_the_live_ones(tmp_path):
    host = _files._host()
    dead_proc = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_proc.wait()  # a process id that was used and is gone now
    live_proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        dead = _temp(tmp_path, host, dead_proc.pid)
        live = _temp(tmp_path, host, live_proc.pid)
        mine = _temp(tmp_path, host, os.getpid())
        elsewhere = _temp(tmp_path, "f00baa", dead_proc.pid)  # another machine sharing the folder
        old_elsewhere = _temp(tmp_path, "f00baa", live_proc.pid, age_h=_files.STALE_AFTER_HOURS + 1)
        old_unnamed = tmp_path / f"{_files.TEMP_PREFIX}q1w2e3.html"  # a name of an older xuanba
        old_unnamed.write_bytes(b"x")
        os.utime(old_unnamed, (0, 0))
        young_unnamed = tmp_path / f"{_files.TEMP_PREFIX}r4t5y6.html"
        young_unnamed.write_bytes(b"x")
        user = tmp_path / "xuanba-tmp-not-hidden.csv"  # not ours: a user's file is never touched
        user.write_bytes(b"mine")
        export_table(FRAME, tmp_path / "roster.csv")
        left = {x.name for x in tmp_path.iterdir()}
        assert left == {p.name for p in (live, mine, elsewhere, young_unnamed, user)} | {"roster.csv"}
        assert dead.name not in left and old_elsewhere.name not in left and old_unnamed.name not in left
    finally:
        live_proc.kill()
        live_proc.wait()
    # once the live writer is gone, the next look at the folder removes its file too
    assert _files.remove_stale_temps(tmp_path) == [live]


def test_a_folder_is_looked_at_once_a_minute_not_at_every_write(tmp_path, monkeypatch):
    looks = []
    monkeypatch.setattr(_files, "remove_stale_temps", lambda folder: looks.append(folder) or [])
    for i in range(50):
        _files.write_text_atomic(tmp_path / f"p{i}.html", "x")
    assert looks == [tmp_path]
