"""Provider keys and routes under Pulumi mocks: the stack's Secrets Store, a secret per key (scope
ai_gateway, Cloudflare's name, the key only as a Pulumi secret), the gateway's storeId, the provider
configs (dynamic resource; no key in their props) and each route as an AiGatewayDynamicRouting."""

from __future__ import annotations

import json

from helpers.wire import is_secret

from aigw.program import deploy
from aigw.spec import Secret
from aigw_policy.vocabulary import (
    AI_GATEWAY_DYNAMIC_ROUTING,
    PROVIDER_CONFIG,
    SECRETS_STORE,
    SECRETS_STORE_SECRET,
)

KEY = "sk-test-do-not-leak-123"

ROUTE = {"elements": [
    {"id": "start", "type": "start", "outputs": {"next": {"elementId": "plan"}}},
    {"id": "plan", "type": "conditional", "properties": {"conditions": {"metadata.plan": {"$eq": "paid"}}},
     "outputs": {"true": {"elementId": "primary"}, "false": {"elementId": "budget"}}},
    {"id": "budget", "type": "rate", "properties": {"key": "metadata.user", "limit": 100, "limitType": "count",
                                                    "window": 3600},
     "outputs": {"success": {"elementId": "primary"}, "fallback": {"elementId": "backup"}}},
    {"id": "primary", "type": "model",
     "properties": {"provider": "openai", "model": "gpt-4o", "retries": 1, "timeout": 30000},
     "outputs": {"success": {"elementId": "end"}, "fallback": {"elementId": "backup"}}},
    {"id": "backup", "type": "model",
     "properties": {"provider": "anthropic", "model": "claude-sonnet-4-5", "retries": 0, "timeout": 30000},
     "outputs": {"success": {"elementId": "end"}, "fallback": {"elementId": "end"}}},
    {"id": "end", "type": "end", "outputs": {}},
]}


def gateway(**extra):
    return {"id": "main-gw", "providerKeys": [
        {"provider": "openai", "key": Secret(KEY)},
        {"provider": "anthropic", "alias": "team-b", "key": Secret("sk-ant-2"), "rateLimit": {"limit": 100,
                                                                                             "period": 60}},
    ], "routes": {"support": ROUTE}, **extra}


def test_store_secrets_configs_and_route(engine, stack_spec):
    spec = stack_spec({"main": gateway()}, environment="staging")
    engine.run(lambda: deploy(spec))
    (store,) = engine.of_type(SECRETS_STORE).values()
    assert store.inputs == {"accountId": spec.account_id, "name": "aigw-staging"}
    gw = engine.ai_gateways()["main"]
    assert isinstance(gw.inputs["storeId"], str) and gw.inputs["storeId"]  # the store's id (a mock id)
    secrets = engine.of_type(SECRETS_STORE_SECRET)
    assert sorted(secrets) == ["main-anthropic-team-b", "main-openai-default"]
    openai = secrets["main-openai-default"].inputs
    assert openai["name"] == "main-gw_openai_default" and openai["scopes"] == ["ai_gateway"]
    assert openai["storeId"] == gw.inputs["storeId"]
    assert is_secret(openai["value"])  # the key travels only as a Pulumi secret
    configs = engine.of_type(PROVIDER_CONFIG)
    team_b = configs["main-anthropic-team-b"].inputs
    assert {k: v for k, v in team_b.items() if k != "__provider"} == {
        "accountId": spec.account_id, "gatewayId": "main-gw", "providerSlug": "anthropic", "alias": "team-b",
        "defaultConfig": False, "secretId": team_b["secretId"], "rateLimit": 100, "rateLimitPeriod": 60}
    assert configs["main-openai-default"].inputs["defaultConfig"] is True
    for config in configs.values():  # the provider configs never carry the key
        assert KEY not in json.dumps(config.inputs, default=str)
        assert "secret" not in config.inputs
    (route,) = engine.of_type(AI_GATEWAY_DYNAMIC_ROUTING).values()
    assert route.name == "main-support"
    assert (route.inputs["name"], route.inputs["gatewayId"]) == ("support", "main-gw")
    elements = {e["id"]: e for e in route.inputs["elements"]}
    assert elements["plan"]["properties"] == {"conditions": '{"metadata.plan":{"$eq":"paid"}}'}
    assert elements["plan"]["outputs"] == {"true": {"elementId": "primary"}, "false": {"elementId": "budget"}}
    assert elements["primary"]["properties"] == {"aiGatewayDynamicRoutingProvider": "openai", "model": "gpt-4o",
                                                 "retries": 1, "timeout": 30000}
    assert elements["budget"]["properties"] == {"key": "metadata.user", "limit": 100, "limitType": "count",
                                                "window": 3600}
    assert elements["end"]["outputs"] == {}


def test_a_declared_store_is_used_and_no_store_is_made(engine, stack_spec):
    spec = stack_spec({"main": gateway(storeId="0123456789abcdef0123456789abcdef")}, environment="staging")
    engine.run(lambda: deploy(spec))
    assert engine.of_type(SECRETS_STORE) == {}
    assert engine.ai_gateways()["main"].inputs["storeId"] == "0123456789abcdef0123456789abcdef"
    assert {s.inputs["storeId"] for s in engine.of_type(SECRETS_STORE_SECRET).values()} == {
        "0123456789abcdef0123456789abcdef"}


def test_no_keys_no_store(engine, stack_spec):
    spec = stack_spec({"main": {"id": "main-gw"}}, environment="staging")
    engine.run(lambda: deploy(spec))
    assert engine.of_type(SECRETS_STORE) == {} and engine.of_type(PROVIDER_CONFIG) == {}
    assert "storeId" not in engine.ai_gateways()["main"].inputs
