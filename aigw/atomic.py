"""Writing a file at once: the one way `aigw logpush keygen` (the stack file, the private key) and `aigw import`
(the stack file, the import file) write.

The data goes to a temporary file beside the target (created with O_EXCL and mode 0600, so it is never readable
by others, not even briefly), is flushed to disk, gets its final mode, and replaces the target with os.replace
(atomic on POSIX: a reader sees the old file or the new one, never half of one). A symlink stays a link: the
file it points at is replaced (unless ``follow_symlinks=False``). An existing file keeps its mode; a new one
gets the mode any new file gets (0666 less the umask) unless a mode is given.
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path


def _exclusive_temp(directory: Path, name: str) -> tuple[int, Path]:
    while True:
        tmp = directory / f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), tmp
        except FileExistsError:
            continue


def write_fd(fd: int, data: bytes, mode: int) -> None:
    """Set ``mode``, write all of ``data``, fsync, close (the descriptor is closed whatever happens)."""
    try:
        os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def existing_mode(path: Path) -> int:
    """The permission bits of ``path``, or those a new file gets (0666 less the umask)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@dataclass(frozen=True)
class Staged:
    """Data written beside its target, waiting for :meth:`commit` (or :meth:`discard`)."""

    tmp: Path
    target: Path

    def commit(self) -> None:
        try:
            os.replace(self.tmp, self.target)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        self.tmp.unlink(missing_ok=True)


def stage(path: Path, data: bytes, mode: int | None = None, *, follow_symlinks: bool = True) -> Staged:
    """Write ``data`` to a temporary file beside ``path`` (beside the file a symlink points at), with ``mode``
    (default: the file's own, see :func:`existing_mode`), ready to replace it."""
    target = Path(os.path.realpath(path)) if follow_symlinks else Path(os.path.abspath(path))
    final_mode = existing_mode(target) if mode is None else mode
    fd, tmp = _exclusive_temp(target.parent, target.name)
    try:
        write_fd(fd, data, final_mode)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Staged(tmp, target)


def replace(path: Path, data: bytes, mode: int | None = None, *, follow_symlinks: bool = True) -> None:
    """Replace ``path`` by ``data`` at once (see the module docstring)."""
    stage(path, data, mode, follow_symlinks=follow_symlinks).commit()
