"""Review: `aigw diff` (a change, per stack, in settings words) and `aigw compare` (two stacks side by side)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..check.config import Settings
from .diff import StackDiff, diff_plans, finding_changes
from .git import base_plans
from .secrets import secret_changes


@dataclass
class DiffResult:
    base: str
    commit: str
    stacks: list[StackDiff]


def run_diff(ref: str, names: list[str] | None, project_dir: Path, settings: Settings,
             jobs: int | None = None) -> DiffResult:
    """The diff of every stack (or the named ones) between git revision ``ref`` and the working tree."""
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
        head_findings = check_plan(head, file, settings).findings if head else []
        base_findings = check_plan(base_plan, file, settings).findings if base_plan else []
        introduced, fixed = finding_changes(base_findings, head_findings)
        notes = ([old.note] if old and old.note else []) + secret_notes
        if not base.has_project:
            notes = []
        diffs.append(StackDiff(name, environment, production, diff_plans(base_plan, head, by_resource),
                               introduced, fixed, notes))
    return DiffResult(ref, base.commit, [d for d in diffs if not d.empty])


__all__ = ["DiffResult", "StackDiff", "run_diff"]
