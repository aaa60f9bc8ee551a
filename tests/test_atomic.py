"""aigw/atomic.py: the one way aigw writes a file at once (keygen: stack file and private key; import: stack
file and import file)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from aigw import atomic


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_replace_keeps_the_mode_of_an_existing_file_and_leaves_no_temporary_file(tmp_path: Path):
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text("old\n")
    path.chmod(0o640)
    atomic.replace(path, b"new\n")
    assert path.read_text() == "new\n" and mode(path) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Pulumi.prod.yaml"]


def test_a_new_file_gets_the_mode_of_any_new_file(tmp_path: Path):
    umask = os.umask(0o027)
    try:
        atomic.replace(tmp_path / "import-prod.json", b"{}\n")
    finally:
        os.umask(umask)
    assert mode(tmp_path / "import-prod.json") == 0o640


def test_a_symlink_stays_a_link_and_its_target_is_replaced(tmp_path: Path):
    real = tmp_path / "real.yaml"
    real.write_text("old\n")
    link = tmp_path / "Pulumi.prod.yaml"
    link.symlink_to(real)
    atomic.replace(link, b"new\n")
    assert link.is_symlink() and real.read_text() == "new\n"


def test_without_following_the_link_itself_is_replaced_with_the_given_mode(tmp_path: Path):
    other = tmp_path / "other.pem"
    other.write_text("someone else's\n")
    link = tmp_path / "key.pem"
    link.symlink_to(other)
    atomic.replace(link, b"key\n", 0o600, follow_symlinks=False)
    assert not link.is_symlink() and link.read_text() == "key\n" and mode(link) == 0o600
    assert other.read_text() == "someone else's\n"


def test_a_staged_write_is_invisible_until_committed_and_discard_removes_it(tmp_path: Path):
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text("old\n")
    staged = atomic.stage(path, b"new\n")
    assert path.read_text() == "old\n" and staged.tmp.parent == tmp_path and mode(staged.tmp) == mode(path)
    staged.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Pulumi.prod.yaml"]
    atomic.stage(path, b"new\n").commit()
    assert path.read_text() == "new\n"


def test_a_failed_commit_removes_the_temporary_file(tmp_path: Path):
    path = tmp_path / "dir"
    path.mkdir()
    (path / "inside").write_text("x")
    staged = atomic.stage(tmp_path / "file", b"data")
    staged = atomic.Staged(staged.tmp, path)  # os.replace of a file onto a non-empty directory fails
    with pytest.raises(OSError):
        staged.commit()
    assert not staged.tmp.exists()
