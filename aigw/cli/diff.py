"""`aigw diff`: what a change does to each stack, against a git base."""

from __future__ import annotations

from pathlib import Path

import click

from .app import main
from .common import EXIT_INVALID, JOBS, _fail, _project_dir, policy_config_option


@main.command()
@click.option("--base", "base", required=True, metavar="GITREF",
              help="The git revision to compare with (e.g. origin/main); its own program and config are planned.")
@click.argument("stacks", nargs=-1, metavar="[STACK]...")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True,
              help="Output format (markdown: one section per stack, for pull-request comments).")
@policy_config_option("Policy config JSON for the findings introduced and fixed; the base is judged with its own "
                   "version of the same file, and every rule whose level changed is a warning. A file of the "
                   "project that the working tree lacks (deleted by the change) judges the head with the "
                   "default levels.")
@JOBS
@click.pass_context
def diff(ctx: click.Context, base: str, stacks: tuple[str, ...], fmt: str, policy_config: Path | None,
         jobs: int | None) -> None:
    """What the working tree changes against GITREF, per stack, in the words of the settings.

    Created, updated (old -> new), replaced (with why and what it costs) and deleted resources, and the
    policy findings the change introduces and fixes. Secrets only ever read "changed". No change: no
    output. A stack file that cannot be planned is reported as its own entry and the other stacks are
    diffed; then exit 2 (4 when the program failed). Exit 0 unless the input is invalid (2) or a plan
    fails (4).
    """
    from ..check.config import PolicyConfigError
    from ..plan import PlanError
    from ..review import head_settings, run_diff
    from ..review.git import GitError
    from ..review.render import render

    try:
        project = _project_dir(ctx)
        settings = head_settings(policy_config, project)  # removed from the working tree: the defaults
        result = run_diff(base, list(stacks) or None, project, settings, jobs, policy_config=policy_config)
    except PolicyConfigError as exc:
        _fail(exc.lines, EXIT_INVALID)
        return
    except GitError as exc:
        _fail([str(exc)], EXIT_INVALID)
        return
    except PlanError as exc:
        _fail(exc.lines, exc.exit_code)
        return
    out = render(result, fmt)
    if out:
        click.echo(out, nl=not out.endswith("\n"))
    if result.problems:  # after the stacks that could be diffed, as `aigw plan` and `aigw check` do
        _fail(result.problems, result.exit_code)
