"""`aigw`: review and enforce the gateway declarations without credentials.

Exit codes (documented in README.md, and under "Exit codes" in docs/policy.md and docs/live.md):
0 clean; 1 mandatory violations or drift; 2 invalid input or usage; 3 Cloudflare API or network failure;
4 the program itself failed (a bug: report it).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..exits import BUG, debug


class _Aigw(click.Group):
    """The one top-level handler: an unexpected exception is exit 4 ("this is a bug") in one line,
    without a traceback (its message is not shown either: it could quote a value of the input)
    unless AIGW_DEBUG=1, which lets Python print it."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit,
                KeyboardInterrupt, EOFError):
            raise
        except Exception as exc:
            if debug():
                raise
            import traceback

            frames = traceback.extract_tb(exc.__traceback__)
            where = next((f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames)
                          if f"{os.sep}aigw{os.sep}" in f.filename), None)
            at = f" at {where}" if where else ""
            click.echo(f"aigw: internal error ({type(exc).__name__}{at}): this is a bug, please report it "
                       "(AIGW_DEBUG=1 shows the traceback)", err=True)
            sys.exit(BUG)


@click.group(cls=_Aigw, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="aigw-infra", prog_name="aigw", message="%(prog)s %(version)s")
@click.option("--project-dir", "-C", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Project directory (holding Pulumi.yaml). Default: found from the current directory.")
@click.pass_context
def main(ctx: click.Context, project_dir: Path | None) -> None:
    """AI Gateways as code: plan and review Cloudflare AI Gateway declarations offline."""
    ctx.obj = {"project_dir": project_dir}
