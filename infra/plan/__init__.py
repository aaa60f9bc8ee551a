"""The offline plan: the real program run under Pulumi mocks, one subprocess per stack.

The parent (this module, used by `aigw plan`) never imports pulumi: it resolves the stack
files, starts one `python -m infra.plan.runner FILE` per stack (as many at once as there are
cores) and collects their JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

AI_GATEWAY = "cloudflare:index/aiGateway:AiGateway"


class PlanError(Exception):
    """The plan could not be made. ``exit_code`` 2: invalid input; 4: the program failed."""

    def __init__(self, lines: list[str], exit_code: int):
        self.lines = lines
        self.exit_code = exit_code
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Target:
    path: Path
    stack: str


def resolve_targets(args: list[str], project_dir: Callable[[], Path]) -> list[Target]:
    """STACK names, FILE paths, or (none given) every stack file of the project.

    ``project_dir`` is only asked for when a STACK name (or nothing) is given: a FILE
    brings its own project (the Pulumi.yaml beside it or above it).
    """
    from ..config import list_stacks, stack_file_name, stack_name_of
    from ..spec import SpecError

    problems: list[str] = []
    targets: list[Target] = []
    if not args:
        paths = list_stacks(project_dir())
        if not paths:
            raise PlanError([f"{project_dir()}: no Pulumi.<stack>.yaml stack files found"], 2)
        args = [str(p) for p in paths]
    for arg in args:
        candidate = Path(arg)
        looks_like_file = candidate.suffix in (".yaml", ".yml") or os.sep in arg
        path = candidate if looks_like_file else project_dir() / stack_file_name(arg)
        if not path.is_file():
            if looks_like_file:
                problems.append(f"{arg}: no such file")
            else:
                known = ", ".join(stack_name_of(p) for p in list_stacks(project_dir())) or "none"
                problems.append(f"{arg}: no such stack (stacks in {project_dir()}: {known})")
            continue
        try:
            targets.append(Target(path, stack_name_of(path)))
        except SpecError as exc:
            problems.extend(p.render() for p in exc.problems)
    if problems:
        raise PlanError(problems, 2)
    return targets


def _plan_one(target: Target) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "infra.plan.runner", str(target.path)],
        capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if proc.returncode == 2:
        try:
            return {"problems": json.loads(proc.stdout)["problems"]}
        except (ValueError, KeyError):
            pass
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-15:]
        return {"failure": [f"{target.path}: the program failed while planning stack {target.stack!r}:", *tail]}
    return json.loads(proc.stdout)


def run_plans(targets: list[Target], jobs: int | None = None) -> list[dict[str, Any]]:
    """Plan every target; stacks in the order given. Raises PlanError on any failure."""
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(targets)))
    if jobs == 1:
        results = [_plan_one(t) for t in targets]
    else:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(_plan_one, targets))
    problems = [line for r in results for line in r.get("problems", [])]
    if problems:
        raise PlanError(problems, 2)
    failures = [line for r in results for line in r.get("failure", [])]
    if failures:
        raise PlanError(failures, 4)
    return results
