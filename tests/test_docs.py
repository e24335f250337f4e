"""The code of the docs runs: docs/coming-from-lifetimes.md on the CDNOW sample, and the tutorial
(docs/tutorial.en.md, docs/tutorial.zh.md) from an Excel export to a report and statements."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
DATA = Path(__file__).parent / "data"


def blocks(page: str, lang: str) -> list[str]:
    """The fenced ``lang`` code blocks of a docs page, in order."""
    return re.findall(rf"```{lang}\n(.*?)```", (DOCS / page).read_text("utf-8"), re.S)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def sheet(page: str, name: str) -> tuple[str | None, list[str], list[list[str]]]:
    """The sheet a tutorial shows as a table under ``<!-- sheet: name -->``: its title line (or
    ``None``), its header and its sample rows."""
    text = (DOCS / page).read_text("utf-8")
    after = text[text.index(f"<!-- sheet: {name} -->"):].split("\n")[1:]
    lines = [ln for ln in after[:after.index("")] if not ln.startswith("| ---")]
    first = _cells(lines[0])
    if all(c == "" for c in first[1:]):
        return first[0], _cells(lines[1]), [_cells(ln) for ln in lines[2:]]
    return None, first, [_cells(ln) for ln in lines[1:]]


# the tutorial's tea shop, in English (its export from the same system as the demo data)
PRODUCTS_EN = {"绿茶礼盒": "Green tea gift box", "保温杯": "Travel mug", "花茶组合": "Flower tea set",
               "滤茶器": "Tea strainer", "乌龙茶罐装": "Oolong tin", "茶点心": "Tea snacks", "白茶饼": "White tea cake",
               "办公茶包(100袋)": "Office tea bags (100)", "红茶散装500g": "Black tea 500 g", "茶具套装": "Tea set",
               "普洱茶饼": "Pu-erh cake", "企业定制礼盒": "Custom gift box"}
PEOPLE = {"en": (["Alice Chen", "Bob Li", "Carol Wang"], ["North", "East", "South"], "Customer {i} Ltd"),
          "zh": (["张伟", "王芳", "李娜"], ["华北", "华东", "华南"], "客户{i}有限公司")}
N_CUSTOMERS = 200


def make_tutorial_files(folder: Path, lang: str) -> dict:
    """Write sales.xlsx and customers.xlsx in the shapes the tutorial shows (title line, headers,
    sample rows), from the demo sales log cut to its first customers."""
    import openpyxl
    import pandas as pd

    from xuanba.demo import demo_sales_path

    page = f"tutorial.{lang}.md"
    raw = pd.read_csv(demo_sales_path(), encoding="gbk", dtype=str)
    ids = sorted(i for i in raw["客户编号"].dropna().unique() if i.strip())[:N_CUSTOMERS]
    sales = raw.loc[raw["客户编号"].isin(ids), ["客户编号", "订单号", "下单日期", "产品", "数量", "单价", "金额", "成本"]]
    if lang == "en":
        sales = sales.assign(产品=sales["产品"].map(PRODUCTS_EN))
    title, header, sample = sheet(page, "sales.xlsx")
    sales.columns = header
    assert title and sample == sales.head(len(sample)).to_numpy().tolist()  # the page shows the file's lines
    book = openpyxl.Workbook()
    ws = book.active
    ws.append([title])
    ws.append(header)
    for row in sales.itertuples(index=False):
        ws.append(list(row))
    book.save(folder / "sales.xlsx")
    owners, regions, name = PEOPLE[lang]
    _, cheader, csample = sheet(page, "customers.xlsx")
    people = pd.DataFrame({cheader[0]: ids, cheader[1]: [name.format(i=i) for i in range(len(ids))],
                           cheader[2]: [owners[i % 3] for i in range(len(ids))],
                           cheader[3]: [regions[i % 3] for i in range(len(ids))]})
    assert csample == people.head(len(csample)).to_numpy().tolist()
    people.to_excel(folder / "customers.xlsx", index=False)
    return {"lines": len(sales), "names": dict(zip(people[cheader[0]], people[cheader[1]], strict=True))}


def commands(page: str) -> list[list[str]]:
    """Every ``xuanba`` command of the page's bash blocks, in order, as argument lists."""
    import shlex

    out = []
    for block in blocks(page, "bash"):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words:
                assert words[0] == "xuanba", line
                out.append(words[1:])
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_tutorial_runs_from_the_excel_export_to_report_and_statements(tmp_path, monkeypatch, lang):
    from typer.testing import CliRunner

    from xuanba import Workspace
    from xuanba.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("XUANBA_WORKSPACE", raising=False)
    made = make_tutorial_files(tmp_path, lang)
    runner = CliRunner()
    for args in commands(f"tutorial.{lang}.md"):
        res = runner.invoke(app, args)
        assert res.exit_code == 0, f"xuanba {' '.join(args)}\n{res.output}"
    with Workspace(tmp_path / "xuanba.duckdb", read_only=True) as ws:
        acc = ws.sql("SELECT sum(rows) AS r, sum(loaded + merged + rejected) AS n FROM sources WHERE kind = 'transactions'")
        assert int(acc["r"][0]) == int(acc["n"][0]) == made["lines"]  # the title line is not a row
        costs = ws.sql("SELECT count(*) AS n, count(cost) AS c FROM transactions")
        assert int(costs["n"][0]) == int(costs["c"][0]) > 0  # --map gave the cost of every purchase
        people = ws.sql("SELECT customer_id, name FROM customers")
        assert dict(zip(people["customer_id"], people["name"], strict=True)) == made["names"]
        assert int(ws.sql("SELECT count(*) AS n FROM rounds")["n"][0]) == 2
    assert (tmp_path / "report.html").stat().st_size > 10_000
    assert len(list((tmp_path / "statements").glob("*.html"))) == 2
    scope: dict = {}
    code = blocks(f"tutorial.{lang}.md", "python")
    assert len(code) == 1
    exec(compile(code[0], f"tutorial.{lang}.md", "exec"), scope)
    top, rnd = scope["top"], scope["rnd"]
    assert len(top) == rnd.meta["n_selected"] > 0
    assert top["name"].tolist() == [made["names"][c] for c in top["customer_id"]]
    assert made["names"][top.loc[0, "customer_id"]] in rnd._repr_html_()  # the notebook shows the name
    assert [tr.type for tr in scope["fig"].data] and scope["fig"].layout.title.text


def test_coming_from_lifetimes_runs_and_gives_the_published_estimates(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(DATA / "cdnow_sample.parquet", tmp_path / "cdnow_sample.parquet")
    code = blocks("coming-from-lifetimes.md", "python")
    assert len(code) == 2
    scope: dict = {}
    for i, block in enumerate(code):
        exec(compile(block, f"coming-from-lifetimes.md[{i}]", "exec"), scope)
    # Fader, Hardie & Lee (2005), CDNOW sample (tests/data/PUBLISHED.md)
    np.testing.assert_allclose(scope["bgf"].params_[["r", "alpha", "a", "b"]], [0.243, 4.414, 0.793, 2.426], atol=6e-4)
    assert len(scope["expected"]) == len(scope["alive"]) == len(scope["clv"]) == 2357
    assert [type(f).__name__ for f in scope["figures"]] == ["Figure"] * 6
    assert scope["ev"].comparison.index.tolist() and (tmp_path / "cdnow_sample.parquet").exists()
