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


def _plan_one(target: Target, for_check: bool = False) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "infra.plan.runner", str(target.path), *(["--check"] if for_check else [])],
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


def account_problems(targets: list[Target]) -> list[str]:
    """Limits that span stacks: stacks of one project may share a Cloudflare account.

    Gateway ids are unique per account, and an account holds at most 4 Logpush jobs. Every
    stack file of each target's project is read (invalid ones are left to their own plan).
    """
    from ..config import find_project_dir, list_stacks, load_stack_file
    from ..spec import LOGPUSH_JOBS_PER_ACCOUNT, SpecError, StackSpec

    specs: dict[Path, StackSpec] = {}
    for target in targets:
        try:
            project = find_project_dir(target.path.resolve().parent)
        except SpecError:
            continue
        for path in list_stacks(project):
            if path.resolve() in specs:
                continue
            try:
                specs[path.resolve()] = load_stack_file(path, project)
            except SpecError:
                continue
    problems: list[str] = []
    by_account: dict[str, list[StackSpec]] = {}
    for spec in specs.values():
        by_account.setdefault(spec.account_id, []).append(spec)
    for account, stacks in sorted(by_account.items()):
        stacks.sort(key=lambda s: s.source)
        seen: dict[str, tuple[StackSpec, str]] = {}
        for spec in stacks:
            for gw in spec.gateways:
                if gw.id in seen and seen[gw.id][0] is not spec:
                    other, other_name = seen[gw.id]
                    problems.append(
                        f"{spec.source}: aigw:gateways.{gw.name}: {gw.id!r}: the same gateway id is declared by "
                        f"{other.source} (aigw:gateways.{other_name}) and both stacks use account {account}: "
                        "gateway ids are unique per account")
                seen.setdefault(gw.id, (spec, gw.name))
        exporting = [s.source for s in stacks if s.logpush is not None and s.logpush.destination is not None]
        if len(exporting) > LOGPUSH_JOBS_PER_ACCOUNT:
            problems.append(
                f"{', '.join(exporting)}: aigw:logpush: {len(exporting)} Logpush jobs in account {account}: "
                f"Cloudflare allows {LOGPUSH_JOBS_PER_ACCOUNT} per account (jobs made outside this project count too)")
    return problems


def run_plans(targets: list[Target], jobs: int | None = None, for_check: bool = False) -> list[dict[str, Any]]:
    """Plan every target; stacks in the order given. Raises PlanError on any failure.

    ``for_check``: plans for `aigw check`, where a credential in plain text is left for the
    secrets-not-plaintext rule to report rather than being an input error.
    """
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(targets)))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_plan_one, t, for_check) for t in targets]
        # Checked while the plan subprocesses run (they are waited on, not computed, here).
        cross_stack = account_problems(targets)
        results = [f.result() for f in futures]
    problems = [line for r in results for line in r.get("problems", [])] + cross_stack
    if problems:
        raise PlanError(problems, 2)
    failures = [line for r in results for line in r.get("failure", [])]
    if failures:
        raise PlanError(failures, 4)
    return results
