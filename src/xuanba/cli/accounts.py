"""``xuanba accounts ...`` and ``xuanba sheet``: account work as thin shells over
:mod:`xuanba.accounts`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from xuanba.cli._common import (
    DEFAULT_PATH,
    JsonOpt,
    LangOpt,
    WorkspaceOpt,
    cmd_help,
    console,
    emit_json,
    handle_errors,
    parse_date,
    resolve_lang,
    say,
)
from xuanba.errors import Phrase, shown

TxOpt = Annotated[Path | None, typer.Option("--transactions", "-t", help="opt_acct_transactions")]
OutOpt = Annotated[Path | None, typer.Option(help="opt_acct_out")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="opt_acct_as_of")]


def _date(value: str | None, flag: str = "--as-of") -> dt.date | None:
    return parse_date(value, flag)


def _bands(text: str) -> tuple[float, ...]:
    from xuanba.errors import InputError, quoted

    try:
        return tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise InputError(Phrase("err_bands", value=quoted(text)), fix=Phrase("err_bands_fix")) from None


def _stored(kind: str, workspace: Path | None) -> Any:
    """A table from the workspace (``transactions`` or a side table), or None when absent."""
    if workspace is None or not Path(workspace).exists():
        return None
    from xuanba.accounts.stored import stored_table

    return stored_table(workspace, kind)  # opened read-only


def _tx(path: Path | None, workspace: Path | None) -> Any:
    """Transactions from --transactions, else from the workspace; a clear error when neither."""
    from xuanba.accounts.stored import transactions_from_file

    if path is not None:
        from xuanba.accounts.stored import ROWS_REJECTED

        table = transactions_from_file(path)
        left_out = table.attrs.pop(ROWS_REJECTED, None)  # a missing or #N/A id, as ingest rejects it
        if left_out:
            _say_left_out(path, left_out["rejected_by_reason"], left_out["first"])
        return table
    table = _stored("transactions", workspace)
    if table is None:
        from xuanba.errors import InputError

        raise InputError(Phrase("err_acct_no_transactions"), file=str(workspace),
                         fix=Phrase("err_acct_no_transactions_fix"))
    return table


def _side(kind: str, path: Path | None, workspace: Path | None = None, *, required: bool = False) -> Any:
    """A side table from its option, else from the workspace (stored by `xuanba ingest --kind`)."""
    if path is None:
        table = _stored(kind, workspace)
        if table is None and required:
            from xuanba.errors import InputError

            raise InputError(Phrase("err_acct_no_side", kind=kind), file=str(workspace),
                             fix=Phrase("err_acct_no_side_fix", kind=kind))
        return table
    from xuanba.ingest.sidetables import LEFT_EMPTY, read_side_table

    table, rejects = read_side_table(kind, path)
    if len(rejects):  # one line per row, by "column: reason" as `xuanba ingest --kind` counts them
        by_reason = rejects.groupby(rejects["column"] + ": " + rejects["reason"], sort=False).size()
        _say_left_out(path, {str(k): int(n) for k, n in by_reason.sort_values(ascending=False, kind="stable").items()},
                      rejects.iloc[0].to_dict())
    left = table.attrs.pop(LEFT_EMPTY, None)  # an optional column's Excel error: that value left empty
    if left:
        from xuanba.cli._common import err_console, styled, ui_lang
        from xuanba.ingest.mapping import header_counts

        err_console.print(styled(say("cli_ingest_left_empty", source=path, left=header_counts(left, ui_lang())),
                                 style="yellow"))
    return table


def _say_left_out(path: Path, by_reason: dict[str, int], first: dict[str, Any]) -> None:
    """Say on stderr the rows of the file ``path`` left out as ``xuanba ingest`` rejects them: how
    many, by reason (in the reader's language), and the first one's row, column and value."""
    from xuanba.cli._common import err_console, styled, ui_lang
    from xuanba.errors import quoted
    from xuanba.i18n import reason_words
    from xuanba.ingest.mapping import header_counts

    lang = ui_lang()
    reasons = header_counts({reason_words(r, lang): n for r, n in by_reason.items()}, lang)
    err_console.print(styled(say("cli_acct_rows_rejected", file=path, n=f"{sum(by_reason.values()):,}", reasons=reasons,
                                 row=first["row"], column=first["column"],
                                 value=quoted(first["value"]).words(lang)), style="yellow"))


def _round_potential(workspace: Path, as_of: Any) -> tuple[Any, str] | None:
    """The potential scores of the latest stored round whose cutoff is ``as_of``, as (table,
    column); ``None`` when the workspace holds no such round. A round run on an engine stored its
    selected customers only: every customer's score is read from its ``--roster-out`` while that
    holds its rows; else the table's ``attrs["short"]`` says whose it lacks and where they are."""
    from xuanba.rounds import list_rounds, load_round
    from xuanba.rounds.selection_only import (
        rest_of_round,
        roster_out_column,
        selection_note,
        where_the_rest_is,
    )

    if not Path(workspace).exists():
        return None
    rounds = list_rounds(workspace)
    rounds = rounds.loc[rounds["cutoff"].astype(str) == str(as_of)[:10]]
    if not len(rounds):
        return None
    rnd = load_round(workspace, int(rounds["round_id"].iloc[-1]), fields=False, contributions=False)
    if "potential_score" not in rnd.roster.columns:
        return None
    table = rnd.roster[["customer_id", "potential_score"]]
    rest = rest_of_round(rnd)
    short = None
    if rest is not None:
        every = roster_out_column(rest, "potential_score")
        if every is not None:
            table = every
        else:  # its selection's scores only: the others rank last, unscored, and the command says so
            short = (f"; the {rest.not_stored:,} customers it did not select have no potential score here and come "
                     f"last ({selection_note(rest, 'en', where=False)} {where_the_rest_is(rest, 'en')})")
    table.attrs["round_id"] = rnd.round_id
    table.attrs["short"] = short
    return table, "potential_score"


def _standing(workspace: Path, round_id: str, customer: str, lang: str, owner: str | None = None,
              ) -> tuple[dict[str, Any] | None, dict[str, Any] | None, str | None]:
    """The customer's row of a stored round, when the workspace holds rounds; else, for a round
    run on an engine that ranked but did not store them, what it says of them (their rank and
    that it did not select them, or why that is not at hand here: the web customer page's
    words); and a note when the round holds neither. ``owner`` (a rep): only their own accounts."""
    from xuanba.i18n import t
    from xuanba.rounds import customer_standing, list_rounds
    from xuanba.rounds.selection_only import unstored_standing

    if not Path(workspace).exists() or not len(list_rounds(workspace)):
        return None, None, None
    standing = customer_standing(workspace, round_id, customer)
    if standing is not None and owner is not None and str(standing.get("owner")) != str(owner):
        standing = None  # another rep's account: told as no account, as the web tells a rep
    unstored = None if standing is not None else unstored_standing(workspace, round_id, customer, lang, owner)
    note = None if standing or unstored else \
        "note: " + t("sheet_not_in_round", lang, customer=shown(customer, quoted=False), round_id=round_id)
    return standing, unstored, note


def _show(df: Any, title: str, limit: int = 20) -> None:
    table = Table(title=title)
    for col in df.columns:
        table.add_column(str(col), justify="right" if df[col].dtype.kind in "fiu" else "left")
    for row in df.head(limit).itertuples(index=False):
        cells = []
        for v in row:
            if isinstance(v, float):
                cells.append("" if v != v else f"{v:,.2f}")
            elif hasattr(v, "date"):
                cells.append(str(v.date()) if v == v else "")
            else:
                cells.append("" if v is None else shown(v, quoted=False))
        table.add_row(*cells)
    console.print(table)
    if len(df) > limit:
        console.print(say("cli_more_rows", n=f"{len(df) - limit:,}"))


def _finish(df: Any, out: Path | None, as_json: bool, title: str, extra: dict[str, Any] | None = None,
            lang: str = "en") -> None:
    from xuanba.tables import write_table

    if out is not None:
        write_table(df, out, lang=lang)
    if as_json:
        payload: dict[str, Any] = dict(extra or {})
        payload["rows"] = len(df)
        payload["out"] = str(out) if out else None
        payload["table"] = df.head(200) if out is None else None
        emit_json(payload)
        return
    for k, v in (extra or {}).items():
        console.print(f"{k}: {v}")
    _show(df, title)
    if out is not None:
        console.print(say("cli_rows_written", n=f"{len(df):,}", path=out))


def register(app: typer.Typer) -> None:
    """Add ``accounts`` (profit, promises, keep-warm, owners, receivables, personas, fields,
    demo) and ``sheet`` to the app."""
    acc = typer.Typer(help=cmd_help("accounts"), no_args_is_help=True)
    app.add_typer(acc, name="accounts")

    @acc.command("profit", help=cmd_help("accounts_profit"))
    @handle_errors
    def profit(
        transactions: TxOpt = None,
        interactions: Annotated[Path | None, typer.Option(help="opt_profit_interactions")] = None,
        bands: Annotated[str, typer.Option(help="opt_profit_bands")] = "1,10",
        min_margin: Annotated[float, typer.Option(help="opt_profit_min_margin")] = 0.05,
        start: Annotated[str | None, typer.Option(help="opt_profit_start")] = None,
        end: Annotated[str | None, typer.Option(help="opt_profit_end")] = None,
        out: OutOpt = None,
        lang: LangOpt = None,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
    ) -> None:
        """Profit per customer, the whale curve's peak and the size-band table."""
        from xuanba.accounts.profit import (
            costs_known,
            customer_profit,
            size_bands,
            volume_without_profit,
            whale_curve,
            whale_peak,
        )
        from xuanba.errors import DataError

        b = _bands(bands)
        tx = _tx(transactions, workspace)
        prof = customer_profit(tx, _side("interactions", interactions, workspace), start=_date(start, "--start"), end=_date(end, "--end"))
        known = costs_known(prof)
        peak: dict[str, Any] | None = None
        if known:
            try:
                peak = whale_peak(whale_curve(prof))
            except DataError as exc:
                peak = {"sentence": say("cli_no_whale", why=exc.message)}
        table = size_bands(prof, b)
        vwp = volume_without_profit(prof, b, min_margin)
        if out is not None:
            from xuanba.tables import write_table

            write_table(prof, out, lang=lang)
        if as_json:
            emit_json({"costs_known": known, "whale_peak": peak, "bands": table,
                       "volume_without_profit": vwp["customer_id"].tolist() if known else None,
                       "customers": len(prof), "out": str(out) if out else None})
            return
        if known:
            console.print(say("cli_whale", sentence=peak["sentence"]))  # type: ignore[index]
        else:
            console.print(f"[yellow]{escape(say('cli_costs_unknown'))}[/]", markup=True)
        _show(table, say("cli_profit_by_band"))
        if len(vwp):
            _show(vwp[["customer_id", "band", "revenue", "profit", "margin"]], say("cli_volume_without_profit"))
        if out is not None:
            console.print(say("cli_profit_written", n=f"{len(prof):,}", path=out))

    @acc.command("promises", help=cmd_help("accounts_promises"))
    @handle_errors
    def promises(
        commitments: Annotated[Path | None, typer.Option(help="opt_promises_commitments")] = None,
        as_of: AsOfOpt = None,
        by: Annotated[str, typer.Option(help="opt_promises_by")] = "rep",
        window_days: Annotated[int, typer.Option(help="opt_promises_window_days")] = 365,
        out: OutOpt = None,
        lang: LangOpt = None,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
    ) -> None:
        """Promise states at a date, reliability per rep/account, and the overdue list."""
        import pandas as pd

        from xuanba._dates import window_start
        from xuanba.accounts.commitments import overdue_list, promise_ledger, reliability
        from xuanba.errors import InputError, quoted

        if by not in ("rep", "customer_id"):
            raise InputError(Phrase("err_option_unknown", option="--by", value=quoted(by)), fix=Phrase("err_by_rep_fix"))
        ref = pd.Timestamp(_date(as_of) or dt.date.today())
        led = promise_ledger(_side("commitments", commitments, workspace, required=True), ref)
        if by not in led:
            raise InputError(Phrase("err_commitments_no_rep"), column="rep", fix=Phrase("err_commitments_no_rep_fix", header="负责人"))
        rel = reliability(led, by=by, start=window_start(ref, window_days), end=ref)
        od = overdue_list(led)
        counts = {s: int((led["state"] == s).sum()) for s in ("kept_on_time", "kept_late", "broken", "overdue", "open")}
        if out is not None:
            from xuanba.tables import write_table

            write_table(led, out, lang=lang)
        if as_json:
            emit_json({"as_of": ref.date(), "states": counts, "reliability": rel.to_dict(orient="records"),
                       "overdue": od[["customer_id", "due_on", "days_overdue"]].to_dict(orient="records"),
                       "out": str(out) if out else None})
            return
        console.print("states: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        _show(rel, f"Promise reliability by {by}")
        cols = [c for c in ("customer_id", "rep", "text", "due_on", "days_overdue") if c in od]
        _show(od[cols], "Overdue promises")

    @acc.command("keep-warm", help=cmd_help("accounts_keep-warm"))
    @handle_errors
    def keep_warm_cmd(
        transactions: TxOpt = None,
        interactions: Annotated[Path | None, typer.Option(help="opt_interactions")] = None,
        commitments: Annotated[Path | None, typer.Option(help="opt_keep_warm_commitments")] = None,
        potential: Annotated[Path | None, typer.Option(help="opt_keep_warm_potential")] = None,
        potential_column: Annotated[str, typer.Option(help="opt_keep_warm_potential_column")] = "clv_3y",
        as_of: AsOfOpt = None,
        no_purchase_days: Annotated[int, typer.Option(help="opt_keep_warm_no_purchase_days")] = 180,
        no_contact_days: Annotated[int, typer.Option(help="opt_keep_warm_no_contact_days")] = 90,
        out: OutOpt = None,
        lang: LangOpt = None,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
    ) -> None:
        """Dormant, uncontacted accounts worth a call now, by potential."""
        from xuanba.accounts.keepwarm import keep_warm

        tx = _tx(transactions, workspace)
        day = _date(as_of) or tx["ts"].max().date()  # keep_warm's own default: the last transaction's day
        stored = None if potential is not None else _round_potential(workspace, day)
        if potential is not None:
            from xuanba.tables import read_table

            pot = read_table(potential, what="the --potential file")
        elif stored is not None:  # the potential score of the stored round at this date: its standard, its model
            pot, potential_column = stored
        else:  # no round at this date: rank by the models' predicted value, fitted on these transactions
            from xuanba.accounts.keepwarm import predicted_potential
            from xuanba.errors import ModelError

            try:
                pot = predicted_potential(tx, _date(as_of))
                potential_column = "clv_3y"
            except ModelError as exc:  # too little history for the models: say so, use revenue
                pot, why = None, exc.message
        res = keep_warm(tx, _side("interactions", interactions, workspace),
                        _side("commitments", commitments, workspace), pot, _date(as_of), no_purchase_days,
                        no_contact_days, potential_column)
        source = res.attrs["potential_source"]
        if stored is not None:
            source = f"the potential score of round {stored[0].attrs['round_id']} (cutoff {day})"
            source += stored[0].attrs.get("short") or ""
        if potential is None and pot is None:
            source += f" (the models could not be fitted: {why})"
        _finish(res, out, as_json, say("cli_keep_warm"), {"ranked by": source}, lang=lang)

    @acc.command("owners", help=cmd_help("accounts_owners"))
    @handle_errors
    def owners(
        customers: Annotated[Path | None, typer.Option(help="opt_owners_customers")] = None,
        transactions: TxOpt = None,
        contacts: Annotated[Path | None, typer.Option(help="opt_contacts")] = None,
        interactions: Annotated[Path | None, typer.Option(help="opt_owners_interactions")] = None,
        selected: Annotated[Path | None, typer.Option(help="opt_owners_selected")] = None,
        as_of: AsOfOpt = None,
        out: OutOpt = None,
        lang: LangOpt = None,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
    ) -> None:
        """Share of revenue held by each owner (with Herfindahl index) and single-threaded accounts."""
        from xuanba.accounts.owners import owner_concentration, single_threaded

        tx = _tx(transactions, workspace)
        cu = _side("customers", customers, workspace, required=True)
        value = tx.groupby(tx["customer_id"].astype(str))["amount"].sum()
        if selected is not None:
            from xuanba.errors import SchemaError
            from xuanba.tables import read_table

            sel = read_table(selected, what="the --selected file")
            if "customer_id" not in sel:
                raise SchemaError(Phrase("err_selection_no_id"), file=str(selected), column="customer_id",
                                  fix=Phrase("err_selection_no_id_fix"))
            value = value[value.index.isin(sel["customer_id"].astype(str))]
        conc = owner_concentration(cu, value)
        st = single_threaded(cu, _side("contacts", contacts, workspace), _side("interactions", interactions, workspace), _date(as_of))
        flagged = st.loc[st["single_threaded"]]
        if out is not None:
            from xuanba.tables import write_table

            write_table(st, out, lang=lang)
        if as_json:
            emit_json({"hhi": conc.attrs["hhi"], "owners": conc.to_dict(orient="records"),
                       "single_threaded": flagged["customer_id"].tolist(), "out": str(out) if out else None})
            return
        console.print(f"Herfindahl index of owner shares: {conc.attrs['hhi']:.3f}")
        _show(conc, "Revenue by owner")
        _show(flagged, "Single-threaded accounts")

    @acc.command("receivables", help=cmd_help("accounts_receivables"))
    @handle_errors
    def receivables(
        transactions: TxOpt = None,
        as_of: AsOfOpt = None,
        dso_days: Annotated[int, typer.Option(help="opt_receivables_dso_days")] = 90,
        out: OutOpt = None,
        lang: LangOpt = None,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
    ) -> None:
        """Invoiced vs collected, ageing buckets, DSO and payment punctuality."""
        import pandas as pd

        from xuanba.accounts.receivables import ageing, receivables_summary, receivables_total

        tx = _tx(transactions, workspace)
        ref = pd.Timestamp(_date(as_of)) if as_of else tx["ts"].max()
        summ = receivables_summary(tx, ref, dso_days)
        age = ageing(tx, ref)
        tot = receivables_total(summ)
        if out is not None:
            from xuanba.tables import write_table

            write_table(summ, out, lang=lang)
        if as_json:
            emit_json({"as_of": ref.date(), "total": tot, "ageing_total": age.iloc[-1].to_dict(),
                       "customers": summ.to_dict(orient="records") if out is None else None,
                       "out": str(out) if out else None})
            return
        console.print(", ".join(f"{k} {v:,.2f}" for k, v in tot.items()))
        _show(age.tail(1), f"Ageing at {ref.date()}")
        _show(summ.sort_values("overdue_receivables", ascending=False), "Receivables by customer")

    @acc.command("personas", help=cmd_help("accounts_personas"))
    @handle_errors
    def personas_cmd(
        transactions: TxOpt = None,
        customers: Annotated[Path | None, typer.Option(help="opt_personas_customers")] = None,
        interactions: Annotated[Path | None, typer.Option(help="opt_personas_interactions")] = None,
        bands: Annotated[str, typer.Option(help="opt_personas_bands")] = "1,10",
        out: OutOpt = None,
        lang: LangOpt = None,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
    ) -> None:
        """A persona profile per segment: size, revenue/profit share, channel, region, products."""
        from xuanba.accounts.personas import personas
        from xuanba.accounts.profit import customer_profit

        tx = _tx(transactions, workspace)
        prof = customer_profit(tx, _side("interactions", interactions, workspace))
        res = personas(tx, _side("customers", customers, workspace), prof, bands=_bands(bands))
        _finish(res, out, as_json, say("cli_segments"), lang=lang)

    @acc.command("fields", help=cmd_help("accounts_fields"))
    @handle_errors
    def fields(
        transactions: TxOpt = None,
        interactions: Annotated[Path | None, typer.Option(help="opt_interactions")] = None,
        commitments: Annotated[Path | None, typer.Option(help="opt_commitments")] = None,
        contacts: Annotated[Path | None, typer.Option(help="opt_contacts")] = None,
        as_of: AsOfOpt = None,
        out: OutOpt = None,
        lang: LangOpt = None,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
    ) -> None:
        """The per-customer account fields a selection standard can use."""
        from xuanba.accounts.fields import account_fields

        res = account_fields(_tx(transactions, workspace), _side("interactions", interactions, workspace),
                             _side("commitments", commitments, workspace), _side("contacts", contacts, workspace), _date(as_of))
        _finish(res, out, as_json, say("cli_account_fields"), lang=lang)

    @acc.command("view", help=cmd_help("accounts_view"))
    @handle_errors
    def view(
        customer: Annotated[str, typer.Argument(help="opt_customer")],
        transactions: TxOpt = None,
        customers: Annotated[Path | None, typer.Option(help="opt_view_customers")] = None,
        contacts: Annotated[Path | None, typer.Option(help="opt_view_contacts")] = None,
        interactions: Annotated[Path | None, typer.Option(help="opt_interactions")] = None,
        commitments: Annotated[Path | None, typer.Option(help="opt_commitments")] = None,
        as_of: AsOfOpt = None,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
    ) -> None:
        """One account: figures, contacts with roles and KPIs, promises, latest interactions."""
        from xuanba.accounts.view import account_view

        v = account_view(customer, _tx(transactions, workspace), _side("customers", customers, workspace),
                         _side("contacts", contacts, workspace), _side("interactions", interactions, workspace),
                         _side("commitments", commitments, workspace), _date(as_of))
        if as_json:
            emit_json({k: (val if isinstance(val, dict) else val.to_dict(orient="records")) for k, val in v.items()})
            return
        for k, val in v["summary"].items():
            console.print(f"{k}: {val}")
        _show(v["contacts"], "Contacts")
        if "promises" in v:
            cols = [c for c in ("text", "due_on", "kept_on", "state", "days_overdue") if c in v["promises"]]
            _show(v["promises"][cols], "Promises")
        if "interactions" in v:
            _show(v["interactions"].drop(columns="customer_id"), "Latest interactions", limit=5)

    @acc.command("demo", help=cmd_help("accounts_demo"))
    @handle_errors
    def demo(
        folder: Annotated[Path, typer.Option(help="opt_demo_folder")],
        transactions: TxOpt = None,
        seed: Annotated[int, typer.Option(help="opt_demo_seed")] = 7,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
    ) -> None:
        """Write deterministic demo side tables for the customers of a transactions file."""
        from xuanba.demo.accounts_demo import make_side_tables, write_side_tables

        tx = _tx(transactions, workspace)
        cids = sorted(tx["customer_id"].unique())
        first, last = tx["ts"].min().date().isoformat(), tx["ts"].max().date().isoformat()
        paths = write_side_tables(make_side_tables(cids, seed=seed, start=first, end=last), folder)
        if as_json:
            emit_json({k: str(v) for k, v in paths.items()})
            return
        for k, v in paths.items():
            console.print(f"{k}: {v}")

    @app.command("sheet", help=cmd_help("sheet"))
    @handle_errors
    def sheet(
        customer: Annotated[str, typer.Argument(help="opt_customer")],
        resources: Annotated[Path | None, typer.Option(help="opt_sheet_resources")] = None,
        needs: Annotated[Path | None, typer.Option(help="opt_sheet_needs")] = None,
        customers: Annotated[Path | None, typer.Option(help="opt_sheet_customers")] = None,
        lang: LangOpt = None,
        top: Annotated[int, typer.Option(help="opt_sheet_top")] = 10,
        out: Annotated[Path | None, typer.Option(help="opt_sheet_out")] = None,
        round_id: Annotated[str, typer.Option("--round", help="opt_sheet_round_id")] = "latest",
        owner: Annotated[str | None, typer.Option(help="opt_sheet_owner")] = None,
        workspace: WorkspaceOpt = Path(DEFAULT_PATH),
        as_json: JsonOpt = False,
    ) -> None:
        """A one-page resource sheet to lead a conversation with one customer, opened by the
        customer's standing in the latest stored round (tier, score, rank, its figures)."""
        from xuanba.accounts.resources import match_resources, sheet_markdown, write_sheet
        from xuanba.errors import InputError, quoted

        lang = resolve_lang(lang)
        if out is not None and out.suffix.lower() not in (".md", ".html", ".htm"):
            raise InputError(Phrase("err_sheet_suffix", suffix=quoted(out.suffix)), file=str(out),
                             fix=Phrase("err_sheet_suffix_fix"))
        nd = _side("needs", needs, workspace, required=True)
        m = match_resources(_side("resources", resources, workspace, required=True), nd, customer_id=customer)
        name = None
        if customers is not None:
            cu = _side("customers", customers, workspace)
            hit = cu.loc[cu["customer_id"] == customer]
            if len(hit) and "name" in cu:
                name = str(hit["name"].iloc[0])
        standing, unstored, note = _standing(workspace, round_id, customer, lang, owner)
        md = sheet_markdown(m, customer, nd, name, lang, top, standing=standing, unstored=unstored)
        if out is not None:
            write_sheet(md, out)
        if as_json:
            emit_json({"customer_id": customer, "standing": standing, "not_stored": unstored,
                       "matches": m.head(top).to_dict(orient="records"), "out": str(out) if out else None})
            return
        from rich.markdown import Markdown

        # Rich's Markdown makes its own Text, past the console's render_str: its controls escaped here
        console.print(Markdown(shown(md, quoted=False, keep="\n")))
        if note:
            from xuanba.cli._common import err_console

            err_console.print(escape(note))
        if out is not None:
            console.print(say("cli_wrote", path=out))
