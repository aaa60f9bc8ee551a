"""A compliant stack as the rules see it, one-field changes of it, and the rules run over it.

The stack is modelled on `aigw plan prod --format json` (tests/policy/test_rules.py checks that
its property names still match the plan's): three gateways, each collecting logs, authenticated,
rate limited, with DLP, guardrails, spend limits and Logpush, each fronted by an edge Worker
(WorkersScript running edge.mjs with PAYLOADS "false" and the Run token as a secret binding, plus
its aigw:index:EdgeWorker component); one Logpush job for the account; three tokens (run, read,
deploy) as aigw:index:ApiToken components and cloudflare AccountTokens. Secrets are `Secret`
markers, as the pack sees them (`values.from_wire`).

Every call builds fresh objects, so a test can change one field without touching another test's
stack: `changed(GATEWAY, "support-bot", "authentication", False)`. The rule tests (test_rule_<id>.py, one
file per rule) each change one field and assert the finding: rule id, level, resource and the words of
the message.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from aigw_policy.engine import STACK_TYPE, Context, Finding, default_settings, evaluate, is_production
from aigw_policy.rules import (
    ACCOUNT_TOKEN,
    API_TOKEN,
    EDGE_WORKER,
    GATEWAY,
    LOGPUSH_JOB,
    RULES,
    WORKERS_SCRIPT,
)
from aigw_policy.values import Resource, Secret
from aigw_policy.vocabulary import AI_GATEWAY_DYNAMIC_ROUTING, PROVIDER_CONFIG, SECRETS_STORE_SECRET

ACCOUNT_ID = "9a8b7c6d5e4f30210f1e2d3c4b5a6978"
OTHER_ACCOUNT_ID = "0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f6"
# The tokens' notBefore: rules that count days see the same "today" in every run.
TODAY = dt.date(2026, 11, 23)
GATEWAY_NAMES = ("batch-summariser", "docs-search", "support-bot")
CACHE_TTLS = {"batch-summariser": 0, "docs-search": 3600, "support-bot": 600}
RUN_TOKEN = "edge-run"
DLP_PROFILE = "c8932cc4-3312-4152-8041-f3f257122dc4"
PUBLIC_KEY = "".join(line + "\n" for line in (
    "-----BEGIN PUBLIC KEY-----",
    "MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAktfPVo0RWK/C9izrpsx9",
    "GgyP/DN1Zi4/s0FeXmtVAVk542litpBwPYe3f0nAufl1pkRF7RDx8EjjNAyLT1bB",
    "BfX02PWTPEV7o6Dy5evj2l8TZG4yOynAj2Q440Huo53gDAeN4wMkBSXkn3fphcj7",
    "tXNZ0zgCditl9hDYEacQ4y1u/Xx61MV33uywBPmlrHPqd1MQgpB8QORelP/iQc77",
    "RLBxg/EfXfsS8TcMu9FsEjWftkrfXlu0ThUafrZJZnIWNFoc1z5bIJF2/F1QbUnJ",
    "65Z95s2Te2Quy7/9/EYTWpx06HqJOoYs+rtYpRS7Nn2R3tQ5AT4YiPiYtCgMhWC8",
    "qojziS/EnOdn9isLzElKSoTFqu4YXBItja0m64uBJBBUmh/M7fuFexcpJBX0JIfV",
    "h10AMe3b8SYjeNxCFnmj73bLjrAkVktQ1oZhx0oP1uIzSbUSAt+8uEzsyuEm1HKU",
    "Y0QyAiYyMsgVBhHUcDUX0jFtoGdgOuEHIrPupBUMwpxX+cGDXZvs1sOtzr+hQph7",
    "rpbWtRJHtJ8YEkr9w14rrcxWdOcM1kwiuIkDPA9felIE8Ks4svSe4a8GH6vz5ljM",
    "l/ZVsVbv2yp/mAVZm1ju8jP2pHKaTJ0Rnd85pWMN50DMKu0s4Opt/zwQXWQOQsti",
    "aqozPSKd+cXyKBV88kXB+NUCAwEAAQ==",
    "-----END PUBLIC KEY-----",
))
# An R2 destination as aigw/components/log_export.py builds it (credentials in the query).
R2_DESTINATION_CONF = (f"r2://acme-prod-ai-gateway-logs/{{DATE}}?account-id={ACCOUNT_ID}"
                       "&access-key-id=AKIAEXAMPLE&secret-access-key=wJalrXUtnFEMIEXAMPLEKEY")
# Binding order of the edge Worker's script (aigw/components/workers.py).
EDGE_BINDINGS = ("AI", "GATEWAY_URL", "GATEWAY_ID", "GATEWAY_NAME", "ENVIRONMENT", "APP", "PAYLOADS", "ZDR",
                 "AIG_TOKEN")


def gateway_id(name: str, environment: str = "prod") -> str:
    return f"{environment}-{name}"


def base_url(name: str, environment: str = "prod") -> str:
    return f"https://gateway.ai.cloudflare.com/v1/{ACCOUNT_ID}/{gateway_id(name, environment)}"


def gateway(name: str, environment: str = "prod") -> Resource:
    return Resource(GATEWAY, name, {
        "accountId": ACCOUNT_ID,
        "aiGatewayId": gateway_id(name, environment),
        "authentication": True,
        "byokOnly": False,
        "cacheInvalidateOnUpdate": True,
        "cacheTtl": CACHE_TTLS[name],
        "collectLogs": True,
        "dlp": {"enabled": True, "policies": [{
            "action": "BLOCK", "checks": ["REQUEST", "RESPONSE"], "enabled": True, "id": "pii-block",
            "profiles": [DLP_PROFILE]}]},
        "guardrails": {"prompt": {"p1": "BLOCK", "s1": "BLOCK", "s4": "BLOCK", "s7": "FLAG"},
                       "response": {"s10": "BLOCK", "s11": "BLOCK", "s4": "BLOCK"}},
        "logClassification": False,
        "logManagement": 5000000,
        "logManagementStrategy": "DELETE_OLDEST",
        "logpush": True,
        "logpushPublicKey": PUBLIC_KEY,
        "rateLimitingInterval": 60,
        "rateLimitingLimit": 600,
        "rateLimitingTechnique": "sliding",
        "retryBackoff": "exponential",
        "retryDelay": 500,
        "retryMaxAttempts": 2,
        "spendLimits": {"enabled": True, "rules": [{
            "enabled": True, "limit": 250, "limitType": "cost", "technique": "sliding", "window": 86400}]},
        "workersAiBillingMode": "postpaid",
        "zdr": False,
    })


def edge_script(name: str, environment: str = "prod") -> Resource:
    texts = {"GATEWAY_URL": base_url(name, environment), "GATEWAY_ID": gateway_id(name, environment),
             "GATEWAY_NAME": name, "ENVIRONMENT": environment, "APP": name, "PAYLOADS": "false",
             "ZDR": "false"}
    bindings: list[dict[str, Any]] = [{"name": "AI", "type": "ai"}]
    bindings += [{"name": k, "text": v, "type": "plain_text"} for k, v in texts.items()]
    bindings.append({"name": "AIG_TOKEN", "text": Secret(), "type": "secret_text"})
    assert tuple(b["name"] for b in bindings) == EDGE_BINDINGS
    return Resource(WORKERS_SCRIPT, name, {
        "accountId": ACCOUNT_ID,
        "bindings": bindings,
        "compatibilityDate": "2026-11-01",
        "contentFile": "../aigw/workers/edge.mjs",
        "contentSha256": "d412abcc42ca1c4cff44fc94026dd6d50ccee37500f38b980db0576b99f98cef",
        "mainModule": "edge.mjs",
        "scriptName": f"{gateway_id(name, environment)}-edge",
    })


def edge_worker(name: str, environment: str = "prod") -> Resource:
    return Resource(EDGE_WORKER, name, {"gateway": gateway_id(name, environment), "payloads": "false",
                                        "scriptName": f"{gateway_id(name, environment)}-edge", "token": RUN_TOKEN})


def team_script(name: str = "summarise", gateway_name: str = "batch-summariser", environment: str = "prod") -> Resource:
    """A team's own Worker using Workers AI (aigw:workers), as the dev stack declares one."""
    return Resource(WORKERS_SCRIPT, name, {
        "accountId": ACCOUNT_ID,
        "bindings": [{"name": "AI", "type": "ai"},
                     {"name": "GATEWAY_ID", "text": gateway_id(gateway_name, environment), "type": "plain_text"},
                     {"name": "TEAM", "text": "knowledge", "type": "plain_text"}],
        "compatibilityDate": "2026-11-01",
        "contentFile": f"../workers/{name}.mjs",
        "contentSha256": "4b8be284f39431734051391821d32b5ff126b22d9d9a9c4665a7282650ab4d2f",
        "mainModule": f"{name}.mjs",
        "scriptName": f"{environment}-{name}",
    })


# name -> (purpose, permission names, days valid from TODAY)
TOKENS: dict[str, tuple[str, list[str], int]] = {
    "ci-deploy": ("deploy", ["AI Gateway Write", "Logs Write", "Workers R2 Storage Write", "Account API Tokens Write",
                             "Account API Tokens Read", "Workers Scripts Write"], 30),
    "edge-run": ("run", ["AI Gateway Run"], 90),
    "log-reader": ("read", ["AI Gateway Read"], 30),
}


def api_token(name: str) -> Resource:
    purpose, permissions, days = TOKENS[name]
    return Resource(API_TOKEN, name, {
        "accountId": ACCOUNT_ID, "expiresOn": (TODAY + dt.timedelta(days=days)).isoformat(),
        "notBefore": TODAY.isoformat(), "permissionGroups": list(permissions), "purpose": purpose})


def account_scope(account_id: str = ACCOUNT_ID) -> str:
    """An AccountToken policy's `resources`: a JSON object string, as the provider takes it."""
    return json.dumps({f"com.cloudflare.api.account.{account_id}": "*"})


def account_token(name: str, environment: str = "prod") -> Resource:
    _, permissions, days = TOKENS[name]
    return Resource(ACCOUNT_TOKEN, name, {
        "accountId": ACCOUNT_ID,
        "expiresOn": f"{(TODAY + dt.timedelta(days=days)).isoformat()}T00:00:00Z",
        "name": f"aigw-{environment}-{name}",
        "notBefore": f"{TODAY.isoformat()}T00:00:00Z",
        "policies": [{"effect": "allow", "permissionGroups": [{"id": f"pg:{p}"} for p in permissions],
                      "resources": account_scope()}],
    })


def logpush_job(environment: str = "prod") -> Resource:
    return Resource(LOGPUSH_JOB, "logpush-job", {
        "accountId": ACCOUNT_ID, "dataset": "ai_gateway_events", "destinationConf": Secret(R2_DESTINATION_CONF),
        "enabled": True, "maxUploadIntervalSeconds": 300, "name": f"aigw-{environment}-ai-gateway-logs"})


def compliant(environment: str = "prod") -> list[Resource]:
    """The whole stack, compliant with every rule in production (and so everywhere)."""
    resources: list[Resource] = []
    for name in sorted(TOKENS):
        resources.append(api_token(name))
    for name in GATEWAY_NAMES:
        resources.append(edge_worker(name, environment))
        resources.append(Resource("aigw:index:Gateway", name, {}))
    resources.append(Resource("aigw:index:LogExport", "log-export", {}))
    resources += [account_token(name, environment) for name in sorted(TOKENS)]
    resources += [gateway(name, environment) for name in GATEWAY_NAMES]
    resources.append(logpush_job(environment))
    resources.append(Resource("cloudflare:index/r2Bucket:R2Bucket", "log-bucket", {
        "accountId": ACCOUNT_ID, "name": f"acme-{environment}-ai-gateway-logs"}))
    resources += [edge_script(name, environment) for name in GATEWAY_NAMES]
    return resources


# --- one change at a time ------------------------------------------------------------------------

DELETE = object()  # as a value: remove the key (or list element) at the path


def _parts(path: str) -> list[str | int]:
    return [int(p[1:-1]) if p.startswith("[") else p for p in re.findall(r"\[\d+\]|[^.\[\]]+", path)]


def set_path(props: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``props`` with ``path`` (``a.b[0].c``) set to ``value`` (or removed with DELETE).

    Every step but the last must exist, so a mistyped path fails the test instead of adding a key
    nobody reads."""
    out = copy.deepcopy(dict(props))
    parts = _parts(path)
    node: Any = out
    for part in parts[:-1]:
        node = node[part]
    last = parts[-1]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return out


def find(resources: Iterable[Resource], type_: str, name: str) -> Resource:
    (found,) = [r for r in resources if r.ref == (type_, name)]
    return found


def with_change(resources: Sequence[Resource], type_: str, name: str, path: str, value: Any) -> list[Resource]:
    """``resources`` with one property of one resource changed (the resource must exist)."""
    find(resources, type_, name)
    return [Resource(r.type, r.name, set_path(r.props, path, value), r.urn) if r.ref == (type_, name) else r
            for r in resources]


def changed(type_: str, name: str, path: str, value: Any, environment: str = "prod") -> list[Resource]:
    """The compliant stack with exactly one field changed."""
    return with_change(compliant(environment), type_, name, path, value)


def without(resources: Sequence[Resource], type_: str, name: str) -> list[Resource]:
    find(resources, type_, name)
    return [r for r in resources if r.ref != (type_, name)]


def binding_path(name: str, field: str = "text") -> str:
    """Path of one of the edge Worker script's bindings: binding_path("PAYLOADS") == "bindings[6].text"."""
    return f"bindings[{EDGE_BINDINGS.index(name)}].{field}"


# --- running the rules ---------------------------------------------------------------------------

def context(environment: str = "prod", *, account_id: str | None = ACCOUNT_ID,
            config: Mapping[str, Any] | None = None, today: dt.date = TODAY) -> Context:
    config = dict(config or {})
    return Context(environment, environment, is_production(environment, config), account_id, config, today)


def run(resources: Sequence[Resource], environment: str = "prod", *,
        config: Mapping[str, Mapping[str, Any]] | None = None, levels: Mapping[str, str] | None = None,
        account_id: str | None = ACCOUNT_ID, stack_production: Sequence[str] = ()) -> list[Finding]:
    """Every rule over one stack as `aigw check` and the pack run them (engine.evaluate), from the
    default settings with some rules' level or config properties overridden."""
    settings = default_settings(RULES)
    for rule_id, props in (config or {}).items():
        level, defaults = settings[rule_id]
        unknown = set(props) - set(defaults)
        assert not unknown, f"{rule_id} has no config properties {unknown}"
        settings[rule_id] = (level, {**defaults, **props})
    for rule_id, level in (levels or {}).items():
        settings[rule_id] = (level, settings[rule_id][1])
    return evaluate(RULES, resources, context(environment, account_id=account_id), settings, stack_production)


def of_rule(findings: Iterable[Finding], rule_id: str) -> list[Finding]:
    return [f for f in findings if f.policy == rule_id]


def only(findings: Iterable[Finding], rule_id: str) -> Finding:
    """The one finding of ``rule_id`` (the test fails, listing them, when there are none or several)."""
    found = of_rule(findings, rule_id)
    assert len(found) == 1, f"expected one {rule_id} finding, got {found}"
    return found[0]


def assert_finding(finding: Finding, rule_id: str, level: str, resource: tuple[str, str], *words: str) -> None:
    """The finding is of ``rule_id`` at ``level`` on ``resource``, and its message has every word."""
    assert (finding.policy, finding.level, finding.resource) == (rule_id, level, resource), finding
    missing = [w for w in words if w not in finding.message]
    assert not missing, f"{missing} not in {finding.message!r}"


# Shared by the rule tests (test_rules.py, test_rule_<id>.py).
ROOT = Path(__file__).resolve().parents[2]
OWN_ACCOUNT, OTHER_ACCOUNT = (f"com.cloudflare.api.account.{a}" for a in (ACCOUNT_ID, OTHER_ACCOUNT_ID))
GW = (GATEWAY, "support-bot")
SCRIPT = (WORKERS_SCRIPT, "support-bot")
JOB = (LOGPUSH_JOB, "logpush-job")
PROD_STACK = (STACK_TYPE, "prod")
SUPPORT_BOT = "gateway 'support-bot' (id prod-support-bot)"
OTEL_URL = "https://otlp.example.com/v1/traces"
ALLOW_OTEL = {"production-no-payload-export": {"allowedOtelHosts": ["otlp.example.com"]}}
DEFAULT_PATTERN = "prod-[a-z0-9_]+(-[a-z0-9_]+)*"


def otel(**fields):
    return [{"url": OTEL_URL, "contentType": "json", **fields}]
# The environments a rule that applies everywhere is tried in.
environments = pytest.mark.parametrize("env", ["prod", "dev"])


# --- provider keys and a route on support-bot (the BYOK rules' tests) ------------------------------

STORE_ID = "0123456789abcdef0123456789abcdef"


def byok_route(environment: str = "prod", fallback: tuple[str, str] = ("anthropic", "claude-sonnet-4-5")) -> Resource:
    """support-bot's route as `aigw plan` shows it: openai/gpt-4o with a fallback."""
    gw = gateway_id("support-bot", environment)
    model = {"retries": 1, "timeout": 30000}
    return Resource(AI_GATEWAY_DYNAMIC_ROUTING, "support-bot-support", {
        "accountId": ACCOUNT_ID, "gatewayId": gw, "name": "support", "elements": [
            {"id": "start", "type": "start", "outputs": {"next": {"elementId": "primary"}}},
            {"id": "primary", "type": "model", "properties": {
                "aiGatewayDynamicRoutingProvider": "openai", "model": "gpt-4o", **model},
             "outputs": {"success": {"elementId": "end"}, "fallback": {"elementId": "backup"}}},
            {"id": "backup", "type": "model", "properties": {
                "aiGatewayDynamicRoutingProvider": fallback[0], "model": fallback[1], **model},
             "outputs": {"success": {"elementId": "end"}, "fallback": {"elementId": "end"}}},
            {"id": "end", "type": "end", "outputs": {}}]})


def byok_key(provider: str, environment: str = "prod") -> list[Resource]:
    """A provider key of support-bot: its Secrets Store secret and its provider config."""
    gw = gateway_id("support-bot", environment)
    return [
        Resource(SECRETS_STORE_SECRET, f"support-bot-{provider}-default", {
            "accountId": ACCOUNT_ID, "storeId": STORE_ID, "name": f"{gw}_{provider}_default",
            "scopes": ["ai_gateway"], "value": Secret("sk-key")}),
        Resource(PROVIDER_CONFIG, f"support-bot-{provider}-default", {
            "accountId": ACCOUNT_ID, "gatewayId": gw, "providerSlug": provider, "alias": "default",
            "defaultConfig": True, "secretId": f"support-bot-{provider}-default-id"}),
    ]


def with_byok(environment: str = "prod", providers: Sequence[str] = ("openai", "anthropic"),
              route: Resource | None = None) -> list[Resource]:
    """The compliant stack with support-bot requiring provider credentials, storing a key per provider and
    routing openai/gpt-4o -> anthropic/claude-sonnet-4-5: compliant with every rule."""
    resources = with_change(compliant(environment), GATEWAY, "support-bot", "byokOnly", True)
    resources = with_change(resources, GATEWAY, "support-bot", "storeId", STORE_ID)
    for provider in providers:
        resources += byok_key(provider, environment)
    return [*resources, route or byok_route(environment)]
