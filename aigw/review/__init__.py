"""Review: `aigw diff` (a change, per stack, in settings words) and `aigw compare` (two stacks side by side)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigw_policy.engine import TODAY_VARIABLE  # noqa: F401 (re-exported: the variable the docs name)
from aigw_policy.engine import review_date as engine_review_date
from aigw_policy.rules import DEFAULT_EXPIRY_WARNING_DAYS

from ..check.config import Settings
from .diff import (
    StackAccount,
    StackDiff,
    diff_plans,
    finding_changes,
    hidden_findings,
    policy_status_warnings,
    standing_warnings,
    status_warnings,
)
from .git import base_plans, config_in_project
from .secrets import secret_changes


@dataclass
class DiffResult:
    base: str
    commit: str
    stacks: list[StackDiff]
    # The policy config as reviewed: its path in the project (None: none given, or outside the project)
    # and every rule whose enforcement level differs between the base's config and the head's.
    policy_file: str | None = None
    policy_changes: list[tuple[str, str, str]] = field(default_factory=list)
    policy_property_changes: list[tuple[str, list[str]]] = field(default_factory=list)
    policy_notes: list[str] = field(default_factory=list)
    # Lines for stderr once the output is written, and the exit code they give (2: invalid input, 4: a
    # bug): each head stack that could not be planned (also an entry of ``stacks``, with its error),
    # and the problems that span stacks. The other stacks are diffed all the same.
    problems: list[str] = field(default_factory=list)
    exit_code: int = 0


def policy_change_words(rule: str, old: str, new: str) -> str:
    return f"policy config: {rule} {old} -> {new}"


def policy_config_removed(policy_config: Path | None, project_dir: Path) -> bool:
    """Whether ``policy_config`` names a file of the project that the working tree does not have: the head
    is then judged with the default levels, and the base with its own version of the file, if any (a pull
    request that deletes a stricter policy config relaxes every rule it set)."""
    return (policy_config is not None and config_in_project(policy_config, project_dir) is not None
            and not os.path.lexists(policy_config))


def head_settings(policy_config: Path | None, project_dir: Path) -> Settings:
    """The head's policy config: ``policy_config`` read (an invalid one: PolicyConfigError), or the default
    levels when the working tree has no such file of the project (see :func:`policy_config_removed`;
    :func:`run_diff` refuses it when the base has none either: a typo). A path outside the project must
    exist."""
    from ..check.config import load_settings

    return load_settings(None if policy_config_removed(policy_config, project_dir) else policy_config)


def _base_settings(base: Any, ref: str, rel: Path | None, head: Settings, removed: bool = False
                   ) -> tuple[Settings, list[str]]:
    """The base revision's policy config (its own file at the same path), or the defaults without one.
    ``removed``: the working tree has no such file (the head is judged with the default levels)."""
    import json

    from ..check.config import PolicyConfigError, settings_from

    if base.policy_config == "same":
        return head, []
    where = f"{rel.as_posix() if rel else '?'} at {ref}"
    if base.policy_config == "missing":
        return settings_from({}, "(defaults)"), [f"policy config: {where} does not exist; the base is judged "
                                                 "with the default levels"]
    gone = ([f"policy config: {rel.as_posix() if rel else '?'} is removed (it exists at {ref}, not in the working "
             "tree); the head is judged with the default levels, so every rule it set differently is relaxed or "
             "changed (listed below)"] if removed else [])
    try:
        return settings_from(json.loads(base.policy_config), where), gone
    except (ValueError, PolicyConfigError) as exc:
        reason = exc.lines[0] if isinstance(exc, PolicyConfigError) else f"{where}: not valid JSON"
        return settings_from({}, "(defaults)"), [*gone, f"policy config: the base's could not be used ({reason}); "
                                                 "the base is judged with the default levels"]


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
             jobs: int | None = None, today: dt.date | None = None, policy_config: Path | None = None
             ) -> DiffResult:
    """The diff of every stack (or the named ones) between git revision ``ref`` and the working tree.

    ``settings``: the head's policy config (read from ``policy_config``: :func:`head_settings`); the base
    is judged with its own version of that file (the same path at ``ref``; the default levels when it has
    none), every rule whose level differs is a warning of every stack, and a finding the change of level
    hides is listed as hidden, never as fixed. A policy config of the project that the working tree no
    longer has is a change too: the head is judged with the default levels. ``today``: the date token
    expiry is judged by (default: ``review_date()``).

    A head stack that cannot be planned (an invalid or unreadable stack file) does not stop the others,
    as in `aigw plan` and `aigw check`: it is an entry of its own, with its file and the reason, and
    ``problems``/``exit_code`` say it for the end of the command (exit 2; 4 when the program failed).
    """
    from ..check import check_plan
    from ..check.config import PolicyConfigError, level_changes, property_changes
    from ..config import list_stacks, skipped_stack_files, stack_name_of
    from ..exits import BUG, INVALID
    from ..plan import PlanError, plan_targets, resolve_targets_partial
    from ..spec import SpecError

    head_files = {stack_name_of(p): p for p in list_stacks(project_dir)}
    # A Pulumi.<stack>.yaml that is not a regular file (a FIFO, a symlink loop): never opened, and its
    # stack is not read as deleted.
    skipped = {}
    for problem in skipped_stack_files(project_dir):
        try:
            skipped[stack_name_of(Path(problem.file))] = problem
        except SpecError:
            continue
    rel = config_in_project(policy_config, project_dir)
    removed = policy_config_removed(policy_config, project_dir)
    base = base_plans(ref, project_dir, names, jobs, policy_config)
    if removed and base.policy_config == "missing":
        # On neither side: a typo, not a removal (review.yml names it only when one side has it).
        raise PolicyConfigError([f"{policy_config}: cannot read the policy config: no such file in the working "
                                 f"tree, nor at {ref}"])
    base_settings, policy_notes = _base_settings(base, ref, rel, settings, removed)
    policy_changes = level_changes(base_settings, settings)
    policy_properties = property_changes(base_settings, settings)
    policy_warnings = (policy_notes + [policy_change_words(*c) for c in policy_changes]
                       + [f"policy config: {rule} {', '.join(keys)} changed" for rule, keys in policy_properties])
    head_levels = {rule: level for rule, (level, _) in settings.items()}
    known = set(head_files) | set(base.stacks) | set(skipped)
    wanted = names if names is not None else sorted(known)
    unknown = [n for n in wanted if n not in known]
    if unknown:
        listed = ", ".join(sorted(known)) or "none"
        raise PlanError([f"{n}: no such stack in the working tree or at {ref} (stacks: {listed})" for n in unknown], 2)
    head_targets, problems = resolve_targets_partial([str(head_files[n]) for n in wanted if n in head_files],
                                                     lambda: project_dir)
    planned = plan_targets(head_targets, jobs=jobs)
    head_plans = {t.stack: p for t, p in planned.plans}
    broken: dict[str, list[str]] = {n: [skipped[n].render()] for n in wanted if n in skipped}
    broken.update({t.stack: lines for t, lines in planned.unplanned.items()})
    own = {line for lines in planned.unplanned.values() for line in lines}
    # The problems of no one stack (two stacks declaring one gateway id on one account) and of a path
    # that stopped being a file since it was listed.
    problems += [line for line in planned.problems if line not in own]
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
        file = head_files.get(name, Path(f"Pulumi.{name}.yaml"))
        if name in broken:
            shown = base_plan or {}
            diffs.append(StackDiff(name, str(shown.get("environment") or "?"), bool(shown.get("production")),
                                   error=broken[name], file=_shown_path(file, project_dir)))
            continue
        head_text = head_files[name].read_text() if name in head_files else None
        by_resource, secret_notes = secret_changes(old.text if old else None, head_text)
        shown = head or base_plan
        environment = shown["environment"] if shown else "?"
        production = bool(shown and shown.get("production"))
        head_all = check_plan(head, file, settings, today).findings if head else []
        # A waived finding does not count (as in aigw check): compared without them, and a finding the head's
        # waiver newly covers is listed as hidden ("waived"), never as fixed.
        head_findings = [f for f in head_all if f.waiver is None]
        base_findings = [f for f in (check_plan(base_plan, file, base_settings, today).findings if base_plan else [])
                         if f.waiver is None]
        introduced, fixed = finding_changes(base_findings, head_findings)
        hidden: list[Any] = []
        if head and base_settings is not settings:
            under_base = [f for f in check_plan(head, file, base_settings, today).findings if f.waiver is None]
            waived = {(f.policy, f.resource): f for f in head_all if f.waiver is not None}
            hidden = [(waived[(f.policy, f.resource)], "waived") if (f.policy, f.resource) in waived else (f, now)
                      for f, now in hidden_findings(under_base, head_findings, head_levels)]
            # Not fixed: still there, only no longer reported (its rule disabled or lowered, or waived).
            hidden_keys = {(f.policy, f.resource) for f, _ in hidden}
            fixed = [f for f in fixed if (f.policy, f.resource) not in hidden_keys]
        notes = ([old.note] if old and old.note else []) + secret_notes
        if not base.has_project:
            notes = []
        changes = diff_plans(base_plan, head, by_resource)
        stack_warnings = (status_warnings(name, base_plan, head, changes)
                          + policy_status_warnings(name, head, base_settings, settings, rel))
        d = StackDiff(name, environment, production, changes, introduced, fixed, notes,
                      policy_warnings + stack_warnings, hidden)
        if not d.empty:
            d.warnings += standing_warnings(head, accounts, today, expiry_days)
        diffs.append(d)
    lines = [line for d in diffs for line in d.error] + problems
    return DiffResult(ref, base.commit, [d for d in diffs if not d.empty], policy_file=rel.as_posix() if rel else None,
                      policy_changes=policy_changes, policy_property_changes=policy_properties,
                      policy_notes=policy_notes, problems=lines,
                      exit_code=(BUG if planned.failures else INVALID) if lines else 0)


def _shown_path(path: Path, project_dir: Path) -> str:
    try:
        return path.resolve().relative_to(project_dir.resolve()).as_posix()
    except (ValueError, OSError, RuntimeError):
        return path.name


__all__ = ["DiffResult", "StackDiff", "run_diff"]
