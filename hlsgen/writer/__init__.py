"""Write a generated project atomically.

Everything is rendered in memory first (by the backend); this module writes it into a
fresh temporary folder beside the destination and only then swaps it into place.  A
failure at any point leaves no partial project behind and keeps an earlier project in
the destination intact.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX
    fcntl = None


@dataclass(frozen=True)
class CopyFrom:
    """File content taken from an existing file (e.g. a header of the layer library)."""

    path: Path


class ProjectWriteError(OSError):
    pass


#: a file every written project has; only folders holding it are ever replaced
PROJECT_MARKER = "hlsgen_meta.json"


def check_writable(output_dir) -> Path:
    """Raise a clear error now if ``output_dir`` cannot be (re)written."""
    out = Path(output_dir).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise ProjectWriteError(f"output_dir {str(out)!r} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / PROJECT_MARKER).exists():
        raise ProjectWriteError(
            f"output_dir {str(out)!r} is not empty and is not an hlsgen project: hlsgen replaces its output "
            "folder as a whole, so choose a new or empty folder")
    parent = out.parent
    while not parent.exists():
        parent = parent.parent
    try:  # ask the file system itself: permission bits do not tell root's story
        probe = tempfile.mkdtemp(prefix=".hlsgen-probe-", dir=parent)
        os.rmdir(probe)
    except OSError as e:
        raise ProjectWriteError(f"cannot write the project {str(out)!r}: folder {str(parent)!r} is not writable ({e.strerror})") from None
    return out


@contextlib.contextmanager
def _write_lock(out: Path):
    """One writer per project folder: a lock file beside it (flock, released on exit, and
    by the OS if the process dies). A second writer gets a clear error at once."""
    if fcntl is None:  # no flock on this platform: writes are not guarded against each other
        yield
        return
    lock = out.parent / f".{out.name}.hlsgen-lock"
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ProjectWriteError(f"another write of {str(out)!r} is in progress (lock {str(lock)!r}); "
                                    "wait for it to finish, or write to another output_dir") from None
        try:
            same = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the previous holder removed the file while we opened it: take the new one
    try:
        yield
    finally:
        os.unlink(lock)
        os.close(fd)


def write_project(files, output_dir) -> Path:
    """``files``: iterable of (relative path, str | bytes | CopyFrom). Returns the folder.
    All or nothing: on any failure, Ctrl-C included, the old project stays in place."""
    out = check_writable(output_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    with _write_lock(out):
        check_writable(out)  # as it is now that the folder is ours
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
        old = None
        try:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private
            for rel, content in files:
                rel = Path(rel)
                if rel.is_absolute() or ".." in rel.parts:
                    raise ProjectWriteError(f"refusing to write {str(rel)!r} outside the project")
                dest = tmp / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(content, CopyFrom):
                    shutil.copyfile(content.path, dest)
                elif isinstance(content, bytes):
                    dest.write_bytes(content)
                else:
                    dest.write_text(content)
            if out.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
                os.rename(out, old / "prj")
            os.rename(tmp, out)
        except BaseException:
            if old is not None and (old / "prj").exists() and not out.exists():
                os.rename(old / "prj", out)  # the old project back where it was
            if old is not None and not (old / "prj").exists():
                shutil.rmtree(old, ignore_errors=True)
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return out
