"""`aigw check`: each stack's plan judged by the policy rules."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..exits import FINDINGS
from .app import main
from .common import EXIT_INVALID, JOBS, TARGETS, _exit_unplanned, _fail, _planned, policy_config_option


@main.command()
@TARGETS
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown", "sarif", "junit", "github"]),
              default="text", show_default=True, help="Output format.")
@policy_config_option("Policy config JSON (the format of `pulumi preview --policy-pack-config`).")
@JOBS
@click.pass_context
def check(ctx: click.Context, targets: tuple[str, ...], fmt: str, policy_config: Path | None,
          jobs: int | None) -> None:
    """Check each stack against the org's policy (the rules of the CrossGuard pack in policy/), offline.

    Exit 1 when any mandatory policy is violated; advisory findings alone exit 0.
    """
    from ..check import check_plan, located_in_policy_config
    from ..check import format as formats
    from ..check.config import PolicyConfigError, load_settings
    from ..plan import PlanError
    from ..review import review_date

    try:
        settings = load_settings(policy_config)
        today = review_date()  # AIGW_TODAY, as aigw diff and the pack read it
    except PolicyConfigError as exc:
        _fail(exc.lines, EXIT_INVALID)
        return
    except PlanError as exc:
        _fail(exc.lines, exc.exit_code)
        return
    # load_settings has read it: readable UTF-8 JSON.
    lines = policy_config.read_text().splitlines() if policy_config is not None else []
    results = [located_in_policy_config(check_plan(plan, path, settings, today), policy_config, lines)
               for path, plan in _planned(ctx, list(targets), jobs, for_check=True, partial=True)]
    if fmt == "json":
        click.echo(formats.to_json(results, settings))
    elif fmt == "markdown":
        click.echo(formats.to_markdown(results, settings), nl=False)
    elif fmt == "sarif":
        click.echo(formats.to_sarif(results, settings))
    elif fmt == "junit":
        click.echo(formats.to_junit(results, settings))
    elif fmt == "github":
        click.echo(formats.to_github(results, settings))
    else:
        click.echo(formats.to_text(results, settings))
    _exit_unplanned(ctx)  # a stack not judged: exit 2 (or 4), never a pass
    sys.exit(FINDINGS if any(r.mandatory for r in results) else 0)
