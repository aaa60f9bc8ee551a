"""`aigw plan`: the offline plan of each stack."""

from __future__ import annotations

import click

from .app import main
from .common import JOBS, TARGETS, _exit_unplanned, _planned


@main.command()
@TARGETS
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table",
              show_default=True, help="Output format.")
@JOBS
@click.pass_context
def plan(ctx: click.Context, targets: tuple[str, ...], fmt: str, jobs: int | None) -> None:
    """Show every resource each stack would get, with effective settings (offline, no credentials).

    STACK is a stack name (Pulumi.<STACK>.yaml in the project); FILE a path to a stack file.
    None means every stack of the project.
    """
    from ..plan import format as formats

    plans = [plan for _, plan in _planned(ctx, list(targets), jobs, partial=True)]
    if fmt == "json":
        click.echo(formats.to_json(plans))
    elif fmt == "markdown":
        click.echo(formats.to_markdown(plans))
    else:
        formats.print_table(plans)
    _exit_unplanned(ctx)
