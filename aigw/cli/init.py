"""`aigw init`: write a new project (stacks, program, policy pack, workflows) that uses the installed aigw."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from .app import main
from .common import EXIT_INVALID, _fail


@main.command()
@click.argument("directory", type=click.Path(path_type=Path), default=None, required=False, metavar="[DIR]")
@click.option("--environments", default=None, metavar="ENV,...",
              help="Environments, one stack each, deployed in this order. [default: dev,staging,prod]")
@click.option("--production", default=None, metavar="ENV,...",
              help="Which of them are production (must include any named prod or production). "
                   "[default: those named prod or production]")
@click.option("--account", default=None, metavar="ID",
              help="Cloudflare account id (32 hex characters) of the stacks. Default: a placeholder marked REPLACE.")
@click.option("--production-account", default=None, metavar="ID",
              help="The production stacks' own account id (recommended: a non-production Run token or Worker then "
                   "cannot reach production gateways). Default: --account.")
@click.option("--name", default=None, metavar="NAME", help="Pulumi project name. Default: the directory's name.")
@click.option("--logpush-key", type=click.Path(path_type=Path), default=None, metavar="PATH",
              help="Generate a Logpush key pair: the private key to PATH (mode 0600, outside DIR and its git "
                   "repository), the public key and an R2 log export into the production stacks.")
@click.option("--force", is_flag=True,
              help="Write into a non-empty DIR: only the files that do not exist (never overwrites one).")
@click.pass_context
def init(ctx: click.Context, directory: Path | None, environments: str | None, production: str | None,
         account: str | None, production_account: str | None, name: str | None, logpush_key: Path | None,
         force: bool) -> None:
    """Write a new project into DIR (default: --project-dir, else the current directory): Pulumi.yaml, one
    stack file per environment, infra/__main__.py, policy/, requirements.txt, .github/ (review and deploy
    workflows, CODEOWNERS), .gitignore and a README.

    Every stack plans (`aigw plan`) and passes `aigw check` as written: production stacks front every
    gateway with the edge Worker (payloads off), authenticated, rate limited, guarded and spend capped.
    DIR must be empty (a .git folder aside) unless --force; an existing file is never overwritten.
    """
    from ..init.project import (
        DEFAULT_ENVIRONMENTS,
        InitError,
        Settings,
        installed_version,
        parse_account,
        parse_environments,
        production_of,
        project_name,
    )
    from ..init.write import RSA_BITS, init_project
    from ..review import review_date

    if directory is None:
        directory = ctx.obj.get("project_dir") or Path(".")
    try:
        envs = parse_environments(environments, "--environments", DEFAULT_ENVIRONMENTS)
        # Every other option is judged too before failing: one line per problem, all at once.
        problems: list[str] = []

        def judged(parse, *args):
            try:
                return parse(*args)
            except InitError as exc:
                problems.extend(exc.lines)
                return None

        prod = judged(production_of, envs, production) or ()
        account_id = judged(parse_account, account)
        production_account_id = judged(parse_account, production_account, "--production-account")
        project = judged(project_name, name, directory)
        if problems:
            raise InitError(problems)
        settings = Settings(project=project, environments=envs, production=prod, account=account_id,
                            version=installed_version(), today=review_date().isoformat(),
                            logpush=logpush_key is not None, production_account=production_account_id)
        result = init_project(directory, settings, force=force, logpush_key=logpush_key)
    except InitError as exc:
        _fail(exc.lines, EXIT_INVALID)
        return
    except ValueError as exc:  # AIGW_TODAY set but not a date
        _fail([str(exc)], EXIT_INVALID)
        return

    where = click.format_filename(str(directory))
    click.echo(f"Wrote project {settings.project} into {where} (aigw-infra {settings.version}):")
    for path in result.written:
        click.echo(f"  {path}")
    if result.skipped:
        click.echo("Skipped, already there (not overwritten):")
        for path in result.skipped:
            click.echo(f"  {path}")
    if result.private_key is not None:
        click.echo(f"Logpush private key: {result.private_key} (mode 0600, RSA {RSA_BITS}); store it in your secrets "
                   "manager, then remove the local copy")
        click.echo(f"Logpush public key:  {', '.join(result.keyed_stacks)}: aigw:logpush.publicKey "
                   f"(SHA256:{result.fingerprint})")
    placeholders = [e for e in envs if settings.placeholder(e)]
    if placeholders:
        by_account: dict[str, list[str]] = {}
        for e in placeholders:
            by_account.setdefault(settings.account_of(e), []).append(f"Pulumi.{e}.yaml")
        where_ids = "; ".join(f"{a} in {', '.join(files)}" for a, files in by_account.items())
        click.echo(f"aigw: warning: placeholder account ids (marked REPLACE): {where_ids}; set your account ids in "
                   "aigw:accountId before `pulumi up` (--account, --production-account)", err=True)
    shared = [e for e in envs if e not in prod and not settings.placeholder(e)
              and settings.account_of(e) in {settings.account_of(p) for p in prod}]
    if shared:
        click.echo(f"aigw: note: {', '.join(shared)} share the production stacks' account: a Run token or Worker of "
                   "theirs reaches the production gateways without the edge Worker (`aigw diff` says so on every "
                   "change); --production-account gives production an account of its own", err=True)
    if not prod:
        click.echo("aigw: note: no production environment: the production rules of the policy apply to none of "
                   "the stacks", err=True)

    cd = [] if Path(where) == Path(".") else [f"cd {shlex.quote(where)}"]
    steps = [
        *cd,
        "python -m venv .venv && .venv/bin/pip install -r requirements.txt",
        ".venv/bin/aigw plan && .venv/bin/aigw check",
    ]
    if placeholders:
        steps.append("set aigw:accountId in " + ", ".join(f"Pulumi.{e}.yaml" for e in placeholders) + " (REPLACE)")
    if result.private_key is not None:
        steps.append("set the R2 credentials of the log export (commands in "
                     + ", ".join(result.keyed_stacks) + ")")
    steps += [
        "replace the placeholder teams in .github/CODEOWNERS",
        "pulumi login && " + " && ".join(f"pulumi stack init {e}" for e in envs),
        f"pulumi config set -s {envs[0]} --secret cloudflare:apiToken TOKEN   (each stack)",
        f"pulumi up -s {envs[0]} --policy-pack policy   (README.md: first deploy, first pull request)",
        "git init && git add . && git commit -m 'aigw init'",
    ]
    click.echo("")
    click.echo("Next steps:")
    for number, step in enumerate(steps, 1):
        click.echo(f"  {number}. {step}")
