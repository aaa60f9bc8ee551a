"""What the commands share: the project directory, planning the targets, failing with an exit code, the
live-account options and client."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..exits import INVALID

EXIT_INVALID = INVALID


def _project_dir(ctx: click.Context) -> Path:
    from ..config import find_project_dir
    from ..spec import SpecError

    given = ctx.obj.get("project_dir")
    try:
        return find_project_dir((given or Path.cwd()).resolve())
    except SpecError as exc:
        _fail([p.render() for p in exc.problems], EXIT_INVALID)
        raise AssertionError("unreachable") from None


def _planned(ctx: click.Context, targets: list[str], jobs: int | None = None,
             for_check: bool = False, partial: bool = False) -> list[tuple[Path, dict]]:
    """(stack file, plan) of each STACK/FILE (none: every stack); a failed plan exits 2 or 4.

    ``partial`` (plan, check): the stacks that could be planned are returned and shown; the
    problems of the others wait in ``ctx.obj["unplanned"]`` for :func:`_exit_unplanned` (exit 2, or
    4 when the program failed), so one broken stack file does not hide the rest.
    """
    from ..plan import PlanError, plan_targets, resolve_targets_partial

    try:
        resolved, problems = resolve_targets_partial(targets, lambda: _project_dir(ctx))
        if problems and not partial:
            _fail(problems, INVALID)
        _warn_missing_program(resolved)
        planned = plan_targets(resolved, jobs=jobs, for_check=for_check)
    except PlanError as exc:
        _fail(exc.lines, exc.exit_code)
        raise AssertionError("unreachable") from None
    lines = problems + planned.lines
    code = planned.exit_code or INVALID
    if lines and (not partial or not planned.plans):
        _fail(lines, code)
    ctx.obj["unplanned"] = (lines, code) if lines else None
    return [(target.path, plan) for target, plan in planned.plans]


def _warn_missing_program(targets: list) -> None:
    """One warning per project planned whose program folder has no __main__.py (aigw/config.py)."""
    from ..config import find_project_dir, missing_program_warning
    from ..spec import SpecError

    seen: set[Path] = set()
    for target in targets:
        try:
            project = find_project_dir(target.path.resolve().parent)
        except (SpecError, OSError, RuntimeError):
            continue  # the plan reports it
        if project not in seen:
            seen.add(project)
            warning = missing_program_warning(project)
            if warning:
                click.echo(f"aigw: {warning}", err=True)


def _exit_unplanned(ctx: click.Context) -> None:
    """After the output of the stacks planned: the problems of those that could not be, and exit 2 or 4."""
    unplanned = ctx.obj.get("unplanned")
    if unplanned:
        _fail(*unplanned)


def _plans(ctx: click.Context, targets: list[str], jobs: int | None = None) -> list[dict]:
    return [plan for _, plan in _planned(ctx, targets, jobs)]


def _fail(lines: list[str], code: int) -> None:
    for line in lines:
        click.echo(f"aigw: {line}", err=True)
    sys.exit(code)


# --- the live account (read-only API token) -------------------------------------------------------

def _live_options(fn):
    fn = click.option("--api-url", default=None, metavar="URL",
                      help="Cloudflare API base URL (default: CLOUDFLARE_BASE_URL or the SDK's).")(fn)
    fn = click.option("--no-wait", is_flag=True, help="On HTTP 429 fail at once (exit 3) instead of waiting "
                      "Retry-After out once.")(fn)
    fn = click.option("--timeout", type=click.FloatRange(min=1), default=30.0, show_default=True,
                      help="Seconds per API request, connecting and reading the whole answer together.")(fn)
    fn = click.option("--max-wait", type=click.FloatRange(min=0), default=60.0, show_default=True, metavar="SECONDS",
                      help="The longest HTTP 429 Retry-After waited out (once); longer fails at once (exit 3).")(fn)
    return fn


def _client(api_url: str | None, no_wait: bool, timeout: float, max_wait: float = 60.0):
    from ..live.client import Client, TokenMissing

    try:
        return Client(base_url=api_url, wait=not no_wait, timeout=timeout, max_wait=max_wait)
    except TokenMissing as exc:
        _fail([str(exc)], EXIT_INVALID)
        raise AssertionError("unreachable") from None


ACCOUNT_ID = click.option("--account", "account", required=True, metavar="ID", help="Cloudflare account id.")


# Options more than one command takes, worded once.
JOBS = click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
                    help="Stacks planned at once (default: number of cores).")
TARGETS = click.argument("targets", nargs=-1, metavar="[STACK|FILE]...")


def policy_config_option(help_text: str):
    return click.option("--policy-config", type=click.Path(dir_okay=False, path_type=Path), default=None,
                        help=help_text)
