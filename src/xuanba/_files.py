"""Files written whole or not at all: the one atomic-write helper every output uses.

A file is written to a temporary file in its destination folder, flushed to disk and renamed
over the destination (:func:`os.replace`, atomic on POSIX and Windows). A full disk or an error
half-way leaves the previous file as it was and no temporary file behind. A kill leaves the
previous file too, and a hidden temporary file that the next write into that folder removes once
it can prove the writer dead (:func:`remove_stale_temps`). This module imports nothing from xuanba.

Example
-------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
>>> write_text_atomic(p, "new").read_text()
'new'
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import socket
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

#: The workspace file when none is named (``xuanba.workspace`` and every command use it; it
#: lives here, in a module that imports nothing heavy, so the command line starts quickly).
DEFAULT_PATH = "xuanba.duckdb"

#: Prefix of the temporary files (hidden, so a folder listing does not show them). The full name
#: is ``.xuanba-tmp-<host>-<pid>-<random><suffix>``: the writing machine (a short hash of its
#: name) and process, so a later write can tell whether the writer is gone.
TEMP_PREFIX = ".xuanba-tmp-"

#: A temporary file untouched for this long is dead whoever wrote it (a writer keeps writing
#: to its file; a kill on another machine sharing the folder cannot be checked by process id).
STALE_AFTER_HOURS = 24.0

#: A folder is looked at for stale temporary files at most once in this many seconds per process
#: (writing 3,000 statements into one folder must not list it 3,000 times).
SWEEP_EVERY_S = 60.0

_TEMP_NAME = re.compile(re.escape(TEMP_PREFIX) + r"([0-9a-f]{6})-(\d+)-")
_swept: dict[str, float] = {}


def _host() -> str:
    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]


def process_gone(pid: int) -> bool:
    """Whether no process of this id runs on this machine (POSIX; elsewhere always ``False``).

    Example
    -------
    >>> process_gone(os.getpid())
    False
    """
    if os.name != "posix" or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, owned by another user
        return False
    return False


def remove_stale_temps(folder: str | Path, *, now: float | None = None) -> list[Path]:
    """Remove the temporary files of writes into ``folder`` that were killed; returns them.

    A temporary file is stale when the process named in it ran on this machine and is gone, or
    when it has not been touched for :data:`STALE_AFTER_HOURS` (whoever wrote it). A file of a
    live process, of this process, or of another machine that is younger is kept. Errors (a
    file already gone, no permission) are ignored: the sweep never stops a write.

    Example
    -------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / f"{TEMP_PREFIX}{_host()}-999999999-x.csv").write_text("half")
    >>> [p.name.split("-")[3] for p in remove_stale_temps(d)], list(d.iterdir())
    (['999999999'], [])
    """
    removed: list[Path] = []
    now = time.time() if now is None else now
    host, me = _host(), os.getpid()
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(TEMP_PREFIX)]
    except OSError:
        return removed
    for entry in entries:
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            m = _TEMP_NAME.match(entry.name)
            mine = bool(m) and m.group(1) == host  # type: ignore[union-attr]
            pid = int(m.group(2)) if m else 0  # type: ignore[union-attr]
            if mine and pid == me:
                continue
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER_HOURS * 3600
            if old or (mine and process_gone(pid)):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except (OSError, ValueError):
            continue
    return removed


def _sweep(folder: Path) -> None:
    key = os.path.abspath(folder)
    t = time.monotonic()
    if t - _swept.get(key, -SWEEP_EVERY_S) >= SWEEP_EVERY_S:
        _swept[key] = t
        remove_stale_temps(folder)


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
    _sweep(dest.parent)
    prefix = f"{TEMP_PREFIX}{_host()}-{os.getpid()}-"
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=dest.suffix, dir=dest.parent)
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


@contextlib.contextmanager
def atomic_tree(path: str | Path) -> Iterator[Path]:
    """A temporary name beside ``path`` for a writer that makes a file **or a folder** there (an
    engine writing Parquet as a folder of parts); on success it replaces ``path`` whole, on error
    it is removed and whatever ``path`` held is left as it was.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "parts"
    >>> with atomic_tree(p) as tmp:
    ...     tmp.mkdir(); _ = (tmp / "part-0").write_text("rows")
    >>> [x.name for x in p.iterdir()], sorted(x.name for x in p.parent.iterdir())
    (['part-0'], ['parts'])
    """
    dest = Path(path)
    if dest.is_symlink():
        raise IsADirectoryError(f"{dest} is a link; refusing to replace it")
    dest.parent.mkdir(parents=True, exist_ok=True)
    _sweep(dest.parent)
    tag = f"{TEMP_PREFIX}{_host()}-{os.getpid()}-{uuid.uuid4().hex[:8]}-"
    tmp, old = dest.with_name(tag + dest.name), dest.with_name(tag + "old-" + dest.name)

    def remove(p: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()

    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"the writer made nothing at {tmp}")
        if dest.exists():
            dest.rename(old)
        try:
            tmp.rename(dest)
        except BaseException:
            if old.exists() and not dest.exists():
                old.rename(dest)  # the previous files come back whole
            raise
        remove(old)
    except BaseException:
        remove(tmp)
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
