"""Writing a new project: every check first, then every file at once, never over an existing one.

Each file is written to a temporary file beside it (aigw/atomic.py: O_EXCL, flushed to disk) and then
hard-linked to its name, which fails if the name exists (so a file that appeared meanwhile is not
overwritten, as os.replace would), and a reader never sees half a file. If anything fails, the files and
directories made so far, and the private key, are removed again: no half-written project.

The Logpush key pair is the one `aigw logpush keygen` makes (aigw/logexport): the private key goes where
keygen would allow it (outside the project and its git repository, mode 0600, never over a file), the
public key into the production stack files through keygen's stack-file edit.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from pathlib import Path

from .. import atomic
from ..logexport import InvalidInput
from ..logexport.keypair import RSA_BITS, generate_key_pair
from ..logexport.private_key import inside_project, write_private_key
from ..logexport.stack_edit import PUBLIC_KEY_PATH, plan_stack_edit
from .project import InitError, ProjectFile, Settings, render_project

# A folder holding only these is empty for `aigw init` (`git init` first is the usual start).
IGNORED_ENTRIES = (".git",)


@dataclass
class Result:
    root: Path
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    private_key: Path | None = None
    fingerprint: str | None = None
    keyed_stacks: list[str] = field(default_factory=list)


def _entries(root: Path) -> list[str]:
    try:
        return sorted(e.name for e in root.iterdir() if e.name not in IGNORED_ENTRIES)
    except OSError as exc:
        raise InitError(f"{root}: cannot be read: {exc.strerror}") from None


def _check_target(root: Path, force: bool) -> None:
    if root.is_symlink() and not root.exists():
        raise InitError(f"{root}: is a dangling symbolic link")
    if root.exists() and not root.is_dir():
        raise InitError(f"{root}: exists and is not a directory")
    if root.is_dir() and not force:
        entries = _entries(root)
        if entries:
            shown = ", ".join(entries[:5]) + (f" and {len(entries) - 5} more" if len(entries) > 5 else "")
            raise InitError(f"{root}: is not empty ({shown}); `aigw init` writes a new project into an empty or new "
                            "directory. Rerun with --force to add only the files that do not exist yet (it never "
                            "overwrites a file)")


def _existing(root: Path, files: list[ProjectFile]) -> tuple[list[ProjectFile], list[str], list[str]]:
    """(files to write, paths skipped because they exist, problems: a parent that is not a directory)."""
    to_write, skipped, problems = [], [], []
    for f in files:
        target = root / f.path
        parent_problem = None
        for parent in reversed(Path(f.path).parents[:-1]):  # "a", "a/b": the folders inside root
            where = root / parent
            if (where.exists() or where.is_symlink()) and not where.is_dir():
                parent_problem = f"{where}: exists and is not a directory, so {f.path} cannot be written"
                break
        if parent_problem:
            problems.append(parent_problem)
        elif target.exists() or target.is_symlink():
            skipped.append(f.path)
        else:
            to_write.append(f)
    return to_write, skipped, problems


def _check_key_path(key: Path, root: Path) -> Path:
    key = Path(os.path.abspath(key.expanduser()))
    found = inside_project(key, root)
    if found is not None:
        where, what = found
        raise InitError(f"--logpush-key {key}: is inside {what} ({where}): the private key must never be stored "
                        "in the repository; choose a path outside it (for example ~/.config/aigw/keys/)")
    if key.is_dir():
        raise InitError(f"--logpush-key {key}: is a directory; --logpush-key takes the path of the key file")
    if key.exists() or key.is_symlink():
        raise InitError(f"--logpush-key {key}: already exists; `aigw init` never overwrites a file (a key in use "
                        "must stay readable): choose another path")
    return key


def _add_public_key(files: list[ProjectFile], settings: Settings, pem: str) -> list[ProjectFile]:
    out = []
    for f in files:
        if f.path in {f"Pulumi.{e}.yaml" for e in settings.production}:
            try:
                text = plan_stack_edit(f.text, file=f.path, force=False).with_public_key(pem)
            except InvalidInput as exc:  # not reached: the templates are tested
                raise InitError(exc.lines) from None
            f = ProjectFile(f.path, text)
        out.append(f)
    return out


def init_project(root: Path, settings: Settings, *, force: bool, logpush_key: Path | None) -> Result:
    """Check everything, then write the project (and the private key); InitError names every problem."""
    root = Path(os.path.abspath(root))
    _check_target(root, force)
    files = render_project(settings)
    to_write, skipped, problems = _existing(root, files)
    key_path = None
    if logpush_key is not None:
        try:
            key_path = _check_key_path(logpush_key, root)
        except InitError as exc:
            problems += exc.lines
        kept = [f"Pulumi.{e}.yaml" for e in settings.production if f"Pulumi.{e}.yaml" in skipped]
        if kept:
            problems += [f"--logpush-key: {path} exists and is not overwritten, so its public key could not be set; "
                         f"run `aigw logpush keygen {path}` for it instead" for path in kept]
        if not settings.production:
            problems.append("--logpush-key: no production environment (--production) to export logs from")
    if problems:
        raise InitError(problems)

    result = Result(root, skipped=skipped)
    pair = None
    if key_path is not None:
        pair = generate_key_pair()
        to_write = _add_public_key(to_write, settings, pair.public_pem)
    _write_all(root, to_write, key_path, pair.private_pem if pair else None)
    result.written = [f.path for f in to_write]
    if pair is not None:
        result.private_key = key_path
        result.fingerprint = pair.fingerprint
        result.keyed_stacks = [f"Pulumi.{e}.yaml" for e in settings.production]
    return result


def _write_all(root: Path, files: list[ProjectFile], key_path: Path | None, private_pem: bytes | None) -> None:
    made_dirs: list[Path] = []
    staged: list[atomic.Staged] = []
    linked: list[Path] = []
    undo_key = None
    try:
        for f in files:
            target = root / f.path
            missing = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
            for directory in reversed(missing):
                os.mkdir(directory)
                made_dirs.append(directory)
            staged.append(atomic.stage(target, f.text.encode("utf-8"), follow_symlinks=False))
        if key_path is not None and private_pem is not None:
            undo_key = write_private_key(key_path, private_pem, force=False)
        for s in staged:
            _link(s)
            linked.append(s.target)
    except BaseException as exc:
        for s in staged:
            s.discard()
        for path in reversed(linked):
            path.unlink(missing_ok=True)
        if undo_key is not None:
            undo_key()
        for directory in reversed(made_dirs):
            try:
                directory.rmdir()
            except OSError:
                pass
        if isinstance(exc, FileExistsError):
            raise InitError(f"{exc.filename}: appeared while the project was written; nothing was written "
                            "(it is never overwritten)") from None
        if isinstance(exc, InvalidInput):
            raise InitError(exc.lines) from None
        if isinstance(exc, OSError):
            raise InitError(f"{exc.filename or root}: cannot be written: {exc.strerror or exc}; nothing was "
                            "written") from None
        raise


def _link(s: atomic.Staged) -> None:
    """Give the staged file its name unless the name exists (a hard link; without hard links, O_EXCL)."""
    try:
        try:
            os.link(s.tmp, s.target)
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                raise
            mode = atomic.existing_mode(s.target)
            fd = os.open(s.target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            try:
                atomic.write_fd(fd, s.tmp.read_bytes(), mode)
            except BaseException:
                s.target.unlink(missing_ok=True)
                raise
    except OSError as exc:  # named by the file it is about, not the temporary one (OSError(EEXIST) is FileExistsError)
        raise OSError(exc.errno, exc.strerror, str(s.target)) from None
    s.tmp.unlink(missing_ok=True)


__all__ = ["RSA_BITS", "PUBLIC_KEY_PATH", "Result", "init_project"]
