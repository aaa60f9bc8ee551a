"""`aigw diff` output: markdown for a pull-request comment per stack, and JSON.

Markdown per stack: a hidden marker (so a bot can find and update that stack's comment), a
one-line summary, the loud consequences (the stack's own first: production status or environment
changed, a production account shared with a non-production stack, tokens expired or expiring; then
replaced or deleted gateways, which lose their stored logs; a gateway's authentication turned off,
which Cloudflare refuses since 2026-11-03, or on; deletion protection lifted; an edge Worker or its
URL removed), then the details folded. The whole output stays under GitHub's comment limit (65,536
characters) by trimming details, never a summary.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aigw_policy import Finding

from ..markdown import text
from . import DiffResult
from .diff import CHANGED, REASON_WORDS, Change, StackDiff
from .words import kind

LIMIT = 65_000  # GitHub's limit is 65,536 characters per comment; a margin for the footer
MAX_WARNINGS = 5  # consequences listed in the summary; the rest are counted there and listed in the details


def marker(stack: str) -> str:
    return f"<!-- aigw-diff: stack={stack} -->"


def _count(n: int, word: str) -> str:
    return f"{n} {word}"


def summary_line(d: StackDiff) -> str:
    parts = [_count(d.count(a), past) for a, past in (("create", "created"), ("update", "updated"),
                                                      ("replace", "replaced"), ("delete", "deleted")) if d.count(a)]
    policy = []
    new_mandatory = sum(1 for f in d.introduced if f.level == "mandatory")
    if d.introduced:
        policy.append(f"{len(d.introduced)} new finding(s)" + (f", {new_mandatory} mandatory" if new_mandatory else ""))
    if d.fixed:
        policy.append(f"{len(d.fixed)} fixed")
    if d.hidden:
        policy.append(f"{len(d.hidden)} hidden by the policy config change")
    kind_ = "production" if d.production else d.environment
    loud = d.warnings or any(c.warning for c in d.changes)
    icon = ":x:" if new_mandatory or d.hidden else ":warning:" if loud else ":memo:"
    text = f"{icon} **`{d.stack}`** ({kind_}): {', '.join(parts) or 'no resource changes'}"
    if policy:
        text += f" · policy: {'; '.join(policy)}"
    return text


def _words(value: str | None) -> str:
    if value is None:
        return "none"
    return f"`{value}`" if value != CHANGED else "changed"


def change_block(c: Change) -> str:
    title = f"**{c.action}** {kind(c.type)} `{c.name}`"
    if c.reasons:
        title += f" (replaced because {' and '.join(REASON_WORDS.get(r, r) for r in c.reasons)} changed)"
    lines = [title]
    if c.warning:
        lines.append(f"  - :warning: **{text(c.warning)}**")
    for setting, old, new in c.settings:
        if c.action == "create":
            lines.append(f"  - {setting}: {_words(new)}")
        elif c.action == "delete":
            continue
        elif old == CHANGED:
            lines.append(f"  - {setting}: changed (secret, value not shown)")
        else:
            lines.append(f"  - {setting}: {_words(old)} -> {_words(new)}")
    return "\n".join(lines)


def _finding(f: Finding) -> str:
    return f"  - `{f.policy}` ({f.level}) on {kind(f.resource[0])} `{f.resource[1]}`: {text(f.message)}"


def _hidden(f: Finding, now: str) -> str:
    # Same level on both sides: the rule's changed properties (say productionEnvironments) hide it.
    head = f"{now} under this one" if now != f.level else "not reported under this one: its properties changed"
    if f.waiver is not None:
        w = f.waiver
        head = (f"waived under this one by {w.label}, owner {w.owner}, until {w.expires.isoformat()}: "
                f"{text(w.reason)}")
    return (f"  - `{f.policy}` ({f.level} under the base's policy config, {head}) on "
            f"{kind(f.resource[0])} `{f.resource[1]}`: {text(f.message)}")


def _detail_blocks(d: StackDiff) -> list[str]:
    blocks: list[str] = []
    if d.hidden:  # first: not fixed, only no longer reported
        blocks.append("**policy findings hidden by the policy config change** (still there; not fixed)\n"
                      + "\n".join(_hidden(f, now) for f, now in d.hidden))
    if d.introduced:
        blocks.append("**policy findings introduced**\n" + "\n".join(_finding(f) for f in d.introduced))
    if d.fixed:
        blocks.append("**policy findings fixed**\n" + "\n".join(_finding(f) for f in d.fixed))
    order = {"replace": 0, "delete": 1, "update": 2, "create": 3}
    blocks += [change_block(c) for c in sorted(d.changes, key=lambda c: (order[c.action], c.type, c.name))]
    blocks += [f"_{text(note)}_" for note in d.notes]
    return blocks


def _error_head(d: StackDiff) -> str:
    """A head stack that could not be planned: named, with its file and why, never trimmed."""
    lines = [marker(d.stack), f":x: **`{d.stack}`**: not diffed: its stack file `{d.file or '?'}` could not be "
             "planned (aigw diff exits 2); the other stacks are diffed"]
    lines += [f"> :x: **{text(line)}**" for line in d.error]
    return "\n".join(lines)


def _head(d: StackDiff) -> str:
    if d.error:
        return _error_head(d)
    lines = [marker(d.stack), summary_line(d)]
    # The stack's own warnings are few (one per status change, shared account, token) and never trimmed.
    lines += [f"> :warning: **{text(w)}**" for w in d.warnings]
    warnings = [c for c in d.changes if c.loud]
    for c in warnings[:MAX_WARNINGS]:
        lines.append(f"> :warning: **{text(c.warning or '')}**")
    if len(warnings) > MAX_WARNINGS:
        lines.append(f"> :warning: **and {len(warnings) - MAX_WARNINGS} more warnings (replacements, deletions, "
                     "authentication and protection changes, edge Workers); see the details.**")
    return "\n".join(lines)


def _assemble(d: StackDiff, blocks: list[str], total: int, ref: str) -> str:
    out = [_head(d)]
    if blocks or total:
        what = [f"{len(d.changes)} change(s)"] if d.changes else []
        if d.introduced or d.fixed or d.hidden:
            what.append("policy findings")
        if d.notes:
            what.append("notes")
        out.append(f"<details><summary>{', '.join(what)} in detail</summary>")
        out += blocks
        if len(blocks) < total:
            out.append(f"_{total - len(blocks)} more not shown (comment size limit): run "
                       f"`aigw diff --base {ref} {d.stack}` locally._")
        out.append("</details>")
    # Blank lines between blocks: GitHub renders markdown inside <details> only after one.
    return "\n\n".join(out) + "\n"


def to_markdown(result: DiffResult, limit: int = LIMIT) -> str:
    """Every changed stack; details trimmed (fairly across stacks) so the whole stays under ``limit``."""
    stacks = [(d, _detail_blocks(d)) for d in result.stacks]
    kept: list[list[str]] = [[] for _ in stacks]
    size = sum(len(_assemble(d, [], len(blocks), result.base)) + 1 for d, blocks in stacks)
    progress = True
    while progress:  # round robin: one block per stack per pass, while it fits
        progress = False
        for i, (_, blocks) in enumerate(stacks):
            if len(kept[i]) < len(blocks) and size + len(blocks[len(kept[i])]) + 2 <= limit:
                size += len(blocks[len(kept[i])]) + 2
                kept[i].append(blocks[len(kept[i])])
                progress = True
    return "\n".join(_assemble(d, kept[i], len(blocks), result.base) for i, (d, blocks) in enumerate(stacks))


def stack_markdown(result: DiffResult, d: StackDiff, limit: int = LIMIT) -> str:
    return to_markdown(DiffResult(result.base, result.commit, [d]), limit)


def _finding_json(f: Finding) -> dict[str, Any]:
    return f.as_json()


def to_json(result: DiffResult) -> str:
    stacks = []
    for d in result.stacks:
        if d.error:
            stacks.append({
                "stack": d.stack, "environment": d.environment, "production": d.production,
                "error": {"file": d.file, "problems": d.error},
                "summary": {a: 0 for a in ("create", "update", "replace", "delete")}, "changes": [],
                "policy": {"introduced": [], "fixed": [], "hidden": []}, "notes": [], "warnings": [],
                "marker": marker(d.stack), "markdown": stack_markdown(result, d),
            })
            continue
        stacks.append({
            "stack": d.stack, "environment": d.environment, "production": d.production,
            "summary": {a: d.count(a) for a in ("create", "update", "replace", "delete")},
            "changes": [c.as_json() for c in d.changes],
            "policy": {"introduced": [_finding_json(f) for f in d.introduced],
                       "fixed": [_finding_json(f) for f in d.fixed],
                       "hidden": [{**_finding_json(f), "headLevel": now} for f, now in d.hidden]},
            "notes": d.notes,
            "warnings": d.warnings,
            "marker": marker(d.stack),
            "markdown": stack_markdown(result, d),
        })
    policy_config = {"file": result.policy_file,
                     "levelChanges": [{"policy": rule, "base": old, "head": new}
                                      for rule, old, new in result.policy_changes],
                     "propertyChanges": [{"policy": rule, "properties": keys}
                                         for rule, keys in result.policy_property_changes],
                     "notes": result.policy_notes}
    return json.dumps({"base": result.base, "commit": result.commit, "policyConfig": policy_config,
                       "stacks": stacks, "problems": result.problems}, indent=2)


def render(result: DiffResult, fmt: str) -> str:
    if not result.stacks:
        return ""
    return to_json(result) if fmt == "json" else to_markdown(result)


__all__: Sequence[str] = ["render", "to_json", "to_markdown", "marker", "stack_markdown"]
