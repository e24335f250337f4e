"""``xuanba serve``, ``xuanba users ...`` and ``xuanba share``: the web app and what it keeps.

Thin shells over :mod:`xuanba.web`: the app, its users and its customer links. Starlette,
uvicorn and Argon2 are imported inside the commands, so ``xuanba --help`` stays quick.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from xuanba.cli._common import (
    DEFAULT_PATH,
    JsonOpt,
    WorkspaceOpt,
    cmd_help,
    console,
    emit_json,
    err_console,
    handle_errors,
    ui_lang,
)
from xuanba.errors import InputError, Phrase, shown
from xuanba.i18n import t

if TYPE_CHECKING:
    from xuanba.workspace import Workspace

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def _password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt(t("web_cli_password", ui_lang()), hide_input=True,
                        confirmation_prompt=t("web_cli_password_again", ui_lang()))


def _no_such_customer(ws: Workspace, customer: str) -> NoReturn:
    """Raise why the latest round cannot share ``customer``: it holds no such customer, or it ran
    on an engine and stored only its selection (with their rank when its roster output has it)."""
    from xuanba.errors import DataError
    from xuanba.i18n import counted
    from xuanba.rounds.selection_only import rank_in_roster_out, rest_of_base
    from xuanba.web import data

    rid = data.resolve(ws, "latest")
    rest = rest_of_base(data.meta(ws, rid), rid, data.stored_selection(ws, rid)) if rid is not None else None
    if rest is None:
        raise InputError(Phrase("web_cli_no_customer", customer=repr(customer)), fix=Phrase("web_cli_no_customer_fix"))
    words = {"round_id": rid, "engine": rest.engine, "sel": f"{rest.n_selected:,}", "n": f"{rest.n_customers:,}",
             "customer": repr(customer)}
    rank = rank_in_roster_out(rest, customer)
    if rest.local and rest.roster is not None and rank is None:  # every row at hand: they were not in it
        raise InputError(Phrase("web_cli_no_customer", customer=repr(customer)), fix=Phrase("web_cli_no_customer_fix"))
    said = Phrase(counted("share_selection_only", rest.n_selected), **words) if rank is None else \
        Phrase(counted("share_not_selected", rest.n_selected), rank=f"{rank:,}", **words)
    raise DataError(said, fix=Phrase("share_selection_only_fix"))


def register(app: typer.Typer) -> None:
    """Add ``serve``, the ``users`` group and ``share`` to the app."""

    @app.command("serve", help=cmd_help("serve"))
    @handle_errors
    def serve(
        workspace: WorkspaceOpt = DEFAULT_PATH,
        host: Annotated[str, typer.Option(help="opt_serve_host")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="opt_serve_port")] = 8000,
        behind_tls: Annotated[bool, typer.Option("--behind-tls", help="opt_serve_behind_tls")] = False,
        idle_minutes: Annotated[float, typer.Option(help="opt_serve_idle_minutes")] = 30,
        base_url: Annotated[str | None, typer.Option(help="opt_serve_base_url")] = None,
    ) -> None:
        import uvicorn

        from xuanba.web import create_app
        from xuanba.web.store import user_count
        from xuanba.workspace import Workspace

        with Workspace(workspace, read_only=True) as ws:
            users = user_count(ws)
        if host not in LOCAL_HOSTS and users == 0:
            raise InputError(Phrase("web_needs_user", host=host), fix=Phrase("web_cli_add_user_first"))
        if users == 0:
            console.print(t("web_users_none", ui_lang()))
        url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
        console.print(t("web_serving", ui_lang(), workspace=str(workspace), url=url))
        from xuanba.web.serving import settle

        settle()
        uvicorn.run(create_app(workspace, secure_cookies=behind_tls, idle_minutes=idle_minutes,
                               base_url=base_url),
                    host=host, port=port, log_level="warning", proxy_headers=behind_tls)

    users = typer.Typer(help=cmd_help("users"), no_args_is_help=True)
    app.add_typer(users, name="users")

    @users.command("add", help=cmd_help("users_add"))
    @handle_errors
    def users_add(
        name: Annotated[str, typer.Argument(help="opt_users_add_name")],
        role: Annotated[str, typer.Option(help="opt_users_add_role")] = "rep",
        owner: Annotated[str | None, typer.Option(help="opt_users_add_owner")] = None,
        password_stdin: Annotated[bool, typer.Option("--password-stdin", help="opt_password_stdin")] = False,
        workspace: WorkspaceOpt = DEFAULT_PATH,
    ) -> None:
        from xuanba.web import store
        from xuanba.workspace import Workspace

        if not Path(workspace).exists():
            raise InputError(Phrase("web_cli_no_workspace", workspace=str(workspace)),
                             fix=Phrase("web_cli_no_workspace_fix"))
        from xuanba.web.data import owners_of_latest

        password = _password(password_stdin)
        with Workspace(workspace) as ws:
            store.add_user(ws, name, password, role=role, owner=owner, by="cli")
            known = owners_of_latest(ws) if role == "rep" else None
        console.print(f"{name}: {role}" + (f" ({owner})" if owner else ""))
        if known is not None and (owner or "").strip() not in known[1]:  # a typo would show the rep nothing
            rid, owners = known
            shown = ", ".join(repr(o) for o in owners[:8]) + (f" … ({len(owners)})" if len(owners) > 8 else "")
            err_console.print(t("web_cli_owner_unknown", ui_lang(), owner=repr((owner or "").strip()), round=rid,
                                owners=shown or "–"))

    @users.command("list", help=cmd_help("users_list"))
    @handle_errors
    def users_list(workspace: WorkspaceOpt = DEFAULT_PATH, as_json: JsonOpt = False) -> None:
        from xuanba.web import store
        from xuanba.workspace import Workspace

        with Workspace(workspace, read_only=True) as ws:
            rows = store.list_users(ws)
        if as_json:
            emit_json(rows)
            return
        for r in rows:
            state = t("web_cli_active" if r["active"] else "web_cli_disabled", ui_lang())
            console.print(f"{r['name']}\t{r['role']}\t{shown(r['owner'] or '', quoted=False)}\t{state}")

    @users.command("disable", help=cmd_help("users_disable"))
    @handle_errors
    def users_disable(name: Annotated[str, typer.Argument(help="opt_users_name")],
                      workspace: WorkspaceOpt = DEFAULT_PATH) -> None:
        from xuanba.web import store
        from xuanba.workspace import Workspace

        with Workspace(workspace, create=False) as ws:
            store.set_active(ws, name, False, by="cli")
        console.print(t("web_cli_user_disabled", ui_lang(), name=name))

    @users.command("password", help=cmd_help("users_password"))
    @handle_errors
    def users_password(
        name: Annotated[str, typer.Argument(help="opt_users_name")],
        password_stdin: Annotated[bool, typer.Option("--password-stdin", help="opt_password_stdin")] = False,
        workspace: WorkspaceOpt = DEFAULT_PATH,
    ) -> None:
        from xuanba.web import store
        from xuanba.workspace import Workspace

        password = _password(password_stdin)
        with Workspace(workspace, create=False) as ws:
            store.set_password(ws, name, password, by="cli")
        console.print(t("web_cli_password_changed", ui_lang(), name=name))

    @app.command("share", help=cmd_help("share"))
    @handle_errors
    def share(
        customer: Annotated[str | None, typer.Argument(help="opt_customer")] = None,
        days: Annotated[int, typer.Option(help="opt_share_days")] = 30,
        base_url: Annotated[str, typer.Option(help="opt_share_base_url")] = "http://127.0.0.1:8000",
        revoke: Annotated[str | None, typer.Option(help="opt_share_revoke")] = None,
        list_: Annotated[bool, typer.Option("--list", help="opt_share_list")] = False,
        workspace: WorkspaceOpt = DEFAULT_PATH,
        as_json: JsonOpt = False,
    ) -> None:
        from xuanba.web import data, store
        from xuanba.workspace import Workspace

        with Workspace(workspace, create=False) as ws:
            if list_:
                rows = store.list_links(ws)
                if as_json:
                    emit_json(rows)
                    return
                for r in rows:
                    state = (t("web_cli_link_revoked", ui_lang()) if r["revoked_at"]
                             else t("web_cli_link_until", ui_lang(), until=r["expires_at"]))
                    console.print(f"{r['link_id']}\t{shown(r['customer_id'], quoted=False)}\t{state}")  # one line each
                return
            if revoke:
                store.revoke_link(ws, revoke, by="cli")
                console.print(t("web_cli_revoked", ui_lang(), link=revoke))
                return
            if customer is None:
                raise InputError(Phrase("web_cli_name_customer"), fix=Phrase("web_cli_name_customer_fix"))
            if data.customer(ws, "latest", customer) is None:
                _no_such_customer(ws, customer)
            link = store.create_link(ws, customer, days=days, by="cli")
        link["url"] = base_url.rstrip("/") + "/s/" + link["token"]
        if as_json:
            emit_json(link)
            return
        console.print(link["url"])
        console.print(t("web_cli_link_valid", ui_lang(), link=link["link_id"], until=link["expires_at"]))
