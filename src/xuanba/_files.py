"""Files written whole or not at all: the one atomic-write helper every output uses.

A file is written to a temporary file in its destination folder, flushed to disk and renamed
over the destination (:func:`os.replace`, atomic on POSIX and Windows). A kill, a full disk or
an error half-way leaves the previous file as it was and no temporary file behind. This module
imports nothing from xuanba.

Example
-------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
>>> write_text_atomic(p, "new").read_text()
'new'
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

#: The workspace file when none is named (``xuanba.workspace`` and every command use it; it
#: lives here, in a module that imports nothing heavy, so the command line starts quickly).
DEFAULT_PATH = "xuanba.duckdb"

#: Prefix of the temporary files (hidden, so a folder listing does not show them).
TEMP_PREFIX = ".xuanba-tmp-"


def _fsync(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path``; on success it replaces ``path``, on error it is removed.

    Parameters
    ----------
    path
        The destination. Its folder is created.

    Yields
    ------
    Path
        An empty temporary file in the same folder, to write (by any writer) before the block ends.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.txt"
    >>> with atomic_path(p) as tmp:
    ...     _ = tmp.write_text("done")
    >>> p.read_text(), sorted(x.name for x in p.parent.iterdir())
    ('done', ['t.txt'])
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=dest.suffix, dir=dest.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        _fsync(tmp)
        if dest.exists():  # keep the permissions of the file replaced
            with contextlib.suppress(OSError):
                os.chmod(tmp, dest.stat().st_mode & 0o7777)
        else:  # mkstemp makes 0600: give a new file the usual umask permissions
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, dest)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and exc.filename is None:
            exc.filename = str(dest)  # so a message (a full disk) can name the file not written
        raise


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`); returns the path.

    Example
    -------
    >>> import tempfile, pathlib
    >>> write_bytes_atomic(pathlib.Path(tempfile.mkdtemp()) / "b.bin", b"x").read_bytes()
    b'x'
    """
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
    return Path(path)


def write_text_atomic(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_path`); returns the path.

    Example
    -------
    >>> import tempfile, pathlib
    >>> write_text_atomic(pathlib.Path(tempfile.mkdtemp()) / "s.html", "<p>甲</p>").read_text("utf-8")
    '<p>甲</p>'
    """
    return write_bytes_atomic(path, text.encode(encoding))
