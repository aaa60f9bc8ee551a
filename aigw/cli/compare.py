"""`aigw compare`: two stacks side by side."""

from __future__ import annotations

import click

from .app import main
from .common import _plans


@main.command()
@click.argument("left", metavar="STACK")
@click.argument("right", metavar="STACK")
@click.option("--format", "fmt", type=click.Choice(["table", "markdown", "json"]), default="table",
              show_default=True, help="Output format.")
@click.pass_context
def compare(ctx: click.Context, left: str, right: str, fmt: str) -> None:
    """Two stacks' effective settings side by side, differences marked (e.g. staging vs prod).

    Gateways, edge and team Workers, tokens and log export are matched by logical name; ids that
    differ only by the environment prefix are not differences. Exit 0.
    """
    from ..review import compare as comparing

    plans = _plans(ctx, [left, right])
    rows = comparing.compare(plans[0], plans[1])
    if fmt == "json":
        click.echo(comparing.to_json(plans[0], plans[1], rows))
    elif fmt == "markdown":
        click.echo(comparing.to_markdown(plans[0], plans[1], rows), nl=False)
    else:
        comparing.print_table(plans[0], plans[1], rows)
