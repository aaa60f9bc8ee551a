"""`aigw diff` in a project that runs the installed aigw program (as `aigw init` writes one: no `aigw/`
package of its own): the base revision is planned with the installed program, so an unchanged stack is
unchanged, and the edge Worker's module (the installed package's file) is not shown as moved although
the base is planned from a temporary worktree."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from helpers.check import make_project
from helpers.review import WORKERS_SCRIPT, aigw

GIT = ["git", "-c", "user.email=review-tests@example.com", "-c", "user.name=review tests",
       "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null"]


def git(repo: Path, *args: str) -> None:
    proc = subprocess.run([*GIT, *args], cwd=repo, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_a_base_without_a_program_of_its_own_is_planned_with_the_installed_one(tmp_path: Path):
    project = tmp_path / "our-gateways"
    stack_file = make_project(project)  # Pulumi.yaml + Pulumi.prod.yaml, edge Workers, no aigw/ package
    (project / "infra").mkdir(exist_ok=True)  # make_project writes it too
    (project / "infra" / "__main__.py").write_text("from aigw.program import main\n\nmain()\n")
    assert not (project / "aigw").exists()
    git(project, "init", "--quiet")
    git(project, "add", "-A")
    git(project, "commit", "--quiet", "-m", "base")
    text = stack_file.read_text()
    assert "      limit: 600\n" in text
    stack_file.write_text(text.replace("      limit: 600\n", "      limit: 900\n", 1))
    git(project, "commit", "--quiet", "-am", "prod: rate limit 900/60s")

    proc = aigw("diff", "--base", "HEAD~1", "--format", "json", cwd=project)
    assert proc.returncode == 0, proc.stderr
    (entry,) = json.loads(proc.stdout)["stacks"]
    changes = entry["changes"]
    assert changes, "the base was planned: the rate limit change shows"
    assert {c["action"] for c in changes} == {"update"}, "nothing created: the base is not compared as empty"
    assert all(c["type"] != WORKERS_SCRIPT for c in changes), [c for c in changes if c["type"] == WORKERS_SCRIPT]
