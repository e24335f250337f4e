"""What the web app keeps in the workspace: its users, the audit log and the customer links.

Three tables, created on the first write that needs them (``xuanba users add``, ``xuanba share``),
so a workspace that never served the web has none of them and no schema change is needed:

* ``web_users`` — name, role (``admin``, ``manager``, ``rep``), the owner name a rep's customers
  carry in the data, the Argon2 hash of the password, whether the user is active, and a stamp
  that changes with the password (a session made before a change is refused);
* ``web_audit`` — who did what when (log-ins, failed log-ins, users and links changed);
* ``web_links`` — customer links: id, customer, who made it, when it expires, when revoked;
* ``web_standards`` — the standards published from the web page: a number, the standard's name,
  version, SHA-256 and text, who published it and when (the audit log has the same line).

The secret that signs customer links lives in ``xuanba_meta`` (``web_link_secret``): whoever can
read the workspace can read every customer anyway. Writing needs the workspace writable; the
server reads these tables through read-only opens and writes (log-ins, links) in short writes.

Example
-------
>>> from xuanba.workspace import Workspace
>>> with Workspace(":memory:") as ws:
...     add_user(ws, "ana", "a long password", role="rep", owner="Rep 01")
...     check_password(ws, "ana", "a long password")["owner"]
'Rep 01'
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import secrets
from typing import Any

from xuanba.errors import InputError, Phrase
from xuanba.workspace import Workspace

ROLES = ("admin", "manager", "rep")
"""The roles, from the most to the least allowed."""

MIN_PASSWORD = 10
"""The shortest password accepted (characters)."""

SECRET_KEY = "web_link_secret"

_DDL = (
    "CREATE TABLE IF NOT EXISTS web_users (name VARCHAR PRIMARY KEY, role VARCHAR NOT NULL, "
    "owner VARCHAR, password_hash VARCHAR NOT NULL, active BOOLEAN NOT NULL, stamp VARCHAR NOT NULL, "
    "created_at TIMESTAMP NOT NULL, lang VARCHAR)",
    "CREATE TABLE IF NOT EXISTS web_audit (happened_at TIMESTAMP NOT NULL, user_name VARCHAR, action VARCHAR NOT NULL, "
    "detail VARCHAR)",
    "CREATE TABLE IF NOT EXISTS web_links (link_id VARCHAR PRIMARY KEY, customer_id VARCHAR NOT NULL, "
    "created_by VARCHAR, created_at TIMESTAMP NOT NULL, expires_at TIMESTAMP NOT NULL, revoked_at TIMESTAMP)",
    "CREATE TABLE IF NOT EXISTS web_standards (version_id BIGINT PRIMARY KEY, name VARCHAR NOT NULL, "
    "version VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, text VARCHAR NOT NULL, published_by VARCHAR, "
    "published_at TIMESTAMP NOT NULL)",
)

_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


def ensure_tables(ws: Workspace) -> None:
    """Create the web tables and the link secret when missing (the workspace must be writable)."""
    ws._writable(Phrase("err_ro_web_tables"))
    with ws.transaction() as con:
        for ddl in _DDL:
            con.execute(ddl)
    if ws.setting(SECRET_KEY) is None:
        ws.set_setting(SECRET_KEY, secrets.token_urlsafe(32))


def has_tables(ws: Workspace) -> bool:
    """Whether this workspace holds the web tables (a user was ever added)."""
    return ws.has_table("web_users")


def link_secret(ws: Workspace) -> str | None:
    """The secret that signs customer links (``None`` before the first user or link)."""
    return ws.setting(SECRET_KEY)


def _check_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise InputError(Phrase("web_err_name", name=repr(name)), fix=Phrase("web_err_name_fix"))
    return name


def _check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise InputError(Phrase("web_err_password", n=len(password or ""), min=MIN_PASSWORD),
                         fix=Phrase("web_err_password_fix"))
    return password


def audit(ws: Workspace, user: str | None, action: str, detail: Any = None) -> None:
    """Append one line to the audit log (``detail``: any JSON-ready value)."""
    ensure_tables(ws)
    with ws.transaction() as con:
        con.execute("INSERT INTO web_audit VALUES (?, ?, ?, ?)",
                    [_now(), user, action, None if detail is None else json.dumps(detail, ensure_ascii=False)])


def add_user(ws: Workspace, name: str, password: str, *, role: str, owner: str | None = None,
             by: str | None = None) -> None:
    """Add a user; a ``rep`` needs ``owner``, the name their customers carry in the data."""
    _check_name(name)
    _check_password(password)
    if role not in ROLES:
        raise InputError(Phrase("web_err_role", role=repr(role)), fix=Phrase("web_err_role_fix", roles=", ".join(ROLES)))
    if role == "rep" and not (owner or "").strip():
        raise InputError(Phrase("web_err_owner"), fix=Phrase("web_err_owner_fix"))
    ensure_tables(ws)
    if ws.sql("SELECT 1 FROM web_users WHERE name = ?", [name]).shape[0]:
        raise InputError(Phrase("web_err_exists", name=repr(name)), fix=Phrase("web_err_exists_fix"))
    with ws.transaction() as con:
        con.execute("INSERT INTO web_users VALUES (?, ?, ?, ?, TRUE, ?, ?, NULL)",
                    [name, role, (owner or "").strip() or None, _hasher().hash(password), secrets.token_hex(8), _now()])
        audit(ws, by, "user_add", {"name": name, "role": role, "owner": owner})


def list_users(ws: Workspace) -> list[dict[str, Any]]:
    """Every user (no hashes), by name."""
    if not has_tables(ws):
        return []
    frame = ws.sql("SELECT name, role, owner, active, created_at FROM web_users ORDER BY name")
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in frame.to_dict("records")]


def _existing(ws: Workspace, name: str) -> None:
    if not has_tables(ws) or not ws.sql("SELECT 1 FROM web_users WHERE name = ?", [name]).shape[0]:
        raise InputError(Phrase("web_err_no_user", name=repr(name)), fix=Phrase("web_err_no_user_fix"))


def set_active(ws: Workspace, name: str, active: bool, *, by: str | None = None) -> None:
    """Disable (or enable again) a user; their open sessions end at their next request."""
    _existing(ws, name)
    with ws.transaction() as con:
        con.execute("UPDATE web_users SET active = ?, stamp = ? WHERE name = ?", [active, secrets.token_hex(8), name])
        audit(ws, by, "user_enable" if active else "user_disable", {"name": name})


def set_password(ws: Workspace, name: str, password: str, *, by: str | None = None) -> None:
    """Change a user's password; their open sessions end."""
    _check_password(password)
    _existing(ws, name)
    with ws.transaction() as con:
        con.execute("UPDATE web_users SET password_hash = ?, stamp = ? WHERE name = ?",
                    [_hasher().hash(password), secrets.token_hex(8), name])
        audit(ws, by, "user_password", {"name": name})


def get_user(ws: Workspace, name: str) -> dict[str, Any] | None:
    """An active user's name, role, owner, stamp and chosen language, or ``None``."""
    if not has_tables(ws):
        return None
    rows = ws.con.execute("SELECT name, role, owner, stamp, lang FROM web_users WHERE name = ? AND active",
                          [name]).fetchall()
    if not rows:
        return None
    n, role, owner, stamp, lang = rows[0]
    return {"name": n, "role": role, "owner": owner, "stamp": stamp, "lang": lang}


def set_lang(ws: Workspace, name: str, lang: str) -> None:
    """Remember the language ``name`` chose for the pages (``zh`` or ``en``)."""
    from xuanba.i18n import check_lang

    _existing(ws, name)
    with ws.transaction() as con:
        con.execute("UPDATE web_users SET lang = ? WHERE name = ?", [check_lang(lang), name])


# a fixed hash to verify against when the user does not exist: the answer takes as long either way
_DUMMY: list[str] = []


def check_password(ws: Workspace, name: str, password: str) -> dict[str, Any] | None:
    """The user (as :func:`get_user`) when ``password`` is theirs and they are active, else ``None``."""
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher = _hasher()
    row = None
    if has_tables(ws):
        rows = ws.con.execute("SELECT password_hash FROM web_users WHERE name = ? AND active", [name]).fetchall()
        row = rows[0][0] if rows else None
    if row is None:
        if not _DUMMY:
            _DUMMY.append(hasher.hash(secrets.token_hex(8)))
        with contextlib.suppress(VerificationError, InvalidHashError):
            hasher.verify(_DUMMY[0], password)
        return None
    try:
        hasher.verify(row, password)
    except (VerificationError, InvalidHashError):
        return None
    return get_user(ws, name)


def user_count(ws: Workspace) -> int:
    """How many active users there are."""
    if not has_tables(ws):
        return 0
    return int(ws.con.execute("SELECT count(*) FROM web_users WHERE active").fetchone()[0])


def audit_log(ws: Workspace, limit: int = 200) -> list[dict[str, Any]]:
    """The latest lines of the audit log, newest first."""
    if not has_tables(ws):
        return []
    rows = ws.con.execute("SELECT happened_at, user_name, action, detail FROM web_audit ORDER BY happened_at DESC LIMIT ?",
                          [int(limit)]).fetchall()
    return [{"at": a.isoformat(), "user": u, "action": x, "detail": d} for a, u, x, d in rows]


# -- customer links -----------------------------------------------------------------------------

def create_link(ws: Workspace, customer_id: str, *, days: int = 30, by: str | None = None) -> dict[str, Any]:
    """Record a new link to ``customer_id``'s statement, valid ``days`` days; returns its id,
    expiry and signed token (see :func:`xuanba.web.links.sign`)."""
    from xuanba.web.links import sign

    if not 1 <= int(days) <= 366:
        raise InputError(Phrase("web_err_days", days=days), fix=Phrase("web_err_days_fix"))
    ensure_tables(ws)
    link_id = secrets.token_urlsafe(12)
    expires = _now() + dt.timedelta(days=int(days))
    with ws.transaction() as con:
        con.execute("INSERT INTO web_links VALUES (?, ?, ?, ?, ?, NULL)", [link_id, str(customer_id), by, _now(), expires])
        audit(ws, by, "link_create", {"link": link_id, "customer": str(customer_id), "days": int(days)})
    return {"link_id": link_id, "customer_id": str(customer_id), "expires_at": expires.isoformat(),
            "token": sign(link_secret(ws) or "", link_id)}


def revoke_link(ws: Workspace, link_id: str, *, by: str | None = None) -> None:
    """Revoke a link: it stops working at once."""
    if not has_tables(ws) or not ws.sql("SELECT 1 FROM web_links WHERE link_id = ?", [link_id]).shape[0]:
        raise InputError(Phrase("web_err_no_link", link=repr(link_id)), fix=Phrase("web_err_no_link_fix"))
    with ws.transaction() as con:
        con.execute("UPDATE web_links SET revoked_at = ? WHERE link_id = ? AND revoked_at IS NULL", [_now(), link_id])
        audit(ws, by, "link_revoke", {"link": link_id})


def list_links(ws: Workspace) -> list[dict[str, Any]]:
    """Every link, newest first."""
    if not has_tables(ws):
        return []
    rows = ws.con.execute("SELECT link_id, customer_id, created_by, created_at, expires_at, revoked_at "
                          "FROM web_links ORDER BY created_at DESC, link_id").fetchall()
    keys = ("link_id", "customer_id", "created_by", "created_at", "expires_at", "revoked_at")
    return [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in zip(keys, r, strict=True)}
            for r in rows]


def live_link(ws: Workspace, link_id: str) -> str | None:
    """The customer of a link that exists, is not revoked and has not expired; else ``None``."""
    if not has_tables(ws):
        return None
    rows = ws.con.execute("SELECT customer_id FROM web_links WHERE link_id = ? AND revoked_at IS NULL "
                          "AND expires_at > ?", [link_id, _now()]).fetchall()
    return str(rows[0][0]) if rows else None


# -- published standards ------------------------------------------------------------------------

def publish_standard(ws: Workspace, text: str, *, by: str | None = None,
                     extra_fields: tuple[str, ...] | list[str] = (),
                     attributes: tuple[str, ...] | list[str] = ()) -> dict[str, Any]:
    """Store the standard ``text`` as a new published version (validated first, its rules reading
    the built-in fields, ``attributes``, the customers table's columns, and ``extra_fields``) and log it.

    Refused (:class:`~xuanba.errors.InputError`) when it is the version published last, or when
    its name and version number are already published with another text: a version number
    names one text. Returns the stored version (as :func:`published_standards` lists it).

    Example
    -------
    >>> from xuanba.standard import starter_standard
    >>> with Workspace(":memory:") as ws:
    ...     publish_standard(ws, starter_standard("en"), by="boss")["version_id"]
    1
    """
    from xuanba.standard import load_standard

    std = load_standard(as_text(text), extra_fields=tuple(extra_fields), attributes=tuple(attributes))
    ensure_tables(ws)
    done = published_standards(ws)
    if done and done[-1]["sha256"] == std.sha256:
        raise InputError(Phrase("web_err_unchanged", version=done[-1]["version"]), fix=Phrase("web_err_unchanged_fix"))
    clash = [v for v in done if v["name"] == std.name and v["version"] == str(std.version) and v["sha256"] != std.sha256]
    if clash:
        raise InputError(Phrase("web_err_version_taken", name=std.name, version=std.version),
                         fix=Phrase("web_err_version_taken_fix"))
    with ws.transaction() as con:
        row = con.execute("SELECT COALESCE(MAX(version_id), 0) + 1 FROM web_standards").fetchone()
        vid = int(row[0]) if row else 1
        con.execute("INSERT INTO web_standards VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [vid, std.name, str(std.version), std.sha256, std.text, by, _now()])
        audit(ws, by, "standard_publish", {"version_id": vid, "name": std.name, "version": str(std.version),
                                           "sha256": std.sha256})
    return published_standards(ws)[-1]


def published_standards(ws: Workspace) -> list[dict[str, Any]]:
    """Every standard published from the web, oldest first: ``version_id``, ``name``, ``version``,
    ``sha256``, ``text``, ``published_by``, ``published_at`` (ISO)."""
    if not ws.has_table("web_standards"):
        return []
    keys = ("version_id", "name", "version", "sha256", "text", "published_by", "published_at")
    rows = ws.con.execute(f"SELECT {', '.join(keys)} FROM web_standards ORDER BY version_id").fetchall()
    return [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in zip(keys, r, strict=True)}
            for r in rows]


#: The longest standard text the web takes (characters); a real one is a few thousand.
MAX_STANDARD_CHARS = 100_000


def as_text(text: str) -> str:
    """``text`` as the standard's TOML text, never a path: the parser reads a one-line string
    ending in ``.toml`` as a file name, so a text without a line break gets one. Too long a text
    is an :class:`~xuanba.errors.InputError`.

    Example
    -------
    >>> as_text("/etc/secret.toml")
    '/etc/secret.toml\\n'
    """
    text = str(text or "").replace("\r\n", "\n")
    if len(text) > MAX_STANDARD_CHARS:
        raise InputError(Phrase("web_err_too_long", n=f"{len(text):,}", most=f"{MAX_STANDARD_CHARS:,}"),
                         fix=Phrase("web_err_too_long_fix"))
    return text if "\n" in text else text + "\n"
