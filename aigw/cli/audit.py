"""`aigw audit`: the live account judged by the policy rules (read-only token)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .app import main
from .common import ACCOUNT_ID, EXIT_INVALID, _client, _fail, _live_options, _plans, policy_config_option


@main.command()
@ACCOUNT_ID
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown", "sarif"]), default="text",
              show_default=True)
@policy_config_option("Policy config JSON for the rules run on live settings.")
@_live_options
@click.pass_context
def audit(ctx: click.Context, account: str, fmt: str, policy_config: Path | None, api_url: str | None,
          no_wait: bool, timeout: float, max_wait: float) -> None:
    """Every gateway of the account against this repository's stacks (read-only API token).

    Unmanaged gateways (the auto-created `default` named as such), declared but missing, drift per
    field, and the policy's gateway rules on the live settings. Exit 1 when anything is found;
    3 when the API fails.
    """
    from ..check.config import PolicyConfigError, load_settings
    from ..live import audit as auditing
    from ..live.client import LiveError

    try:
        settings = load_settings(policy_config)
    except PolicyConfigError as exc:
        _fail(exc.lines, EXIT_INVALID)
        return
    with _client(api_url, no_wait, timeout, max_wait) as client:  # no token: exit 2 at once, not after planning
        plans = _plans(ctx, [])
        try:
            result = auditing.audit(client, account, plans, settings, with_jobs=True)
        except LiveError as exc:
            _fail([str(exc)], exc.exit_code)
            return
    render = {"json": auditing.to_json, "markdown": auditing.to_markdown, "sarif": auditing.to_sarif}.get(
        fmt, auditing.to_text)
    if result.skipped:
        click.echo(f"aigw: {result.skipped}", err=True)
    click.echo(render(result).rstrip("\n"))
    sys.exit(1 if result.found else 0)
