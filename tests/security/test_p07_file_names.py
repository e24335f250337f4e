"""Point 7: a file name given to ``export --out`` is honoured. ``export --out NAME.csv`` used to
write ``roster.csv`` and overwrote a user's file of that name; a folder gets one file per table,
and no other file in the folder is touched."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from tests.test_exports import FRAME
from xuanba.cli import app
from xuanba.outputs.exports import export_tables


def test_a_csv_file_name_is_honoured_and_other_files_are_left_alone(tmp_path):
    mine = tmp_path / "roster.csv"
    mine.write_bytes(b"my own file")
    [p] = export_tables({"roster": FRAME}, tmp_path / "round.csv")
    assert p == tmp_path / "round.csv" and p.read_bytes()[:3] == b"\xef\xbb\xbf"
    assert mine.read_bytes() == b"my own file"
    paths = export_tables({"roster": FRAME, "diff": FRAME.head(1)}, tmp_path / "round.csv")
    assert [p.name for p in paths] == ["round-roster.csv", "round-diff.csv"]
    assert len(pd.read_csv(paths[1], encoding="utf-8-sig")) == 1
    assert mine.read_bytes() == b"my own file"


def test_export_command_honours_a_file_name(real_ws, tmp_path):
    mine = tmp_path / "roster.csv"
    mine.write_bytes(b"my own file")
    res = CliRunner().invoke(app, ["export", "2", "--out", str(tmp_path / "round.csv"), "-w", str(real_ws), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["files"] == [str(tmp_path / "round.csv")]
    assert len(pd.read_csv(tmp_path / "round.csv", encoding="utf-8-sig")) == 300
    assert mine.read_bytes() == b"my own file"
    res = CliRunner().invoke(app, ["export", "2", "--out", str(tmp_path / "round.csv"), "--tables", "roster,diff",
                                   "--against", "1", "-w", str(real_ws), "--json"])
    assert res.exit_code == 0, res.output
    assert [f.rsplit("/", 1)[-1] for f in json.loads(res.stdout)["files"]] == ["round-roster.csv", "round-diff.csv"]
