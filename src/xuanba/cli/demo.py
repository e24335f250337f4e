"""``xuanba demo``: the main job on the bundled demo data, with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from xuanba.cli._common import JsonOpt, console, emit_json, handle_errors

LABELS = {
    "en": {
        "ingest": "ingest the GBK sales log and side tables",
        "facts": "customer facts at the cutoff",
        "models": "fit the customer-base models",
        "standard": "write the starter standard",
        "rounds": "run two selection rounds and compare them",
        "report": "write the round report and statements",
        "accounts": "account work: profit by size, keep-warm, sheet",
    },
    "zh": {
        "ingest": "导入 GBK 销售流水与客户资料",
        "facts": "计算截止日的客户事实",
        "models": "拟合客户基础模型",
        "standard": "生成入门选拔标准",
        "rounds": "运行两轮选拔并比较",
        "report": "生成本轮报告与客户说明",
        "accounts": "客户经营：按规模利润、保温名单、资源单",
    },
}


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
        for key, value in result.summary.items():
            if isinstance(value, dict):
                value = ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in value.items())
            console.print(f"[bold]{key}[/]: {value}")
        console.print()
        for key, path in result.paths.items():
            console.print(f"[bold]{key}[/]: {path}")
