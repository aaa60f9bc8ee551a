"""`aigw check`: the offline plan of each stack, judged by the policy rules (policy/aigw_policy).

The same rule code the CrossGuard pack runs at `pulumi up`: each stack's plan resources are
turned into the values the pack would see (secrets marked from the plan's secretPaths) and
every enabled rule runs as the pack runs it (resource rules per resource, stack rules once).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigw_policy import RULES, Context, Finding, evaluate, from_plan

from .config import Settings


@dataclass
class StackResult:
    stack: str
    environment: str
    production: bool
    file: Path
    resources: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def mandatory(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "mandatory"]

    @property
    def advisory(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "advisory"]


def check_plan(plan: dict[str, Any], file: Path, settings: Settings, today: dt.date | None = None) -> StackResult:
    resources = [from_plan(r) for r in plan["resources"]]
    base = Context(plan["stack"], plan["environment"], bool(plan.get("production")), plan.get("accountId"),
                   today=today or dt.date.today())
    # The stack's own aigw:productionEnvironments made it production: the pack sees that list
    # in PULUMI_CONFIG and counts it too.
    stack_production = [plan["environment"]] if plan.get("production") else []
    findings = evaluate(RULES, resources, base, settings, stack_production)
    findings.sort(key=lambda f: (f.level != "mandatory", f.policy, f.resource, f.message))
    production = bool(plan.get("production")) or any(
        plan["environment"] in cfg.get("productionEnvironments", []) for _, cfg in settings.values())
    return StackResult(plan["stack"], plan["environment"], production, file, len(resources), findings)
