"""`aigw drift`: the live gateways of one stack against its plan."""

from __future__ import annotations

import sys

import click

from .app import main
from .common import _client, _fail, _live_options, _plans


@main.command()
@click.argument("stack", metavar="STACK")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_live_options
@click.pass_context
def drift(ctx: click.Context, stack: str, fmt: str, api_url: str | None, no_wait: bool, timeout: float,
          max_wait: float) -> None:
    """Declared against live for one stack's gateways (and its Logpush job), field by field.

    One list of the account's gateways (pages of 100) and, when the stack exports logs, one list of
    its Logpush jobs. Exit 1 when anything drifted or is missing; 3 when the API fails.
    """
    import json as _json

    from aigw_policy.rules import LOGPUSH_JOB

    from ..live.client import LiveError
    from ..live.drift import drift as drifting
    from ..live.drift import jobs_or_skip

    with _client(api_url, no_wait, timeout, max_wait) as client:  # no token: exit 2 at once, not after planning
        (plan,) = _plans(ctx, [stack])
        exports = any(r["type"] == LOGPUSH_JOB for r in plan["resources"])
        try:
            live = client.gateways(plan["accountId"])
            jobs, skipped = jobs_or_skip(client, plan["accountId"]) if exports else (None, None)
            if skipped:
                click.echo(f"aigw: {skipped}", err=True)
        except LiveError as exc:
            _fail([str(exc)], exc.exit_code)
            return
        requests = client.requests
    result = drifting(plan, live, jobs)
    if fmt == "json":
        click.echo(_json.dumps({
            "stack": result.stack, "account": result.account_id, "matched": result.matched, "requests": requests,
            "missing": [{"name": n, "id": g} for n, g in result.missing],
            "drift": [{"resource": {"type": d.resource[0], "name": d.resource[1]}, "id": d.live_id, "field": d.field,
                       "declared": d.declared, "live": d.live, "hint": d.hint(result.stack)} for d in result.drift],
            "skipped": [skipped] if skipped else [],
        }, indent=2))
    else:
        from ..live.audit import shown

        lines = [f"{result.stack} (account {result.account_id}): {result.matched} gateway(s) matched, "
                 f"{len(result.missing)} missing, {len(result.drift)} drifted field(s); {requests} API request(s)"]
        for name, gid in result.missing:
            lines.append(f"  MISSING  {gid} (aigw:gateways.{name}): declared, not live; `pulumi up -s {stack}` "
                         "creates it")
        for d in result.drift:
            lines.append(f"  DRIFT    {d.live_id} {d.field}: declared {shown(d.declared)}, live {shown(d.live)}")
            lines.append(f"           {d.hint(result.stack)}")
        lines.append("drift: " + ("none" if result.clean else "found (exit 1)"))
        click.echo("\n".join(lines))
    sys.exit(0 if result.clean else 1)
