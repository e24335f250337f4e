"""Signed customer links: a token names a link id, signed with the workspace's link secret.

The signature stops forged and altered tokens; the ``web_links`` row (see
:mod:`xuanba.web.store`) decides expiry and revocation, so a revoked link stops at once.

Example
-------
>>> token = sign("secret", "abc")
>>> unsign("secret", token), unsign("other", token), unsign("secret", token + "x")
('abc', None, None)
"""

from __future__ import annotations

_SALT = "xuanba-customer-link"
_MAX_AGE_S = 367 * 24 * 3600  # links live at most 366 days; the table holds the exact expiry


def sign(secret: str, link_id: str) -> str:
    """The URL-safe token of ``link_id``."""
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(secret, salt=_SALT).dumps(link_id)


def unsign(secret: str, token: str) -> str | None:
    """The link id a genuine token names, else ``None`` (forged, altered, or over a year old)."""
    from itsdangerous import BadData, URLSafeTimedSerializer

    if not secret or not token or len(token) > 200:
        return None
    try:
        value = URLSafeTimedSerializer(secret, salt=_SALT).loads(token, max_age=_MAX_AGE_S)
    except BadData:
        return None
    return value if isinstance(value, str) else None
