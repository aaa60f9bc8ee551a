"""Review: `aigw diff` (a change, per stack, in settings words) and `aigw compare` (two stacks side by side)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aigw_policy.engine import TODAY_VARIABLE  # noqa: F401 (re-exported: the variable the docs name)
from aigw_policy.engine import review_date as engine_review_date
from aigw_policy.rules import DEFAULT_EXPIRY_WARNING_DAYS

from ..check.config import Settings
from .diff import StackAccount, StackDiff, diff_plans, finding_changes, standing_warnings, status_warnings
from .git import base_plans
from .secrets import secret_changes


@dataclass
class DiffResult:
    base: str
    commit: str
    stacks: list[StackDiff]


def review_date(environ: Any = None) -> dt.date:
    """The date token expiry is judged by: AIGW_TODAY (YYYY-MM-DD) when set, else today in UTC
    (aigw_policy.engine.review_date, which the pack reads too); a bad value is exit 2.

    Set it to review as of another day (and so that tests never depend on the clock).
    """
    from ..plan import PlanError

    try:
        return engine_review_date(environ)
    except ValueError as exc:
        raise PlanError([str(exc)], 2) from None


def _accounts(project_dir: Path, head_plans: dict[str, Any]) -> list[StackAccount]:
    """Every head stack's account and production status: planned ones from their plan, the others
    from their stack file (one that does not load is left out; its own plan reports it)."""
    from ..config import list_stacks, load_stack_file, stack_name_of
    from ..spec import SpecError

    out: list[StackAccount] = []
    for path in list_stacks(project_dir):
        name = stack_name_of(path)
        plan = head_plans.get(name)
        if plan is not None:
            out.append(StackAccount(name, str(plan["environment"]), bool(plan.get("production")),
                                    plan.get("accountId")))
            continue
        try:
            spec = load_stack_file(path, project_dir)
        except (SpecError, OSError, ValueError):
            continue
        out.append(StackAccount(name, spec.environment, spec.production, spec.account_id))
    return out


def run_diff(ref: str, names: list[str] | None, project_dir: Path, settings: Settings,
             jobs: int | None = None, today: dt.date | None = None) -> DiffResult:
    """The diff of every stack (or the named ones) between git revision ``ref`` and the working tree.

    ``today``: the date token expiry is judged by (default: ``review_date()``).
    """
    from ..check import check_plan
    from ..config import list_stacks, stack_name_of
    from ..plan import PlanError, resolve_targets, run_plans

    head_files = {stack_name_of(p): p for p in list_stacks(project_dir)}
    base = base_plans(ref, project_dir, names, jobs)
    wanted = names if names is not None else sorted(set(head_files) | set(base.stacks))
    unknown = [n for n in wanted if n not in head_files and n not in base.stacks]
    if unknown:
        known = ", ".join(sorted(set(head_files) | set(base.stacks))) or "none"
        raise PlanError([f"{n}: no such stack in the working tree or at {ref} (stacks: {known})" for n in unknown], 2)
    head_targets = resolve_targets([str(head_files[n]) for n in wanted if n in head_files], lambda: project_dir)
    head_plans = {t.stack: p for t, p in zip(head_targets, run_plans(head_targets, jobs=jobs), strict=True)}
    today = today or review_date()
    accounts = _accounts(project_dir, head_plans)
    # The policy config's window for tokens-not-expiring, whatever its level: a diff warns regardless.
    expiry_days = int(settings.get("tokens-not-expiring", ("advisory", {}))[1]
                      .get("expiryWarningDays", DEFAULT_EXPIRY_WARNING_DAYS))

    diffs: list[StackDiff] = []
    for name in wanted:
        head = head_plans.get(name)
        old = base.stacks.get(name)
        base_plan = old.plan if old else None
        head_text = head_files[name].read_text() if name in head_files else None
        by_resource, secret_notes = secret_changes(old.text if old else None, head_text)
        shown = head or base_plan
        environment = shown["environment"] if shown else "?"
        production = bool(shown and shown.get("production"))
        file = head_files.get(name, Path(f"Pulumi.{name}.yaml"))
        head_findings = check_plan(head, file, settings, today).findings if head else []
        base_findings = check_plan(base_plan, file, settings, today).findings if base_plan else []
        introduced, fixed = finding_changes(base_findings, head_findings)
        notes = ([old.note] if old and old.note else []) + secret_notes
        if not base.has_project:
            notes = []
        changes = diff_plans(base_plan, head, by_resource)
        d = StackDiff(name, environment, production, changes, introduced, fixed, notes,
                      status_warnings(name, base_plan, head, changes))
        if not d.empty:
            d.warnings += standing_warnings(head, accounts, today, expiry_days)
        diffs.append(d)
    return DiffResult(ref, base.commit, [d for d in diffs if not d.empty])


__all__ = ["DiffResult", "StackDiff", "run_diff"]
