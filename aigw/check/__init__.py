"""`aigw check`: the offline plan of each stack, judged by the policy rules (policy/aigw_policy).

The same rule code the CrossGuard pack runs at `pulumi up`: each stack's plan resources are
turned into the values the pack would see (secrets marked from the plan's secretPaths) and
every enabled rule runs as the pack runs it (resource rules per resource, stack rules once).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigw_policy import RULES, Context, Finding, evaluate, from_plan
from aigw_policy.engine import STACK_TYPE, apply_waivers, effective_level, review_date
from aigw_policy.rules import GATEWAY, LOGPUSH_JOBS, WORKERS_SCRIPT
from aigw_policy.waivers import RULE_ID as RELAXATIONS_WAIVED

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
        return [f for f in self.findings if f.level == "mandatory" and f.waiver is None]

    @property
    def advisory(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "advisory" and f.waiver is None]

    @property
    def waived(self) -> list[Finding]:
        """Findings a waiver of the policy config holds for: listed in every format, never counted."""
        return [f for f in self.findings if f.waiver is not None]


SECRETS_RULE = "secrets-not-plaintext"


@dataclass(frozen=True)
class ConfigFinding(Finding):
    """A finding about the config itself, at a key path of a file (a credential in plain text)."""

    file: str = ""
    line: int | None = None
    path: str = ""

    def as_json(self) -> dict[str, Any]:
        return {**super().as_json(), "location": {"file": self.file, "line": self.line, "path": self.path}}


def _owner(path: str, resources: list[Any]) -> tuple[str, str] | None:
    """The resource a config key path configures, when it is one: a gateway, a team Worker, the Logpush job."""
    for prefix, types in (("aigw:gateways.", (GATEWAY,)), ("aigw:workers.", (WORKERS_SCRIPT,))):
        if path.startswith(prefix):
            name = path[len(prefix):].split(".", 1)[0].split("[", 1)[0]
            return next((r.ref for r in resources if r.type in types and r.name == name), None)
    if path.startswith("aigw:logpush."):
        jobs = [r.ref for r in resources if r.type in LOGPUSH_JOBS]
        return jobs[0] if len(jobs) == 1 else None
    return None


def plaintext_findings(plan: dict[str, Any], resources: list[Any], settings: Settings) -> list[Finding]:
    """secrets-not-plaintext from the config's own key paths: each credential in plain text, worded
    exactly as `aigw plan` refuses it (file:line: key path: [secret]: the fix)."""
    level = settings[SECRETS_RULE][0]
    if level == "disabled":
        return []
    return [ConfigFinding(SECRETS_RULE, effective_level(level),
                          _owner(c["path"], resources) or (STACK_TYPE, plan["stack"]), c["message"],
                          file=c["file"], line=c.get("line"), path=c["path"])
            for c in plan.get("plaintextCredentials", [])]


def check_plan(plan: dict[str, Any], file: Path, settings: Settings, today: dt.date | None = None) -> StackResult:
    resources = [from_plan(r) for r in plan["resources"]]
    base = Context(plan["stack"], plan["environment"], bool(plan.get("production")), plan.get("accountId"),
                   today=today or review_date())
    # The stack's own aigw:productionEnvironments made it production: the pack sees that list
    # in PULUMI_CONFIG and counts it too.
    stack_production = [plan["environment"]] if plan.get("production") else []
    findings = evaluate(RULES, resources, base, settings, stack_production)
    findings += apply_waivers(plaintext_findings(plan, resources, settings), settings, plan["stack"], base.today)
    findings.sort(key=lambda f: (f.waiver is not None, f.level != "mandatory", f.policy, f.resource, f.message))
    production = bool(plan.get("production")) or any(
        plan["environment"] in cfg.get("productionEnvironments", []) for _, cfg in settings.values())
    return StackResult(plan["stack"], plan["environment"], production, file, len(resources), findings)


_ABOUT_RULE = re.compile(r"^(?:waiver |the policy config sets )([a-z0-9-]+)(\.waivers\[\d+\])?")


def located_in_policy_config(result: StackResult, policy_config: Path | None, lines: list[str]) -> StackResult:
    """relaxations-waived findings point at the policy config's line for the rule they are about (a waiver or a
    relaxed level is written there, not in the stack file), for SARIF and github annotations. ``lines``: the
    policy config's text, read once by the caller."""
    if policy_config is None:
        return result
    findings: list[Finding] = []
    for f in result.findings:
        match = _ABOUT_RULE.match(f.message) if f.policy == RELAXATIONS_WAIVED else None
        if match is None:
            findings.append(f)
            continue
        rule = match.group(1)
        key = re.compile(rf'"{re.escape(rule)}"\s*:')
        line = next((n for n, text in enumerate(lines, 1) if key.search(text)), None)
        findings.append(ConfigFinding(f.policy, f.level, f.resource, f.message, file=str(policy_config), line=line,
                                      path=rule + (match.group(2) or "")))
    return StackResult(result.stack, result.environment, result.production, result.file, result.resources,
                       findings)
