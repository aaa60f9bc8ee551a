"""Shared by the live-command tests and bench/live_bench.py: the repo's plans, stacks seeded in the
API stand-in as the API would return them, and `aigw` in a subprocess pointed at the stand-in.

Seeding goes from the offline plan (`aigw plan --format json`, the props the policy pack sees) to
API bodies with tests/helpers/schema.py's `api_body` (the pulumi-cloudflare renames undone), so a
clean account is exactly what `pulumi up` would have created; credentials the plan only shows as
`[secret]` get a live value (which no test output may ever contain).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import cloudflare
import httpx

from helpers.schema import api_body
from helpers.standin import WRITE_TOKEN, StandIn

ROOT = Path(__file__).resolve().parents[2]
AIGW = str(Path(sys.executable).parent / "aigw")
AI_GATEWAY = "cloudflare:index/aiGateway:AiGateway"
LOGPUSH_JOB = "pulumi-python:dynamic/aigw:LogpushJob"  # aigw/components/logpush_job.py
PROVIDER_CONFIG = "pulumi-python:dynamic/aigw:ProviderConfig"  # aigw/components/provider_config.py
ROUTE_TYPES = ("cloudflare:index/aiGatewayDynamicRouting:AiGatewayDynamicRouting",
               "pulumi-python:dynamic/aigw:DynamicRoute")  # aigw_policy.vocabulary.ROUTE_TYPES
PLAN_SECRET = "[secret]"  # how the offline plan shows a secret
LIVE_CREDENTIAL = "live-credential-Zq7x9W"  # what the live account holds in its place (never to be printed)
# The Logpush destination as the API holds it: a secret, never compared (aigw/live/drift.py).
LIVE_DESTINATION = "r2://acme-prod-ai-gateway-logs/{DATE}?account-id=acct&access-key-id=k&secret-access-key=s"
# Logpush job prop -> API field (the fields aigw/live/drift.py compares, plus the secret destination).
_JOB_FIELDS = {"dataset": "dataset", "enabled": "enabled", "name": "name", "filter": "filter",
               "maxUploadBytes": "max_upload_bytes", "maxUploadIntervalSeconds": "max_upload_interval_seconds",
               "maxUploadRecords": "max_upload_records"}


# --------------------------------------------------------------------------- aigw in a subprocess


def live_env(token: str | None) -> dict[str, str]:
    """The environment for `aigw`: the given token (None: none at all), no base URL from outside."""
    env = {k: v for k, v in os.environ.items() if k not in ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_BASE_URL")}
    if token is not None:
        env["CLOUDFLARE_API_TOKEN"] = token
    return env


def aigw(*args: str, token: str | None, api: StandIn | None = None, cwd: Path = ROOT,
         timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`aigw ARGS [--api-url <stand-in>]` as a user runs it."""
    from .plan_server import run_aigw

    return run_aigw([*args] + (["--api-url", api.base_url] if api is not None else []), cwd, live_env(token),
                    timeout)


def new_project(directory: Path) -> Path:
    """An empty project: the repo's Pulumi.yaml (org defaults); the edge Worker comes with the installed aigw."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "Pulumi.yaml", directory / "Pulumi.yaml")
    return directory


# --------------------------------------------------------------------------- the repo's plans


def plan_json(*targets: str, cwd: Path = ROOT) -> list[dict[str, Any]]:
    """`aigw plan TARGETS --format json` -> its stacks."""
    proc = subprocess.run([AIGW, "plan", *targets, "--format", "json"], cwd=cwd, capture_output=True, text=True,
                          check=False, timeout=600)
    if proc.returncode != 0:
        raise AssertionError(f"aigw plan {' '.join(targets)} failed ({proc.returncode}):\n{proc.stderr}")
    return json.loads(proc.stdout)["stacks"]


def repo_plans(cache_dir: Path) -> dict[str, dict[str, Any]]:
    """Every stack of this repository, planned once per test session (shared by the xdist workers
    through a file in ``cache_dir`` under a lock): stack name -> plan."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache = cache_dir / "aigw-repo-plans.json"
    with open(cache_dir / "aigw-repo-plans.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not cache.exists():
            cache.write_text(json.dumps(plan_json()))
        stacks = json.loads(cache.read_text())
    return {plan["stack"]: plan for plan in stacks}


def gateways_of(plan: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [r for r in plan["resources"] if r["type"] == AI_GATEWAY]


def job_of(plan: Mapping[str, Any]) -> Mapping[str, Any] | None:
    return next((r for r in plan["resources"] if r["type"] == LOGPUSH_JOB), None)


# --------------------------------------------------------------------------- plan -> the API's state


def with_live_credentials(value: Any) -> Any:
    """The plan's `[secret]` placeholders replaced by a live credential value."""
    if value == PLAN_SECRET:
        return LIVE_CREDENTIAL
    if isinstance(value, Mapping):
        return {k: with_live_credentials(v) for k, v in value.items()}
    if isinstance(value, list):
        return [with_live_credentials(v) for v in value]
    return value


def create_body(props: Mapping[str, Any]) -> dict[str, Any]:
    """The create request for one planned AiGateway (the `id` included, `account_id` is the path)."""
    body = with_live_credentials(api_body(props))
    body.pop("account_id")
    return body


def job_fields(props: Mapping[str, Any]) -> dict[str, Any]:
    """A planned LogpushJob as the API holds it (StandIn.seed_logpush_job fields)."""
    fields = {key: props[prop] for prop, key in _JOB_FIELDS.items() if props.get(prop) is not None}
    return {**fields, "destination_conf": LIVE_DESTINATION}


def route_body(props: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A planned route's elements as the API's JSON (what the AiGatewayDynamicRouting provider sends): the
    bridge's `aiGatewayDynamicRoutingProvider` is `provider`, a conditional's JSON text an object."""
    out = []
    for e in props.get("elements") or []:
        element = {k: v for k, v in e.items() if k != "properties"}
        if "properties" in e:
            element["properties"] = {("provider" if k == "aiGatewayDynamicRoutingProvider" else k):
                                     (json.loads(v) if k == "conditions" and isinstance(v, str) else v)
                                     for k, v in e["properties"].items()}
        out.append(element)
    return out


def seed_byok(api: StandIn, plan: Mapping[str, Any], gateway_ids: Sequence[str]) -> None:
    """The plan's provider configs (each pointing at a live secret id) and routes of ``gateway_ids``."""
    account = plan["accountId"]
    for r in plan["resources"]:
        p = r["props"]
        if p.get("gatewayId") not in gateway_ids:
            continue
        if r["type"] == PROVIDER_CONFIG:
            fields = {"provider_slug": p["providerSlug"], "alias": p["alias"],
                      "default_config": bool(p.get("defaultConfig"))}
            fields.update({api_key: p[prop] for prop, api_key in (("rateLimit", "rate_limit"),
                                                                  ("rateLimitPeriod", "rate_limit_period"))
                           if p.get(prop) is not None})
            api.seed_provider_config(p["gatewayId"], account_id=account, **fields)
        elif r["type"] in ROUTE_TYPES:
            api.seed_route(p["gatewayId"], p["name"], route_body(p), account_id=account)


def seed_plan(api: StandIn, plan: Mapping[str, Any], *, via_sdk: bool = False,
              only: Sequence[str] | None = None) -> list[str]:
    """Put the plan's gateways (their provider configs and routes, and its Logpush job) in the stand-in, in
    the plan's account, as `pulumi up` would have left them. ``via_sdk``: created with the official SDK over HTTP (the
    stand-in validates each body like the API); otherwise seeded directly (validated the same way).
    The request log is cleared afterwards. Returns the gateway ids."""
    account = plan["accountId"]
    api.account(account)
    bodies = [create_body(r["props"]) for r in gateways_of(plan) if only is None or r["name"] in only]
    if via_sdk:
        with cloudflare.Cloudflare(api_token=WRITE_TOKEN, base_url=api.base_url, max_retries=0,
                                   http_client=httpx.Client(verify=False)) as sdk:
            for body in bodies:
                sdk.post(f"/accounts/{account}/ai-gateway/gateways", cast_to=object, body=body)
    else:
        for body in bodies:
            gateway_id = body.pop("id")
            api.seed_gateway(gateway_id, account_id=account, **body)
    seed_byok(api, plan, [r["props"]["aiGatewayId"] for r in gateways_of(plan) if only is None or r["name"] in only])
    job = job_of(plan)
    if job is not None and only is None:
        api.seed_logpush_job(account_id=account, **job_fields(job["props"]))
    api.clear_requests()
    return [r["props"]["aiGatewayId"] for r in gateways_of(plan) if only is None or r["name"] in only]


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
