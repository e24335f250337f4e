"""The web app (``xuanba serve``): managers, reps and customers read the stored rounds in a browser.

Pages are thin shells over :mod:`xuanba.web.data` (what a page shows, scoped to who asks) and
the statements of :mod:`xuanba.outputs.statements`; users, the audit log and customer links are
kept in the workspace by :mod:`xuanba.web.store`. Starlette, Jinja2 and a vendored htmx serve
everything from the package: nothing is fetched from another host.

Example
-------
>>> from xuanba.web import create_app
>>> create_app(":memory:").state.xb.idle_s
1800.0
"""

from __future__ import annotations

from xuanba.web.app import create_app

__all__ = ["create_app"]
