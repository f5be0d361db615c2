"""Write a generated project atomically.

Everything is rendered in memory first (by the backend); this module writes it into a
fresh temporary folder beside the destination and only then swaps it into place.  A
failure at any point leaves no partial project behind and keeps an earlier project in
the destination intact.

A folder that already holds other files (a model saved there, notes) may be written into: its
entries are kept, moved into the new project as it is swapped in, and listed in
``hlsgen_kept.json`` so that a later write keeps them again while it replaces everything the
project itself wrote (compiled libraries and tool outputs included).  An entry whose name
the project needs (``firmware``, ``build_prj.tcl``, ...) is refused before anything is written.
"""
from __future__ import annotations

import contextlib
import json
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
#: the entries of the folder that are not the project's own (kept on every write)
KEPT_LIST = "hlsgen_kept.json"


def _kept_entries(out: Path) -> list[str]:
    """The entries of ``out`` a write keeps: all of a folder that is not a project, the
    listed ones of a project."""
    if not out.is_dir():
        return []
    if not (out / PROJECT_MARKER).exists():
        return sorted(p.name for p in out.iterdir())
    try:
        listed = json.loads((out / KEPT_LIST).read_text())
    except (OSError, ValueError):
        return []
    return sorted(n for n in listed if isinstance(n, str) and "/" not in n and n not in ("", ".", "..")
                  and (out / n).exists())


def check_writable(output_dir, names=None) -> Path:
    """Raise a clear error now if ``output_dir`` cannot be (re)written; ``names``: the
    project's top-level entries, none of which may be a file of the folder's own."""
    out = Path(output_dir).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise ProjectWriteError(f"output_dir {str(out)!r} exists and is not a folder")
    if names is not None:
        clash = sorted(set(_kept_entries(out)) & (set(names) | {KEPT_LIST}))
        if clash:
            raise ProjectWriteError(
                f"output_dir {str(out)!r} holds {', '.join(repr(c) for c in clash)}, which the project would "
                "overwrite: move it away or choose another output_dir")
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
    files = [(Path(rel), content) for rel, content in files]
    names = {rel.parts[0] for rel, _ in files if rel.parts}
    out = check_writable(output_dir, names)
    out.parent.mkdir(parents=True, exist_ok=True)
    with _write_lock(out):
        check_writable(out, names)  # as it is now that the folder is ours
        kept = _kept_entries(out)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
        old = None
        moved = []
        try:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private
            for rel, content in files:
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
            if kept:
                (tmp / KEPT_LIST).write_text(json.dumps(kept) + "\n")
            for name in kept:  # the folder's own entries go into the new project
                os.rename(out / name, tmp / name)
                moved.append(name)
            if out.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
                os.rename(out, old / "prj")
            os.rename(tmp, out)
        except BaseException:
            if old is not None and (old / "prj").exists() and not out.exists():
                os.rename(old / "prj", out)  # the old project back where it was
            if out.exists() and not (old is not None and (old / "prj").exists()):
                for name in reversed(moved):  # the folder's own entries back where they were
                    with contextlib.suppress(OSError):
                        os.rename(tmp / name, out / name)
            if old is not None and not (old / "prj").exists():
                shutil.rmtree(old, ignore_errors=True)
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return out
