"""`aigw`: review and enforce the gateway declarations without credentials.

Exit codes (DESIGN.md section 6): 0 clean; 1 mandatory violations or drift; 2 invalid input
or usage; 3 Cloudflare API or network failure; 4 the program itself failed (a bug: report it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

EXIT_INVALID = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--project-dir", "-C", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Project directory (holding Pulumi.yaml). Default: found from the current directory.")
@click.pass_context
def main(ctx: click.Context, project_dir: Path | None) -> None:
    """AI Gateways as code: plan and review Cloudflare AI Gateway declarations offline."""
    ctx.obj = {"project_dir": project_dir}


def _project_dir(ctx: click.Context) -> Path:
    from .config import find_project_dir
    from .spec import SpecError

    given = ctx.obj.get("project_dir")
    try:
        return find_project_dir((given or Path.cwd()).resolve())
    except SpecError as exc:
        _fail([p.render() for p in exc.problems], EXIT_INVALID)
        raise AssertionError("unreachable") from None


def _fail(lines: list[str], code: int) -> None:
    for line in lines:
        click.echo(f"aigw: {line}", err=True)
    sys.exit(code)


@main.command()
@click.argument("targets", nargs=-1, metavar="[STACK|FILE]...")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table",
              show_default=True, help="Output format.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Stacks planned at once (default: number of cores).")
@click.pass_context
def plan(ctx: click.Context, targets: tuple[str, ...], fmt: str, jobs: int | None) -> None:
    """Show every resource each stack would get, with effective settings (offline, no credentials).

    STACK is a stack name (Pulumi.<STACK>.yaml in the project); FILE a path to a stack file.
    None means every stack of the project.
    """
    from .plan import PlanError, resolve_targets, run_plans
    from .plan import format as formats

    try:
        plans = run_plans(resolve_targets(list(targets), lambda: _project_dir(ctx)), jobs=jobs)
    except PlanError as exc:
        _fail(exc.lines, exc.exit_code)
        return
    if fmt == "json":
        click.echo(formats.to_json(plans))
    elif fmt == "markdown":
        click.echo(formats.to_markdown(plans))
    else:
        formats.print_table(plans)


@main.command()
@click.argument("targets", nargs=-1, metavar="[STACK|FILE]...")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown", "sarif", "junit", "github"]),
              default="text", show_default=True, help="Output format.")
@click.option("--policy-config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Policy config JSON (the format of `pulumi preview --policy-pack-config`).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Stacks planned at once (default: number of cores).")
@click.pass_context
def check(ctx: click.Context, targets: tuple[str, ...], fmt: str, policy_config: Path | None,
          jobs: int | None) -> None:
    """Check each stack against the org's policy (the rules of the CrossGuard pack in policy/), offline.

    Exit 1 when any mandatory policy is violated; advisory findings alone exit 0.
    """
    from .check import check_plan
    from .check import format as formats
    from .check.config import PolicyConfigError, load_settings
    from .plan import PlanError, resolve_targets, run_plans

    try:
        settings = load_settings(policy_config)
    except PolicyConfigError as exc:
        _fail(exc.lines, EXIT_INVALID)
        return
    try:
        resolved = resolve_targets(list(targets), lambda: _project_dir(ctx))
        plans = run_plans(resolved, jobs=jobs, for_check=True)
    except PlanError as exc:
        _fail(exc.lines, exc.exit_code)
        return
    results = [check_plan(plan, target.path, settings) for plan, target in zip(plans, resolved, strict=True)]
    if fmt == "json":
        click.echo(formats.to_json(results))
    elif fmt == "markdown":
        click.echo(formats.to_markdown(results), nl=False)
    elif fmt == "sarif":
        click.echo(formats.to_sarif(results, settings))
    elif fmt == "junit":
        click.echo(formats.to_junit(results, settings))
    elif fmt == "github":
        click.echo(formats.to_github(results))
    else:
        click.echo(formats.to_text(results))
    sys.exit(1 if any(r.mandatory for r in results) else 0)


@main.command()
@click.option("--base", "base", required=True, metavar="GITREF",
              help="The git revision to compare with (e.g. origin/main); its own program and config are planned.")
@click.argument("stacks", nargs=-1, metavar="[STACK]...")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True,
              help="Output format (markdown: one section per stack, for pull-request comments).")
@click.option("--policy-config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Policy config JSON for the findings introduced and fixed.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Stacks planned at once.")
@click.pass_context
def diff(ctx: click.Context, base: str, stacks: tuple[str, ...], fmt: str, policy_config: Path | None,
         jobs: int | None) -> None:
    """What the working tree changes against GITREF, per stack, in the words of the settings.

    Created, updated (old -> new), replaced (with why and what it costs) and deleted resources, and the
    policy findings the change introduces and fixes. Secrets only ever read "changed". No change: no
    output. Exit 0 unless the input is invalid (2) or a plan fails (4).
    """
    from .check.config import PolicyConfigError, load_settings
    from .plan import PlanError
    from .review import run_diff
    from .review.git import GitError
    from .review.render import render

    try:
        settings = load_settings(policy_config)
        result = run_diff(base, list(stacks) or None, _project_dir(ctx), settings, jobs)
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
    from .plan import PlanError, resolve_targets, run_plans
    from .review import compare as comparing

    try:
        plans = run_plans(resolve_targets([left, right], lambda: _project_dir(ctx)))
    except PlanError as exc:
        _fail(exc.lines, exc.exit_code)
        return
    rows = comparing.compare(plans[0], plans[1])
    if fmt == "json":
        click.echo(comparing.to_json(plans[0], plans[1], rows))
    elif fmt == "markdown":
        click.echo(comparing.to_markdown(plans[0], plans[1], rows), nl=False)
    else:
        comparing.print_table(plans[0], plans[1], rows)


def _register_groups() -> None:
    from .logexport.commands import logpush, logs

    main.add_command(logpush)
    main.add_command(logs)


_register_groups()

if __name__ == "__main__":
    main()
