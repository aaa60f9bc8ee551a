"""A strict local stand-in of the Cloudflare API endpoints the live commands use.

Served over real HTTP on 127.0.0.1 (stdlib `ThreadingHTTPServer`, port 0, one thread), so the
official `cloudflare` SDK talks to it exactly as it talks to api.cloudflare.com:

    with StandIn(tokens={"t0ken": {"AI Gateway Read"}}) as api:
        api.seed_gateway("support-bot", cache_ttl=60)
        client = cloudflare.Cloudflare(api_token="t0ken", base_url=api.base_url, max_retries=0)

Endpoints (paths as cloudflare-python 5.9.0 writes them, relative to `base_url`):

    GET    /accounts/{account_id}/ai-gateway/gateways            page>=1, per_page 1..100 (20), search
    POST   /accounts/{account_id}/ai-gateway/gateways            create
    GET    /accounts/{account_id}/ai-gateway/gateways/{id}
    PUT    /accounts/{account_id}/ai-gateway/gateways/{id}       full replacement (create body minus id)
    DELETE /accounts/{account_id}/ai-gateway/gateways/{id}
    GET    /accounts/{account_id}/logpush/jobs                   not paginated (SDK SinglePage)
    POST   /accounts/{account_id}/logpush/jobs                   create: destination_conf, dataset required
    GET    /accounts/{account_id}/logpush/jobs/{job_id}
    PUT    /accounts/{account_id}/logpush/jobs/{job_id}          partial update; no `dataset` (immutable)
    DELETE /accounts/{account_id}/logpush/jobs/{job_id}          result {"id": job_id}
    GET    /accounts/{account_id}/tokens/verify
    GET    /accounts/{account_id}/tokens                         account-owned tokens; "Account API Tokens Read"
    GET    /accounts/{account_id}/ai-gateway/gateways/{id}/logs  page>=1, per_page 1..100 (20), order_by, start_date
    GET    /accounts/{account_id}/ai-gateway/gateways/{id}/logs/{log_id}            detail (heads, sizes)
    GET    /accounts/{account_id}/ai-gateway/gateways/{id}/logs/{log_id}/request    the stored body, else 404
    GET    /accounts/{account_id}/ai-gateway/gateways/{id}/logs/{log_id}/response   the stored body, else 404

The data plane (not under /client/v4; `api.gateway_url(gateway_id)` is a GATEWAY_URL for the edge Worker):

    ANY    /gateway/v1/{account_id}/{gateway_id}/{provider}/{path}   one provider call, logged (see _gateway_call)

Every Logpush call needs the "Logs Write" permission group, reading included. A test picks its
token's permissions when it builds the stand-in or adds one later, and reads back what the API
stored (all fields, `destination_conf` included, as the API holds them) from `api.logpush_jobs`:

    with StandIn(tokens={"deploy": {LOGS_WRITE, AIG_WRITE}, "no-logs": {AIG_READ}}) as api:
        api.add_token("logs-read", {AIG_READ, LOGS_READ})       # Logs Read alone: Logpush is a 403
        client = cloudflare.Cloudflare(api_token="deploy", base_url=api.base_url, max_retries=0)
        job = client.logpush.jobs.create(account_id=api.account_id, dataset="ai_gateway_events",
                                         destination_conf="r2://bucket/{DATE}?account-id=...")
        stored = api.logpush_jobs[job.id]                       # the dict the API holds (mutable)
        assert stored["destination_conf"].startswith("r2://bucket/")
        api.logpush_jobs[job.id]["enabled"] = False             # "changed by hand in the dashboard"
        seeded = api.seed_logpush_job(name="old")               # or put one there without a request
        # "no-logs" / "logs-read": every /logpush/jobs call -> 403, code 10000 (cloudflare.PermissionDeniedError)

`StandIn(tokens=TEST_TOKENS)` (the `standin` fixture) holds READ_TOKEN (AI Gateway Read + Logs
Write), WRITE_TOKEN (AI Gateway Write + Logs Write), GATEWAYS_ONLY_TOKEN, LOGS_READ_TOKEN and RUN_TOKEN.
A job body is validated like a gateway body (types, enums, `max_upload_*` ranges, unknown fields
rejected: see LOGPUSH_JOB_SETTINGS); errors are a 400 with code 1004 naming the field, an unknown
or non-integer job id a 404/400 with code 1004. `ownership_challenge` is accepted and not stored.

Strict like the real API as far as Cloudflare's API reference, the SDK's types and the docs pages
named beside each rule below tell: required fields, JSON types, enums, ranges, the id pattern,
unknown fields, `per_page` up to 100, v4 envelopes with codes, 401/403 per token permission groups,
and the account-wide rate limit (1,200 requests per 5 minutes per token, a 429 with `Retry-After`
that blocks the token, `Ratelimit`/`Ratelimit-Policy` on every response).

Everything marked ASSUMED below is not documented anywhere we could find; it is the most
plausible behaviour, chosen to be at least as strict as the real API, and a live run may show
otherwise (the opt-in tests against a real account are the check).

State is plain dicts that tests may read and change directly between requests
(`api.gateways["x"]["cache_ttl"] = 5` is "changed by hand in the dashboard"). Every request is
recorded in `api.requests`; unexpected exceptions in the server are kept in `api.errors` (the
fixture fails the test on any).
"""

from __future__ import annotations

import json
import math
import re
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

API_PREFIX = "/client/v4"
DEFAULT_ACCOUNT = "9a8b7c6d5e4f30210f1e2d3c4b5a6978"

# Permission groups, by their API names (Cloudflare docs, Fundamentals > API > Permissions). The three
# AI Gateway groups are account-scoped (cloudflare-docs PR #31476); Logpush jobs accept only "Logs Write"
# ("Accepted Permissions" in pulumi_cloudflare `logpush_job.py` and `get_logpush_jobs.py`).
AIG_READ = "AI Gateway Read"
AIG_WRITE = "AI Gateway Write"
AIG_RUN = "AI Gateway Run"
TOKENS_READ = "Account API Tokens Read"
LOGS_READ = "Logs Read"
LOGS_WRITE = "Logs Write"

# Tokens for tests (value -> permission groups); `StandIn(tokens=TEST_TOKENS)` holds them all.
# What `aigw audit`/`drift`/`import` need: AI Gateway Read, plus Logs Write to read the Logpush job
# (Logpush has no read-only permission; see _ROUTES).
READ_TOKEN = "read-token-aig-and-logs"
WRITE_TOKEN = "write-token-aig-and-logs"
GATEWAYS_ONLY_TOKEN = "read-token-aig-only"  # no Logs permission: Logpush jobs are a 403
LOGS_READ_TOKEN = "read-token-aig-logs-read"  # Logs Read is Logpull/Instant Logs only: Logpush jobs are a 403
RUN_TOKEN = "run-token"  # data plane only: the management API is a 403 (measured, cloudflare-docs PR #32574)
TEST_TOKENS = {
    READ_TOKEN: {AIG_READ, LOGS_WRITE},
    WRITE_TOKEN: {AIG_WRITE, LOGS_WRITE},
    GATEWAYS_ONLY_TOKEN: {AIG_READ},
    LOGS_READ_TOKEN: {AIG_READ, LOGS_READ},
    RUN_TOKEN: {AIG_RUN},
}

# Documented limits (developers.cloudflare.com/fundamentals/api/reference/limits/): 1,200 requests /
# 5 minutes per user or account token, then all calls blocked for the next 5 minutes.
RATE_LIMIT = 1200
RATE_WINDOW = 300.0
RATE_BLOCK = 300.0

# Error codes. 7001 "gateway already exists" and 7002 "gateway not found" are not documented by
# Cloudflare; they are seen in third-party code. They are the codes of chanfana's
# InputValidationException (400, with `path`) and NotFoundException (404) (cloudflare/chanfana
# `src/exceptions.ts`), the framework Cloudflare's Workers APIs use, which is why validation errors
# carry 7001 and a `path` here too (ASSUMED for validation; the Create Gateway "400 Input Validation
# Error" shape {errors: [{code, message, path: [str]}]} of Cloudflare's OpenAPI, as a third-party
# client renders it (hexdocs.pm/cloudflare, Cloudflare.AIGateway), agrees).
CODE_VALIDATION = 7001
CODE_EXISTS = 7001
CODE_NOT_FOUND = 7002
CODE_NO_ROUTE = 7000  # ASSUMED: the v4 API's "No route for that URI" (widely observed, undocumented here).
CODE_AUTH = 10000  # 401 with code 10000: measured in cloudflare-docs PR #32574; on the 403 too: ASSUMED.
CODE_RATE_LIMITED = 971  # ASSUMED: "Please wait and consider throttling your request speed" (widely observed).
CODE_MALFORMED_JSON = 6007  # ASSUMED: the v4 API's "Malformed JSON in request body".
CODE_LOGPUSH = 1004  # ASSUMED: Logpush is an older v4 service; its not-found/invalid-id codes are not documented.

# AI Gateway id: 1..64 chars (Cloudflare API reference, AI Gateway > Create a new Gateway, `id`). The
# pattern (lowercase alnum/underscore, single inner hyphens) is not in Cloudflare's API reference
# pages; seen in third-party code. ASSUMED.
GATEWAY_ID_PATTERN = r"^[a-z0-9_]+(?:-[a-z0-9_]+)*$"
GATEWAY_ID_MAX = 64

# The AI Gateway Logpush dataset (Cloudflare Logs docs, Datasets > Account > AI Gateway events:
# developers.cloudflare.com/logs/logpush/logpush-job/datasets/account/ai_gateway_events/). The SDK's
# `dataset` Literal (cloudflare `types/logpush/logpush_job.py`) does not list it.
AI_GATEWAY_DATASET = "ai_gateway_events"


# --------------------------------------------------------------------------- request schema
#
# Mirrors cloudflare-python 5.9.0 `types/ai_gateway/ai_gateway_create_params.py` (wire names, i.e.
# the aliases `P1`, `limitType`), with the ranges of Cloudflare's API reference (AI Gateway > Create a
# new Gateway: minimum/maximum, minLength/maxLength) and the rules named beside each. tests/live/test_standin.py
# walks this schema against the SDK's TypedDicts so the two cannot drift apart silently.



# A route's elements as the API's JSON: a conditional on request metadata, then openai with an anthropic fallback.
SUPPORT_ROUTE = [
    {"id": "start", "type": "start", "outputs": {"next": {"elementId": "plan"}}},
    {"id": "plan", "type": "conditional", "properties": {"conditions": {"metadata.plan": {"$eq": "paid"}}},
     "outputs": {"true": {"elementId": "primary"}, "false": {"elementId": "backup"}}},
    {"id": "primary", "type": "model",
     "properties": {"provider": "openai", "model": "gpt-4o", "retries": 1, "timeout": 30000},
     "outputs": {"success": {"elementId": "end"}, "fallback": {"elementId": "backup"}}},
    {"id": "backup", "type": "model",
     "properties": {"provider": "anthropic", "model": "claude-sonnet-4-5", "retries": 0, "timeout": 30000},
     "outputs": {"success": {"elementId": "end"}, "fallback": {"elementId": "end"}}},
    {"id": "end", "type": "end", "outputs": {}},
]

class Problems(list):
    """(path, message) pairs; path is a tuple of keys/indices from the body root."""

    def add(self, path: tuple[Any, ...], message: str) -> None:
        self.append((path, message))


def _where(path: tuple[Any, ...]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or "body"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


@dataclass(frozen=True)
class Spec:
    nullable: bool = False

    def check(self, value: Any, path: tuple[Any, ...], problems: Problems) -> Any:
        """The value as stored (integral floats become ints), problems appended."""
        if value is None:
            if not self.nullable:
                problems.add(path, "must not be null")
            return None
        return self._check(value, path, problems)

    def _check(self, value: Any, path: tuple[Any, ...], problems: Problems) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class Bool(Spec):
    def _check(self, value, path, problems):
        if not isinstance(value, bool):
            problems.add(path, f"expected a boolean, got {_json_type(value)} {value!r}")
        return value


@dataclass(frozen=True)
class Int(Spec):
    minimum: int | None = None
    maximum: int | None = None

    def _check(self, value, path, problems):
        # JSON has one number type and the API is JavaScript: 60.0 is the integer 60 (ASSUMED,
        # Number.isInteger semantics), 60.5 and "60" are not integers.
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                isinstance(value, float) and not value.is_integer()):
            problems.add(path, f"expected an integer, got {_json_type(value)} {value!r}")
            return value
        value = int(value)
        _range(value, self.minimum, self.maximum, path, problems)
        return value


@dataclass(frozen=True)
class Number(Spec):
    minimum: float | None = None

    def _check(self, value, path, problems):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.add(path, f"expected a number, got {_json_type(value)} {value!r}")
            return value
        _range(value, self.minimum, None, path, problems)
        return value


def _range(value: float, minimum: float | None, maximum: float | None, path, problems: Problems) -> None:
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        if maximum is None:
            problems.add(path, f"must be >= {minimum}, got {value}")
        elif minimum is None:
            problems.add(path, f"must be <= {maximum}, got {value}")
        else:
            problems.add(path, f"must be between {minimum} and {maximum}, got {value}")


@dataclass(frozen=True)
class Str(Spec):
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None

    def _check(self, value, path, problems):
        if not isinstance(value, str):
            problems.add(path, f"expected a string, got {_json_type(value)} {value!r}")
            return value
        if self.min_length is not None and len(value) < self.min_length:
            problems.add(path, f"must be at least {self.min_length} characters, got {len(value)}")
        if self.max_length is not None and len(value) > self.max_length:
            problems.add(path, f"must be at most {self.max_length} characters, got {len(value)}")
        if self.pattern is not None and not re.search(self.pattern, value):
            problems.add(path, f"{value!r} does not match the pattern {self.pattern}")
        return value


@dataclass(frozen=True)
class Enum(Spec):
    values: tuple[str, ...] = ()

    def _check(self, value, path, problems):
        if not (isinstance(value, str) and value in self.values):
            problems.add(path, f"{value!r} is not one of {list(self.values)}")
        return value


@dataclass(frozen=True)
class ListOf(Spec):
    item: Spec = field(default_factory=Spec)
    max_items: int | None = None

    def _check(self, value, path, problems):
        if not isinstance(value, list):
            problems.add(path, f"expected an array, got {_json_type(value)} {value!r}")
            return value
        if self.max_items is not None and len(value) > self.max_items:
            problems.add(path, f"must have at most {self.max_items} items, got {len(value)}")
        return [self.item.check(v, (*path, i), problems) for i, v in enumerate(value)]


@dataclass(frozen=True)
class MapOf(Spec):
    value: Spec = field(default_factory=Spec)

    def _check(self, value, path, problems):
        if not isinstance(value, dict):
            problems.add(path, f"expected an object, got {_json_type(value)} {value!r}")
            return value
        return {k: self.value.check(v, (*path, k), problems) for k, v in value.items()}


@dataclass(frozen=True)
class Obj(Spec):
    """A JSON object with known keys: name -> (spec, required). Unknown keys are rejected."""

    fields: Mapping[str, tuple[Spec, bool]] = field(default_factory=dict)

    def _check(self, value, path, problems):
        if not isinstance(value, dict):
            problems.add(path, f"expected an object, got {_json_type(value)} {value!r}")
            return value
        out = {}
        for name, (spec, required) in self.fields.items():
            if name in value:
                out[name] = spec.check(value[name], (*path, name), problems)
            elif required:
                problems.add((*path, name), "is required")
        for name in value:
            if name not in self.fields:
                problems.add((*path, name), "is not a known field (unknown fields are rejected)")
        return out


@dataclass(frozen=True)
class OneOf(Spec):
    """A union of object shapes; `choose` picks the member a value is meant to be (by its keys)."""

    members: tuple[Obj, ...] = ()
    choose: Callable[[dict], int] = field(default=lambda value: 0)

    def _check(self, value, path, problems):
        if not isinstance(value, dict):
            problems.add(path, f"expected an object, got {_json_type(value)} {value!r}")
            return value
        return self.members[self.choose(value)].check(value, path, problems)


FLAG_BLOCK = ("FLAG", "BLOCK")
_GUARDRAIL = Obj(fields={key: (Enum(values=FLAG_BLOCK), False) for key in ["P1"] + [f"S{i}" for i in range(1, 14)]})
_FILTER = Obj(fields={"mode": (Enum(values=("filter",)), True), "values": (ListOf(item=Str()), True)})
_PARTITION = Obj(fields={"mode": (Enum(values=("partition",)), True)})

# DLP: shape A (one action for listed profiles) or shape B (policies); B is meant when `policies` is there.
DLP = OneOf(members=(
    Obj(fields={"action": (Enum(values=("BLOCK", "FLAG")), True), "enabled": (Bool(), True),
                "profiles": (ListOf(item=Str()), True)}),
    Obj(fields={"enabled": (Bool(), True), "policies": (ListOf(item=Obj(fields={
        "id": (Str(), True), "action": (Enum(values=FLAG_BLOCK), True),
        "check": (ListOf(item=Enum(values=("REQUEST", "RESPONSE"))), True), "enabled": (Bool(), True),
        "profiles": (ListOf(item=Str()), True)})), True)}),
), choose=lambda value: 1 if "policies" in value else 0)

SPEND_LIMIT_RULE = Obj(fields={
    "limit": (Number(minimum=0), True),
    "limitType": (Enum(values=("cost",)), True),
    "window": (Int(minimum=0), True),
    "id": (Str(), False),
    "enabled": (Bool(), False),
    "metadata": (MapOf(value=OneOf(members=(_PARTITION, _FILTER),
                                   choose=lambda value: 1 if value.get("mode") == "filter" else 0)), False),
    "model": (_FILTER, False),
    "provider": (_FILTER, False),
    "technique": (Enum(values=("fixed", "sliding")), False),
})

# The update (PUT) body: every setting; the create (POST) body adds `id`. Ranges: Cloudflare API reference,
# AI Gateway > Create a new Gateway / Update a Gateway.
GATEWAY_SETTINGS: dict[str, tuple[Spec, bool]] = {
    "cache_invalidate_on_update": (Bool(), True),
    "cache_ttl": (Int(nullable=True, minimum=0), True),
    "collect_logs": (Bool(), True),
    "rate_limiting_interval": (Int(nullable=True, minimum=0), True),
    "rate_limiting_limit": (Int(nullable=True, minimum=0), True),
    "authentication": (Bool(), False),
    "byok_only": (Bool(), False),
    "dlp": (DLP, False),
    "guardrails": (Obj(nullable=True, fields={"prompt": (_GUARDRAIL, True), "response": (_GUARDRAIL, True)}), False),
    "log_classification": (Bool(), False),
    "log_management": (Int(nullable=True, minimum=10_000, maximum=10_000_000), False),
    "log_management_strategy": (Enum(nullable=True, values=("STOP_INSERTING", "DELETE_OLDEST")), False),
    "logpush": (Bool(), False),
    "logpush_public_key": (Str(nullable=True, min_length=16, max_length=1024), False),
    "otel": (ListOf(nullable=True, item=Obj(fields={
        "headers": (MapOf(value=Str()), True), "url": (Str(), True), "authorization": (Str(), False),
        "content_type": (Enum(values=("json", "protobuf")), False)})), False),
    "rate_limiting_technique": (Enum(nullable=True, values=("fixed", "sliding")), False),
    "retry_backoff": (Enum(nullable=True, values=("constant", "linear", "exponential")), False),
    # SDK 5.9.0 docstring (`ai_gateway_create_params.py`) says 0-60000 ms; terraform-provider-cloudflare
    # v5.22.0 `internal/services/ai_gateway/schema.go` says Between(0, 5000); the docs' 100 ms - 5 s
    # (changelog 2026-04-02) is not enforced here.
    "retry_delay": (Int(nullable=True, minimum=0, maximum=60_000), False),
    "retry_max_attempts": (Int(nullable=True, minimum=1, maximum=5), False),
    # 20 rules per gateway: Cloudflare docs, AI Gateway > Features > Spend limits.
    "spend_limits": (Obj(nullable=True, fields={"enabled": (Bool(), False),
                                                "rules": (ListOf(item=SPEND_LIMIT_RULE, max_items=20), False)}), False),
    "store_id": (Str(nullable=True), False),
    "stripe": (Obj(nullable=True, fields={"authorization": (Str(), True),
                                          "usage_events": (ListOf(item=Obj(fields={"payload": (Str(), True)})), True)}),
               False),
    "workers_ai_billing_mode": (Enum(values=("postpaid", "unified")), False),
    "zdr": (Bool(), False),
}
UPDATE_BODY = Obj(fields=GATEWAY_SETTINGS)
CREATE_BODY = Obj(fields={"id": (Str(min_length=1, max_length=GATEWAY_ID_MAX, pattern=GATEWAY_ID_PATTERN), True),
                          **GATEWAY_SETTINGS})

# Read-only fields of a stored gateway. `created_at`, `modified_at`, `is_default` are in the SDK's
# response model (`types/ai_gateway/ai_gateway_get_response.py`); `account_id`, `account_tag`,
# `internal_id` are in the raw JSON only (cloudflare-go v6 `ai_gateway/aigateway.go` still types them
# as required strings; older cloudflare-python releases did too).
READ_ONLY_FIELDS = ("account_id", "account_tag", "created_at", "internal_id", "is_default", "modified_at")

# The fields of a Logpush job as the SDK's `LogpushJob` model knows them, plus `filter` (a create
# parameter the real API echoes; the response model lacks it).
LOGPUSH_JOB_FIELDS = (
    "id", "dataset", "destination_conf", "enabled", "error_message", "filter", "filter_attack_traffic", "frequency",
    "kind", "last_complete", "last_error", "logpull_options", "max_upload_bytes", "max_upload_interval_seconds",
    "max_upload_records", "name", "output_options",
)


@dataclass(frozen=True)
class ZeroOrRange(Int):
    """An integer that is 0 ("off, Cloudflare's default") or within [minimum, maximum]."""

    def _check(self, value, path, problems):
        checked = Int()._check(value, path, problems)
        if isinstance(checked, int) and not isinstance(checked, bool) and checked != 0 and not (
                self.minimum <= checked <= self.maximum):
            problems.add(path, f"must be 0 or between {self.minimum} and {self.maximum}, got {checked}")
        return checked


# Logpush job datasets: the SDK 5.9.0 `JobCreateParams.dataset` Literal plus the AI Gateway dataset
# (Cloudflare Logs docs, datasets, account, ai_gateway_events; the SDK's list lacks it).
LOGPUSH_DATASETS = (
    "access_requests", "account_abuse_protection_events", "audit_logs", "audit_logs_v2", "biso_user_actions",
    "casb_findings", "device_posture_results", "dex_application_tests", "dex_device_state_events",
    "dlp_forensic_copies", "dns_firewall_logs", "dns_logs", "email_security_alerts",
    "email_security_post_delivery_events", "firewall_events", "gateway_dns", "gateway_http", "gateway_network",
    "http_requests", "ipsec_logs", "magic_bgp_logs", "magic_ids_detections", "mcp_portal_logs", "mnm_flow_logs",
    "nel_reports", "network_analytics_logs", "page_shield_events", "sinkhole_http_logs", "spectrum_events",
    "ssh_logs", "turnstile_events", "warp_config_changes", "warp_toggle_changes", "websocket_analytics",
    "workers_trace_events", "zaraz_events", "zero_trust_network_sessions", AI_GATEWAY_DATASET,
)
# `output_options`: SDK 5.9.0 `types/logpush/output_options_param.py` (wire name `CVE-2021-44228`).
_OUTPUT_OPTIONS = Obj(nullable=True, fields={
    "batch_prefix": (Str(nullable=True), False), "batch_suffix": (Str(nullable=True), False),
    "CVE-2021-44228": (Bool(nullable=True), False), "field_delimiter": (Str(nullable=True), False),
    "field_names": (ListOf(item=Str()), False), "merge_subrequests": (Bool(nullable=True), False),
    "output_type": (Enum(values=("ndjson", "csv")), False), "record_delimiter": (Str(nullable=True), False),
    "record_prefix": (Str(nullable=True), False), "record_suffix": (Str(nullable=True), False),
    "record_template": (Str(nullable=True), False),
    "sample_rate": (Number(nullable=True, minimum=0), False),
    "timestamp_format": (Enum(values=("unixnano", "unix", "rfc3339", "rfc3339ms", "rfc3339ns")), False),
})
# The update (PUT) body of a Logpush job: SDK 5.9.0 `types/logpush/job_update_params.py`, which has
# no `dataset`: a job's dataset cannot be changed (sending it is an unknown field, 400). Ranges are
# the `max_upload_*` docstrings of that file and of pulumi-cloudflare 6.23.1 `logpush_job.py`:
# bytes 5 MB..1 GB, interval 30..300 s, records 1,000..1,000,000, or 0 to disable. ASSUMED: MB and
# GB are decimal (5,000,000 and 1,000,000,000; the API reference's example is 5000000).
# `destination_conf`: "format uri, maxLength 4096" (API reference, Update Logpush job); ASSUMED:
# "uri" means a scheme followed by `://` (r2://, s3://, https://, ...).
LOGPUSH_JOB_SETTINGS: dict[str, tuple[Spec, bool]] = {
    "destination_conf": (Str(min_length=1, max_length=4096, pattern=r"^[a-z][a-z0-9+.-]*://"), False),
    "enabled": (Bool(), False),
    "filter": (Str(nullable=True), False),
    "filter_attack_traffic": (Bool(), False),
    "frequency": (Enum(nullable=True, values=("high", "low")), False),
    "kind": (Enum(values=("", "edge")), False),
    "logpull_options": (Str(nullable=True), False),
    "max_upload_bytes": (ZeroOrRange(nullable=True, minimum=5_000_000, maximum=1_000_000_000), False),
    "max_upload_interval_seconds": (ZeroOrRange(nullable=True, minimum=30, maximum=300), False),
    "max_upload_records": (ZeroOrRange(nullable=True, minimum=1_000, maximum=1_000_000), False),
    "name": (Str(nullable=True), False),
    "output_options": (_OUTPUT_OPTIONS, False),
    "ownership_challenge": (Str(), False),
}
LOGPUSH_JOB_UPDATE_BODY = Obj(fields=LOGPUSH_JOB_SETTINGS)
# The create (POST) body: `destination_conf` is required (SDK `Required[str]`). `dataset` is
# required here although the SDK types it Optional: an account-scoped job has no default dataset
# (ASSUMED; zone-scoped jobs historically defaulted to http_requests, and this stand-in serves
# accounts only).
LOGPUSH_JOB_CREATE_BODY = Obj(fields={
    **LOGPUSH_JOB_SETTINGS,
    "destination_conf": (LOGPUSH_JOB_SETTINGS["destination_conf"][0], True),
    "dataset": (Enum(values=LOGPUSH_DATASETS), True),
})
# Fields kept from the request only to prove ownership; never stored or echoed (the SDK's
# `LogpushJob` response model has no such field).
LOGPUSH_WRITE_ONLY = ("ownership_challenge",)


def _validate_object(schema: Obj, body: Any) -> tuple[dict[str, Any], Problems]:
    """A JSON object body as it would be stored, and everything wrong with it (empty when valid)."""
    problems = Problems()
    if not isinstance(body, dict):
        problems.add((), f"expected a JSON object, got {_json_type(body)}")
        return {}, problems
    return schema.check(body, (), problems), problems


def validate_logpush_job_body(body: Any, *, create: bool) -> tuple[dict[str, Any], Problems]:
    """A Logpush job body as it would be stored, and everything wrong with it (empty when valid)."""
    return _validate_object(LOGPUSH_JOB_CREATE_BODY if create else LOGPUSH_JOB_UPDATE_BODY, body)


def validate_gateway_body(body: Any, *, create: bool) -> tuple[dict[str, Any], Problems]:
    """The body as it would be stored, and everything wrong with it (empty when valid)."""
    return _validate_object(CREATE_BODY if create else UPDATE_BODY, body)


# --------------------------------------------------------------------------- state


def iso(moment: datetime) -> str:
    """ASSUMED timestamp format: JavaScript's toISOString (UTC, milliseconds, `Z`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class Token:
    value: str
    permissions: frozenset[str]
    # Accounts the token may act on; None = every account the stand-in knows.
    accounts: frozenset[str] | None = None
    id: str = field(default_factory=lambda: secrets.token_hex(16))
    status: str = "active"  # active | disabled | expired (SDK TokenVerifyResponse)
    expires_on: str | None = None


@dataclass
class Account:
    id: str
    gateways: dict[str, dict[str, Any]] = field(default_factory=dict)  # insertion order = list order
    logpush_jobs: dict[int, dict[str, Any]] = field(default_factory=dict)
    # gateway id -> log id -> the stored log (detail fields, plus "_request"/"_response": the stored bodies or None)
    logs: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    account_tokens: list[dict[str, Any]] = field(default_factory=list)  # SDK `Token` shapes
    # gateway id -> provider config id -> the config (SDK `ProviderConfigListResponse` fields; never a key)
    provider_configs: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # gateway id -> route id -> the route (SDK `DynamicRoutingGetResponse` fields)
    routes: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str  # relative to base_url, as the SDK writes it: /accounts/{id}/ai-gateway/gateways
    query: dict[str, str]
    token: str | None
    status: int


@dataclass
class _Budget:
    window_start: float
    used: int = 0
    blocked_until: float = 0.0


@dataclass
class _Injected:
    path: str
    retry_after: int | str
    method: str | None
    block: bool


@dataclass
class _Raw:
    path: str
    method: str | None
    status: int
    body: bytes
    content_type: str
    trickle: float  # seconds between bytes (0: all at once)


class ApiError(Exception):
    def __init__(self, status: int, code: int, message: str, path: list[Any] | None = None,
                 more: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.status = status
        error: dict[str, Any] = {"code": code, "message": message}
        if path is not None:
            error["path"] = path
        self.errors = [error, *(more or [])]


def envelope(result: Any, **extra: Any) -> dict[str, Any]:
    return {"result": result, "success": True, "errors": [], "messages": [], **extra}


def error_envelope(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """The v4 failure envelope (`api-response-common-failure` in cloudflare/api-schemas `common.yaml`)."""
    return {"success": False, "errors": errors, "messages": [], "result": None}


# --------------------------------------------------------------------------- the stand-in


class StandIn:
    """The API's state plus an HTTP server over it. Use as a context manager (or start()/stop())."""

    def __init__(self, *, tokens: Mapping[str, Iterable[str]] | None = None, account_id: str = DEFAULT_ACCOUNT,
                 rate_limit: int = RATE_LIMIT, rate_window: float = RATE_WINDOW, block_seconds: float = RATE_BLOCK,
                 clock: Callable[[], float] = time.monotonic):
        self.account_id = account_id
        self.accounts: dict[str, Account] = {account_id: Account(account_id)}
        self.tokens: dict[str, Token] = {}
        for value, permissions in (tokens or {}).items():
            self.add_token(value, permissions)
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.block_seconds = block_seconds
        self.clock = clock
        self.requests: list[RequestRecord] = []
        self.errors: list[BaseException] = []  # exceptions inside the server (bugs), for the fixture to fail on
        self._budgets: dict[str, _Budget] = {}
        self._injected: list[_Injected] = []
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._next_job_id = 1
        self._last_stamp = datetime.now(UTC) - timedelta(days=1)
        self._raw: list[_Raw] = []
        # Listing knobs (plain attributes; a test may change them between requests):
        self.max_per_page = 100  # the most gateways a page holds, whatever `per_page` asked (1..100)
        self.repeat_pages = False  # True: every list request answers page 1 (a server that never moves on)
        # What a list page's `result_info` holds: "counts" (page, per_page, count, total_count: what
        # the AI Gateway list is seen to send), "full" (plus total_pages, as other v4 lists send), "none".
        self.result_info = "counts"

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> StandIn:
        if self._server is not None:
            raise RuntimeError("the stand-in is already running")
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="cloudflare-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()  # stop accepting; serve_forever returns
        server.close_connections()  # end idle keep-alive connections so their threads finish
        server.server_close()  # close the listening socket and join the handler threads
        if thread is not None:
            thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the stand-in is not running")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    # ----------------------------------------------------------------- seeding and state

    def add_token(self, value: str, permissions: Iterable[str], *, accounts: Iterable[str] | None = None,
                  status: str = "active", expires_on: str | None = None) -> Token:
        token = Token(value, frozenset(permissions), None if accounts is None else frozenset(accounts),
                      status=status, expires_on=expires_on)
        self.tokens[value] = token
        return token

    def account(self, account_id: str | None = None) -> Account:
        """The account's state, created empty on first use (an account the stand-in does not know
        answers 403, as the real API does for an account the token cannot reach)."""
        account_id = account_id or self.account_id
        return self.accounts.setdefault(account_id, Account(account_id))

    @property
    def gateways(self) -> dict[str, dict[str, Any]]:
        """The default account's gateways by id, as the API returns them (mutable)."""
        return self.account().gateways

    @property
    def logpush_jobs(self) -> dict[int, dict[str, Any]]:
        return self.account().logpush_jobs

    def _stamp(self) -> str:
        # Strictly increasing, so bulk-seeded gateways have distinct created_at values.
        now = max(datetime.now(UTC), self._last_stamp + timedelta(milliseconds=1))
        self._last_stamp = now
        return iso(now)

    def _store_gateway(self, account: Account, settings: dict[str, Any], *, is_default: bool = False) -> dict[str, Any]:
        stamp = self._stamp()
        gateway = {
            **settings,
            "account_id": account.id,
            # ASSUMED: the account tag is the account's id (both are the 32-hex account identifier).
            "account_tag": account.id,
            "internal_id": str(uuid.uuid4()),
            "created_at": stamp,
            "modified_at": stamp,
            "is_default": is_default,
        }
        _fill_response_defaults(gateway)
        account.gateways[gateway["id"]] = gateway
        return gateway

    def seed_gateway(self, gateway_id: str, *, account_id: str | None = None, is_default: bool = False,
                     **settings: Any) -> dict[str, Any]:
        """Put a gateway in the account as the account holds it (the settings are validated like a
        create body; the five required ones default to "everything off, logs on"). Unlike a create
        request, seeding may leave `authentication` out (a response that does not carry it) or set
        it false: a gateway made before new gateways required authentication (changelog 2026-11-03)."""
        body = {"id": gateway_id, "cache_invalidate_on_update": False, "cache_ttl": 0, "collect_logs": True,
                "rate_limiting_interval": 0, "rate_limiting_limit": 0, **settings}
        value, problems = validate_gateway_body(body, create=True)
        if problems:
            raise ValueError(f"seed_gateway({gateway_id!r}): " + "; ".join(f"{_where(p)}: {m}" for p, m in problems))
        account = self.account(account_id)
        if gateway_id in account.gateways:
            raise ValueError(f"seed_gateway({gateway_id!r}): already in account {account.id}")
        return self._store_gateway(account, value, is_default=is_default)

    def seed_default_gateway(self, *, account_id: str | None = None) -> dict[str, Any]:
        """The auto-created `default` gateway: authentication on, log collection on, caching off,
        rate limiting off (Cloudflare docs, AI Gateway > Configuration > Manage gateways, "Default gateway")."""
        return self.seed_gateway("default", account_id=account_id, is_default=True, authentication=True,
                                 collect_logs=True, cache_ttl=0, rate_limiting_interval=0, rate_limiting_limit=0)

    def seed_logpush_job(self, *, account_id: str | None = None, **fields: Any) -> dict[str, Any]:
        """A Logpush job shaped like the SDK's `LogpushJob` (id assigned, AI Gateway dataset by default)."""
        unknown = set(fields) - set(LOGPUSH_JOB_FIELDS)
        if unknown:
            raise ValueError(f"seed_logpush_job: unknown fields {sorted(unknown)}")
        job_id = fields.pop("id", None) or self._next_job_id
        return self._store_job(self.account(account_id), {
            "id": job_id,
            "dataset": AI_GATEWAY_DATASET,
            "destination_conf": "r2://aigw-logs/{DATE}?account-id=acct&access-key-id=key&secret-access-key=secret",
            "enabled": True,
            "name": f"aigw-logs-{job_id}",
            "kind": "",
            "error_message": None,
            "last_complete": None,
            "last_error": None,
            "frequency": "high",
            "logpull_options": None,
            "max_upload_bytes": 0,
            "max_upload_interval_seconds": 0,
            "max_upload_records": 0,
            "output_options": None,
            **fields,
        })

    def _store_job(self, account: Account, fields: dict[str, Any]) -> dict[str, Any]:
        job_id = fields.pop("id", None) or self._next_job_id
        self._next_job_id = max(self._next_job_id, job_id) + 1
        job = {"id": job_id, "error_message": None, "last_complete": None, "last_error": None, **fields}
        account.logpush_jobs[job_id] = job
        return job

    def seed_gateways(self, count: int, *, prefix: str = "gw", account_id: str | None = None,
                      **settings: Any) -> list[str]:
        """Seed `count` gateways `<prefix>-0000`, `<prefix>-0001`, ... with the same settings; their ids."""
        ids = [f"{prefix}-{i:04d}" for i in range(count)]
        for gateway_id in ids:
            self.seed_gateway(gateway_id, account_id=account_id, **settings)
        return ids

    def inject_429(self, path: str, *, retry_after: int = 2, method: str | None = None, block: bool = True) -> None:
        """The next request whose path contains `path` (and has `method`, if given) gets a 429 with
        `Retry-After: retry_after`. With `block`, the token then stays blocked for that long, as a real
        429 blocks it (an early retry gets another 429)."""
        self._injected.append(_Injected(path, retry_after, method.upper() if method else None, block))

    def inject_response(self, path: str, body: bytes | str, *, status: int = 200,
                        content_type: str = "application/json", method: str | None = None,
                        trickle: float = 0.0) -> None:
        """The next request whose path contains `path` gets this exact answer instead of the API's:
        an HTML error page, malformed JSON, a `result` of the wrong type. With `trickle`, the body
        is sent one byte every `trickle` seconds (a server too slow to finish)."""
        data = body.encode() if isinstance(body, str) else body
        self._raw.append(_Raw(path, method.upper() if method else None, status, data, content_type, trickle))

    # ----------------------------------------------------------------- request log

    def requests_to(self, path: str | None = None, method: str | None = None) -> list[RequestRecord]:
        """Recorded requests, optionally those whose path contains `path` and/or with `method`."""
        return [r for r in self.requests
                if (path is None or path in r.path) and (method is None or r.method == method.upper())]

    def clear_requests(self) -> None:
        self.requests.clear()

    # ----------------------------------------------------------------- rate limiting

    def _rate_limit(self, key: str, path: str, method: str) -> tuple[int | str | None, str]:
        """(Retry-After seconds if this request is refused, the Ratelimit header value)."""
        now = self.clock()
        budget = self._budgets.setdefault(key, _Budget(window_start=now))
        for injected in self._injected:
            if injected.path in path and injected.method in (None, method):
                self._injected.remove(injected)
                seconds = _seconds_of(injected.retry_after)
                if injected.block and seconds is not None:
                    budget.blocked_until = max(budget.blocked_until, now + seconds)
                return injected.retry_after, _ratelimit_value(0, _ceil(seconds) if seconds is not None else 0)
        if now < budget.blocked_until:
            wait = _ceil(budget.blocked_until - now)
            return wait, _ratelimit_value(0, wait)
        if now >= budget.window_start + self.rate_window:
            budget.window_start, budget.used = now, 0
        if budget.used >= self.rate_limit:
            # Exceeded: "all API calls for the next five minutes will be blocked" (API rate limits page);
            # a fresh window starts when the block ends (ASSUMED).
            budget.blocked_until = now + self.block_seconds
            budget.window_start, budget.used = budget.blocked_until, 0
            wait = _ceil(self.block_seconds)
            return wait, _ratelimit_value(0, wait)
        budget.used += 1
        # ASSUMED: a fixed window from the token's first request (the docs do not say fixed or sliding).
        reset = _ceil(budget.window_start + self.rate_window - now)
        return None, _ratelimit_value(self.rate_limit - budget.used, reset)

    @property
    def ratelimit_policy(self) -> str:
        # Format from the changelog of 2025-09-03 ("Introducing new headers for rate limiting on
        # Cloudflare's API") and the API rate limits page. The names
        # "default"/"burst" are the docs' own examples (ASSUMED to be what the API sends).
        return f'"burst";q={self.rate_limit};w={_ceil(self.rate_window)}'

    # ----------------------------------------------------------------- dispatch

    def handle(self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes) -> tuple[int, dict, dict]:
        """One request -> (status, JSON body, extra headers). Called by the HTTP handler under the lock."""
        parts = urlsplit(raw_path)
        path = parts.path
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        auth = headers.get("Authorization") or headers.get("authorization")
        token_value = auth[len("Bearer "):] if auth and auth.startswith("Bearer ") else None
        api_path = path[len(API_PREFIX):] if path.startswith(API_PREFIX + "/") else path
        status, payload, extra = 500, error_envelope([{"code": 7000, "message": "Internal Error"}]), {}
        if path.startswith(GATEWAY_PREFIX + "/"):
            status, payload = self._gateway_call(method, path, headers, body)
            self.requests.append(RequestRecord(method, path, query, None, status))
            return status, payload, {}
        for raw in self._raw:
            if raw.path in api_path and raw.method in (None, method):
                self._raw.remove(raw)
                self.requests.append(RequestRecord(method, api_path, query, token_value, raw.status))
                return raw.status, raw, {}
        try:
            retry_after, ratelimit = self._rate_limit(token_value or "", api_path, method)
            extra = {"Ratelimit": ratelimit, "Ratelimit-Policy": self.ratelimit_policy}
            if retry_after is not None:
                extra["Retry-After"] = str(retry_after)
                raise ApiError(429, CODE_RATE_LIMITED, "Please wait and consider throttling your request speed")
            status, payload = self._dispatch(method, path, api_path, query, token_value, body)
        except ApiError as exc:
            status, payload = exc.status, error_envelope(exc.errors)
        except Exception as exc:  # a bug in the stand-in: answer 500 and keep it for the test to fail on
            self.errors.append(exc)
        self.requests.append(RequestRecord(method, api_path, query, token_value, status))
        return status, payload, extra

    def _dispatch(self, method: str, path: str, api_path: str, query: dict[str, str], token_value: str | None,
                  body: bytes) -> tuple[int, dict]:
        token = self.tokens.get(token_value) if token_value else None
        if token is None or token.status != "active":
            # ASSUMED: a missing, malformed, unknown, disabled or expired token is a 401 with code 10000
            # (the API also answers 400/6003 for a malformed Authorization header and 403/9109 for some
            # endpoints; a client should report any of them as "token rejected").
            raise ApiError(401, CODE_AUTH, "Authentication error")
        if not path.startswith(API_PREFIX + "/"):
            raise ApiError(404, CODE_NO_ROUTE, "No route for that URI")
        for pattern, handlers in _ROUTES:
            match = pattern.match(api_path)
            if match is None:
                continue
            if method not in handlers:
                raise ApiError(405, CODE_NO_ROUTE, f"Method {method} not allowed for this route")
            needs, handler = handlers[method]
            params = {k: unquote(v) for k, v in match.groupdict().items()}
            account_id = params.pop("account_id")
            if account_id not in self.accounts or (token.accounts is not None and account_id not in token.accounts):
                # ASSUMED: the API does not say whether an account exists to a token that cannot reach it.
                raise ApiError(403, CODE_AUTH, "Authentication error")
            if needs and not (needs & token.permissions):
                # List/get need AI Gateway Read or Write, writes need Write; every Logpush call needs
                # Logs Write (see _ROUTES). The message does not name the group (ASSUMED: the real
                # one is a bare "Authentication error"), so a client must know what each call needs.
                raise ApiError(403, CODE_AUTH, "Authentication error: the API token does not have the permission "
                               "this request needs (permission denied)")
            return handler(self, self.accounts[account_id], token, query, body, **params)
        raise ApiError(404, CODE_NO_ROUTE, "No route for that URI")

    # ----------------------------------------------------------------- endpoints

    def _list_gateways(self, account: Account, token: Token, query: dict[str, str], body: bytes) -> tuple[int, dict]:
        page = _query_int(query, "page", default=1, minimum=1)
        per_page = _query_int(query, "per_page", default=20, minimum=1, maximum=100)
        per_page = min(per_page, self.max_per_page)  # a server may apply fewer than asked (and says so)
        if self.repeat_pages:
            page = 1  # a broken server: every page is the first, and says so
        search = query.get("search", "")
        # ASSUMED: `search` is a case-insensitive substring match on the id ("Search by id", SDK); the
        # order is creation order (the API does not document one).
        matches = [g for g in account.gateways.values() if search.lower() in g["id"].lower()]
        start = (page - 1) * per_page
        items = matches[start:start + per_page]
        info: dict[str, Any] = {"page": page, "per_page": per_page, "count": len(items), "total_count": len(matches)}
        if self.result_info == "full":
            info["total_pages"] = max(1, math.ceil(len(matches) / per_page))
        if self.result_info == "none":
            return 200, envelope(_copy(items))
        return 200, envelope(_copy(items), result_info=info)

    def _create_gateway(self, account: Account, token: Token, query: dict[str, str], body: bytes) -> tuple[int, dict]:
        value = _valid_body(body, create=True)
        # "New AI Gateways require authentication" (Cloudflare changelog, 2026-11-03): on by default
        # when left out, HTTP 400 when false.
        if value.get("authentication") is False:
            raise _authentication_refused("a new gateway must have authentication on")
        value["authentication"] = True
        if value["id"] in account.gateways:
            # 7001 "gateway already exists": not documented by Cloudflare; seen in third-party code.
            # ASSUMED: HTTP 400 (chanfana's
            # InputValidationException status), path ["body", "id"].
            raise ApiError(400, CODE_EXISTS, f"A gateway with id '{value['id']}' already exists in this account",
                           path=["body", "id"])
        return 200, envelope(_copy(self._store_gateway(account, value)))

    def _get_gateway(self, account: Account, token: Token, query: dict[str, str], body: bytes,
                     gateway_id: str) -> tuple[int, dict]:
        return 200, envelope(_copy(_gateway(account, gateway_id)))

    def _update_gateway(self, account: Account, token: Token, query: dict[str, str], body: bytes,
                        gateway_id: str) -> tuple[int, dict]:
        value = _valid_body(body, create=False)  # ASSUMED: the body is validated before the lookup (400 before 404)
        old = _gateway(account, gateway_id)
        # Changelog 2026-11-03: "leaving out authentication keeps its current setting"; "if you try to
        # turn off authentication after it is on, the API returns HTTP 400"; "existing gateways with
        # authentication turned off can continue without it": false on a gateway already off (or
        # never set) is accepted and keeps it off (ASSUMED: read from the changelog, not tried).
        if value.get("authentication") is False and old.get("authentication") is True:
            raise _authentication_refused("authentication cannot be turned off once it is on")
        if "authentication" not in value and "authentication" in old:
            value["authentication"] = old["authentication"]
        # PUT replaces the whole configuration (the SDK's update is a `_put` whose params require the
        # create body's fields, `ai_gateway_update_params.py`): settings not sent are gone.
        new = {"id": gateway_id, **value, **{k: old[k] for k in READ_ONLY_FIELDS}, "modified_at": self._stamp()}
        _fill_response_defaults(new)
        account.gateways[gateway_id] = new
        return 200, envelope(_copy(new))

    def _delete_gateway(self, account: Account, token: Token, query: dict[str, str], body: bytes,
                        gateway_id: str) -> tuple[int, dict]:
        gateway = _gateway(account, gateway_id)
        del account.gateways[gateway_id]
        return 200, envelope(_copy(gateway))

    def _list_jobs(self, account: Account, token: Token, query: dict[str, str], body: bytes) -> tuple[int, dict]:
        # Not paginated (the SDK reads it as a SinglePage).
        return 200, envelope(_copy(list(account.logpush_jobs.values())))

    def _get_job(self, account: Account, token: Token, query: dict[str, str], body: bytes,
                 job_id: str) -> tuple[int, dict]:
        return 200, envelope(_copy(_job(account, job_id)))

    def _create_job(self, account: Account, token: Token, query: dict[str, str], body: bytes) -> tuple[int, dict]:
        value = _valid_job_body(body, create=True)
        # ASSUMED defaults of what was not sent: disabled (Terraform's `enabled` default is false),
        # upload bounds 0 (= Cloudflare's own), `kind` "", `frequency` "high" (deprecated field).
        job = self._store_job(account, {"enabled": False, "name": None, "kind": "", "frequency": "high",
                                        "logpull_options": None, "output_options": None, "max_upload_bytes": 0,
                                        "max_upload_interval_seconds": 0, "max_upload_records": 0, **value})
        return 200, envelope(_copy(job))

    def _update_job(self, account: Account, token: Token, query: dict[str, str], body: bytes,
                    job_id: str) -> tuple[int, dict]:
        job = _job(account, job_id)
        value = _valid_job_body(body, create=False)
        # ASSUMED: fields not sent keep their value (the update params are all optional in the SDK
        # and the API reference); a field sent as null is cleared.
        job.update(value)
        return 200, envelope(_copy(job))

    def _delete_job(self, account: Account, token: Token, query: dict[str, str], body: bytes,
                    job_id: str) -> tuple[int, dict]:
        job = _job(account, job_id)
        del account.logpush_jobs[job["id"]]
        return 200, envelope({"id": job["id"]})  # SDK `JobDeleteResponse`: {id}

    # ----------------------------------------------------------------- BYOK provider configs
    # "Create a new Provider Configs" / "List Provider Configs" (cloudflare-python
    # `resources/ai_gateway/provider_configs.py`, `types/ai_gateway/provider_config_create_params.py`).
    # Strict: a key the SDK's params do not have, a wrong type or a missing required key is HTTP 400
    # (code 7001, as the gateway endpoints answer). ASSUMED (undocumented): exactly one of `secret` and
    # `secret_id`; one config per provider slug and alias; DELETE .../provider_configs/{id} answers {id}
    # (alchemy's GatewayProvider deletes configs); a key sent as `secret` is never stored or echoed
    # (only a preview of its first 4 characters, as the dashboard shows).

    def seed_provider_config(self, gateway_id: str, *, account_id: str | None = None, secret_id: str | None = None,
                             **fields: Any) -> dict[str, Any]:
        """Store one provider config of a seeded gateway as the create endpoint would (validated the same way):
        ``fields`` are the create body's (provider_slug, alias, default_config, rate_limit, ...)."""
        body = fields if "secret" in fields else {**fields, "secret_id": secret_id or secrets.token_hex(16)}
        status, answer = self._create_provider_config(self.account(account_id), Token("seed", frozenset()), {},
                                                      json.dumps(body).encode(), gateway_id)
        return self.account(account_id).provider_configs[gateway_id][answer["result"]["id"]]

    def seed_route(self, gateway_id: str, name: str, elements: list[dict[str, Any]], *,
                   account_id: str | None = None) -> dict[str, Any]:
        """Store one route of a seeded gateway as the create endpoint would (the API's element JSON, judged the
        same way: what the API drops is dropped)."""
        status, answer = self._create_route(self.account(account_id), Token("seed", frozenset()), {},
                                            json.dumps({"name": name, "elements": elements}).encode(), gateway_id)
        return self.account(account_id).routes[gateway_id][answer["result"]["id"]]

    def _list_provider_configs(self, account: Account, token: Token, query: dict[str, str], body: bytes,
                               gateway_id: str) -> tuple[int, dict]:
        _gateway(account, gateway_id)
        matches = list(account.provider_configs.get(gateway_id, {}).values())
        page, per_page, items = _page_of(query, matches)
        info = {"page": page, "per_page": per_page, "count": len(items), "total_count": len(matches)}
        return 200, envelope(_copy(items), result_info=info)

    def _create_provider_config(self, account: Account, token: Token, query: dict[str, str], body: bytes,
                                gateway_id: str) -> tuple[int, dict]:
        _gateway(account, gateway_id)
        value = _valid_provider_config_body(body)
        configs = account.provider_configs.setdefault(gateway_id, {})
        for other in configs.values():
            if (other["provider_slug"], other["alias"]) == (value["provider_slug"], value["alias"]):
                raise ApiError(400, CODE_EXISTS, f"a provider config for {value['provider_slug']} alias "
                                                 f"{value['alias']!r} already exists")
        secret = value.pop("secret", None)
        config = {"id": secrets.token_hex(16), "gateway_id": gateway_id, "modified_at": iso(datetime.now(UTC)),
                  "rate_limit": None, "rate_limit_period": None, **value}
        config.setdefault("secret_id", secrets.token_hex(16))
        config["secret_preview"] = (secret[:4] + "...") if isinstance(secret, str) else "****"
        configs[config["id"]] = config
        return 200, envelope(_copy(config))

    def _delete_provider_config(self, account: Account, token: Token, query: dict[str, str], body: bytes,
                                gateway_id: str, config_id: str) -> tuple[int, dict]:
        _gateway(account, gateway_id)
        configs = account.provider_configs.get(gateway_id, {})
        if config_id not in configs:
            raise ApiError(404, CODE_NOT_FOUND, f"Provider config '{config_id}' not found")
        del configs[config_id]
        return 200, envelope({"id": config_id})

    # ----------------------------------------------------------------- dynamic routes
    # POST/GET .../routes, GET/PATCH/DELETE .../routes/{id} (cloudflare-python `resources/ai_gateway/
    # dynamic_routing.py`). Elements are judged as the live API does, measured in cloudflare-docs PR #30453:
    # a conditional's `condition` and a rate element's `technique` are dropped without a word; a percentage
    # `else` output, a type outside the six, and an end without `outputs` are HTTP 400 (7001). PATCH
    # renames (SDK `DynamicRoutingUpdateParams`: name only). ASSUMED: one deployed version per route.
    # Versions and deployments (SDK `create_version`, `list_versions`, `create_deployment`, `list_deployments`):
    # a new version does not serve traffic until it is deployed ("The version does not serve traffic until you
    # deploy it"); deploying one makes its elements the route's (GET .../routes/{id}) and it the only active
    # version. ASSUMED (undocumented): the create answers are the route's fields (SDK
    # `DynamicRoutingCreateVersionResponse`: no version id), the new version's elements in the create-version
    # answer; the lists (no `result`, as the SDK parses them) list the newest first on one page; an unknown
    # version id is HTTP 404. Versions and deployments are kept in the route under "_" keys, never answered.

    def _list_routes(self, account: Account, token: Token, query: dict[str, str], body: bytes,
                     gateway_id: str) -> tuple[int, dict]:
        # Not the v4 list: the API reference ("List all AI Gateway Dynamic Routes"; cloudflare-python
        # `types/ai_gateway/dynamic_routing_list_response.py`) answers {data: {order_by, order_by_direction,
        # page, per_page, routes}, success}, no `result`, no `result_info`. ASSUMED: a default per_page of 20
        # and a maximum of 100 (neither is documented), newest first.
        _gateway(account, gateway_id)
        matches = list(account.routes.get(gateway_id, {}).values())
        page, per_page, items = _page_of(query, matches)
        return 200, {"success": True, "errors": [], "messages": [],
                     "data": {"order_by": "created_at", "order_by_direction": "desc", "page": page,
                              "per_page": per_page, "routes": [_public(r) for r in items]}}

    def _create_route(self, account: Account, token: Token, query: dict[str, str], body: bytes,
                      gateway_id: str) -> tuple[int, dict]:
        _gateway(account, gateway_id)
        value = _json_object(body)
        unknown = sorted(set(value) - {"name", "elements"})
        if unknown:
            raise ApiError(400, CODE_VALIDATION, "Unrecognized key", path=[unknown[0]])
        if not isinstance(value.get("name"), str) or not value["name"]:
            raise ApiError(400, CODE_VALIDATION, "Required", path=["name"])
        elements = _valid_route_elements(value.get("elements"))
        now = iso(datetime.now(UTC))
        version = secrets.token_hex(16)
        route = {"id": secrets.token_hex(16), "name": value["name"], "account_tag": account.id,
                 "gateway_id": gateway_id, "created_at": now,
                 "modified_at": now, "elements": elements,
                 "deployment": {"created_at": now, "deployment_id": secrets.token_hex(16), "version_id": version},
                 "version": {"active": "true", "created_at": now, "data": json.dumps(elements), "version_id": version}}
        route["_versions"] = [{**route["version"], "_elements": elements}]
        route["_deployments"] = [route["deployment"]]
        account.routes.setdefault(gateway_id, {})[route["id"]] = route
        return 200, envelope(_public(route))

    def _get_route(self, account: Account, token: Token, query: dict[str, str], body: bytes,
                   gateway_id: str, route_id: str) -> tuple[int, dict]:
        return 200, envelope(_public(_route(account, gateway_id, route_id)))

    def _create_route_version(self, account: Account, token: Token, query: dict[str, str], body: bytes,
                              gateway_id: str, route_id: str) -> tuple[int, dict]:
        route = _route(account, gateway_id, route_id)
        value = _json_object(body)
        unknown = sorted(set(value) - {"elements"})
        if unknown:
            raise ApiError(400, CODE_VALIDATION, "Unrecognized key", path=[unknown[0]])
        elements = _valid_route_elements(value.get("elements"))
        # A timestamp strictly after the route's others, so "newest first" is an order (two calls in one tick).
        now = iso(max(datetime.now(UTC), _after(v["created_at"] for v in route["_versions"])))
        version = {"active": "false", "created_at": now, "data": json.dumps(elements),
                   "version_id": secrets.token_hex(16), "_elements": elements}
        route["_versions"].append(version)
        route["modified_at"] = now
        return 200, envelope({**_public(route), "elements": _copy(elements)})

    def _list_route_versions(self, account: Account, token: Token, query: dict[str, str], body: bytes,
                             gateway_id: str, route_id: str) -> tuple[int, dict]:
        route = _route(account, gateway_id, route_id)
        versions = [_public(v) for v in sorted(route["_versions"], key=lambda v: v["created_at"], reverse=True)]
        return 200, _route_list("versions", versions)

    def _create_route_deployment(self, account: Account, token: Token, query: dict[str, str], body: bytes,
                                 gateway_id: str, route_id: str) -> tuple[int, dict]:
        route = _route(account, gateway_id, route_id)
        value = _json_object(body)
        unknown = sorted(set(value) - {"version_id"})
        if unknown:
            raise ApiError(400, CODE_VALIDATION, "Unrecognized key", path=[unknown[0]])
        if not isinstance(value.get("version_id"), str) or not value["version_id"]:
            raise ApiError(400, CODE_VALIDATION, "Required", path=["version_id"])
        version = next((v for v in route["_versions"] if v["version_id"] == value["version_id"]), None)
        if version is None:
            raise ApiError(404, CODE_NOT_FOUND, f"Version '{value['version_id']}' not found")
        now = iso(datetime.now(UTC))
        deployment = {"created_at": now, "deployment_id": secrets.token_hex(16), "version_id": version["version_id"]}
        for v in route["_versions"]:
            v["active"] = "true" if v is version else "false"
        route["_deployments"].append(deployment)
        route.update(elements=_copy(version["_elements"]), deployment=deployment, version=_public(version),
                     modified_at=now)
        return 200, envelope(_public(route))

    def _list_route_deployments(self, account: Account, token: Token, query: dict[str, str], body: bytes,
                                gateway_id: str, route_id: str) -> tuple[int, dict]:
        route = _route(account, gateway_id, route_id)
        return 200, _route_list("deployments", [_copy(d) for d in reversed(route["_deployments"])])

    def _update_route(self, account: Account, token: Token, query: dict[str, str], body: bytes,
                      gateway_id: str, route_id: str) -> tuple[int, dict]:
        route = _route(account, gateway_id, route_id)
        value = _json_object(body)
        if set(value) != {"name"} or not isinstance(value["name"], str) or not value["name"]:
            raise ApiError(400, CODE_VALIDATION, "Invalid: a route update takes its name only", path=["name"])
        route.update(name=value["name"], modified_at=iso(datetime.now(UTC)))
        # The SDK parses the whole body as `DynamicRoutingUpdateResponse` ({route, success}; no `result`).
        return 200, {"route": _public(route), "success": True, "errors": [], "messages": []}

    def _delete_route(self, account: Account, token: Token, query: dict[str, str], body: bytes,
                      gateway_id: str, route_id: str) -> tuple[int, dict]:
        route = _route(account, gateway_id, route_id)
        del account.routes[gateway_id][route_id]
        return 200, envelope(_public(route))

    # ----------------------------------------------------------------- the Logs API and the data plane

    def gateway_url(self, gateway_id: str, account_id: str | None = None) -> str:
        """The gateway's data-plane base URL here (what GATEWAY_URL is on gateway.ai.cloudflare.com/v1/...)."""
        return f"http://127.0.0.1:{self.port}{GATEWAY_PREFIX}/{account_id or self.account_id}/{gateway_id}"

    def logs(self, gateway_id: str, account_id: str | None = None) -> dict[str, dict[str, Any]]:
        """The gateway's stored logs by id (mutable), oldest first."""
        return self.account(account_id).logs.setdefault(gateway_id, {})

    def seed_log(self, gateway_id: str, *, account_id: str | None = None, request_body: str | None = None,
                 response_body: str | None = None, metadata: Mapping[str, Any] | None = None,
                 path: str = "openai/chat/completions", created_at: datetime | None = None) -> dict[str, Any]:
        """Store one log as the gateway would (bodies None: stored without them)."""
        return self._store_log(self.account(account_id), gateway_id, path=path, metadata=metadata,
                               request_body=request_body, response_body=response_body, created_at=created_at)

    def seed_logs(self, gateway_id: str, count: int, **fields: Any) -> list[str]:
        return [self.seed_log(gateway_id, **fields)["id"] for _ in range(count)]

    def seed_account_token(self, name: str, permission_groups: Iterable[str], *,
                           account_id: str | None = None) -> dict[str, Any]:
        """An account-owned token as List Tokens returns it (SDK `Token`: policies of permission groups)."""
        token = {"id": secrets.token_hex(16), "name": name, "status": "active", "issued_on": iso(datetime.now(UTC)),
                 "policies": [{"id": secrets.token_hex(16), "effect": "allow",
                               "permission_groups": [{"id": secrets.token_hex(16), "name": g}
                                                     for g in permission_groups],
                               "resources": {f"com.cloudflare.api.account.{account_id or self.account_id}": "*"}}]}
        self.account(account_id).account_tokens.append(token)
        return token

    def _store_log(self, account: Account, gateway_id: str, *, path: str, metadata: Mapping[str, Any] | str | None,
                   request_body: str | None, response_body: str | None,
                   created_at: datetime | None = None) -> dict[str, Any]:
        provider = path.split("/", 1)[0]
        stamp = iso(created_at) if created_at else self._stamp()
        log: dict[str, Any] = {
            # ASSUMED: the id is a UUID (UUIDv7 since changelog 2026-10-08; uuid4 here, ordered by created_at).
            "id": str(uuid.uuid4()), "cached": False, "created_at": stamp, "duration": 42,
            "model": "standin-model", "path": path, "provider": provider, "success": True,
            "tokens_in": 3, "tokens_out": 1, "cost": 0.0, "status_code": 200,
            "request_content_type": "application/json", "response_content_type": "application/json",
            "request_type": "universal", "model_type": "text",
        }
        if metadata is not None:
            log["metadata"] = metadata if isinstance(metadata, str) else json.dumps(dict(metadata))
        log["_request"], log["_response"] = request_body, response_body
        self.logs(gateway_id, account.id)[log["id"]] = log
        return log

    def _gateway_call(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> tuple[int, dict]:
        """One provider call through the gateway. ASSUMED where the docs do not say: an unknown gateway is a
        404; with authentication on, `cf-aig-authorization: Bearer <a token with AI Gateway Run>` or 401.
        Logged when the gateway collects logs, or the request says `cf-aig-collect-log: true`;
        `cf-aig-collect-log: false` logs nothing (AI Gateway docs, Observability > Logging). The bodies are
        stored unless `cf-aig-collect-log-payload: false` (changelog 2026-03-17); `cf-aig-metadata` is kept
        as sent (a JSON string, as the Logs API returns it). The provider's answer is a fixed JSON object."""
        lower = {k.lower(): v for k, v in headers.items()}
        parts = path[len(GATEWAY_PREFIX) + 1:].split("/", 3)
        if len(parts) < 4 or not parts[3]:
            return 404, {"error": "no provider path"}
        account_id, gateway_id, provider, rest = parts
        account = self.accounts.get(account_id)
        gateway = account.gateways.get(gateway_id) if account else None
        if gateway is None:
            return 404, {"error": f"gateway {gateway_id!r} not found"}
        if gateway.get("authentication"):
            auth = lower.get("cf-aig-authorization", "")
            token = self.tokens.get(auth[len("Bearer "):]) if auth.startswith("Bearer ") else None
            if token is None or AIG_RUN not in token.permissions:
                return 401, {"error": "unauthorized: cf-aig-authorization needs an AI Gateway Run token"}
        collect = {"true": True, "false": False}.get(lower.get("cf-aig-collect-log", "").strip().lower(),
                                                      bool(gateway.get("collect_logs")))
        answer = {"id": "chatcmpl-standin", "object": "chat.completion", "model": "standin-model",
                  "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}}]}
        if collect:
            payloads = lower.get("cf-aig-collect-log-payload", "").strip().lower() != "false"
            self._store_log(account, gateway_id, path=f"{provider}/{rest.split('?', 1)[0]}",
                            metadata=lower.get("cf-aig-metadata"),
                            request_body=body.decode("utf-8", "replace") if payloads else None,
                            response_body=json.dumps(answer) if payloads else None)
        return 200, answer

    def _list_logs(self, account: Account, token: Token, query: dict[str, str], body: bytes,
                   gateway_id: str) -> tuple[int, dict]:
        _gateway(account, gateway_id)
        unknown = set(query) - LOG_LIST_PARAMS
        if unknown:
            raise ApiError(400, CODE_VALIDATION, f"query.{sorted(unknown)[0]}: unknown parameter",
                           path=["query", sorted(unknown)[0]])
        page = _query_int(query, "page", default=1, minimum=1)
        # ASSUMED: per_page 1..100 and 20 by default, as List Gateways (the Logs API does not say).
        per_page = _query_int(query, "per_page", default=20, minimum=1, maximum=100)
        order_by = query.get("order_by", "created_at")
        direction = query.get("order_by_direction", query.get("direction", "desc"))
        if order_by not in LOG_ORDER_BY:
            raise ApiError(400, CODE_VALIDATION, f"query.order_by: must be one of {sorted(LOG_ORDER_BY)}",
                           path=["query", "order_by"])
        if direction not in ("asc", "desc"):
            raise ApiError(400, CODE_VALIDATION, "query.order_by_direction: must be asc or desc",
                           path=["query", "order_by_direction"])
        logs = list(self.logs(gateway_id, account.id).values())
        for name, keep in (("start_date", lambda at, d: at >= d), ("end_date", lambda at, d: at <= d)):
            if name in query:
                try:
                    bound = datetime.fromisoformat(query[name].replace("Z", "+00:00"))
                except ValueError:
                    raise ApiError(400, CODE_VALIDATION, f"query.{name}: not an ISO 8601 date-time",
                                   path=["query", name]) from None
                if bound.tzinfo is None:
                    bound = bound.replace(tzinfo=UTC)
                logs = [g for g in logs if keep(datetime.fromisoformat(g["created_at"].replace("Z", "+00:00")), bound)]
        logs.sort(key=lambda g: (str(g.get(order_by)), g["created_at"]), reverse=direction == "desc")
        items = [{k: v for k, v in g.items() if k in LOG_LIST_FIELDS} for g in logs[(page - 1) * per_page:
                                                                                    page * per_page]]
        return 200, envelope(items, result_info={"page": page, "per_page": per_page, "count": len(items),
                                                 "total_count": len(logs)})

    def _log(self, account: Account, gateway_id: str, log_id: str) -> dict[str, Any]:
        _gateway(account, gateway_id)
        log = self.logs(gateway_id, account.id).get(log_id)
        if log is None:
            raise ApiError(404, CODE_NOT_FOUND, f"Log '{log_id}' not found")
        return log

    def _get_log(self, account: Account, token: Token, query: dict[str, str], body: bytes, gateway_id: str,
                 log_id: str) -> tuple[int, dict]:
        log = self._log(account, gateway_id, log_id)
        detail = {k: v for k, v in log.items() if not k.startswith("_")}
        # ASSUMED: the heads and sizes describe the stored bodies, and are absent for a log stored without them.
        for part in ("request", "response"):
            stored = log[f"_{part}"]
            if stored is not None:
                detail[f"{part}_head"] = stored[:LOG_HEAD]
                detail[f"{part}_head_complete"] = len(stored) <= LOG_HEAD
                detail[f"{part}_size"] = len(stored.encode())
        return 200, envelope(detail)

    def _log_body(self, account: Account, token: Token, query: dict[str, str], body: bytes, gateway_id: str,
                  log_id: str, part: str) -> tuple[int, dict]:
        stored = self._log(account, gateway_id, log_id)[f"_{part}"]
        if stored is None:
            # ASSUMED: a log stored without bodies answers 404 here (the API reference shows only `{}`).
            raise ApiError(404, CODE_NOT_FOUND, f"Log '{log_id}' has no stored {part}")
        try:
            return 200, json.loads(stored)  # ASSUMED: the body itself, not wrapped in an envelope
        except ValueError:
            return 200, {"body": stored}

    def _list_account_tokens(self, account: Account, token: Token, query: dict[str, str],
                             body: bytes) -> tuple[int, dict]:
        page = _query_int(query, "page", default=1, minimum=1)
        per_page = _query_int(query, "per_page", default=20, minimum=5, maximum=50)  # API reference: 5..50
        items = account.account_tokens[(page - 1) * per_page:page * per_page]
        return 200, envelope(_copy(items), result_info={"page": page, "per_page": per_page, "count": len(items),
                                                        "total_count": len(account.account_tokens)})

    def _verify_token(self, account: Account, token: Token, query: dict[str, str], body: bytes) -> tuple[int, dict]:
        result: dict[str, Any] = {"id": token.id, "status": token.status}
        if token.expires_on is not None:
            result["expires_on"] = token.expires_on
        return 200, envelope(result, messages=[{"code": 10000, "message": "This API Token is valid and active"}])


def _fill_response_defaults(gateway: dict[str, Any]) -> None:
    # ASSUMED: the API answers `rate_limiting_technique` even when it was never sent (older SDK releases
    # typed it as a required response field; the audit-log sample shows "fixed"). Other unset settings
    # are left out of responses (the SDK types them Optional), so clients must treat absent as unset.
    if gateway.get("rate_limiting_technique") is None:
        gateway["rate_limiting_technique"] = "fixed"


# ASSUMED: the changelog gives the status (400) but not the code or message; 7001 with a path is how
# this stand-in answers every body error (the exact code is unverified).
CODE_AUTHENTICATION_REQUIRED = CODE_VALIDATION


def _authentication_refused(why: str) -> ApiError:
    return ApiError(400, CODE_AUTHENTICATION_REQUIRED, f"authentication: {why} (new AI Gateways require "
                    "authentication)", path=["body", "authentication"])


def _gateway(account: Account, gateway_id: str) -> dict[str, Any]:
    gateway = account.gateways.get(gateway_id)
    if gateway is None:
        raise ApiError(404, CODE_NOT_FOUND, f"Gateway '{gateway_id}' not found")
    return gateway


def _job(account: Account, job_id: str) -> dict[str, Any]:
    if not job_id.isdigit():
        raise ApiError(400, CODE_LOGPUSH, f"invalid job id {job_id!r}: must be an integer")
    job = account.logpush_jobs.get(int(job_id))
    if job is None:
        raise ApiError(404, CODE_LOGPUSH, f"Logpush job {job_id} not found")
    return job


def _valid_job_body(body: bytes, *, create: bool) -> dict[str, Any]:
    try:
        parsed = json.loads(body or b"null")
    except ValueError:
        raise ApiError(400, CODE_MALFORMED_JSON, "Malformed JSON in request body") from None
    value, problems = validate_logpush_job_body(parsed, create=create)
    if problems:
        # ASSUMED: Logpush answers 400 with its own code (1004, as for a bad job id) and no `path`;
        # the message names the field.
        errors = [{"code": CODE_LOGPUSH, "message": f"{_where(p)}: {m}"} for p, m in problems]
        raise ApiError(400, CODE_LOGPUSH, errors[0]["message"], more=errors[1:])
    return {k: v for k, v in value.items() if k not in LOGPUSH_WRITE_ONLY}


def _valid_body(body: bytes, *, create: bool) -> dict[str, Any]:
    try:
        parsed = json.loads(body or b"null")
    except ValueError:
        raise ApiError(400, CODE_MALFORMED_JSON, "Malformed JSON in request body") from None
    value, problems = validate_gateway_body(parsed, create=create)
    if problems:
        errors = [{"code": CODE_VALIDATION, "message": f"{_where(p)}: {m}", "path": ["body", *p]} for p, m in problems]
        raise ApiError(400, CODE_VALIDATION, errors[0]["message"], path=errors[0]["path"], more=errors[1:])
    return value


def _page_of(query: dict[str, str], matches: list[Any]) -> tuple[int, int, list[Any]]:
    """(page, per_page, the items of that page) of a list endpoint paged as List Gateways is (1..100, 20)."""
    page = _query_int(query, "page", default=1, minimum=1)
    per_page = _query_int(query, "per_page", default=20, minimum=1, maximum=100)
    return page, per_page, matches[(page - 1) * per_page:page * per_page]


def _query_int(query: dict[str, str], name: str, *, default: int, minimum: int, maximum: int | None = None) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    ok = re.fullmatch(r"[0-9]+", raw) is not None
    value = int(raw) if ok else None
    if value is None or value < minimum or (maximum is not None and value > maximum):
        allowed = f"an integer >= {minimum}" if maximum is None else f"an integer from {minimum} to {maximum}"
        # Cloudflare API reference, AI Gateway > List Gateways: page >= 1, per_page 1..100.
        # ASSUMED: code 7001 and a path, like body errors.
        raise ApiError(400, CODE_VALIDATION, f"query.{name}: must be {allowed}, got {raw!r}", path=["query", name])
    return value


_PROVIDER_CONFIG_KEYS = {"alias": str, "default_config": bool, "provider_slug": str, "rate_limit": (int, float),
                         "rate_limit_period": (int, float), "secret": str, "secret_id": str}
_PROVIDER_CONFIG_REQUIRED = ("alias", "default_config", "provider_slug")


def _valid_provider_config_body(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body or b"null")
    except ValueError:
        raise ApiError(400, CODE_MALFORMED_JSON, "Malformed JSON in request body") from None
    if not isinstance(parsed, dict):
        raise ApiError(400, CODE_VALIDATION, "Invalid: expected an object")
    for key, kind in _PROVIDER_CONFIG_KEYS.items():
        value = parsed.get(key)
        if key in parsed and (not isinstance(value, kind) or (kind is not bool and isinstance(value, bool))):
            raise ApiError(400, CODE_VALIDATION, "Invalid", path=[key])
    unknown = sorted(set(parsed) - set(_PROVIDER_CONFIG_KEYS))
    if unknown:
        raise ApiError(400, CODE_VALIDATION, "Unrecognized key", path=[unknown[0]])
    missing = [k for k in _PROVIDER_CONFIG_REQUIRED if k not in parsed]
    if missing:
        raise ApiError(400, CODE_VALIDATION, "Required", path=[missing[0]])
    if ("secret" in parsed) == ("secret_id" in parsed):
        raise ApiError(400, CODE_VALIDATION, "exactly one of secret and secret_id is required", path=["secret_id"])
    return parsed


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body or b"null")
    except ValueError:
        raise ApiError(400, CODE_MALFORMED_JSON, "Malformed JSON in request body") from None
    if not isinstance(parsed, dict):
        raise ApiError(400, CODE_VALIDATION, "Invalid: expected an object")
    return parsed


def _route(account: Account, gateway_id: str, route_id: str) -> dict[str, Any]:
    _gateway(account, gateway_id)
    route = account.routes.get(gateway_id, {}).get(route_id)
    if route is None:
        raise ApiError(404, CODE_NOT_FOUND, f"Route '{route_id}' not found")
    return route


def _public(value: dict[str, Any]) -> dict[str, Any]:
    """A route or a version as the API answers it: a copy without the stand-in's own "_" keys."""
    return _copy({k: v for k, v in value.items() if not k.startswith("_")})


def _after(stamps: Any) -> datetime:
    """A moment just after the latest of these ISO timestamps."""
    latest = max((datetime.fromisoformat(str(t).replace("Z", "+00:00")) for t in stamps),
                 default=datetime.fromtimestamp(0, UTC))
    return latest + timedelta(milliseconds=1)


def _route_list(key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    # SDK `DynamicRoutingListVersionsResponse` / `...ListDeploymentsResponse`: {data: {...}, success}, no `result`.
    return {"data": {key: items, "order_by": "created_at", "order_by_direction": "desc", "page": 1,
                     "per_page": max(len(items), 20)}, "success": True, "errors": [], "messages": []}


# Per element type: its outputs, its properties (None: none), and what the API drops (PR #30453).
_ROUTE_TYPES: dict[str, tuple[tuple[str, ...] | None, dict[str, type | tuple[type, ...]] | None, tuple[str, ...]]] = {
    "start": (("next",), None, ()),
    "conditional": (("true", "false"), {"conditions": dict}, ("condition",)),
    "percentage": (None, None, ()),
    "rate": (("success", "fallback"), {"key": str, "limit": (int, float), "limitType": str, "window": (int, float)},
             ("technique",)),
    "model": (("success", "fallback"), {"provider": str, "model": str, "retries": (int, float),
                                        "timeout": (int, float)}, ()),
    "end": ((), None, ()),
}


def _valid_route_elements(elements: Any) -> list[dict[str, Any]]:
    if not isinstance(elements, list):
        raise ApiError(400, CODE_VALIDATION, "Required", path=["elements"])
    out = []
    for i, e in enumerate(elements):
        where = ["elements", i]
        if not isinstance(e, dict) or not isinstance(e.get("id"), str):
            raise ApiError(400, CODE_VALIDATION, "Required", path=[*where, "id"])
        kind = e.get("type")
        if kind not in _ROUTE_TYPES:
            raise ApiError(400, CODE_VALIDATION, "Expected 'start' | 'conditional' | 'percentage' | 'rate' | "
                                                 "'model' | 'end'", path=[*where, "type"])
        names, props, dropped = _ROUTE_TYPES[kind]
        if "outputs" not in e or not isinstance(e["outputs"], dict):
            raise ApiError(400, CODE_VALIDATION, "Required", path=[*where, "outputs"])
        outputs = e["outputs"]
        if kind == "percentage" and "else" in outputs:
            raise ApiError(400, CODE_VALIDATION, "Invalid", path=[*where, "outputs", "else"])
        for name in (names if names is not None else list(outputs)):
            target = outputs.get(name)
            if not isinstance(target, dict) or not isinstance(target.get("elementId"), str):
                raise ApiError(400, CODE_VALIDATION, "Required", path=[*where, "outputs", name])
        element: dict[str, Any] = {"id": e["id"], "type": kind,
                                   "outputs": {k: {"elementId": v["elementId"]} for k, v in outputs.items()
                                               if names is None or k in names}}
        if props is not None:
            given = e.get("properties")
            if not isinstance(given, dict):
                raise ApiError(400, CODE_VALIDATION, "Required", path=[*where, "properties"])
            for key, kind_ in props.items():
                if key == "conditions" and key not in given:
                    continue  # optional in the SDK (`conditions: object`)
                if not isinstance(given.get(key), kind_) or isinstance(given.get(key), bool):
                    raise ApiError(400, CODE_VALIDATION, "Required", path=[*where, "properties", key])
            element["properties"] = {k: v for k, v in given.items() if k in props and k not in dropped}
        out.append(element)
    return out


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _seconds_of(value: int | str) -> float | None:
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and 0 <= seconds < 10**9 else None


def _ceil(seconds: float) -> int:
    return max(1, math.ceil(seconds - 1e-9))


def _ratelimit_value(remaining: int, reset: int) -> str:
    return f'"default";r={max(0, remaining)};t={reset}'


_ACCOUNT = r"^/accounts/(?P<account_id>[^/]+)"
GATEWAY_PREFIX = "/gateway/v1"
LOG_HEAD = 100  # ASSUMED: how much of a stored body the detail's `*_head` holds
LOG_ORDER_BY = {"created_at", "provider", "model", "model_type", "success", "cached"}
# The query parameters of List Gateway Logs (SDK `log_list_params.py`).
LOG_LIST_PARAMS = {"cached", "direction", "end_date", "feedback", "filters", "max_cost", "max_duration",
                   "max_tokens_in", "max_tokens_out", "max_total_tokens", "meta_info", "min_cost", "min_duration",
                   "min_tokens_in", "min_tokens_out", "min_total_tokens", "model", "model_type", "order_by",
                   "order_by_direction", "page", "per_page", "provider", "request_content_type",
                   "response_content_type", "search", "start_date", "success"}
# What a list entry carries (SDK `LogListResponse`): no heads, sizes or bodies.
LOG_LIST_FIELDS = {"id", "cached", "created_at", "duration", "model", "path", "provider", "success", "tokens_in",
                   "tokens_out", "cost", "custom_cost", "metadata", "model_type", "request_content_type",
                   "request_type", "response_content_type", "status_code", "step"}
_ROUTES: list[tuple[re.Pattern[str], dict[str, tuple[frozenset[str], Callable[..., tuple[int, dict]]]]]] = [
    (re.compile(_ACCOUNT + r"/ai-gateway/gateways$"), {
        "GET": (frozenset({AIG_READ, AIG_WRITE}), StandIn._list_gateways),
        "POST": (frozenset({AIG_WRITE}), StandIn._create_gateway),
    }),
    (re.compile(_ACCOUNT + r"/ai-gateway/gateways/(?P<gateway_id>[^/]+)$"), {
        "GET": (frozenset({AIG_READ, AIG_WRITE}), StandIn._get_gateway),
        "PUT": (frozenset({AIG_WRITE}), StandIn._update_gateway),
        "DELETE": (frozenset({AIG_WRITE}), StandIn._delete_gateway),
    }),
    # Every Logpush call needs Logs Write, reading included ("all Logpush API operations require
    # Logs: Write permission because Logpush jobs contain sensitive information": Cloudflare Logs
    # docs, Logpush, Permissions; API reference List/Get Logpush jobs: "Accepted Permissions: Logs
    # Write"; pulumi-cloudflare `get_logpush_jobs.py`). Logs Read covers Logpull and Instant Logs.
    (re.compile(_ACCOUNT + r"/logpush/jobs$"), {
        "GET": (frozenset({LOGS_WRITE}), StandIn._list_jobs),
        "POST": (frozenset({LOGS_WRITE}), StandIn._create_job),
    }),
    (re.compile(_ACCOUNT + r"/logpush/jobs/(?P<job_id>[^/]+)$"), {
        "GET": (frozenset({LOGS_WRITE}), StandIn._get_job),
        "PUT": (frozenset({LOGS_WRITE}), StandIn._update_job),
        "DELETE": (frozenset({LOGS_WRITE}), StandIn._delete_job),
    }),
    (re.compile(_ACCOUNT + r"/ai-gateway/gateways/(?P<gateway_id>[^/]+)/provider_configs$"), {
        "GET": (frozenset({AIG_READ, AIG_WRITE}), StandIn._list_provider_configs),
        "POST": (frozenset({AIG_WRITE}), StandIn._create_provider_config),
    }),
    (re.compile(_ACCOUNT + r"/ai-gateway/gateways/(?P<gateway_id>[^/]+)/provider_configs/(?P<config_id>[^/]+)$"), {
        "DELETE": (frozenset({AIG_WRITE}), StandIn._delete_provider_config),
    }),
    (re.compile(_ACCOUNT + r"/ai-gateway/gateways/(?P<gateway_id>[^/]+)/routes$"), {
        "GET": (frozenset({AIG_READ, AIG_WRITE}), StandIn._list_routes),
        "POST": (frozenset({AIG_WRITE}), StandIn._create_route),
    }),
    (re.compile(_ACCOUNT + r"/ai-gateway/gateways/(?P<gateway_id>[^/]+)/routes/(?P<route_id>[^/]+)$"), {
        "GET": (frozenset({AIG_READ, AIG_WRITE}), StandIn._get_route),
        "PATCH": (frozenset({AIG_WRITE}), StandIn._update_route),
        "DELETE": (frozenset({AIG_WRITE}), StandIn._delete_route),
    }),
    (re.compile(_ACCOUNT + r"/ai-gateway/gateways/(?P<gateway_id>[^/]+)/routes/(?P<route_id>[^/]+)/versions$"), {
        "GET": (frozenset({AIG_READ, AIG_WRITE}), StandIn._list_route_versions),
        "POST": (frozenset({AIG_WRITE}), StandIn._create_route_version),
    }),
    (re.compile(_ACCOUNT + r"/ai-gateway/gateways/(?P<gateway_id>[^/]+)/routes/(?P<route_id>[^/]+)/deployments$"), {
        "GET": (frozenset({AIG_READ, AIG_WRITE}), StandIn._list_route_deployments),
        "POST": (frozenset({AIG_WRITE}), StandIn._create_route_deployment),
    }),
    # Any valid token may verify itself (no permission group).
    (re.compile(_ACCOUNT + r"/tokens/verify$"), {"GET": (frozenset(), StandIn._verify_token)}),
    # Account-owned tokens: "Account API Tokens Read" (API reference, Account API Tokens > List Tokens).
    (re.compile(_ACCOUNT + r"/tokens$"), {"GET": (frozenset({TOKENS_READ}), StandIn._list_account_tokens)}),
    # The Logs API: AI Gateway Read or Write ("Accepted Permissions", API reference, AI Gateway > Logs).
    (re.compile(_ACCOUNT + r"/ai-gateway/gateways/(?P<gateway_id>[^/]+)/logs$"), {
        "GET": (frozenset({AIG_READ, AIG_WRITE}), StandIn._list_logs)}),
    (re.compile(_ACCOUNT + r"/ai-gateway/gateways/(?P<gateway_id>[^/]+)/logs/(?P<log_id>[^/]+)$"), {
        "GET": (frozenset({AIG_READ, AIG_WRITE}), StandIn._get_log)}),
    (re.compile(_ACCOUNT + r"/ai-gateway/gateways/(?P<gateway_id>[^/]+)/logs/(?P<log_id>[^/]+)/"
                r"(?P<part>request|response)$"), {
        "GET": (frozenset({AIG_READ, AIG_WRITE}), StandIn._log_body)}),
]


class FakeClock:
    """A monotonic clock moved by hand (`StandIn(clock=...)`): rate-limit windows and blocks without sleeping."""

    def __init__(self, start: float = 1000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# --------------------------------------------------------------------------- HTTP


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # joined by server_close(), so no thread outlives the stand-in
    block_on_close = True

    def __init__(self, *args: Any, **kwargs: Any):
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that went away mid-response; nothing to report


def _handler_for(standin: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as httpx uses it
        disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stalls
        timeout = 30
        server_version = "cloudflare-standin"
        sys_version = ""

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with standin._lock:
                status, payload, extra = standin.handle(self.command, self.path, dict(self.headers.items()), body)
            raw = payload if isinstance(payload, _Raw) else None
            data = raw.body if raw else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", raw.content_type if raw else "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            if raw and raw.trickle:
                for i in range(len(data)):
                    self.wfile.write(data[i:i + 1])
                    self.wfile.flush()
                    time.sleep(raw.trickle)
            else:
                self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
