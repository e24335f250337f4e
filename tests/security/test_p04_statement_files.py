"""Point 4: one statement file per exact customer id, on every common file system.

Customers ``a/b``, ``a_b-2`` and ``a_b`` used to share file names (one customer's page overwrote
another's), ``Abc`` and ``abc`` would share one on a case-insensitive file system, and a long CJK
id stopped the run. The index (and ``--json``) maps each id to its file."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from typer.testing import CliRunner

from xuanba.cli import app
from xuanba.outputs._synthetic import synthetic_round
from xuanba.outputs.statements import build_statements, safe_filename


def test_every_customer_of_the_demo_round_has_a_file_of_its_own(demo):
    ids = [str(c) for c in demo.rnd.roster["customer_id"]]
    assert [p.name for p in demo.paths] == [safe_filename(c) for c in ids]
    folded = {unicodedata.normalize("NFC", p.name).casefold() for p in demo.paths}
    assert len(folded) == len(ids) == 3_000
    index = json.loads((demo.paths[0].parent / "index.json").read_text("utf-8"))
    assert index == {c: p.name for c, p in zip(ids, demo.paths, strict=True)}
    folder = demo.paths[0].parent
    for cid, name in index.items():  # the page behind each name is that customer's
        page = (folder / name).read_text("utf-8")
        assert re.search(r"<strong>(.*?)</strong>", page, re.S).group(1) == cid


IDS = ["a/b", "a_b-2", "a_b", "Abc", "abc", "客" * 120, "../../etc/passwd", "CON", "nul\x00id", "new\nline",
       "A_B", " a b "]
WINDOWS = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.I)


def _renamed(ids: list[str]):
    r = synthetic_round(40, seed=3)
    old = list(r.roster["customer_id"].head(len(ids)))
    mapping = dict(zip(old, ids, strict=True))
    r.roster["customer_id"] = r.roster["customer_id"].map(lambda x: mapping.get(x, x))
    r.contributions["customer_id"] = r.contributions["customer_id"].map(lambda x: mapping.get(x, x))
    return r


def test_one_file_per_exact_id_on_every_file_system(tmp_path):
    rnd = _renamed(IDS)
    out = tmp_path / "st"
    paths = build_statements(rnd, out, customers=IDS)
    names = [p.name for p in paths]
    assert len({unicodedata.normalize("NFC", n).casefold() for n in names}) == len(IDS)
    for cid, p in zip(IDS, paths, strict=True):
        assert p.parent == out and p.name == safe_filename(cid)
        assert len(p.name.encode("utf-8")) <= 255 and not WINDOWS.match(p.name)
        assert not re.search(r'[<>:"/\\|?*\x00-\x1f]', p.name) and p.name == p.name.strip(" .")
        page = p.read_text("utf-8")
        shown = re.search(r"<strong>(.*?)</strong>", page, re.S).group(1)
        assert shown == cid.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert sorted(x.name for x in out.iterdir()) == sorted([*names, "index.json"])
    assert json.loads((out / "index.json").read_text("utf-8")) == dict(zip(IDS, names, strict=True))


def test_statements_json_maps_each_id_to_its_file(tmp_path, monkeypatch):
    from xuanba.outputs import statements

    rnd = _renamed(IDS[:5])
    monkeypatch.setattr("xuanba.rounds.load_round", lambda ws, rid, fields=True: rnd)
    monkeypatch.setattr("xuanba.workspace.open_workspace", _FakeWs)
    res = CliRunner().invoke(app, ["statements", "latest", "--out", str(tmp_path / "s"), "-c", "a/b",
                                   "-c", "a_b-2", "-c", "a_b", "-c", "Abc", "-c", "abc", "--json"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)["customers"]
    assert got == {cid: str(tmp_path / "s" / statements.safe_filename(cid)) for cid in IDS[:5]}
    assert len(set(got.values())) == 5
    for cid, path in got.items():
        assert f"<strong>{cid}</strong>" in Path(path).read_text("utf-8")


class _FakeWs:
    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_index_keeps_earlier_runs(tmp_path):
    rnd = _renamed(IDS[:3])
    build_statements(rnd, tmp_path, customers=IDS[:2])
    build_statements(rnd, tmp_path, customers=IDS[2:3])
    index = json.loads((tmp_path / "index.json").read_text("utf-8"))
    assert index == {cid: safe_filename(cid) for cid in IDS[:3]}
    assert len(set(index.values())) == 3
