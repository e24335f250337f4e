"""``xuanba demo``: the main job on the bundled demo data, with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from xuanba.cli._common import JsonOpt, console, emit_json, handle_errors

LABELS = {
    "en": {
        "ingest": "ingest the GBK sales log and side tables",
        "standard": "write the starter standard",
        "rounds": "run two selection rounds and compare them",
        "facts": "the customer facts the round stored",
        "models": "the customer-base models the round fitted",
        "report": "write the round report and statements",
        "accounts": "account work: profit by size, keep-warm, sheet",
    },
    "zh": {
        "ingest": "导入 GBK 销售流水与客户资料",
        "standard": "生成入门选拔标准",
        "rounds": "运行两轮选拔并比较",
        "facts": "本轮保存的客户事实",
        "models": "本轮拟合的客户基础模型",
        "report": "生成本轮报告与客户说明",
        "accounts": "客户经营：按规模利润、保温名单、资源单",
    },
}


FILES = {
    "en": {"workspace": "workspace", "facts": "customer facts", "predictions": "predictions",
           "model_purchases": "purchase model", "model_spend": "spend model", "standard": "standard",
           "roster": "roster and diff", "report": "round report", "statements": "customer statements",
           "profit_bands": "profit by size"},
    "zh": {"workspace": "工作区", "facts": "客户事实", "predictions": "预测", "model_purchases": "购买模型",
           "model_spend": "消费模型", "standard": "选拔标准", "roster": "名单与变化", "report": "本轮报告",
           "statements": "客户说明", "profit_bands": "按规模利润"},
}


def _params(info: dict[str, Any]) -> str:
    return " ".join(f"{k}={v:.3g}" for k, v in info.items() if k not in ("model", "loglik"))


def story(summary: dict[str, Any], lang: str) -> list[str]:
    """What the demo found, in a few sentences of ``lang`` (the --json output has every number)."""
    ing = summary.get("ingest", {})
    zh = lang == "zh"
    lines = []
    if ing:
        lines.append(
            f"导入 {ing['input_rows']:,} 行 = 载入 {ing['loaded']:,} + 合并 {ing['merged']:,} + 拒收 "
            f"{ing['rejected']:,}（其中退货 {ing['returns']:,} 行）" if zh else
            f"Ingested {ing['input_rows']:,} rows = {ing['loaded']:,} loaded + {ing['merged']:,} merged + "
            f"{ing['rejected']:,} rejected ({ing['returns']:,} returns)")
    if "facts_rows" in summary:
        lines.append(f"客户 {summary['facts_rows']:,} 位，其中 {summary['repeat_buyers']:,} 位有复购" if zh else
                     f"{summary['facts_rows']:,} customers, {summary['repeat_buyers']:,} with repeat purchases")
    if "model_purchases" in summary:
        p, s = summary["model_purchases"], summary["model_spend"]
        lines.append(f"{'模型：' if zh else 'Models: '}{p['model']} {_params(p)}; {s['model']} {_params(s)}")
    if "round" in summary:
        r, d = summary["round"], summary.get("diff", {})
        lines.append(
            f"第 {r['round_id']} 轮：{r['customers']:,} 位客户中入选 {r['selected']:,} 位；与上一轮相比新进 "
            f"{d.get('entered', 0):,}、退出 {d.get('left', 0):,}，排名相关 {d.get('rank_correlation', 0):.2f}" if zh else
            f"Round {r['round_id']}: {r['selected']:,} of {r['customers']:,} customers selected; since the "
            f"previous round {d.get('entered', 0):,} entered, {d.get('left', 0):,} left, rank correlation "
            f"{d.get('rank_correlation', 0):.2f}")
    if "whale_peak" in summary:
        w = summary["whale_peak"]
        lines.append(f"利润鲸鱼曲线：前 {w['customer_pct']}% 的客户贡献 {w['profit_pct']}% 的利润（近 365 天，扣除服务成本）"
                     if zh else f"Whale curve: the top {w['customer_pct']}% of customers earn {w['profit_pct']}% of "
                     "profit after cost-to-serve over the last 365 days")
    return lines


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the app."""

    @app.command("demo")
    @handle_errors
    def demo(
        out: Annotated[Path, typer.Option(help="Folder for the demo workspace and outputs.")] = Path("xuanba-demo"),
        lang: Annotated[str, typer.Option(help="Language of the outputs: zh or en.")] = "zh",
        as_json: JsonOpt = False,
    ) -> None:
        """Run the whole job on the bundled demo data and write the outputs to a folder."""
        from xuanba.demo.pipeline import STEPS, run_demo
        from xuanba.errors import InputError

        if lang not in LABELS:
            raise InputError(f"--lang {lang!r} is not known", fix="Use zh or en.")
        labels = LABELS[lang]
        with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                      console=console, disable=as_json, transient=False) as bar:
            task = bar.add_task("xuanba demo", total=len(STEPS))

            def step(name: str) -> None:  # called as each step starts: the steps before it are done
                bar.update(task, completed=list(STEPS).index(name), description=labels.get(name, name))

            result = run_demo(out, lang=lang, progress=step)
            bar.update(task, completed=len(STEPS), description="done" if lang == "en" else "完成")
        if as_json:
            emit_json({"out": str(result.out_dir), "paths": {k: str(v) for k, v in result.paths.items()},
                       "summary": result.summary})
            return
        for line in story(result.summary, lang):
            console.print(line)
        files = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
        for key, path in result.paths.items():
            files.add_row(FILES[lang].get(key, key), str(path))
        console.print()
        console.print(files)
