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
    """Declared against live for one stack's gateways (their provider keys and routes, and its Logpush
    job), field by field.

    One list of the account's gateways (pages of 100), one list of provider configs and one of routes per
    declared gateway that is live, and, when the stack exports logs, one list of its Logpush jobs. Exit 1
    when anything drifted or is missing; 3 when the API fails.
    """
    from aigw_policy.rules import LOGPUSH_JOB

    from ..live import byok
    from ..live import drift as drifting
    from ..live.client import LiveError

    with _client(api_url, no_wait, timeout, max_wait) as client:  # no token: exit 2 at once, not after planning
        (plan,) = _plans(ctx, [stack])
        exports = any(r["type"] == LOGPUSH_JOB for r in plan["resources"])
        skipped: list[str] = []
        try:
            live = client.gateways(plan["accountId"])
            wanted, first = drifting.details_wanted(plan, live)
            details, not_read = byok.read_details(client, plan["accountId"], wanted, first)
            jobs, no_jobs = drifting.jobs_or_skip(client, plan["accountId"]) if exports else (None, None)
            for line in (not_read, no_jobs):
                if line:
                    skipped.append(line)
                    click.echo(f"aigw: {line}", err=True)
        except LiveError as exc:
            _fail([str(exc)], exc.exit_code)
            return
        requests = client.requests
    result = drifting.drift(plan, live, jobs, details)
    click.echo(drifting.to_json(result, requests, skipped) if fmt == "json" else
               drifting.to_text(result, requests, stack))
    sys.exit(0 if result.clean else 1)
