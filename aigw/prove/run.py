"""`aigw prove STACK`: run the checks on one stack's live account and say what they showed (docs/prove.md)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..markdown import cell
from . import checks

DURATION = re.compile(r"^([1-9][0-9]{0,5})([mhd])$")
UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> dt.timedelta:
    """`30m`, `24h`, `7d` -> a timedelta; anything else is a ValueError saying what is allowed."""
    match = DURATION.match(text.strip())
    if not match:
        raise ValueError(f"--since: {text!r}: a whole number and a unit, m (minutes), h (hours) or d (days), "
                         "e.g. 24h or 7d")
    return dt.timedelta(seconds=int(match.group(1)) * UNIT_SECONDS[match.group(2)])


@dataclass
class ProveResult:
    stack: str
    account: str
    environment: str
    gateways: list[str]
    checks: list[checks.Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    requests: int = 0
    started: str = ""
    finished: str = ""
    live: list[dict[str, Any]] = field(default_factory=list, repr=False)  # the account's gateways, as read

    @property
    def passed(self) -> bool:
        """Every check ran and none found anything."""
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def findings(self) -> list[checks.Finding]:
        return [f for c in self.checks for f in c.findings]

    def as_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "account": self.account, "environment": self.environment,
                "gateways": self.gateways, "started": self.started, "finished": self.finished,
                "requests": self.requests, "passed": self.passed, "exitCode": 0 if self.passed else 1,
                "notes": self.notes,
                "checks": [c.as_json() for c in self.checks]}


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def prove(client: Any, plan: Mapping[str, Any], *, sample: int, since: dt.timedelta | None = None,
          canary: bool = False, overrides: Mapping[str, str] | None = None, canary_wait: float = 60.0,
          timeout: float = 30.0) -> ProveResult:
    """Run the checks for one planned stack. Raises LiveError (exit 3) when the API fails."""
    account = plan["accountId"]
    targets, notes = checks.targets(plan)
    result = ProveResult(plan["stack"], account, plan["environment"], [t.gateway_id for t in targets],
                         notes=notes, started=_now())
    live = result.live = client.gateways(account)
    result.checks.append(checks.entry_paths(client, account, targets, live, checks.edge_token_names(plan)))
    # A declared gateway missing from the account is prove-entry-paths' finding; its logs cannot be read.
    present = {g.get("id") for g in live}
    targets = [t for t in targets if t.gateway_id in present]
    if sample:
        start = dt.datetime.now(dt.UTC) - since if since else None
        result.checks.append(checks.sample(client, account, targets, sample, start))
    else:
        result.checks.append(checks.Check(checks.SAMPLE, ran=False, summary="not run (--sample 0)"))
    if canary:
        result.checks.append(checks.canary(client, account, targets, overrides=overrides or {}, wait=canary_wait,
                                           timeout=timeout))
    else:
        result.checks.append(checks.Check(checks.CANARY, ran=False, summary="not run (read-only: add --canary)"))
    result.requests = client.requests
    result.finished = _now()
    return result


# --- output ------------------------------------------------------------------------------------------------

def _verdict(c: checks.Check) -> str:
    return "PASS" if c.passed else ("FAIL" if c.findings else "NOT RUN")


def to_text(r: ProveResult) -> str:
    lines = [f"{r.stack} (account {r.account}, {r.environment}): {len(r.gateways)} gateway(s) proved; "
             f"{r.requests} API request(s)"]
    lines += [f"  note: {n}" for n in r.notes]
    for c in r.checks:
        lines.append(f"  {_verdict(c):7}  {c.id}: {c.summary}")
        for f in c.findings:
            lines.append(f"           {f.subject}: {f.message}")
            if f.details.get("metadata") is not None:
                lines.append(f"             metadata: {json.dumps(f.details['metadata'], sort_keys=True)}")
            lines.append(f"             fix: {f.fix}")
    lines.append("prove: " + ("passed" if r.passed else "findings or checks not run (exit 1)"))
    return "\n".join(lines)


def to_json(r: ProveResult) -> str:
    return json.dumps(r.as_json(), indent=2)


def to_markdown(r: ProveResult) -> str:
    out = [f"## aigw prove: stack `{r.stack}`", "",
           f"Account `{r.account}`, {len(r.gateways)} gateway(s); {r.requests} API request(s); "
           f"{r.started} to {r.finished}.", "", "| check | result | summary |", "|---|---|---|"]
    out += [f"| `{c.id}` | {_verdict(c)} | {cell(c.summary)} |" for c in r.checks]
    if r.findings:
        out += ["", "### Findings", "", "| check | subject | finding | fix |", "|---|---|---|---|"]
        out += [f"| `{f.check}` | `{f.subject}` | {cell(f.message)} | {cell(f.fix)} |" for f in r.findings]
    out += [""] + [f"- note: {cell(n)}" for n in r.notes]
    return "\n".join(out).rstrip() + "\n"
