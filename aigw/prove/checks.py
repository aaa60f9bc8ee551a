"""The three checks of `aigw prove` (docs/prove.md): stored logs sampled, canary requests, the entry paths.

Each check returns a :class:`Check`: whether it ran, and its findings (a finding names what it is about and
says how to fix it; it never holds a request or response body). A Cloudflare API failure is a LiveError
(exit 3) from aigw/live/client.py; a missing permission on the token listing is a finding (the check could
not show anything), not a pass.

Request budget (the API allows 1,200 requests per 5 minutes per token, aigw/live/client.py): one list of the
account's gateways, one list page per gateway sampled, one detail per sampled log, one page of account
tokens (50 a page); a canary costs one request through its entry path (not the API), at least one list page
and three reads (detail, request body, response body).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aigw_policy.rules import DEFAULT_GATEWAY_ID, GATEWAY

SAMPLE = "prove-sample"
CANARY = "prove-canary"
ENTRY_PATHS = "prove-entry-paths"
CHECK_IDS = (SAMPLE, CANARY, ENTRY_PATHS)

EDGE_WORKER = "aigw:index:EdgeWorker"
ACCOUNT_TOKEN = "cloudflare:index/accountToken:AccountToken"
LOG_PAGE_MAX = 50  # the most logs asked for in one list page (ASSUMED maximum; the API reference gives none)
TOKEN_PAGE = 50  # List Tokens: per_page 5..50 (Cloudflare API reference, Account API Tokens > List Tokens)
# Permission groups that run models: AI Gateway Run opens every gateway's data plane (gateway.ai.cloudflare.com);
# Workers AI Read/Edit open the REST route /accounts/{id}/ai/... (cloudflare-docs PR #32574 measured Workers AI
# Read as the one needed there; the REST API page says "AI Gateway permission": unverified, docs/prove.md).
RUN_GROUPS = {"AI Gateway Run"}
REST_GROUPS = {"Workers AI Read", "Workers AI Edit", "Workers AI Write"}
CANARY_KEY = "aigw-canary"
CANARY_PATH = "workers-ai/v1/chat/completions"
CANARY_MODEL = "@cf/meta/llama-3.1-8b-instruct"
CANARY_AUTH_ENV = "AIGW_CANARY_AUTHORIZATION"  # optional: the provider credential the canary sends, never printed


@dataclass
class Finding:
    check: str
    subject: str  # gateway id, "gateway/log id", token name, route
    message: str
    fix: str
    details: dict[str, Any] = field(default_factory=dict)  # ids, times, paths, metadata: never a body

    def as_json(self) -> dict[str, Any]:
        return {"check": self.check, "subject": self.subject, "message": self.message, "fix": self.fix,
                "details": self.details}


@dataclass
class Check:
    id: str
    ran: bool = True
    summary: str = ""
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.ran and not self.findings

    def as_json(self) -> dict[str, Any]:
        from aigw_policy.controls import controls_for

        return {"id": self.id, "ran": self.ran, "passed": self.passed, "summary": self.summary,
                "controls": controls_for(self.id), "counts": self.counts,
                "findings": [f.as_json() for f in self.findings]}


@dataclass(frozen=True)
class Target:
    """One gateway whose logs must hold no bodies: its id, logical name and declared entry path (edge Worker URL)."""

    gateway_id: str
    name: str
    entry_url: str | None


def targets(plan: Mapping[str, Any]) -> tuple[list[Target], list[str]]:
    """The plan's gateways that must store no bodies, and one note per gateway left out (payloads allowed)."""
    edges = {r["props"].get("gateway"): r for r in plan["resources"] if r["type"] == EDGE_WORKER}
    urls = {name: (out.get("edgeWorker") or {}).get("url")
            for name, out in (plan.get("outputs", {}).get("gateways") or {}).items()}
    out, notes = [], []
    for r in sorted((r for r in plan["resources"] if r["type"] == GATEWAY), key=lambda r: r["props"]["aiGatewayId"]):
        gid, name = r["props"]["aiGatewayId"], r["name"]
        edge = edges.get(gid)
        if edge is not None and edge["props"].get("payloads") == "true":
            notes.append(f"{gid}: payloads are allowed (logging.payloads: true), so its logs are not checked")
            continue
        out.append(Target(gid, name, urls.get(name) if edge is not None else None))
    return out, notes


def edge_token_names(plan: Mapping[str, Any]) -> set[str]:
    """The live names of the tokens the stack's edge Workers hold (the AccountToken `name`)."""
    logical = {r["props"].get("token") for r in plan["resources"] if r["type"] == EDGE_WORKER}
    return {r["props"].get("name") for r in plan["resources"] if r["type"] == ACCOUNT_TOKEN and r["name"] in logical}


# --- reading logs -----------------------------------------------------------------------------------------

def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def list_logs(client: Any, account: str, gateway_id: str, count: int, since: dt.datetime | None) -> list[Any]:
    """The newest ``count`` logs of a gateway (pages of at most LOG_PAGE_MAX, newest first)."""
    out: list[Any] = []
    page = 1
    per_page = max(1, min(count, LOG_PAGE_MAX))
    while len(out) < count:
        kwargs: dict[str, Any] = {"account_id": account, "page": page, "per_page": per_page,
                                  "order_by": "created_at", "order_by_direction": "desc"}
        if since is not None:
            kwargs["start_date"] = _iso(since)
        result = client.call("list logs", lambda kw=kwargs: client.sdk.ai_gateway.logs.list(gateway_id, **kw))
        items = list(result.result or [])
        out += items
        info = result.result_info
        total = getattr(info, "total_count", None) if info is not None else None
        if len(items) < per_page or (isinstance(total, int) and page * per_page >= total):
            break
        page += 1
    return out[:count]


def log_detail(client: Any, account: str, gateway_id: str, log_id: str) -> Any | None:
    """The log's detail, or None when it is gone (HTTP 404: deleted between the list and the read)."""
    import cloudflare

    def read() -> Any:
        try:
            return client.sdk.ai_gateway.logs.get(log_id, account_id=account, gateway_id=gateway_id)
        except cloudflare.NotFoundError:
            return None

    return client.call("get log", read)


def body_stored(client: Any, account: str, gateway_id: str, log_id: str, part: str) -> bool:
    """Whether the Logs API returns a stored `part` ("request" or "response") body for the log. A 404 or an
    empty answer is "not stored" (ASSUMED semantics, docs/prove.md); anything else is a stored body."""
    import cloudflare

    def read() -> Any:
        try:
            return getattr(client.sdk.ai_gateway.logs, part)(log_id, account_id=account, gateway_id=gateway_id)
        except cloudflare.NotFoundError:
            return None

    answer = client.call(f"get log {part}", read)
    if isinstance(answer, dict) and set(answer) >= {"success", "result"}:
        answer = answer.get("result")  # a v4 envelope around the body
    return answer not in (None, "", {}, [])


def detail_shows_body(detail: Any) -> list[str]:
    """Which bodies a log's detail shows stored: a non-empty `request_head`/`response_head` or a size above 0.
    Fails closed: if the real API reports sizes for logs stored without bodies, every log is a finding
    (docs/prove.md says how to check that on a real account)."""
    shown = []
    for part in ("request", "response"):
        head, size = getattr(detail, f"{part}_head", None), getattr(detail, f"{part}_size", None)
        if head or (isinstance(size, int) and size > 0):
            shown.append(part)
    return shown


def _metadata(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _when(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.datetime) else str(value)


def _log_details(gateway_id: str, log: Any, detail: Any) -> dict[str, Any]:
    return {"gateway": gateway_id, "log": log.id, "time": _when(getattr(detail or log, "created_at", None)),
            "path": getattr(detail or log, "path", None), "metadata": _metadata(getattr(detail or log, "metadata",
                                                                                          None))}


# --- sample ------------------------------------------------------------------------------------------------

def shares(total: int, parts: int) -> list[int]:
    """``total`` spread over ``parts`` as evenly as it goes (the first ones get the remainder)."""
    if parts <= 0:
        return []
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def sample(client: Any, account: str, gateways: Sequence[Target], count: int,
           since: dt.datetime | None) -> Check:
    check = Check(SAMPLE)
    read = 0
    for target, share in zip(gateways, shares(count, len(gateways)), strict=True):
        if share == 0:
            continue
        for log in list_logs(client, account, target.gateway_id, share, since):
            detail = log_detail(client, account, target.gateway_id, log.id)
            if detail is None:
                continue
            read += 1
            parts = detail_shows_body(detail)
            if parts:
                check.findings.append(Finding(
                    SAMPLE, f"{target.gateway_id}/{log.id}",
                    f"log {log.id} of {target.gateway_id} ({_when(detail.created_at)}, {detail.path}) has its "
                    f"{' and '.join(parts)} body stored",
                    "find who sent it without `cf-aig-collect-log-payload: false` (its metadata says where it came "
                    "from: the edge Worker sets environment, gateway and app); delete the stored log "
                    "(DELETE .../logs with a filter on its id) if the policy requires it",
                    {**_log_details(target.gateway_id, log, detail), "stored": parts}))
    check.counts = {"asked": count, "read": read, "gateways": len(gateways), "withBodies": len(check.findings)}
    check.summary = (f"{read} stored log(s) read of {count} asked, over {len(gateways)} gateway(s); "
                     f"{len(check.findings)} with a stored body")
    if read == 0:
        check.ran = False
        check.summary += " (no logs to sample: nothing shown)"
    return check


# --- canary ------------------------------------------------------------------------------------------------

def send_canary(url: str, canary_id: str, timeout: float) -> tuple[int | None, str]:
    """One marked request through an entry path: (HTTP status or None, what went wrong)."""
    import httpx

    headers = {"content-type": "application/json", "cf-aig-metadata": json.dumps({CANARY_KEY: canary_id})}
    auth = os.environ.get(CANARY_AUTH_ENV)
    if auth:
        headers["authorization"] = auth
    body = {"model": CANARY_MODEL, "max_tokens": 1,
            "messages": [{"role": "user", "content": f"aigw prove canary {canary_id}: reply with one word"}]}
    try:
        response = httpx.post(f"{url.rstrip('/')}/{CANARY_PATH}", json=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {str(exc)[:120]}"
    return response.status_code, ""


def canary(client: Any, account: str, gateways: Sequence[Target], *, overrides: Mapping[str, str],
           wait: float, timeout: float, sleep: Callable[[float], None] = time.sleep,
           clock: Callable[[], float] = time.monotonic) -> Check:
    """Send one canary per entry path, then find each one's log and check metadata there, bodies absent."""
    check = Check(CANARY)
    sent: dict[str, tuple[int, str, str]] = {}  # gateway id -> (the entry path's HTTP status, canary id, url)
    started = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    for target in gateways:
        url = overrides.get(target.name) or overrides.get(target.gateway_id) or target.entry_url
        if not url:
            check.findings.append(Finding(CANARY, target.gateway_id, f"{target.gateway_id} has no declared entry "
                                          "path (no edge Worker), so no canary could go through one",
                                          "front the gateway with the edge Worker (`edge:` in the stack file)"))
            continue
        canary_id = f"{uuid.uuid4()}"
        status, error = send_canary(url, canary_id, timeout)
        if status is None:
            check.findings.append(Finding(CANARY, target.gateway_id, f"the canary to {url} failed: {error}",
                                          "check that the edge Worker is deployed and its URL answers",
                                          {"gateway": target.gateway_id, "url": url, "canary": canary_id}))
            continue
        sent[target.gateway_id] = (status, canary_id, url)
    found: dict[str, Any] = {}
    deadline = clock() + wait
    while True:
        for gid, (_status, canary_id, _url) in sent.items():
            if gid in found:
                continue
            for log in list_logs(client, account, gid, 20, started):
                meta = _metadata(log.metadata)
                if isinstance(meta, dict) and meta.get(CANARY_KEY) == canary_id:
                    found[gid] = log
                    break
        if len(found) == len(sent) or clock() >= deadline:
            break
        sleep(min(5.0, max(0.0, deadline - clock())))
    for gid, (status, canary_id, url) in sent.items():
        log = found.get(gid)
        if log is None:
            check.findings.append(Finding(
                CANARY, gid, f"the canary {canary_id} sent through {url} (HTTP {status}) has no log in {gid} after "
                f"{wait:g} s",
                "a canary that cannot be found proves nothing: check that the gateway collects logs, that the edge "
                "Worker forwards to this gateway, and run again with a longer --canary-wait",
                {"gateway": gid, "url": url, "canary": canary_id, "status": status}))
            continue
        detail = log_detail(client, account, gid, log.id)
        meta = _metadata(getattr(detail or log, "metadata", None))
        details = {**_log_details(gid, log, detail), "canary": canary_id, "url": url, "status": status}
        missing = [k for k in ("environment", "gateway", "app") if not (isinstance(meta, dict) and k in meta)]
        if missing:
            check.findings.append(Finding(CANARY, f"{gid}/{log.id}", f"the canary's log {log.id} in {gid} lacks the "
                                          f"edge Worker's metadata ({', '.join(missing)})",
                                          "deploy the edge Worker of this repository (it sets environment, gateway "
                                          "and app on every request)", details))
        stored = [part for part in ("request", "response") if body_stored(client, account, gid, log.id, part)]
        stored = sorted(set(stored) | set(detail_shows_body(detail) if detail is not None else []))
        if stored:
            check.findings.append(Finding(
                CANARY, f"{gid}/{log.id}", f"the canary's log {log.id} in {gid} has its {' and '.join(stored)} body "
                f"stored: the entry path {url} does not keep payloads out", "redeploy the edge Worker of this "
                "repository (it sets `cf-aig-collect-log-payload: false` on every request) and check its PAYLOADS "
                "binding", {**details, "stored": stored}))
    check.counts = {"entryPaths": len(gateways), "sent": len(sent), "found": len(found)}
    check.summary = f"{len(sent)} canary request(s) sent, {len(found)} found in the logs"
    return check


# --- entry paths -------------------------------------------------------------------------------------------

def _groups(token: Any) -> set[str]:
    return {g.name for p in (token.policies or []) if p.effect == "allow" for g in p.permission_groups if g.name}


def list_account_tokens(client: Any, account: str) -> list[Any]:
    out: list[Any] = []
    page = 1
    while True:
        result = client.call("list account tokens", lambda p=page: client.sdk.accounts.tokens.list(
            account_id=account, page=p, per_page=TOKEN_PAGE))
        items = list(result.result or [])
        out += items
        if len(items) < TOKEN_PAGE:
            return out
        page += 1


def entry_paths(client: Any, account: str, gateways: Sequence[Target], live: Sequence[Mapping[str, Any]],
                edge_tokens: set[str]) -> Check:
    from ..live.client import PermissionMissing

    check = Check(ENTRY_PATHS)
    by_id = {g.get("id"): g for g in live}
    for target in gateways:
        gw = by_id.get(target.gateway_id)
        if gw is None:
            check.findings.append(Finding(ENTRY_PATHS, target.gateway_id, f"{target.gateway_id} is declared but not "
                                          "in the account", "`pulumi up` the stack, or remove the declaration"))
        elif gw.get("authentication") is not True:
            state = "off" if gw.get("authentication") is False else "not shown by the API"
            check.findings.append(Finding(
                ENTRY_PATHS, target.gateway_id, f"{target.gateway_id}: authentication is {state}: anyone can call "
                "gateway.ai.cloudflare.com/v1/{account}/" + target.gateway_id + " directly, around the edge Worker",
                "turn authentication on (`authentication: true`; Cloudflare does not let it be turned off again)"))
    default = by_id.get(DEFAULT_GATEWAY_ID) or next((g for g in live if g.get("is_default")), None)
    if default is not None:
        check.findings.append(Finding(
            ENTRY_PATHS, str(default.get("id")), "the account has the `default` gateway: the REST route "
            "(/accounts/{id}/ai/...) without cf-aig-gateway-id lands there, logs on, bodies stored",
            "delete it (it is re-created by the next request that names it) and keep REST-capable tokens out of "
            "the production account (policy rule no-default-gateway)"))
    tokens_checked = 0
    try:
        tokens = list_account_tokens(client, account)
    except PermissionMissing as exc:
        check.findings.append(Finding(
            ENTRY_PATHS, "tokens", f"the account's tokens could not be listed (HTTP 403 on {exc.call}): other tokens "
            "that can run AI Gateway or Workers AI are not shown", "give the prove token 'Account API Tokens Read' "
            "(read-only), or accept that this entry path is not checked"))
        tokens = []
    for token in tokens:
        if getattr(token, "status", None) not in (None, "active"):
            continue  # disabled or expired: it opens nothing
        tokens_checked += 1
        groups = _groups(token)
        name = token.name or token.id or "?"
        run, rest = sorted(groups & RUN_GROUPS), sorted(groups & REST_GROUPS)
        if run and name not in edge_tokens:
            check.findings.append(Finding(
                ENTRY_PATHS, f"token {name}", f"token {name} ({', '.join(run)}) is not the edge Worker's: its holder "
                "can call any gateway of the account directly, without `cf-aig-collect-log-payload: false`",
                "delete or roll it, or move its holder behind the edge Worker", {"token": name, "groups": run}))
        if rest:
            check.findings.append(Finding(
                ENTRY_PATHS, f"token {name}", f"token {name} ({', '.join(rest)}) can use the REST route "
                "POST /accounts/{id}/ai/... to reach any gateway (cf-aig-gateway-id) around the edge Worker",
                "remove the Workers AI permission groups from tokens of the production account",
                {"token": name, "groups": rest}))
    check.counts = {"gateways": len(gateways), "tokens": tokens_checked}
    check.summary = (f"{len(gateways)} gateway(s) and {tokens_checked} account token(s) looked at; "
                     f"{len(check.findings)} way(s) in besides the edge Worker")
    return check


def sample_budget(count: int, gateways: int) -> int:
    """API requests the sample needs at most: a list page per LOG_PAGE_MAX logs of each gateway, a detail per log."""
    return count + sum(max(1, math.ceil(share / LOG_PAGE_MAX)) for share in shares(count, gateways) if share)
