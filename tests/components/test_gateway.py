"""`Gateway` under Pulumi mocks: every setting reaches the right AiGateway input (testing layer 2).

Inputs are asserted as the engine receives them: camelCase names, numbers as protobuf floats,
secrets in Pulumi's wire form. Registrations are recorded by the `engine` fixture (conftest).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from helpers.wire import is_secret, plain

from aigw.components.gateway import PROVIDERS, Gateway
from aigw.spec import Secret, StackSpec

AI_GATEWAY = "cloudflare:index/aiGateway:AiGateway"
COMPONENT = "aigw:index:Gateway"
ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
GATEWAY_HOST = "https://gateway.ai.cloudflare.com/v1"


@cache
def logpush_public_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem.decode()


def assert_same(actual: Any, expected: Any) -> None:
    assert actual == expected
    # `==` treats True as 1: compare the JSON too, so a bool never passes for a number.
    assert json.dumps(actual, sort_keys=True) == json.dumps(expected, sort_keys=True)


def full_settings() -> dict[str, Any]:
    """One gateway that sets every setting a gateway can carry."""
    return {
        "cache": {"ttl": 3600, "invalidateOnUpdate": True},
        "rateLimit": {"limit": 600, "interval": 60, "technique": "sliding"},
        "logging": {"collect": True, "payloads": False, "maxLogs": 1_000_000, "onFull": "stopInserting",
                    "classification": True, "logpush": True, "logpushPublicKey": logpush_public_key()},
        "authentication": True,
        "retry": {"maxAttempts": 3, "delayMs": 500, "backoff": "linear"},
        "dlp": {"policies": [{"id": "pii", "action": "BLOCK", "check": ["REQUEST", "RESPONSE"],
                              "profiles": ["c8932cc4-3312-4152-8041-f3f257122dc4"]}]},
        "guardrails": {"prompt": {"P1": "BLOCK", "S1": "FLAG"}, "response": {"S10": "BLOCK"}},
        "otel": [{"url": "https://otel.example.com/v1/traces", "contentType": "protobuf",
                  "headers": {"x-team": "ai", "api-key": Secret("otel-api-key")},
                  "authorization": Secret("Bearer otel-token")}],
        "spendLimits": {"enabled": True, "rules": [{
            "limit": 50.5, "window": 86400, "technique": "fixed", "id": "daily", "enabled": False,
            "models": ["gpt-4.1-mini"], "providers": ["openai"],
            "metadata": {"team": "partition", "tier": ["gold", "silver"]},
        }]},
        "stripe": {"authorization": Secret("sk_test_stripe"), "usageEvents": [{"payload": '{"event":"x"}'}]},
        "zdr": True,
        "byokOnly": True,
        "workersAiBillingMode": "unified",
        "storeId": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    }


def build(engine, stack_spec, settings: dict[str, Any] | None = None, *, name: str = "support-bot",
          environment: str = "prod", **spec_keys: Any) -> tuple[StackSpec, Gateway]:
    spec = stack_spec({name: settings or {}}, environment, **spec_keys)
    gateway = Gateway(spec, spec.gateway(name))
    engine.wait()
    return spec, gateway


def inputs_of(engine, name: str = "support-bot") -> dict[str, Any]:
    return engine.ai_gateways()[name].inputs


# --------------------------------------------------------------------------- settings -> inputs


def test_every_setting_maps_to_its_ai_gateway_input(engine, stack_spec):
    build(engine, stack_spec, full_settings())
    assert_same(plain(inputs_of(engine)), {
        "accountId": ACCOUNT_ID,
        "aiGatewayId": "prod-support-bot",
        "cacheTtl": 3600,
        "cacheInvalidateOnUpdate": True,
        "collectLogs": True,
        "rateLimitingLimit": 600,
        "rateLimitingInterval": 60,
        "rateLimitingTechnique": "sliding",
        "authentication": True,
        "logClassification": True,
        "logpush": True,
        "logpushPublicKey": logpush_public_key(),
        "logManagement": 1_000_000,
        "logManagementStrategy": "STOP_INSERTING",
        "retryMaxAttempts": 3,
        "retryDelay": 500,
        "retryBackoff": "linear",
        "dlp": {"enabled": True, "policies": [{
            "id": "pii", "action": "BLOCK", "checks": ["REQUEST", "RESPONSE"], "enabled": True,
            "profiles": ["c8932cc4-3312-4152-8041-f3f257122dc4"]}]},
        "guardrails": {"prompt": {"p1": "BLOCK", "s1": "FLAG"}, "response": {"s10": "BLOCK"}},
        "otels": [{"url": "https://otel.example.com/v1/traces", "contentType": "protobuf",
                   "headers": {"x-team": "ai", "api-key": "otel-api-key"},
                   "authorization": "Bearer otel-token"}],
        "spendLimits": {"enabled": True, "rules": [{
            "limit": 50.5, "limitType": "cost", "window": 86400, "technique": "fixed", "id": "daily",
            "enabled": False,
            "model": {"mode": "filter", "values": ["gpt-4.1-mini"]},
            "aiGatewayProvider": {"mode": "filter", "values": ["openai"]},
            "metadata": {"team": {"mode": "partition"}, "tier": {"mode": "filter", "values": ["gold", "silver"]}},
        }]},
        "stripe": {"authorization": "sk_test_stripe", "usageEvents": [{"payload": '{"event":"x"}'}]},
        "zdr": True,
        "byokOnly": True,
        "workersAiBillingMode": "unified",
        "storeId": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    })


def test_a_gateway_with_no_settings_gets_the_documented_defaults(engine, stack_spec):
    build(engine, stack_spec, {}, environment="dev")
    assert_same(plain(inputs_of(engine)), {
        "accountId": ACCOUNT_ID,
        "aiGatewayId": "dev-support-bot",
        "cacheTtl": 0,
        "cacheInvalidateOnUpdate": False,
        "collectLogs": True,
        "rateLimitingLimit": 0,
        "rateLimitingInterval": 0,
        "authentication": True,
        "logClassification": False,
        "logpush": False,
        "zdr": False,
        "byokOnly": False,
        "workersAiBillingMode": "postpaid",
    })


def test_rate_limit_off_is_zero_zero_without_a_technique(engine, stack_spec):
    build(engine, stack_spec, {"cache": {"ttl": 60}})
    inputs = inputs_of(engine)
    assert (inputs["rateLimitingLimit"], inputs["rateLimitingInterval"]) == (0, 0)
    assert "rateLimitingTechnique" not in inputs


def test_rate_limit_null_turns_off_a_stack_default(engine, stack_spec):
    build(engine, stack_spec, {"rateLimit": None},
          defaults={"rateLimit": {"limit": 10, "interval": 60, "technique": "sliding"}})
    inputs = inputs_of(engine)
    assert (inputs["rateLimitingLimit"], inputs["rateLimitingInterval"]) == (0, 0)
    assert "rateLimitingTechnique" not in inputs


def test_rate_limit_technique_defaults_to_fixed(engine, stack_spec):
    build(engine, stack_spec, {"rateLimit": {"limit": 5, "interval": 10}})
    inputs = inputs_of(engine)
    assert (inputs["rateLimitingLimit"], inputs["rateLimitingInterval"], inputs["rateLimitingTechnique"]) == (
        5, 10, "fixed")


@pytest.mark.parametrize(("on_full", "strategy"), [("deleteOldest", "DELETE_OLDEST"),
                                                    ("stopInserting", "STOP_INSERTING")])
def test_log_management_strategy_uses_the_api_enum(engine, stack_spec, on_full, strategy):
    build(engine, stack_spec, {"logging": {"maxLogs": 10_000, "onFull": on_full}})
    inputs = inputs_of(engine)
    assert inputs["logManagement"] == 10_000
    assert inputs["logManagementStrategy"] == strategy


def test_logging_off_and_classification_map_to_their_inputs(engine, stack_spec):
    build(engine, stack_spec, {"logging": {"collect": False, "classification": False, "logpush": False}})
    inputs = inputs_of(engine)
    assert inputs["collectLogs"] is False
    assert inputs["logClassification"] is False
    assert inputs["logpush"] is False
    assert "logManagement" not in inputs and "logManagementStrategy" not in inputs


def test_guardrails_use_the_providers_lowercase_keys_and_send_both_sides(engine, stack_spec):
    build(engine, stack_spec, {"guardrails": {"prompt": {"P1": "BLOCK", "S13": "FLAG"}}})
    assert plain(inputs_of(engine)["guardrails"]) == {"prompt": {"p1": "BLOCK", "s13": "FLAG"}, "response": {}}


def test_dlp_profiles_shape_maps_to_action_and_profiles(engine, stack_spec):
    build(engine, stack_spec, {"dlp": {"action": "FLAG", "profiles": ["p-1", "p-2"]}})
    assert plain(inputs_of(engine)["dlp"]) == {"enabled": True, "action": "FLAG", "profiles": ["p-1", "p-2"]}


def test_dlp_policies_shape_maps_check_to_checks(engine, stack_spec):
    build(engine, stack_spec, {"dlp": {"enabled": False, "policies": [
        {"id": "a", "action": "FLAG", "check": ["REQUEST"], "profiles": ["p-1"], "enabled": False},
        {"id": "b", "action": "BLOCK", "check": ["RESPONSE"], "profiles": ["p-2"]},
    ]}})
    assert plain(inputs_of(engine)["dlp"]) == {"enabled": False, "policies": [
        {"id": "a", "action": "FLAG", "checks": ["REQUEST"], "enabled": False, "profiles": ["p-1"]},
        {"id": "b", "action": "BLOCK", "checks": ["RESPONSE"], "enabled": True, "profiles": ["p-2"]},
    ]}


def test_spend_limit_rule_defaults_and_filters(engine, stack_spec):
    build(engine, stack_spec, {"spendLimits": {"rules": [
        {"limit": 250.0, "window": 86400},
        {"limit": 10, "window": 3600, "providers": ["anthropic", "openai"], "metadata": {"user": "partition"}},
    ]}})
    spend = inputs_of(engine)["spendLimits"]
    assert spend["enabled"] is True
    first, second = spend["rules"]
    # Every rule is sent with an id: left out, the provider would give each one the same constant id.
    assert first == {"limit": 250.0, "limitType": "cost", "window": 86400, "technique": "sliding", "enabled": True,
                     "id": first["id"]}
    assert isinstance(first["limit"], float)
    assert second["aiGatewayProvider"] == {"mode": "filter", "values": ["anthropic", "openai"]}
    assert second["metadata"] == {"user": {"mode": "partition"}}
    assert "model" not in second
    assert len({first["id"], second["id"]}) == 2 and "6fb25042" not in (first["id"], second["id"])


def test_spend_limit_rule_ids_are_the_specs_ids(engine, stack_spec):
    spec, _ = build(engine, stack_spec, {"spendLimits": {"rules": [
        {"limit": 1.0, "window": 60, "id": "minute"}, {"limit": 100.0, "window": 86400}]}})
    sent = [r["id"] for r in inputs_of(engine)["spendLimits"]["rules"]]
    assert sent == [r.id for r in spec.gateway("support-bot").spend_limits.rules]
    assert sent[0] == "minute"


def test_store_zdr_byok_and_billing_mode_map_to_their_inputs(engine, stack_spec):
    build(engine, stack_spec, {"storeId": "store-1", "zdr": True, "byokOnly": True,
                               "workersAiBillingMode": "unified"})
    inputs = inputs_of(engine)
    assert (inputs["storeId"], inputs["zdr"], inputs["byokOnly"], inputs["workersAiBillingMode"]) == (
        "store-1", True, True, "unified")


def test_an_explicit_gateway_id_is_the_ai_gateway_id(engine, stack_spec):
    spec, gateway = build(engine, stack_spec, {"id": "legacy_support"})
    assert inputs_of(engine)["aiGatewayId"] == "legacy_support"
    assert gateway.exports()["id"] == "legacy_support"


# --------------------------------------------------------------------------- secrets


def test_otel_credentials_arrive_as_secrets(engine, stack_spec):
    build(engine, stack_spec, full_settings())
    otels = inputs_of(engine)["otels"]
    assert is_secret(otels), "otels holds credentials: the engine must receive it as a secret"
    (otel,) = otels["value"]
    assert otel["authorization"] == "Bearer otel-token"
    assert otel["headers"]["api-key"] == "otel-api-key"


def test_stripe_authorization_arrives_as_a_secret(engine, stack_spec):
    build(engine, stack_spec, full_settings())
    stripe = inputs_of(engine)["stripe"]
    assert is_secret(stripe)
    assert stripe["value"]["authorization"] == "sk_test_stripe"


def test_offline_secrets_are_a_placeholder_inside_a_secret(engine, stack_spec):
    # Offline (no CLI to decrypt) a secure value has no plaintext: the program still sends a secret.
    build(engine, stack_spec, {"otel": [{"url": "https://otel.example.com", "authorization": Secret(None)}],
                               "stripe": {"authorization": Secret(None)}})
    inputs = inputs_of(engine)
    assert is_secret(inputs["otels"]) and inputs["otels"]["value"][0]["authorization"] == "[secret]"
    assert is_secret(inputs["stripe"]) and inputs["stripe"]["value"] == {"authorization": "[secret]",
                                                                         "usageEvents": []}


def test_otel_without_credentials_is_not_a_secret(engine, stack_spec):
    build(engine, stack_spec, {"otel": [{"url": "https://otel.example.com", "headers": {"x-team": "ai"}}]})
    otels = inputs_of(engine)["otels"]
    assert not is_secret(otels)
    assert otels == [{"url": "https://otel.example.com", "headers": {"x-team": "ai"}, "contentType": "json"}]


def test_outputs_that_echo_credentials_are_additional_secret_outputs(engine, stack_spec):
    build(engine, stack_spec, {})
    registration = engine.ai_gateways()["support-bot"]
    assert sorted(registration.additional_secret_outputs) == ["otels", "stripe"]


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize(("environment", "settings", "protected"), [
    ("prod", {}, True),
    ("prod", {"protect": False}, False),
    ("dev", {}, False),
    ("dev", {"protect": True}, True),
])
def test_protect_defaults_to_production_and_is_configurable(engine, stack_spec, environment, settings, protected):
    build(engine, stack_spec, settings, environment=environment)
    assert engine.ai_gateways()["support-bot"].protect is protected


def test_production_is_the_configured_list_of_environments(engine, stack_spec):
    build(engine, stack_spec, {}, environment="live", project_config={"productionEnvironments": ["live"]})
    assert engine.ai_gateways()["support-bot"].protect is True


def test_the_ai_gateway_is_a_child_of_its_component(engine, stack_spec):
    build(engine, stack_spec, {})
    component = engine.of_type(COMPONENT)["support-bot"]
    resource = engine.ai_gateways()["support-bot"]
    assert component.custom is False and resource.custom is True
    assert resource.parent == component.urn
    assert component.urn.endswith(f"pulumi:pulumi:Stack${COMPONENT}::support-bot")


def test_mock_state_is_camel_case_so_outputs_resolve(engine, stack_spec):
    _, gateway = build(engine, stack_spec, {"cache": {"ttl": 120}})
    assert engine.resolve(gateway.resource.ai_gateway_id) == "prod-support-bot"
    assert engine.resolve(gateway.resource.cache_ttl) == 120


# --------------------------------------------------------------------------- exports


def test_exports_name_the_gateway_and_its_provider_urls(engine, stack_spec):
    _, gateway = build(engine, stack_spec, {})
    base = f"{GATEWAY_HOST}/{ACCOUNT_ID}/prod-support-bot"
    exports = gateway.exports()
    assert set(exports) == {"id", "baseUrl", "providerUrls", "clientContract"}
    assert exports["id"] == "prod-support-bot"
    assert exports["baseUrl"] == base
    assert exports["providerUrls"] == {
        "openai": f"{base}/openai",
        "anthropic": f"{base}/anthropic",
        "workers-ai": f"{base}/workers-ai",
        "compat": f"{base}/compat",
    }
    assert set(PROVIDERS) == set(exports["providerUrls"])
    assert exports["clientContract"]["url"] == base


def test_client_contract_metadata_names_environment_and_gateway(engine, stack_spec):
    _, gateway = build(engine, stack_spec, {}, name="docs-search", environment="staging")
    headers = gateway.exports()["clientContract"]["headers"]
    assert json.loads(headers["cf-aig-metadata"]) == {"environment": "staging", "gateway": "docs-search"}


@pytest.mark.parametrize(("logging", "header"), [
    ({"collect": True, "payloads": False}, "false"),
    ({"collect": True, "payloads": True}, None),
    ({"collect": False, "payloads": False}, None),
    ({"collect": False, "payloads": True}, None),
])
def test_payload_header_only_where_logs_are_collected_without_payloads(engine, stack_spec, logging, header):
    _, gateway = build(engine, stack_spec, {"logging": logging}, environment="dev")
    headers = gateway.exports()["clientContract"]["headers"]
    assert headers.get("cf-aig-collect-log-payload") == header
    assert set(headers) <= {"cf-aig-metadata", "cf-aig-collect-log-payload"}


@pytest.mark.parametrize(("setting", "authentication"), [(True, True), ("imported-off", False)])
def test_authorization_header_only_when_authentication_is_on(engine, stack_spec, setting, authentication):
    # `imported-off` (a gateway imported already off, changelog 2026-11-03) sends false: what the gateway is.
    _, gateway = build(engine, stack_spec, {"authentication": setting})
    contract = gateway.exports()["clientContract"]
    assert engine.ai_gateways()["support-bot"].inputs["authentication"] is authentication
    if authentication:
        assert contract["authorization"]["header"] == "cf-aig-authorization"
        assert contract["authorization"]["value"].startswith("Bearer ")
    else:
        assert "authorization" not in contract
