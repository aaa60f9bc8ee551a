"""The base revision of `aigw diff` is planned with its own program; when that program is byte for byte the
installed one, the installed runner (or the plan server) plans it, and the plans are the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_diff_git import ROOT, copy_project

from aigw.review.git import _plan_base, same_program


@pytest.fixture()
def base(tmp_path: Path) -> Path:
    copy_project(tmp_path)
    return tmp_path


def test_a_copy_of_the_installed_program_is_the_same_program(base: Path):
    assert same_program(base)


def test_one_byte_or_one_file_more_or_less_is_another_program(base: Path):
    runner = base / "aigw" / "plan" / "runner.py"
    runner.write_bytes(runner.read_bytes() + b"\n")
    assert not same_program(base)
    runner.write_bytes((ROOT / "aigw" / "plan" / "runner.py").read_bytes())
    assert same_program(base)
    (base / "policy" / "aigw_policy" / "extra.py").write_text("X = 1\n")
    assert not same_program(base)
    (base / "policy" / "aigw_policy" / "extra.py").unlink()
    (base / "aigw" / "fields.py").unlink()
    assert not same_program(base)


def test_a_base_without_the_program_is_not_the_same(tmp_path: Path):
    (tmp_path / "Pulumi.yaml").write_text("name: x\nruntime: python\n")
    assert not same_program(tmp_path)


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_installed_runner_plans_the_same_base_as_the_bases_own(base: Path, stack: str):
    path = base / f"Pulumi.{stack}.yaml"
    own, installed = _plan_base(base, path, same=False), _plan_base(base, path, same=True)
    assert own.note is None and installed.note is None
    assert installed.plan == own.plan and installed.text == own.text
