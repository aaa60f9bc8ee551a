"""Where the private key goes (outside the project and its git repository, mode 0600) and how it is written."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from .. import atomic
from . import InvalidInput

KEY_DIR = Path(".config") / "aigw" / "keys"


# --------------------------------------------------------------------------- where the private key goes


def default_private_key_path(project: str, stack: str) -> Path:
    name = re.sub(r"[^A-Za-z0-9._-]", "_", f"{project}-{stack}-logpush.pem")
    return Path.home() / KEY_DIR / name


def inside_project(path: Path, project_dir: Path | None, start: Path | None = None) -> tuple[Path, str] | None:
    """(directory, what) when ``path`` (symlinks resolved) is inside the project directory or the git
    repository holding it, else None. Without a project, the git repository around ``start`` (default:
    the current directory) counts. Nothing secret (a private key, decrypted logs) may be written there.
    """
    real = Path(os.path.realpath(path))
    forbidden = [] if project_dir is None else [(Path(os.path.realpath(project_dir)), "the project directory")]
    base = Path(os.path.abspath(project_dir if project_dir is not None else start or Path.cwd()))
    for directory in (base, *base.parents):
        if (directory / ".git").exists():
            forbidden.append((Path(os.path.realpath(directory)), "the git repository"))
            break
    for root, what in forbidden:
        if real == root or root in real.parents:
            return root, what
    return None


def check_private_key_location(path: Path, project_dir: Path) -> None:
    """Refuse a path inside the project directory or its git repository (symlinks resolved)."""
    found = inside_project(path, project_dir)
    if found is not None:
        root, what = found
        raise InvalidInput(
            f"{path}: is inside {what} ({root}): the private key must never be stored in the "
            f"repository; choose a path outside it (default: ~/{KEY_DIR}/)"
        )
    real = Path(os.path.realpath(path))
    if real.is_dir():
        raise InvalidInput(f"{path}: is a directory; --out takes the path of the key file")


def write_private_key(path: Path, pem: bytes, *, force: bool) -> Callable[[], None]:
    """Write the key with mode 0600 (never readable by others, not even briefly); returns an undo.

    Without ``force`` the file is created with O_EXCL, so an existing key (or a symlink) is never
    overwritten. With ``force`` a fresh 0600 file replaces it atomically.
    """
    _make_private_dirs(path.parent)
    if not force:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise InvalidInput(_exists_message(path)) from None
        try:
            atomic.write_fd(fd, pem, 0o600)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return lambda: path.unlink(missing_ok=True)

    previous = path.read_bytes() if path.is_file() else None
    atomic.replace(path, pem, 0o600, follow_symlinks=False)

    def undo() -> None:
        if previous is None:
            path.unlink(missing_ok=True)
        else:
            atomic.replace(path, previous, 0o600, follow_symlinks=False)

    return undo


def _exists_message(path: Path) -> str:
    return (f"{path}: already exists; rerun with --force to overwrite it (first make sure nothing still "
            "needs that key: logs pushed with its public key can only be read with it)")


def _make_private_dirs(directory: Path) -> None:
    missing = []
    for parent in (directory, *directory.parents):
        if parent.exists():
            break
        missing.append(parent)
    for parent in reversed(missing):
        os.mkdir(parent, 0o700)
        os.chmod(parent, 0o700)  # exactly 0700 whatever the umask
