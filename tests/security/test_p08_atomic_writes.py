"""Point 8: every output is written whole or not at all. Each file (export, report, statements and
their PDFs, facts, rejects, account sheets, saved models, the starter standard) is written to a
hidden temporary file in its folder and renamed into place, so a kill or a full disk leaves the
previous file intact; a killed write's temporary file is removed by the next write into that
folder; a killed GBK ingest leaves no transcoded copy behind."""

from __future__ import annotations

import ast
import errno
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests._helpers import kill_when
from tests.test_exports import FRAME
from xuanba import _files, tables
from xuanba.outputs.exports import export_round, export_table


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _half_then_full(real):
    """A writer that writes part of the file, then finds the disk full."""
    def write(self, path, *args, **kwargs):
        real(self.head(1), path, *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device")
    return write


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_a_full_disk_half_way_leaves_the_previous_export_intact(tmp_path, monkeypatch, suffix):
    target = tmp_path / f"roster{suffix}"
    export_table(FRAME, target)
    before = target.read_bytes()
    if suffix == ".csv":
        monkeypatch.setattr(pd.DataFrame, "to_csv", _half_then_full(pd.DataFrame.to_csv))
    elif suffix == ".parquet":
        monkeypatch.setattr(pd.DataFrame, "to_parquet", _half_then_full(pd.DataFrame.to_parquet))
    else:
        real_write = tables.write_sheets

        def write_sheets(sheets, path):
            real_write([(name, frame.head(1), *look) for name, frame, *look in sheets], path)
            raise OSError(errno.ENOSPC, "No space left on device")
        monkeypatch.setattr(tables, "write_sheets", write_sheets)
    with pytest.raises(OSError, match="No space"):
        export_table(pd.concat([FRAME] * 50), target)
    assert target.read_bytes() == before
    assert sorted(x.name for x in tmp_path.iterdir()) == [target.name]


def test_a_failed_rename_leaves_the_previous_files_and_no_temp_file(real_ws, tmp_path, monkeypatch):
    from xuanba.accounts.resources import write_sheet
    from xuanba.outputs.report import write_report

    report, sheet, csv = tmp_path / "r.html", tmp_path / "s.html", tmp_path / "t.csv"
    write_report(real_ws, "latest", report)
    write_sheet("# old\n", sheet)
    export_table(FRAME, csv)
    before = {p: p.read_bytes() for p in (report, sheet, csv)}
    monkeypatch.setattr(_files.os, "replace", _disk_full)
    with pytest.raises(OSError):
        write_report(real_ws, "1", report)
    with pytest.raises(OSError):
        write_sheet("# new\n", sheet)
    with pytest.raises(OSError):
        export_round(real_ws, "latest", csv)
    assert {p: p.read_bytes() for p in before} == before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["r.html", "s.html", "t.csv"]


def test_statement_pages_are_written_atomically(real_ws, tmp_path, monkeypatch):
    from xuanba.outputs.statements import write_statements

    pages = write_statements(real_ws, "latest", tmp_path / "st", customers=None, lang="en")[:3]
    before = {p: p.read_bytes() for p in pages}
    monkeypatch.setattr(_files, "_fsync", _disk_full)
    with pytest.raises(OSError):
        write_statements(real_ws, "1", tmp_path / "st", lang="en")
    assert {p: p.read_bytes() for p in pages} == before
    assert not [x for x in (tmp_path / "st").iterdir() if x.name.startswith(_files.TEMP_PREFIX)]


def test_a_killed_export_leaves_the_previous_file_and_the_next_write_removes_its_temp(tmp_path):
    target = tmp_path / "big.csv"
    export_table(FRAME, target)
    before = target.read_bytes()
    code = ("import sys, numpy as np, pandas as pd; from xuanba.tables import write_table; "
            "n = 3_000_000; write_table(pd.DataFrame({'a': np.arange(n), 'b': ['x' * 20] * n}), sys.argv[1])")
    proc = subprocess.Popen([sys.executable, "-c", code, str(target)])

    def writing() -> bool:
        temps = [x for x in tmp_path.iterdir() if x.name.startswith(_files.TEMP_PREFIX)]
        return bool(temps) and temps[0].stat().st_size > 0

    kill_when(proc, writing, "export")
    assert target.read_bytes() == before
    if os.name == "posix":  # the killed writer is known to be gone by its process id
        assert writing()  # its temporary file is left ...
        _files._swept.clear()  # (this process looked at the folder a moment ago; a new command has not)
        export_table(FRAME.head(1), tmp_path / "other.csv")  # ... until the next write into the folder
        assert sorted(x.name for x in tmp_path.iterdir()) == ["big.csv", "other.csv"]
        assert target.read_bytes() == before


# -- the GBK ingest's transcoded copy ------------------------------------------------------------


def _gbk_file(path, rows: int = 3):
    pd.DataFrame({"客户编号": ["王记"] * rows, "日期": ["2026-01-01"] * rows, "金额": [1.5] * rows}).to_csv(
        path, index=False, encoding="gbk")
    return path


def test_a_failed_gbk_ingest_leaves_no_transcoded_copy(tmp_path, monkeypatch):
    from xuanba import Workspace
    from xuanba.ingest import encodings, ingest

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    real = encodings._transcode

    def transcode_then_fail(path, encoding, out):
        real(path, encoding, out)
        assert out.stat().st_size > 0
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(encodings, "_transcode", transcode_then_fail)
    with Workspace(":memory:") as ws, pytest.raises(OSError, match="No space"):
        ingest(_gbk_file(tmp_path / "gbk.csv"), ws)
    assert list(tmp.iterdir()) == []


@pytest.mark.skipif(os.name != "posix", reason="a killed process is recognised by its id on POSIX")
def test_the_copy_of_a_killed_gbk_ingest_is_removed_by_the_next_ingest(tmp_path, monkeypatch):
    from xuanba import Workspace
    from xuanba.ingest import ingest

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    big = _gbk_file(tmp_path / "big.csv", rows=400_000)
    code = "import sys; from xuanba import Workspace; from xuanba.ingest import ingest; ingest(sys.argv[1], Workspace(':memory:'))"
    proc = subprocess.Popen([sys.executable, "-c", code, str(big)], env={**os.environ, "TMPDIR": str(tmp)})
    kill_when(proc, lambda: bool(list(tmp.glob("xuanba-ingest-*/*"))), "ingest")
    assert list(tmp.glob("xuanba-ingest-*"))  # the killed run could not clean up after itself
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    with Workspace(":memory:") as ws:
        ingest(_gbk_file(tmp_path / "small.csv"), ws)
    assert list(tmp.iterdir()) == []


# -- a full disk at each write -----------------------------------------------------------------


class FullAt:
    """Stands in for the flush of every atomic write; the ``at``-th one finds the disk full."""

    def __init__(self, at: int):
        self.at, self.calls = at, 0
        self.real = _files._fsync

    def __call__(self, path):
        self.calls += 1
        if self.calls == self.at:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.real(path)


def _snapshot(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_full_disk_at_each_statement_write_leaves_every_file_whole(tmp_path, monkeypatch):
    """Five pages and the index: whichever write finds the disk full, the files before it are the
    new ones, that file and the ones after it are the previous ones, and no temporary file is left."""
    from xuanba.outputs._synthetic import synthetic_round
    from xuanba.outputs.statements import build_statements

    rnd = synthetic_round(30, seed=4)
    ids = list(rnd.roster["customer_id"].head(5))
    build_statements(rnd, tmp_path / "new", customers=ids, lang="zh")
    new = _snapshot(tmp_path / "new")
    order = [*(p.name for p in build_statements(rnd, tmp_path / "order", customers=ids, lang="zh")), "index.json"]
    assert len(order) == 6
    for at in range(1, len(order) + 1):
        out = tmp_path / f"at{at}"
        build_statements(rnd, out, customers=ids, lang="en")
        old = _snapshot(out)
        monkeypatch.setattr(_files, "_fsync", FullAt(at))
        with pytest.raises(OSError) as err:
            build_statements(rnd, out, customers=ids, lang="zh")
        monkeypatch.undo()
        assert err.value.errno == errno.ENOSPC and err.value.filename == str(out / order[at - 1])
        now = _snapshot(out)
        assert list(now) == list(old)  # no temporary file, nothing missing
        for i, name in enumerate(order):
            assert now[name] == (new[name] if i < at - 1 else old[name]), (at, name)


@pytest.mark.parametrize("command", ["statements", "export", "report"])
def test_a_full_disk_at_each_write_of_a_command_ends_in_exit_5_and_keeps_the_files(real_ws, tmp_path,
                                                                                   monkeypatch, command):
    from typer.testing import CliRunner

    from xuanba.cli import app
    from xuanba.errors import WorkspaceError

    out = tmp_path / "out"
    args = {"statements": ["statements", "latest", "--out", str(out), "-c", "K0001", "-c", "K0002"],
            "export": ["export", "2", "--out", str(out / "round.csv"), "--tables", "roster,diff", "--against", "1"],
            "report": ["report", "latest", "-o", str(out / "r.html")]}[command] + ["-w", str(real_ws)]
    runner = CliRunner()
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    before = _snapshot(out)
    writes = {"statements": 3, "export": 2, "report": 1}[command]
    for at in range(1, writes + 1):
        for p in out.iterdir():  # back to the previous files, changed so a rewrite would show
            p.write_bytes(before[p.name] + b" ")
        previous = _snapshot(out)
        monkeypatch.setattr(_files, "_fsync", FullAt(at))
        res = runner.invoke(app, args)
        monkeypatch.undo()
        assert res.exit_code == WorkspaceError.exit_code, (at, res.output)
        assert "disk is full" in res.output and "a previous file of that name is unchanged" in res.output
        assert "Traceback" not in res.output
        now = _snapshot(out)
        assert list(now) == list(previous)
        assert sum(now[n] != previous[n] for n in now) == at - 1  # the writes before the full one, whole


@pytest.mark.parametrize("writer", ["starter", "model", "sheet", "demo_sales"])
def test_every_kind_of_output_keeps_the_previous_file_on_a_full_disk(tmp_path, monkeypatch, writer):
    from xuanba.accounts.resources import write_sheet
    from xuanba.demo.generate import write_sales
    from xuanba.models import BGNBD
    from xuanba.standard.starter import write_starter

    path = tmp_path / {"starter": "s.toml", "model": "m.json", "sheet": "s.html", "demo_sales": "d.csv"}[writer]
    rng = np.random.default_rng(2)
    freq = rng.poisson(2, 200)
    model = BGNBD(penalizer=0.01).fit(pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(200)], "frequency": freq, "T": 40.0,
        "recency": np.where(freq > 0, rng.uniform(1, 40, 200), 0.0)})) if writer == "model" else None
    write = {"starter": lambda: write_starter(path, "en", overwrite=True), "model": lambda: model.save(path),
             "sheet": lambda: write_sheet("# sheet\n", path), "demo_sales": lambda: write_sales(path, n_rows=50)}[writer]
    path.write_bytes(b"the previous file")
    monkeypatch.setattr(_files, "_fsync", FullAt(1))
    with pytest.raises(OSError) as err:
        write()
    monkeypatch.undo()
    assert err.value.errno == errno.ENOSPC
    assert _snapshot(tmp_path) == {path.name: b"the previous file"}
    write()
    assert path.read_bytes() != b"the previous file"


# -- statement PDFs ------------------------------------------------------------------------------


@pytest.fixture()
def pages(tmp_path):
    """Two statement pages, each with a previous PDF beside it."""
    from xuanba.outputs._synthetic import synthetic_round
    from xuanba.outputs.statements import build_statements

    rnd = synthetic_round(30, seed=4)
    out = build_statements(rnd, tmp_path, customers=list(rnd.roster["customer_id"].head(2)))
    for page in out:
        page.with_suffix(".pdf").write_bytes(b"%PDF-1.4 previous")
    return out


def _chromium_command(monkeypatch, prints):
    """Print through a stand-in of the ``chromium`` command: ``prints(i)`` is what its i-th run
    writes to the --print-to-pdf file (None: nothing), or an exception to stop with after writing."""
    from xuanba.outputs import statements

    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)  # no Playwright: the command is used
    monkeypatch.setattr(statements, "_chromium", lambda: "chromium")
    runs = []

    def run(cmd, **kwargs):
        runs.append(cmd)
        target = next(a for a in cmd if a.startswith("--print-to-pdf=")).split("=", 1)[1]
        data = prints(len(runs))
        if isinstance(data, BaseException):
            with open(target, "wb") as fh:
                fh.write(b"%PDF-1.7 half a pa")
            raise data
        if data is not None:
            with open(target, "wb") as fh:
                fh.write(data)
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(statements.subprocess, "run", run)
    return runs


def test_statement_pdfs_printed_by_the_chromium_command_are_written_whole(pages, monkeypatch):
    from xuanba.errors import DataError
    from xuanba.outputs.statements import print_pdfs

    folder = pages[0].parent
    failure = subprocess.CalledProcessError(1, "chromium")
    _chromium_command(monkeypatch, lambda i: b"%PDF-1.7 new" if i == 1 else failure)
    with pytest.raises(DataError, match="Chromium could not print the page to PDF"):
        print_pdfs(pages)
    assert pages[0].with_suffix(".pdf").read_bytes() == b"%PDF-1.7 new"
    assert pages[1].with_suffix(".pdf").read_bytes() == b"%PDF-1.4 previous"
    assert not [x for x in folder.iterdir() if x.name.startswith(_files.TEMP_PREFIX)]
    _chromium_command(monkeypatch, lambda i: None)  # exits 0 having printed nothing
    with pytest.raises(DataError, match="printed no PDF"):
        print_pdfs(pages[1:])
    assert pages[1].with_suffix(".pdf").read_bytes() == b"%PDF-1.4 previous"
    runs = _chromium_command(monkeypatch, lambda i: b"%PDF-1.7 all")
    assert print_pdfs(pages) == [p.with_suffix(".pdf") for p in pages]
    assert {p.with_suffix(".pdf").read_bytes() for p in pages} == {b"%PDF-1.7 all"}
    assert all(f"--print-to-pdf={p.with_suffix('.pdf')}" not in r for p in pages for r in runs)  # never in place
    assert not [x for x in folder.iterdir() if x.name.startswith(_files.TEMP_PREFIX)]


def test_statement_pdfs_printed_through_playwright_are_written_whole(pages, monkeypatch):
    import types

    from xuanba.outputs import statements

    printed = iter([b"%PDF-1.7 first", OSError(errno.ENOSPC, "No space left on device")])

    def pdf(**kwargs):
        assert "path" not in kwargs  # Playwright never writes the destination itself
        item = next(printed)
        if isinstance(item, BaseException):
            raise item
        return item

    page = types.SimpleNamespace(goto=lambda url: None, pdf=pdf)
    browser = types.SimpleNamespace(new_page=lambda: page, close=lambda: None)
    engine = types.SimpleNamespace(chromium=types.SimpleNamespace(launch=lambda **kw: browser))

    class Sync:
        def __enter__(self):
            return engine

        def __exit__(self, *exc):
            return False

    monkeypatch.setitem(sys.modules, "playwright.sync_api", types.SimpleNamespace(sync_playwright=Sync))
    monkeypatch.setattr(statements, "_chromium", lambda: "chromium")
    with pytest.raises(OSError, match="No space"):
        statements.print_pdfs(pages)
    assert pages[0].with_suffix(".pdf").read_bytes() == b"%PDF-1.7 first"
    assert pages[1].with_suffix(".pdf").read_bytes() == b"%PDF-1.4 previous"
    assert not [x for x in pages[0].parent.iterdir() if x.name.startswith(_files.TEMP_PREFIX)]


# -- no module writes a file but through xuanba._files -------------------------------------------

#: Writes that are not outputs, each with why: what they write is itself a temporary file.
NOT_OUTPUTS = {
    ("ingest/encodings.py", "open"),  # the transcoded UTF-8 copy, in a private temporary folder
    ("ingest/read.py", "open"),  # that copy from its header down (_from_line), in the same folder
    ("_xlsx.py", "ZipFile"),  # the workbook, into the temporary path tables.write_table gives it
    ("rounds/roster_out.py", "to_parquet"),  # _write_parquet: into the temporary tree atomic_tree gives it
}
WRITING_METHODS = {"write_text", "write_bytes", "to_csv", "to_parquet", "to_excel", "to_json", "to_html",
                   "to_feather", "savefig", "write_html", "write_image", "save_workbook"}


def file_writes(source: str) -> list[tuple[str, int]]:
    """The calls in ``source`` that write a file other than a temporary path of
    ``with atomic_path(...) as tmp`` or ``atomic_tree`` (by name, method and mode): ``(what, line)``."""
    nodes = list(ast.walk(ast.parse(source)))  # walked once, read three times (a whole package is scanned)
    temps = {item.optional_vars.id for node in nodes if isinstance(node, ast.With | ast.AsyncWith)
             for item in node.items
             if isinstance(item.context_expr, ast.Call) and getattr(item.context_expr.func, "id", "") in ("atomic_path", "atomic_tree")
             and isinstance(item.optional_vars, ast.Name)}

    def is_temp(node: ast.AST | None) -> bool:
        return isinstance(node, ast.Name) and node.id in temps

    def mode(call: ast.Call, pos: int) -> str:
        args = [*call.args[pos:pos + 1], *(k.value for k in call.keywords if k.arg == "mode")]
        return next((a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)), "r")

    in_fstrings = {id(v) for node in nodes if isinstance(node, ast.JoinedStr) for v in node.values}
    found = []
    for node in nodes:
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            target = node.args[0] if node.args else None
            if name in WRITING_METHODS and isinstance(func, ast.Attribute):
                into = func.value if name in ("write_text", "write_bytes") else target
                if name in ("to_csv", "to_json", "to_html") and into is None:
                    continue  # no path: returns the text
                if not is_temp(into):
                    found.append((name, node.lineno))
            elif name == "open" and isinstance(func, ast.Name) and set(mode(node, 1)) & set("wax+"):
                found += [] if is_temp(target) else [("open", node.lineno)]
            elif name == "open" and isinstance(func, ast.Attribute) and set(mode(node, 0)) & set("wax+"):
                found += [] if is_temp(func.value) else [("open", node.lineno)]
            elif name == "ZipFile" and set(mode(node, 1)) & set("wax"):
                found += [] if is_temp(target) else [("ZipFile", node.lineno)]
            elif name in ("copy", "copyfile", "copy2", "move", "rename", "replace") and isinstance(func, ast.Attribute) \
                    and getattr(func.value, "id", "") in ("shutil", "os"):
                found.append((name, node.lineno))
            elif name == "pdf" and any(k.arg == "path" for k in node.keywords):
                found.append(("pdf(path=)", node.lineno))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in in_fstrings:
            if re.search(r"(?i)\bCOPY\b.+\bTO\b", node.value) or "--print-to-pdf=" in node.value:
                found.append((node.value.strip()[:20], node.lineno))
        elif isinstance(node, ast.JoinedStr):
            parts = [v for v in node.values if isinstance(v, ast.Constant)]
            if any("--print-to-pdf=" in v.value for v in parts):
                values = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
                if not all(is_temp(v) for v in values):
                    found.append(("--print-to-pdf", node.lineno))
    return found


def test_no_module_writes_a_file_but_through_the_atomic_writer():
    src = Path(_files.__file__).parent
    offenders = set()
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src).as_posix()
        if rel == "_files.py":
            continue
        offenders |= {(rel, what) for what, _ in file_writes(path.read_text(encoding="utf-8"))}
    assert offenders == NOT_OUTPUTS


def test_the_scan_finds_the_writes_it_forbids():
    bad = ['p.write_text("x")', 'df.to_csv(path, index=False)', 'open(p, "w")', 'open(p, mode="ab")',
           'p.open("wb")', 'zipfile.ZipFile(p, "w")', 'shutil.copy(a, b)', 'os.replace(a, b)',
           'page.pdf(path=str(p))', 'run([exe, f"--print-to-pdf={pdf}"])', 'con.execute("COPY t TO \'x.csv\'")']
    for line in bad:
        assert file_writes(line), line
    fine = ['df.to_csv(index=False)', 'open(p)', 'open(p, "rb")', 'p.read_text()',
            'with atomic_path(p) as tmp:\n    tmp.write_text("x")\n    df.to_parquet(tmp)\n    open(tmp, "wb")',
            'with atomic_path(p) as tmp:\n    run([exe, f"--print-to-pdf={tmp}"])']
    for code in fine:
        assert file_writes(code) == [], code


def test_a_folder_written_by_an_engine_is_replaced_whole_or_left_as_it_was(tmp_path, monkeypatch):
    from pathlib import Path

    dest = tmp_path / "fields.parquet"
    dest.mkdir()
    (dest / "part-0").write_text("previous")

    def write(tmp: Path, text: str, fail: bool = False) -> None:
        tmp.mkdir()
        (tmp / "part-0").write_text(text)
        if fail:
            raise OSError("No space left on device")

    with pytest.raises(OSError, match="No space"), _files.atomic_tree(dest) as tmp:
        write(tmp, "half", fail=True)
    assert (dest / "part-0").read_text() == "previous" and sorted(p.name for p in tmp_path.iterdir()) == [dest.name]

    real = Path.rename

    def rename_fails_into_place(self: Path, target: Path) -> Path:  # the swap dies after the old moved aside
        if Path(target) == dest and self.name.startswith(_files.TEMP_PREFIX) and "old-" not in self.name:
            raise OSError("disk gone")
        return real(self, target)

    monkeypatch.setattr(Path, "rename", rename_fails_into_place)
    with pytest.raises(OSError, match="disk gone"), _files.atomic_tree(dest) as tmp:
        write(tmp, "new")
    assert (dest / "part-0").read_text() == "previous" and sorted(p.name for p in tmp_path.iterdir()) == [dest.name]
    monkeypatch.setattr(Path, "rename", real)
    with _files.atomic_tree(dest) as tmp:
        write(tmp, "new")
    assert (dest / "part-0").read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == [dest.name]
