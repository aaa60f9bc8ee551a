"""`aigw import`: live gateways written into a stack file and a `pulumi import` file."""

from __future__ import annotations

import os
from pathlib import Path

import click

from .app import main
from .common import (
    ACCOUNT_ID,
    EXIT_INVALID,
    _client,
    _fail,
    _live_options,
    _project_dir,
)


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

    Each gateway comes with its provider keys (BYOK: the key a placeholder) and dynamic routes. Comments
    and layout of the stack file are kept; gateways it already declares are left alone unless --force.
    Live credentials are never written: a `secure:` placeholder takes their place, with the `pulumi config
    set --secret` command to run. Then `pulumi import --file FILE` adopts the gateways, their secrets and
    routes, and `aigw drift STACK` shows no drift.
    """
    from ..config import stack_file_name
    from ..live import byok, importer
    from ..live.client import LiveError

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
            _fail(importer.unknown_gateways(unknown, account, list(by_id)), EXIT_INVALID)
        if gateways:
            chosen = [by_id[g] for g in gateways]
        else:
            # The auto-created `default` gateway is adopted only when named (no-default-gateway).
            chosen = sorted((g for g in live if g["id"] != "default" and not g.get("is_default")),
                            key=lambda g: g["id"])
            if len(chosen) < len(live):
                click.echo(importer.SKIPPED_DEFAULT, err=True)
        path = project / stack_file_name(stack)
        target = import_file or project / f"import-{stack}.json"
        # Everything is checked before anything is written: a failure leaves every file as it was.
        try:
            elsewhere = importer.declared_elsewhere(project, path, account)
            importer.check_writable(target, "--import-file")
            if os.path.realpath(target) == os.path.realpath(path):
                raise importer.ImportError_(f"--import-file {target}: is the stack file itself")
            importer.check_writable(path, "--stack")
            adopted = [g for g in chosen if g["id"] not in elsewhere]
            # Each gateway's provider configs and routes: two list requests per gateway (aigw/live/byok.py).
            details, not_read = byok.read_details(client, account, [g["id"] for g in adopted])
            if not_read:
                click.echo(f"aigw: {not_read}", err=True)
            update = importer.prepare_stack(path, stack, account, environment or stack, adopted, force, details)
        except LiveError as exc:
            _fail([str(exc)], exc.exit_code)
            return
        except importer.ImportError_ as exc:
            _fail([str(exc)], EXIT_INVALID)
            return
    for g in chosen:
        if g["id"] in elsewhere:
            click.echo(importer.skipped_elsewhere(g["id"], elsewhere[g["id"]]), err=True)
    done = update.items
    document = importer.import_file(account, done)
    for item in done:
        if not item.written:
            click.echo(importer.kept(item, path), err=True)
    if not document["resources"]:
        _fail([importer.nothing_to_import(path, account, bool(chosen))], EXIT_INVALID)
    if update.text is not None:
        importer.write_text(path, update.text)
    importer.write_import_file(target, document)
    for line, err in importer.imported(done, stack):
        click.echo(line, err=err)
    click.echo(importer.wrote(path, target, stack, update.text is not None))
