"""`aigw prove STACK`: evidence from the live account that the stack's gateways store no payloads (docs/prove.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .app import main
from .common import EXIT_INVALID, _fail, _live_options, _planned, _project_dir, policy_config_option

MAX_SAMPLE = 1000


def _overrides(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        name, sep, url = value.partition("=")
        if not sep or not name or not url.startswith(("http://", "https://")):
            _fail([f"--entry-url: {value!r}: allowed: GATEWAY=URL, GATEWAY the gateway's name or id and URL "
                   "http(s)://..."], EXIT_INVALID)
        out[name] = url
    return out


@main.command()
@click.argument("stack", metavar="STACK", required=False)
@click.option("--canary", is_flag=True, help="Also send one marked request through every declared entry path "
              "(each edge Worker URL) and check its log (not read-only: it makes one model call per gateway).")
@click.option("--sample", "sample_n", type=click.IntRange(min=0, max=MAX_SAMPLE), default=100, show_default=True,
              metavar="N", help="Stored logs read, spread over the stack's gateways (newest first); 0: none.")
@click.option("--since", default=None, metavar="DURATION", help="Only logs this recent: e.g. 30m, 24h, 7d.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("--entry-url", "entry_urls", multiple=True, metavar="GATEWAY=URL",
              help="For tests and self-hosted entry paths: send the canary of GATEWAY (name or id) to URL instead "
              "of its declared edge Worker URL. Repeatable.")
@click.option("--canary-wait", type=click.FloatRange(min=0, max=600), default=60.0, show_default=True,
              metavar="SECONDS", help="How long to look for each canary's log (logs take a moment to appear).")
@click.option("--evidence", "evidence_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE", help="Also write the evidence file (docs/evidence.md): source, plan digest, check, "
              "drift and these results, hashed and chained.")
@click.option("--verify", "verify_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE", help="Only check that an evidence file is unedited (no STACK, no API).")
@policy_config_option("Policy config JSON for the `check` section of the evidence file.")
@_live_options
@click.pass_context
def prove(ctx: click.Context, stack: str | None, canary: bool, sample_n: int, since: str | None, fmt: str,
          entry_urls: tuple[str, ...], canary_wait: float, evidence_path: Path | None, verify_path: Path | None,
          policy_config: Path | None, api_url: str | None, no_wait: bool, timeout: float, max_wait: float) -> None:
    """Show from the live account that STACK's gateways store no request or response bodies.

    Checks: prove-entry-paths (ways into the gateways besides the edge Worker), prove-sample (the newest
    stored logs, read through the Logs API: a stored body is a finding; bodies are never printed), and
    with --canary prove-canary (one marked request per edge Worker, then its log). Read-only unless
    --canary. Exit 0 only when every check ran and passed; 1 on any finding or a check not run; 2 on
    bad input; 3 when the Cloudflare API failed.
    """
    if verify_path is not None:
        if stack or evidence_path:
            _fail(["--verify FILE takes no STACK and no --evidence"], EXIT_INVALID)
        from ..prove.evidence import verify_command

        code, lines = verify_command(verify_path)
        for line in lines:
            click.echo(line, err=code != 0)
        sys.exit(code)
    if not stack:
        _fail(["missing STACK (or --verify FILE)"], EXIT_INVALID)
    from ..live.client import Client, LiveError, TokenMissing
    from ..live.drift import drift as drift_of
    from ..prove import checks
    from ..prove import run as proving

    try:
        window = proving.parse_duration(since) if since else None
    except ValueError as exc:
        _fail([str(exc)], EXIT_INVALID)
        return
    overrides = _overrides(entry_urls)
    try:
        client = Client(base_url=api_url, wait=not no_wait, timeout=timeout, max_wait=max_wait)
    except TokenMissing as exc:
        _fail([str(exc)], EXIT_INVALID)
        return
    with client:
        # With --evidence the plan is made as `aigw check` makes it: its `check` section judges this same plan.
        ((_stack_file, plan),) = _planned(ctx, [stack], for_check=evidence_path is not None)
        targets, _ = checks.targets(plan)
        unknown = sorted(set(overrides) - {t.name for t in targets} - {t.gateway_id for t in targets})
        if unknown:
            _fail([f"--entry-url: {', '.join(unknown)}: not a gateway of {plan['stack']} whose logs are proved "
                   f"(allowed: {', '.join(t.name for t in targets) or 'none'})"], EXIT_INVALID)
        polls = int(canary_wait // 5) + 2
        client.max_requests = (20 + checks.sample_budget(sample_n, len(targets))
                               + (len(targets) * (3 + polls) if canary else 0))
        try:
            result = proving.prove(client, plan, sample=sample_n, since=window, canary=canary, overrides=overrides,
                                   canary_wait=canary_wait, timeout=timeout)
        except LiveError as exc:
            _fail([str(exc)], exc.exit_code)
            return
    if evidence_path is not None:
        _write_evidence(ctx, evidence_path, stack, plan, result, drift_of, policy_config)
    render = {"json": proving.to_json, "markdown": proving.to_markdown}.get(fmt, proving.to_text)
    click.echo(render(result).rstrip("\n"))
    sys.exit(0 if result.passed else 1)


def _write_evidence(ctx: click.Context, path: Path, stack: str, plan: dict, result, drift_of,
                    policy_config: Path | None) -> None:
    """The evidence file: the offline sections (run, source, plan, check), then drift and prove."""
    from ..live import drift as drifting
    from ..prove import evidence

    try:
        sections = evidence.offline_sections(_project_dir(ctx), stack, policy_config, plan=plan)
        sections.append(("audit", _audit_section(result, plan, policy_config)))
        sections.append(("drift", _drift_section(result, plan, drift_of, drifting)))
        sections.append(("prove", result.as_json()))
        evidence.write(path, evidence.build(sections))
    except evidence.EvidenceError as exc:
        _fail(exc.lines, exc.exit_code)
    except OSError as exc:
        _fail([f"--evidence {path}: cannot write it: {exc.strerror or exc}"], EXIT_INVALID)
    click.echo(f"aigw: evidence written to {path}", err=True)


class _ReadAlready:
    """The gateway list prove read, handed to `aigw audit`'s logic so the audit costs no request of its own."""

    def __init__(self, live: list[dict], requests: int):
        self.live, self.requests = live, requests

    def gateways(self, account: str) -> list[dict]:
        return self.live


def _audit_section(result, plan: dict, policy_config: Path | None) -> dict:
    """`aigw audit --format json` of the stack's account, judged against this stack only (the account's other
    gateways show as unmanaged), from the gateway list prove read; no Logpush jobs."""
    import json

    from ..check.config import PolicyConfigError, load_settings
    from ..live import audit as auditing

    try:
        settings = load_settings(policy_config)
    except PolicyConfigError as exc:
        _fail(exc.lines, EXIT_INVALID)
        raise AssertionError("unreachable") from None
    audited = auditing.audit(_ReadAlready(result.live, result.requests), plan["accountId"], [plan], settings)
    return {"ran": True, "of": f"aigw audit --account {plan['accountId']} (this stack's declarations only)",
            **json.loads(auditing.to_json(audited))}


def _drift_section(result, plan: dict, drift_of, drifting) -> dict:
    """`aigw drift STACK --format json` of the gateways, from the gateway list prove read (no Logpush job)."""
    import json

    return {"ran": True, "logpushJob": "not compared (prove reads no Logpush jobs)",
            **json.loads(drifting.to_json(drift_of(plan, result.live), result.requests, None))}
