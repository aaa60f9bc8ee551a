"""`aigw compare STACK STACK`: two stacks' effective settings side by side, differences marked.

The usual question is drift in intent between environments (is prod's gateway set up like
staging's?). Gateways are matched by logical name; ids and URLs that differ only by the
environment prefix are not differences. Secrets read "[secret]" on both sides.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aigw_policy.vocabulary import AI_GATEWAY as GATEWAY
from aigw_policy.vocabulary import (
    AI_GATEWAY_DYNAMIC_ROUTING,
    API_TOKEN,
    EDGE_WORKER,
    LOGPUSH_JOB,
    ROUTE_TYPES,
    TEAM_WORKER,
)

from .. import wording
from ..markdown import cell
from .words import settings

ABSENT = "(absent)"


@dataclass(frozen=True)
class Row:
    section: str
    subject: str
    setting: str
    left: str
    right: str

    @property
    def differs(self) -> bool:
        return self.left != self.right


def _neutral(text: str, plan: Mapping[str, Any]) -> str:
    """Environment- and account-specific parts replaced, so dev-x and prod-x compare equal."""
    out = text.replace(str(plan.get("accountId")), "<account>")
    env = str(plan.get("environment"))
    return out.replace(f"{env}-", "<env>-")


def _by_name(plan: Mapping[str, Any], type_: str) -> dict[str, Mapping[str, Any]]:
    return {r["name"]: r["props"] for r in plan["resources"] if r["type"] == type_}


def _section(rows: list[Row], section: str, left: Mapping[str, Any], right: Mapping[str, Any],
             lplan: Mapping[str, Any], rplan: Mapping[str, Any], words: Any) -> None:
    for name in sorted(set(left) | set(right)):
        lw = {k: _neutral(v, lplan) for k, v in words(left[name]).items()} if name in left else {}
        rw = {k: _neutral(v, rplan) for k, v in words(right[name]).items()} if name in right else {}
        if not lw or not rw:
            rows.append(Row(section, name, "declared", "yes" if lw else ABSENT, "yes" if rw else ABSENT))
            continue
        for key in dict.fromkeys([*lw, *rw]):
            rows.append(Row(section, name, key, lw.get(key, ABSENT), rw.get(key, ABSENT)))


def _token_words(p: Mapping[str, Any]) -> dict[str, str]:
    return {"purpose": str(p.get("purpose")), "permissions": wording.permissions(p.get("permissionGroups")),
            "valid": wording.validity(p.get("notBefore"), p.get("expiresOn"))}


def _routes(plan: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Routes of either type (AiGatewayDynamicRouting, or DynamicRoute for a split: the same props)."""
    return {r["name"]: r["props"] for r in plan["resources"] if r["type"] in ROUTE_TYPES}


def _route_words(p: Mapping[str, Any]) -> dict[str, str]:
    return {k: v for k, v in settings(AI_GATEWAY_DYNAMIC_ROUTING, p).items() if k != "account"}


def _gateway_words(p: Mapping[str, Any]) -> dict[str, str]:
    return {k: v for k, v in settings(GATEWAY, p).items() if k != "account"}


def compare(left: Mapping[str, Any], right: Mapping[str, Any]) -> list[Row]:
    rows = [Row("stack", "", "environment", str(left["environment"]), str(right["environment"])),
            Row("stack", "", "production", "yes" if left.get("production") else "no",
                "yes" if right.get("production") else "no")]
    _section(rows, "gateway", _by_name(left, GATEWAY), _by_name(right, GATEWAY), left, right, _gateway_words)
    _section(rows, "route", _routes(left), _routes(right), left, right, _route_words)
    _section(rows, "edge Worker", _by_name(left, EDGE_WORKER), _by_name(right, EDGE_WORKER), left, right,
             lambda p: {"payloads": "stored" if p.get("payloads") == "true" else "not stored",
                        "token": str(p.get("token"))})
    _section(rows, "team Worker", _by_name(left, TEAM_WORKER), _by_name(right, TEAM_WORKER), left, right,
             lambda p: {"module": str(p.get("module")), "gateway": str(p.get("gateway"))})
    _section(rows, "token", _by_name(left, API_TOKEN), _by_name(right, API_TOKEN), left, right, _token_words)
    _section(rows, "log export", _by_name(left, LOGPUSH_JOB), _by_name(right, LOGPUSH_JOB), left, right,
             lambda p: {k: v for k, v in settings(LOGPUSH_JOB, p).items() if k not in ("accountId", "name")})
    return rows


def to_json(left: Mapping[str, Any], right: Mapping[str, Any], rows: list[Row]) -> str:
    return json.dumps({"left": left["stack"], "right": right["stack"],
                       "differences": sum(r.differs for r in rows),
                       "rows": [{"section": r.section, "subject": r.subject, "setting": r.setting, "left": r.left,
                                 "right": r.right, "differs": r.differs} for r in rows]}, indent=2)


def to_markdown(left: Mapping[str, Any], right: Mapping[str, Any], rows: list[Row]) -> str:
    out = [f"## `{left['stack']}` vs `{right['stack']}`: {sum(r.differs for r in rows)} difference(s)", "",
           f"| | what | setting | {left['stack']} | {right['stack']} |", "|---|---|---|---|---|"]
    for r in rows:
        mark = "**≠**" if r.differs else ""
        what = f"{r.section} {r.subject}".strip()
        out.append(f"| {mark} | {cell(what)} | {cell(r.setting)} | {cell(r.left)} | {cell(r.right)} |")
    return "\n".join(out) + "\n"


def print_table(left: Mapping[str, Any], right: Mapping[str, Any], rows: list[Row], file: Any = None) -> None:
    import shutil
    import sys

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    out = file or sys.stdout
    width = shutil.get_terminal_size().columns if out.isatty() else 200
    console = Console(file=out, width=width, highlight=False, soft_wrap=False)
    table = Table(title=f"{left['stack']} vs {right['stack']}: {sum(r.differs for r in rows)} difference(s)",
                  title_justify="left")
    for column in ("", "what", "setting", left["stack"], right["stack"]):
        table.add_column(column, overflow="fold")
    for r in rows:
        style = "bold" if r.differs else None
        # Text, not markup: "[secret]" must print as is.
        cells = ["≠" if r.differs else "", f"{r.section} {r.subject}".strip(), r.setting, r.left, r.right]
        table.add_row(*(Text(c) for c in cells), style=style)
    console.print(table)
