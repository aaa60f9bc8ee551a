"""The offline plan: the real program run under Pulumi mocks, one subprocess per stack.

The parent (this module, used by `aigw plan`) never imports pulumi: it resolves the stack
files, starts one `python -m aigw.plan.runner FILE` per stack (as many at once as there are
cores) and collects their JSON.

One broken stack file does not stop the others: :func:`resolve_targets_partial` and
:func:`plan_targets` give the stacks that could be planned and, apart, the problem lines of those
that could not (`aigw plan` and `aigw check` show the first and exit 2 or 4 for the second).

With ``AIGW_PLAN_SERVER=SOCKET`` set, each per-stack run goes to the plan fork server listening
there (`python -m aigw.plan.server SOCKET`, aigw/plan/server.py) instead of a new Python: the
same runner, output and exit status, without importing pulumi again for every stack (a speed-up for
many plans in a row; the test suite uses it). A server that cannot be reached is an error naming
the variable and the socket (exit 2), never a silent fallback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..exits import BUG, INVALID, debug


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
    brings its own project (the Pulumi.yaml beside it or above it). Any problem: PlanError.
    """
    targets, problems = resolve_targets_partial(args, project_dir)
    if problems:
        raise PlanError(problems, INVALID)
    return targets


def resolve_targets_partial(args: list[str], project_dir: Callable[[], Path]) -> tuple[list[Target], list[str]]:
    """As :func:`resolve_targets`, but the targets found and the problem lines of the others apart.

    With no arguments every Pulumi.*.yaml is a target, and one that is not a regular file (a
    FIFO, a device, a symlink loop) is a problem naming it, never opened. PlanError only when
    there is no stack file at all.
    """
    from ..config import list_stacks, skipped_stack_files, stack_file_name, stack_name_of
    from ..spec import SpecError
    from ..yamlfast import not_a_file

    problems: list[str] = []
    targets: list[Target] = []
    if not args:
        paths = list_stacks(project_dir())
        skipped = [p.render() for p in skipped_stack_files(project_dir())]
        if not paths:
            raise PlanError(skipped or [f"{project_dir()}: no Pulumi.<stack>.yaml stack files found"], INVALID)
        problems.extend(skipped)
        args = [str(p) for p in paths]
    for arg in args:
        candidate = Path(arg)
        looks_like_file = candidate.suffix in (".yaml", ".yml") or os.sep in arg
        path = candidate if looks_like_file else project_dir() / stack_file_name(arg)
        reason = not_a_file(path)  # from stat alone: a FIFO is never opened
        if reason == "no such file" and not looks_like_file:
            known = ", ".join(stack_name_of(p) for p in list_stacks(project_dir())) or "none"
            problems.append(f"{arg}: no such stack (stacks in {project_dir()}: {known})")
            continue
        if reason is not None:
            problems.append(f"{arg if looks_like_file else path}: {reason}")
            continue
        try:
            targets.append(Target(path, stack_name_of(path)))
        except SpecError as exc:
            problems.extend(p.render() for p in exc.problems)
    return targets, problems


PLAN_SERVER_ENV = "AIGW_PLAN_SERVER"


def _run_runner(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m aigw.plan.runner ARGS` (in ``cwd``, default the current directory), or the same run in the plan
    server named by AIGW_PLAN_SERVER."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    socket_path = os.environ.get(PLAN_SERVER_ENV)
    if not socket_path:
        return subprocess.run([sys.executable, "-m", "aigw.plan.runner", *args],
                              capture_output=True, text=True, check=False, env=env, cwd=cwd)
    from .server import ServerUnreachable, request

    try:
        code, out, err = request(socket_path, args, str(cwd or os.getcwd()), env)
    except ServerUnreachable as exc:
        raise PlanError([f"{PLAN_SERVER_ENV}={socket_path}: the plan server cannot be reached ({exc}): start it "
                         f"with `python -m aigw.plan.server {socket_path}`, or unset {PLAN_SERVER_ENV} to plan "
                         "each stack in its own process"], INVALID) from None
    return subprocess.CompletedProcess(args, code, out, err)


def _plan_one(target: Target, for_check: bool = False) -> dict[str, Any]:
    proc = _run_runner([str(target.path), *(["--check"] if for_check else [])])
    if proc.returncode == 2:
        try:
            return {"problems": json.loads(proc.stdout)["problems"]}
        except (ValueError, KeyError):
            pass
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        last = lines[-1] if lines else f"exit status {proc.returncode}"
        from ..config import _display

        head = (f"{_display(target.path)}: internal error while planning stack {target.stack!r}: {last}: "
                "this is a bug, please report it")
        if debug():
            return {"failure": [head, *lines[-40:]]}
        return {"failure": [head + " (AIGW_DEBUG=1 shows the traceback)"]}
    return json.loads(proc.stdout)


def account_problems(targets: list[Target]) -> list[str]:
    """Limits that span stacks: stacks of one project may share a Cloudflare account.

    Gateway ids are unique per account, and an account holds at most 4 Logpush jobs. Every
    stack file of each target's project is read (invalid ones are left to their own plan; one
    that is not a regular file is never opened).
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


@dataclass
class Planned:
    """The plans of the stacks that could be planned (in the order given), and the lines of the rest."""

    plans: list[tuple[Target, dict[str, Any]]]
    problems: list[str]  # invalid input (exit 2)
    failures: list[str]  # the program failed (exit 4)
    # Each target that could not be planned, with its own lines (the cross-stack ones are only in problems).
    unplanned: dict[Target, list[str]] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return BUG if self.failures else INVALID if self.problems else 0

    @property
    def lines(self) -> list[str]:
        return self.problems + self.failures


def plan_targets(targets: list[Target], jobs: int | None = None, for_check: bool = False) -> Planned:
    """Plan every target; one stack's problem or failure does not stop the others."""
    if not targets:
        return Planned([], [], [])
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(targets)))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_plan_one, t, for_check) for t in targets]
        # Checked while the plan subprocesses run (they are waited on, not computed, here).
        cross_stack = account_problems(targets)
        results = [f.result() for f in futures]
    problems = [line for r in results for line in r.get("problems", [])] + cross_stack
    failures = [line for r in results for line in r.get("failure", [])]
    plans = [(t, r) for t, r in zip(targets, results, strict=True) if "problems" not in r and "failure" not in r]
    unplanned = {t: [*r.get("problems", []), *r.get("failure", [])] for t, r in zip(targets, results, strict=True)
                 if "problems" in r or "failure" in r}
    return Planned(plans, problems, failures, unplanned)


def run_plans(targets: list[Target], jobs: int | None = None, for_check: bool = False) -> list[dict[str, Any]]:
    """Plan every target; stacks in the order given. Raises PlanError on any problem or failure.

    ``for_check``: plans for `aigw check`, where a credential in plain text is left for the
    secrets-not-plaintext rule to report rather than being an input error.
    """
    planned = plan_targets(targets, jobs, for_check)
    if planned.problems:
        raise PlanError(planned.problems, INVALID)
    if planned.failures:
        raise PlanError(planned.failures, BUG)
    return [plan for _, plan in planned.plans]
