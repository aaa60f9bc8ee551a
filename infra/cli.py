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

from .exits import BUG, FINDINGS, INVALID, debug

EXIT_INVALID = INVALID


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
                          if f"{os.sep}infra{os.sep}" in f.filename), None)
            at = f" at {where}" if where else ""
            click.echo(f"aigw: internal error ({type(exc).__name__}{at}): this is a bug, please report it "
                       "(AIGW_DEBUG=1 shows the traceback)", err=True)
            sys.exit(BUG)


@click.group(cls=_Aigw, context_settings={"help_option_names": ["-h", "--help"]})
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


def _planned(ctx: click.Context, targets: list[str], jobs: int | None = None,
             for_check: bool = False, partial: bool = False) -> list[tuple[Path, dict]]:
    """(stack file, plan) of each STACK/FILE (none: every stack); a failed plan exits 2 or 4.

    ``partial`` (plan, check): the stacks that could be planned are returned and shown; the
    problems of the others wait in ``ctx.obj["unplanned"]`` for :func:`_exit_unplanned` (exit 2, or
    4 when the program failed), so one broken stack file does not hide the rest.
    """
    from .plan import PlanError, plan_targets, resolve_targets_partial

    try:
        resolved, problems = resolve_targets_partial(targets, lambda: _project_dir(ctx))
        if problems and not partial:
            _fail(problems, INVALID)
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
    from .plan import format as formats

    plans = [plan for _, plan in _planned(ctx, list(targets), jobs, partial=True)]
    if fmt == "json":
        click.echo(formats.to_json(plans))
    elif fmt == "markdown":
        click.echo(formats.to_markdown(plans))
    else:
        formats.print_table(plans)
    _exit_unplanned(ctx)


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
    from .plan import PlanError
    from .review import review_date

    try:
        settings = load_settings(policy_config)
        today = review_date()  # AIGW_TODAY, as aigw diff and the pack read it
    except PolicyConfigError as exc:
        _fail(exc.lines, EXIT_INVALID)
        return
    except PlanError as exc:
        _fail(exc.lines, exc.exit_code)
        return
    results = [check_plan(plan, path, settings, today)
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


@main.command()
@click.option("--base", "base", required=True, metavar="GITREF",
              help="The git revision to compare with (e.g. origin/main); its own program and config are planned.")
@click.argument("stacks", nargs=-1, metavar="[STACK]...")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True,
              help="Output format (markdown: one section per stack, for pull-request comments).")
@click.option("--policy-config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Policy config JSON for the findings introduced and fixed; the base is judged with its own "
                   "version of the same file, and every rule whose level changed is a warning. A file of the "
                   "project that the working tree lacks (deleted by the change) judges the head with the "
                   "default levels.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Stacks planned at once.")
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
    from .check.config import PolicyConfigError
    from .plan import PlanError
    from .review import head_settings, run_diff
    from .review.git import GitError
    from .review.render import render

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
    from .review import compare as comparing

    plans = _plans(ctx, [left, right])
    rows = comparing.compare(plans[0], plans[1])
    if fmt == "json":
        click.echo(comparing.to_json(plans[0], plans[1], rows))
    elif fmt == "markdown":
        click.echo(comparing.to_markdown(plans[0], plans[1], rows), nl=False)
    else:
        comparing.print_table(plans[0], plans[1], rows)


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
    from .live.client import Client, TokenMissing

    try:
        return Client(base_url=api_url, wait=not no_wait, timeout=timeout, max_wait=max_wait)
    except TokenMissing as exc:
        _fail([str(exc)], EXIT_INVALID)
        raise AssertionError("unreachable") from None


ACCOUNT_ID = click.option("--account", "account", required=True, metavar="ID", help="Cloudflare account id.")


@main.command()
@ACCOUNT_ID
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown", "sarif"]), default="text",
              show_default=True)
@click.option("--policy-config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Policy config JSON for the rules run on live settings.")
@_live_options
@click.pass_context
def audit(ctx: click.Context, account: str, fmt: str, policy_config: Path | None, api_url: str | None,
          no_wait: bool, timeout: float, max_wait: float) -> None:
    """Every gateway of the account against this repository's stacks (read-only API token).

    Unmanaged gateways (the auto-created `default` named as such), declared but missing, drift per
    field, and the policy's gateway rules on the live settings. Exit 1 when anything is found;
    3 when the API fails.
    """
    from .check.config import PolicyConfigError, load_settings
    from .live import audit as auditing
    from .live.client import LiveError

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

    from .live.client import LiveError
    from .live.drift import drift as drifting
    from .live.drift import jobs_or_skip

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
        from .live.audit import shown

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


@main.command(name="import")
@ACCOUNT_ID
@click.option("--gateway", "gateways", multiple=True, metavar="ID", help="Gateway id to import (repeat; default: all).")
@click.option("--stack", required=True, metavar="STACK", help="Stack whose Pulumi.<STACK>.yaml gets the gateways.")
@click.option("--environment", default=None, help="aigw:environment for a new stack file (default: STACK).")
@click.option("--force", is_flag=True, help="Overwrite gateways the stack file already declares.")
@click.option("--import-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the `pulumi import --file` document (default: import-<STACK>.json).")
@_live_options
@click.pass_context
def import_(ctx: click.Context, account: str, gateways: tuple[str, ...], stack: str, environment: str | None,
            force: bool, import_file: Path | None, api_url: str | None, no_wait: bool, timeout: float,
            max_wait: float) -> None:
    """Adopt live gateways into code: write them into Pulumi.<STACK>.yaml and a `pulumi import` file.

    Comments and layout of the stack file are kept; gateways it already declares are left alone
    unless --force. Live credentials are never written: a `secure:` placeholder takes their place,
    with the `pulumi config set --secret` command to run. Then `pulumi import --file FILE` adopts the
    gateways, and `aigw drift STACK` shows no drift.
    """
    from .config import stack_file_name
    from .live import importer
    from .live.client import LiveError

    with _client(api_url, no_wait, timeout, max_wait) as client:  # no token: exit 2 first, as audit and drift
        project = _project_dir(ctx)
        try:
            live = client.gateways(account)
        except LiveError as exc:
            _fail([str(exc)], exc.exit_code)
            return
    by_id = {g["id"]: g for g in live}
    unknown = [g for g in gateways if g not in by_id]
    if unknown:
        _fail([f"--gateway {g}: no such gateway in account {account} (gateways: {', '.join(sorted(by_id)) or 'none'})"
               for g in unknown], EXIT_INVALID)
    if gateways:
        chosen = [by_id[g] for g in gateways]
    else:
        # The auto-created `default` gateway is adopted only when named (no-default-gateway).
        chosen = sorted((g for g in live if g["id"] != "default" and not g.get("is_default")), key=lambda g: g["id"])
        if len(chosen) < len(live):
            click.echo("aigw: skipped the auto-created gateway `default` (name it with --gateway default to adopt "
                       "it anyway; the policy flags it: no-default-gateway)", err=True)
    path = project / stack_file_name(stack)
    target = import_file or project / f"import-{stack}.json"
    # Everything is checked before anything is written: a failure leaves every file as it was.
    try:
        elsewhere = importer.declared_elsewhere(project, path, account)
        importer.check_writable(target, "--import-file")
        if os.path.realpath(target) == os.path.realpath(path):
            raise importer.ImportError_(f"--import-file {target}: is the stack file itself")
        importer.check_writable(path, "--stack")
        update = importer.prepare_stack(path, stack, account, environment or stack,
                                        [g for g in chosen if g["id"] not in elsewhere], force)
    except importer.ImportError_ as exc:
        _fail([str(exc)], EXIT_INVALID)
        return
    for g in chosen:
        if g["id"] in elsewhere:
            other, file_name, key = elsewhere[g["id"]]
            click.echo(f"aigw: skipped {g['id']}: stack {other} already declares it ({file_name}, {key})", err=True)
    done = update.items
    document = importer.import_file(account, done)
    for item in done:
        if not item.written:
            why = item.reason or f"already declared in {path.name}"
            click.echo(f"aigw: kept aigw:gateways.{item.name}" + ("" if item.reason else f" ({item.gateway_id})")
                       + f": {why} (--force overwrites)", err=True)
    if not document["resources"]:
        why = "no gateway chosen can be adopted (see above)" if chosen else f"account {account} has no gateway to adopt"
        _fail([f"nothing to import into {path.name}: {why}; no file written"], EXIT_INVALID)
    if update.text is not None:
        importer.write_text(path, update.text)
    importer.write_import_file(target, document)
    for item in done:
        if not item.written:
            continue
        click.echo(f"imported {item.gateway_id} as aigw:gateways.{item.name}")
        for note in item.notes:
            click.echo(f"  {item.gateway_id}: {note}", err=True)
        for where in item.secrets:
            click.echo(f"  set the credential: {importer.set_secret_command(stack, item.name, where)}")
    wrote = f"{path.name} and {target.name}" if update.text is not None else f"{target.name} ({path.name} unchanged)"
    click.echo(f"wrote {wrote}; then: pulumi import -s {stack} --file {target.name}")


def _register_groups() -> None:
    from .logexport.commands import logpush, logs

    main.add_command(logpush)
    main.add_command(logs)


_register_groups()

if __name__ == "__main__":
    main()
