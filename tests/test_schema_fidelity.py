"""Every planned AiGateway is a body the Cloudflare API accepts (the official SDK's request type).

The props of each `cloudflare:index/aiGateway:AiGateway` are mapped to the API body
(`helpers.schema.api_body`) and checked against `cloudflare.types.ai_gateway.AIGatewayCreateParams`
(`helpers.schema.api_problems`): unknown keys, missing required keys, wrong types and bad enums
are all failures. Sources of props: the real offline plan of every stack in the repo (in a
subprocess, as `aigw plan` runs it), and generated valid specs run under Pulumi mocks.
The checker itself is tested first, so these tests can fail.
"""

from __future__ import annotations

import json
import string
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from helpers.plan_server import plan_runner
from helpers.schema import api_body, api_problems, pydantic_problems, wire_fields
from helpers.wire import is_secret, plain
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic.alias_generators import to_camel

from aigw import spec as spec_module
from aigw.program import deploy
from aigw.spec import GatewaySettings, Secret, is_credential_header

ROOT = Path(__file__).resolve().parents[1]
REPO_STACKS = sorted(ROOT.glob("Pulumi.*.yaml"))
AI_GATEWAY = "cloudflare:index/aiGateway:AiGateway"

MINIMAL_BODY: dict[str, Any] = {
    "account_id": "0123456789abcdef0123456789abcdef", "id": "prod-support-bot",
    "cache_invalidate_on_update": True, "cache_ttl": 0, "collect_logs": True,
    "rate_limiting_interval": 0, "rate_limiting_limit": 0,
}
FULL_BODY: dict[str, Any] = {
    **MINIMAL_BODY,
    "authentication": True, "byok_only": False, "log_classification": False,
    "log_management": 10_000, "log_management_strategy": "DELETE_OLDEST", "logpush": True,
    "logpush_public_key": "-----BEGIN PUBLIC KEY-----...", "rate_limiting_technique": "sliding",
    "retry_backoff": "exponential", "retry_delay": 500, "retry_max_attempts": 3, "store_id": "s",
    "workers_ai_billing_mode": "unified", "zdr": True,
    "dlp": {"enabled": True, "policies": [{"id": "p", "action": "BLOCK", "check": ["REQUEST"],
                                           "enabled": True, "profiles": ["x"]}]},
    "guardrails": {"prompt": {"P1": "BLOCK", "S13": "FLAG"}, "response": {}},
    "otel": [{"url": "https://otel.example.com", "headers": {"api-key": "[secret]"},
              "authorization": "[secret]", "content_type": "protobuf"}],
    "spend_limits": {"enabled": True, "rules": [{
        "limit": 5.5, "limitType": "cost", "window": 86400, "id": "r", "enabled": True, "technique": "fixed",
        "model": {"mode": "filter", "values": ["m"]}, "provider": {"mode": "filter", "values": ["openai"]},
        "metadata": {"team": {"mode": "partition"}, "tier": {"mode": "filter", "values": ["gold"]}},
    }]},
    "stripe": {"authorization": "[secret]", "usage_events": [{"payload": "{}"}]},
}


def with_change(body: dict[str, Any], path: tuple[Any, ...], value: Any = None, *, delete: bool = False):
    """A deep copy of `body` with one leaf replaced (or deleted)."""
    changed = json.loads(json.dumps(body))
    node = changed
    for step in path[:-1]:
        node = node[step]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return changed


# --------------------------------------------------------------------------- the checker


def test_the_checker_accepts_minimal_and_full_bodies():
    assert api_problems(MINIMAL_BODY) == []
    assert api_problems(FULL_BODY) == []
    profiles_dlp = {**MINIMAL_BODY, "dlp": {"enabled": True, "action": "FLAG", "profiles": ["x"]}}
    assert api_problems(profiles_dlp) == []


def test_the_checker_knows_the_apis_required_top_level_keys():
    # cloudflare SDK 5.9.0 `types/ai_gateway/ai_gateway_create_params.py` (the create body).
    from cloudflare.types.ai_gateway import AIGatewayCreateParams

    required = sorted(k for k, (_, _, req) in wire_fields(AIGatewayCreateParams).items() if req)
    assert required == ["account_id", "cache_invalidate_on_update", "cache_ttl", "collect_logs", "id",
                        "rate_limiting_interval", "rate_limiting_limit"]


@pytest.mark.parametrize(("path", "value", "fragment"), [
    (("bogus",), 1, "body.bogus: unknown key"),
    (("otel", 0, "headerz"), {}, "body.otel[0].headerz: unknown key"),
    (("spend_limits", "rules", 0, "provider", "regex"), "x", "provider.regex: unknown key"),
    (("dlp", "action"), "BLOCK", "body.dlp.action: unknown key"),  # the two DLP shapes mixed
    (("guardrails", "prompt", "p1"), "BLOCK", "body.guardrails.prompt.p1: unknown key"),  # wire name is P1
    (("spend_limits", "rules", 0, "limit_type"), "cost", "limit_type: unknown key"),  # wire name is limitType
    (("aiGatewayId",), "x", "body.aiGatewayId: unknown key"),  # a Pulumi name that was not mapped
])
def test_the_checker_rejects_keys_the_api_does_not_know(path, value, fragment):
    problems = api_problems(with_change(FULL_BODY, path, value))
    assert any(fragment in p for p in problems), problems


@pytest.mark.parametrize("path", [
    ("cache_ttl",), ("id",), ("account_id",),
    ("guardrails", "response"),
    ("dlp", "policies", 0, "check"),
    ("otel", 0, "headers"),
    ("spend_limits", "rules", 0, "limitType"),
    ("stripe", "usage_events"),
])
def test_the_checker_rejects_a_missing_required_key(path):
    problems = api_problems(with_change(FULL_BODY, path, delete=True))
    assert any(f"{path[-1]}: required key" in p for p in problems), problems


@pytest.mark.parametrize(("path", "value"), [
    (("log_management_strategy",), "DELETE-OLDEST"),
    (("workers_ai_billing_mode",), "prepaid"),
    (("guardrails", "prompt", "P1"), "WARN"),
    (("otel", 0, "content_type"), "xml"),
    (("dlp", "policies", 0, "check", 0), "BOTH"),
    (("spend_limits", "rules", 0, "limitType"), "tokens"),
    (("spend_limits", "rules", 0, "metadata", "team", "mode"), "split"),
])
def test_the_checker_rejects_a_bad_enum(path, value):
    problems = api_problems(with_change(FULL_BODY, path, value))
    assert any(repr(value) in p for p in problems), problems


@pytest.mark.parametrize(("path", "value"), [
    (("cache_ttl",), True),
    (("cache_ttl",), "60"),
    (("rate_limiting_limit",), 1.5),
    (("collect_logs",), 1),
    (("dlp", "policies", 0, "profiles"), "x"),
    (("otel", 0, "headers", "api-key"), 7),
    (("spend_limits", "rules", 0, "limit"), "5"),
])
def test_the_checker_rejects_a_wrong_json_type(path, value):
    assert api_problems(with_change(FULL_BODY, path, value)) != []


def test_pydantic_stage_runs_and_validates_lazy_iterables():
    # The walk and pydantic are independent: feed pydantic directly (SDK python names).
    python_form = {**MINIMAL_BODY, "otel": [{"url": "u", "headers": {}, "content_type": "xml"}],
                   "spend_limits": {"rules": [{"limit": 1, "limit_type": "cost", "window": True}]}}
    problems = pydantic_problems(python_form)
    assert any("content_type" in p for p in problems), problems
    assert any("window" in p for p in problems), problems
    assert pydantic_problems({**MINIMAL_BODY, "guardrails": {"prompt": {"p1": "BLOCK"}, "response": {}}}) == []


# --------------------------------------------------------------------------- the mapping


def test_props_map_to_the_api_body():
    props = {
        "accountId": "a", "aiGatewayId": "prod-x", "cacheInvalidateOnUpdate": True, "cacheTtl": 0,
        "collectLogs": True, "rateLimitingInterval": 60, "rateLimitingLimit": 10, "rateLimitingTechnique": "fixed",
        "logManagementStrategy": "DELETE_OLDEST", "logpushPublicKey": "k", "workersAiBillingMode": "postpaid",
        "byokOnly": True, "storeId": "s",
        "dlp": {"enabled": True, "policies": [{"id": "p", "action": "FLAG", "checks": ["REQUEST"],
                                               "enabled": True, "profiles": ["x"]}]},
        "guardrails": {"prompt": {"p1": "BLOCK", "s10": "FLAG"}, "response": {"s1": "BLOCK"}},
        "otels": [{"url": "u", "contentType": "json", "headers": {"X-Api-Key": "k", "teamId": "t"}}],
        "spendLimits": {"rules": [{"limit": 1, "limitType": "cost", "window": 60,
                                   "aiGatewayProvider": {"mode": "filter", "values": ["openai"]},
                                   "metadata": {"userId": {"mode": "partition"}}}]},
        "stripe": {"authorization": "[secret]", "usageEvents": [{"payload": "p"}]},
    }
    assert api_body(props) == {
        "account_id": "a", "id": "prod-x", "cache_invalidate_on_update": True, "cache_ttl": 0,
        "collect_logs": True, "rate_limiting_interval": 60, "rate_limiting_limit": 10,
        "rate_limiting_technique": "fixed", "log_management_strategy": "DELETE_OLDEST",
        "logpush_public_key": "k", "workers_ai_billing_mode": "postpaid", "byok_only": True, "store_id": "s",
        "dlp": {"enabled": True, "policies": [{"id": "p", "action": "FLAG", "check": ["REQUEST"],
                                               "enabled": True, "profiles": ["x"]}]},
        "guardrails": {"prompt": {"P1": "BLOCK", "S10": "FLAG"}, "response": {"S1": "BLOCK"}},
        "otel": [{"url": "u", "content_type": "json", "headers": {"X-Api-Key": "k", "teamId": "t"}}],
        "spend_limits": {"rules": [{"limit": 1, "limitType": "cost", "window": 60,
                                    "provider": {"mode": "filter", "values": ["openai"]},
                                    "metadata": {"userId": {"mode": "partition"}}}]},
        "stripe": {"authorization": "[secret]", "usage_events": [{"payload": "p"}]},
    }


def test_every_ai_gateway_input_maps_to_an_api_field_and_back():
    # The renames above are complete: pulumi-cloudflare's inputs and the SDK's fields are the same set.
    import inspect

    import pulumi_cloudflare as cloudflare
    from cloudflare.types.ai_gateway import AIGatewayCreateParams

    inputs = [p for p in inspect.signature(cloudflare.AiGatewayArgs.__init__).parameters if p != "__self__"]
    assert set(api_body({to_camel(name): None for name in inputs})) == set(wire_fields(AIGatewayCreateParams))


# --------------------------------------------------------------------------- every repo stack


def _plan(stack_file: Path) -> dict[str, Any]:
    proc = plan_runner([stack_file.name], cwd=ROOT)
    assert proc.returncode == 0, f"{stack_file.name}: {proc.stdout}{proc.stderr}"
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def repo_plans() -> dict[str, dict[str, Any]]:
    # One plan per process (Pulumi's runtime is process-global); run them side by side.
    with ThreadPoolExecutor(max_workers=len(REPO_STACKS) or 1) as pool:
        return dict(zip((p.name for p in REPO_STACKS), pool.map(_plan, REPO_STACKS), strict=True))


def test_the_repo_has_stacks():
    assert {p.name for p in REPO_STACKS} >= {"Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"}


@pytest.mark.parametrize("stack_file", [p.name for p in REPO_STACKS])
def test_every_planned_gateway_of_a_repo_stack_is_a_valid_api_body(repo_plans, stack_file):
    plan = repo_plans[stack_file]
    gateways = [r for r in plan["resources"] if r["type"] == AI_GATEWAY]
    assert gateways, f"{stack_file}: the plan has no AiGateway"
    for resource in gateways:
        assert api_problems(api_body(resource["props"])) == [], resource["name"]


# --------------------------------------------------------------------------- generated specs


@cache
def _logpush_public_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


ACTIONS = st.sampled_from(["FLAG", "BLOCK"])
TEXT = st.text(alphabet=string.ascii_letters + string.digits + "-_.:/ ", min_size=1, max_size=16)
SECRETS = st.builds(Secret, st.none() | TEXT)
HEADER_NAMES = ["x-team", "X-Scope-OrgID", "api-key", "authorization", "x-honeycomb-team", "DD-API-KEY"]


def _headers(names: list[str]):
    return st.fixed_dictionaries({n: SECRETS if is_credential_header(n) else TEXT for n in names})


CATEGORIES = st.dictionaries(st.sampled_from(["P1", *(f"S{i}" for i in range(1, 14))]), ACTIONS, max_size=6)
DLP_POLICY = st.fixed_dictionaries(
    {"id": TEXT, "action": ACTIONS, "profiles": st.lists(TEXT, min_size=1, max_size=2),
     "check": st.lists(st.sampled_from(["REQUEST", "RESPONSE"]), min_size=1, max_size=2, unique=True)},
    optional={"enabled": st.booleans()},
)
SPEND_RULE = st.fixed_dictionaries(
    {"limit": st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False),
     "window": st.integers(1, 30 * 86400)},
    optional={
        "technique": st.sampled_from(["fixed", "sliding"]), "id": TEXT, "enabled": st.booleans(),
        "models": st.lists(TEXT, min_size=1, max_size=3),
        "providers": st.lists(st.sampled_from(["openai", "anthropic", "workers-ai", "google-ai-studio"]),
                              min_size=1, max_size=3, unique=True),
        "metadata": st.dictionaries(TEXT, st.just("partition") | st.lists(TEXT, max_size=3), max_size=3),
    },
)
# One strategy per setting of aigw.spec.GatewaySettings, within aigw/spec's ranges (aigw/spec/gateway.py).
SETTING_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "cache": st.fixed_dictionaries({}, optional={
        "ttl": st.integers(0, spec_module.CACHE_TTL_MAX), "invalidateOnUpdate": st.booleans()}),
    "rateLimit": st.none() | st.fixed_dictionaries(
        {"limit": st.integers(1, 10**9), "interval": st.integers(1, 86400)},
        optional={"technique": st.sampled_from(["fixed", "sliding"])}),
    "logging": st.fixed_dictionaries({}, optional={
        "collect": st.booleans(), "payloads": st.booleans(),
        "maxLogs": st.integers(spec_module.LOG_MANAGEMENT_MIN, spec_module.LOG_MANAGEMENT_MAX),
        "onFull": st.sampled_from(["deleteOldest", "stopInserting"]),
        "classification": st.booleans(), "logpush": st.booleans(),
        "logpushPublicKey": st.builds(_logpush_public_key)}).filter(
            # classification and logpush need collected logs, and logpush a public key (the
            # gateway's own here: these generated stacks have no aigw:logpush); spec errors otherwise
            lambda d: (d.get("collect", True) or not (d.get("classification") or d.get("logpush")))
            and (not d.get("logpush") or "logpushPublicKey" in d)),
    # Plain false is refused (new gateways require authentication, changelog 2026-11-03); imported-off sends false.
    "authentication": st.sampled_from([True, "imported-off"]),
    "retry": st.none() | st.fixed_dictionaries({}, optional={
        "maxAttempts": st.integers(*spec_module.RETRY_MAX_ATTEMPTS),
        "delayMs": st.integers(*spec_module.RETRY_DELAY_MS),
        "backoff": st.sampled_from(["constant", "linear", "exponential"])}),
    "dlp": st.none()
    | st.fixed_dictionaries({"action": ACTIONS, "profiles": st.lists(TEXT, min_size=1, max_size=3)},
                            optional={"enabled": st.booleans()})
    | st.fixed_dictionaries({"policies": st.lists(DLP_POLICY, min_size=1, max_size=3)},
                            optional={"enabled": st.booleans()}),
    "guardrails": st.none() | st.fixed_dictionaries({}, optional={"prompt": CATEGORIES, "response": CATEGORIES}),
    "otel": st.lists(st.fixed_dictionaries(
        {"url": st.builds("https://{}{}".format, st.sampled_from(["otlp.example.com", "127.0.0.1:4318"]),
                          st.sampled_from(["", "/v1/traces"]))},
        optional={"headers": st.lists(st.sampled_from(HEADER_NAMES), unique=True, max_size=3).flatmap(_headers),
                  "authorization": SECRETS, "contentType": st.sampled_from(["json", "protobuf"])}),
        max_size=2),
    "spendLimits": st.none() | st.fixed_dictionaries(
        # Explicit rule ids are unique (the spec refuses a repeated one, as the API would), derived ones are too.
        {"rules": st.lists(SPEND_RULE, min_size=1, max_size=3, unique_by=lambda rule: rule.get("id", object()))},
        optional={"enabled": st.booleans()}),
    "stripe": st.none() | st.fixed_dictionaries(
        {"authorization": SECRETS},
        optional={"usageEvents": st.lists(st.fixed_dictionaries({"payload": TEXT}), max_size=2)}),
    "zdr": st.booleans(),
    "byokOnly": st.booleans(),
    "workersAiBillingMode": st.sampled_from(["postpaid", "unified"]),
    "storeId": st.none() | TEXT,
    "protect": st.none() | st.booleans(),
    # An edge Worker adds resources beside the gateway, never AiGateway inputs; it needs a run
    # token of the stack (tests/components/test_workers.py covers it).
    "edge": st.none(),
    # Provider keys and routes are resources beside the gateway (a Secrets Store secret and a provider config
    # per key, an AiGatewayDynamicRouting per route; tests/components/test_provider_keys.py covers them).
    "providerKeys": st.just([]),
    "routes": st.just({}),
}
GATEWAY_SETTINGS = st.fixed_dictionaries({}, optional=SETTING_STRATEGIES)
GATEWAY_NAMES = st.from_regex(r"[a-z0-9_]{1,10}(-[a-z0-9_]{1,6}){0,2}", fullmatch=True)


def test_generated_settings_cover_every_gateway_setting():
    assert set(SETTING_STRATEGIES) == {f.alias or to_camel(name) for name, f in GatewaySettings.model_fields.items()}


@settings(max_examples=40, deadline=None,
          # `engine` is function-scoped, but engine.run() installs fresh mocks for every example.
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(environment=st.sampled_from(["dev", "staging", "prod"]),
       gateways=st.dictionaries(GATEWAY_NAMES, GATEWAY_SETTINGS, min_size=1, max_size=3))
def test_every_generated_valid_spec_plans_valid_api_bodies(engine, stack_spec, environment, gateways):
    spec = stack_spec(gateways, environment)
    engine.run(lambda: deploy(spec), stack=environment)
    planned = engine.ai_gateways()
    assert sorted(planned) == sorted(g.name for g in spec.gateways)
    for gw in spec.gateways:
        registration = planned[gw.name]
        body = api_body(plain(registration.inputs))
        assert api_problems(body) == [], gw.name
        # The body says what the spec says.
        assert (body["account_id"], body["id"]) == (spec.account_id, gw.id)
        assert body["cache_ttl"] == gw.cache.ttl and body["collect_logs"] is gw.logging.collect
        expected_rate = (gw.rate_limit.limit, gw.rate_limit.interval) if gw.rate_limit else (0, 0)
        assert (body["rate_limiting_limit"], body["rate_limiting_interval"]) == expected_rate
        assert len(body.get("otel", [])) == len(gw.otel)
        assert len(body.get("spend_limits", {}).get("rules", [])) == (
            len(gw.spend_limits.rules) if gw.spend_limits else 0)
        # Credentials reach the engine as secrets; the resource keeps their outputs secret.
        if any(o.authorization or any(isinstance(v, Secret) for v in o.headers.values()) for o in gw.otel):
            assert is_secret(registration.inputs["otels"]), gw.name
        if gw.stripe:
            assert is_secret(registration.inputs["stripe"]), gw.name
        assert sorted(registration.additional_secret_outputs) == ["otels", "stripe"]
        assert registration.protect is (spec.production if gw.protect is None else gw.protect)
