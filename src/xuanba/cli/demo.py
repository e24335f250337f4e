"""``xuanba demo``: the main job on the bundled demo data, with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from xuanba.cli._common import (
    JsonOpt,
    LangOpt,
    cmd_help,
    console,
    emit_json,
    handle_errors,
    resolve_lang,
)
from xuanba.i18n import has, t


def _params(info: dict[str, Any]) -> str:
    return " ".join(f"{k}={v:.3g}" for k, v in info.items() if k not in ("model", "loglik"))


def story(summary: dict[str, Any], lang: str) -> list[str]:
    """What the demo found, in a few sentences of ``lang`` (the --json output has every number)."""
    ing = summary.get("ingest", {})
    lines = []
    if ing:
        lines.append(t("demo_story_ingest", lang, rows=f"{ing['input_rows']:,}", loaded=f"{ing['loaded']:,}",
                       merged=f"{ing['merged']:,}", rejected=f"{ing['rejected']:,}", returns=f"{ing['returns']:,}"))
    if "facts_rows" in summary:
        lines.append(t("demo_story_facts", lang, n=f"{summary['facts_rows']:,}", repeat=f"{summary['repeat_buyers']:,}"))
    if "model_purchases" in summary:
        p, s = summary["model_purchases"], summary["model_spend"]
        lines.append(t("demo_story_models", lang, models=f"{p['model']} {_params(p)}; {s['model']} {_params(s)}"))
    if "round" in summary:
        r, d = summary["round"], summary.get("diff", {})
        lines.append(t("demo_story_round", lang, round_id=r["round_id"], customers=f"{r['customers']:,}",
                       selected=f"{r['selected']:,}", entered=f"{d.get('entered', 0):,}", left=f"{d.get('left', 0):,}",
                       rho=f"{d.get('rank_correlation', 0):.2f}"))
    if "whale_peak" in summary:
        w = summary["whale_peak"]
        lines.append(t("demo_story_whale", lang, cpct=w["customer_pct"], ppct=w["profit_pct"]))
    return lines


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the app."""

    @app.command("demo", help=cmd_help("demo"))
    @handle_errors
    def demo(
        out: Annotated[Path, typer.Option(help="opt_demo_out")] = Path("xuanba-demo"),
        lang: LangOpt = None,
        as_json: JsonOpt = False,
        serve: Annotated[bool, typer.Option("--serve", help="opt_demo_serve")] = False,
        port: Annotated[int, typer.Option(help="opt_demo_port")] = 8000,
        browser: Annotated[bool, typer.Option("--browser/--no-browser", help="opt_demo_browser")] = True,
    ) -> None:
        """Run the whole job on the bundled demo data and write the outputs to a folder."""
        from xuanba.demo.pipeline import STEPS, run_demo

        lang = resolve_lang(lang)
        with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                      console=console, disable=as_json, transient=False) as bar:
            task = bar.add_task("xuanba demo", total=len(STEPS))

            def step(name: str) -> None:  # called as each step starts: the steps before it are done
                bar.update(task, completed=list(STEPS).index(name), description=t(f"demo_step_{name}", lang) if has(f"demo_step_{name}") else name)

            result = run_demo(out, lang=lang, progress=step)
            bar.update(task, completed=len(STEPS), description=t("demo_done", lang))
        if as_json:
            emit_json({"out": str(result.out_dir), "paths": {k: str(v) for k, v in result.paths.items()},
                       "summary": result.summary})
            if serve:  # stdout holds the JSON: say the rest on stderr
                from xuanba.cli._common import err_console

                _serve(result.paths["workspace"], port, browser, lang, err_console)
            return
        for line in story(result.summary, lang):
            console.print(line)
        files = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
        for key, path in result.paths.items():
            files.add_row(t(f"demo_file_{key}", lang) if has(f"demo_file_{key}") else key, str(path))
        console.print()
        console.print(files)
        if serve:
            _serve(result.paths["workspace"], port, browser, lang, console)


def _serve(workspace: Path, port: int, browser: bool, lang: str, say: Any) -> None:
    """Serve the demo workspace with a demo admin whose fresh password is printed."""
    from xuanba.web import create_app, serving
    from xuanba.workspace import Workspace

    with Workspace(workspace) as ws:
        user, password = serving.demo_user(ws)
    say.print(t("web_demo_serving", lang, user=user, password=password), markup=False, soft_wrap=True)
    say.print(t("web_serving", lang, workspace=str(workspace), url=f"http://127.0.0.1:{port}/"), markup=False, soft_wrap=True)
    serving.serve(create_app(workspace), "127.0.0.1", port, open_browser=browser and serving.wants_browser())
