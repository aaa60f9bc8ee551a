"""`aigw plan` and `aigw check` in a project without a program of its own (no __main__.py where Pulumi.yaml's
`main:` points, or in the root without `main:`): they plan with the installed program, and warn that
`pulumi up` would run none, naming the fix `aigw init` writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.plan import aigw

from aigw.config import missing_program_warning

STACK = 'config:\n  aigw:accountId: "0123456789abcdef0123456789abcdef"\n  aigw:environment: dev\n'
CODE = "`from aigw.program import main` and `main()`"
TAIL = ": aigw plans these stacks with its installed program, but `pulumi up` would run no program here; "


def _project(root: Path, pulumi_yaml: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text(pulumi_yaml)
    (root / "Pulumi.dev.yaml").write_text(STACK)
    return root


@pytest.mark.parametrize(("pulumi_yaml", "make", "expected"), [
    ("name: t\n", [], "Pulumi.yaml: no `main:` and no __main__.py in the project root" + TAIL
     + f"add infra/__main__.py holding {CODE}, and `main: infra/` to it (as `aigw init` writes them)"),
    ("name: t\nmain: infra/\n", [], "Pulumi.yaml: `main: infra/` names no folder" + TAIL
     + f"add infra/__main__.py holding {CODE} (as `aigw init` writes them)"),
    ("name: t\nmain: prog\n", ["prog/"], "Pulumi.yaml: `main: prog` has no __main__.py" + TAIL
     + f"add prog/__main__.py holding {CODE} (as `aigw init` writes them)"),
    ("name: t\nmain: infra/\n", ["infra/__main__.py"], None),
    ("name: t\n", ["__main__.py"], None),
    ("name: t\nmain: run.py\n", ["run.py"], None),  # `main:` naming the program file itself
])
def test_the_warning_names_what_is_missing_and_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       pulumi_yaml: str, make: list[str], expected: str | None):
    _project(tmp_path, pulumi_yaml)
    for name in make:
        path = tmp_path / name
        if name.endswith("/"):
            path.mkdir()
        else:
            path.parent.mkdir(exist_ok=True)
            path.write_text("from aigw.program import main\n\nmain()\n")
    monkeypatch.chdir(tmp_path)
    got = missing_program_warning(tmp_path)
    assert got == (None if expected is None else f"warning: {expected}")


def test_an_unreadable_project_file_is_left_to_the_plan(tmp_path: Path):
    (tmp_path / "Pulumi.yaml").write_text("name: [unclosed\n")
    assert missing_program_warning(tmp_path) is None


@pytest.mark.parametrize("command", ["plan", "check"])
def test_plan_and_check_warn_on_stderr_and_still_plan(tmp_path: Path, command: str):
    root = _project(tmp_path / "p", "name: t\nmain: infra/\n")
    proc = aigw(command, cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == [
        "aigw: warning: Pulumi.yaml: `main: infra/` names no folder" + TAIL
        + f"add infra/__main__.py holding {CODE} (as `aigw init` writes them)"]
    assert "dev" in proc.stdout
    (root / "infra").mkdir()
    (root / "infra" / "__main__.py").write_text("from aigw.program import main\n\nmain()\n")
    again = aigw(command, cwd=root)
    assert again.returncode == 0 and again.stderr == ""
    assert again.stdout == proc.stdout


def test_a_project_made_by_init_plans_without_the_warning(tmp_path: Path):
    root = tmp_path / "p"
    assert aigw("init", str(root), "--account", "0123456789abcdef0123456789abcdef").returncode == 0
    proc = aigw("plan", cwd=root)
    assert proc.returncode == 0 and proc.stderr == ""
