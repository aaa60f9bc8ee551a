"""`aigw drift` of provider keys (BYOK provider configs) and dynamic routes (issue 16), against the stand-in
seeded with the repo's staging stack (support-bot: an openai and an anthropic key, the route `support`):
clean as deployed; a route edited, a config added, changed or deleted in the dashboard is drift, in words."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers.live import aigw, create_body, repo_plans, route_body, seed_plan
from helpers.standin import READ_TOKEN, StandIn

from aigw.live import byok
from aigw.live.drift import drift, to_text
from aigw_policy.vocabulary import AI_GATEWAY_DYNAMIC_ROUTING, PROVIDER_CONFIG

GW = "staging-support-bot"


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return repo_plans(tmp_path_factory.mktemp("route-drift-plans"))


def _route(standin: StandIn, plan: dict[str, Any]) -> dict[str, Any]:
    (route,) = standin.account(plan["accountId"]).routes[GW].values()
    return route


def test_staging_as_deployed_has_no_drift_and_says_what_it_compared(standin: StandIn, plans) -> None:
    plan = plans["staging"]
    seed_plan(standin, plan)
    proc = aigw("drift", "staging", "--format", "json", token=READ_TOKEN, api=standin)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout)
    assert (result["drift"], result["missing"], result["providerKeys"], result["routes"]) == ([], [], 2, 1)
    paths = [r.path for r in standin.requests]
    assert paths.count(f"/accounts/{plan['accountId']}/ai-gateway/gateways/{GW}/provider_configs") == 1
    assert paths.count(f"/accounts/{plan['accountId']}/ai-gateway/gateways/{GW}/routes") == 1


def test_a_route_edited_in_the_dashboard_is_drift_in_route_words(standin: StandIn, plans) -> None:
    plan = plans["staging"]
    seed_plan(standin, plan)
    backup = next(e for e in _route(standin, plan)["elements"] if e["id"] == "backup")
    backup["properties"]["model"] = "claude-haiku-4-5"
    proc = aigw("drift", "staging", token=READ_TOKEN, api=standin)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (f"  DRIFT    {GW} routes.support: fallback: declared anthropic/claude-sonnet-4-5, "
            "live anthropic/claude-haiku-4-5") in proc.stdout.splitlines()
    assert ("re-apply the declaration with `pulumi up -s staging`, or adopt the live route: set "
            "aigw:gateways.support-bot.routes.support.elements in Pulumi.staging.yaml") in proc.stdout
    assert "elementId" not in proc.stdout  # words, not the element JSON
    assert proc.stdout.rstrip().endswith("drift: found (exit 1)")


def test_a_provider_config_added_in_the_dashboard_is_drift_and_no_preview_is_shown(standin: StandIn, plans) -> None:
    plan = plans["staging"]
    seed_plan(standin, plan)
    added = standin.seed_provider_config(GW, account_id=plan["accountId"], provider_slug="openai", alias="team",
                                         default_config=False, rate_limit=10, rate_limit_period=60)
    proc = aigw("drift", "staging", "--format", "json", token=READ_TOKEN, api=standin)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    (line,) = json.loads(proc.stdout)["drift"]
    assert line["resource"] == {"type": PROVIDER_CONFIG, "name": "support-bot-openai-team"}
    assert (line["id"], line["field"], line["declared"], line["live"]) == (
        GW, "providerKeys (openai alias team)", None, "openai alias team, 10 per 60 s")
    assert line["hint"] == ("live, not declared: declare it under aigw:gateways.support-bot.providerKeys (`aigw import "
                            f"--account {plan['accountId']} --stack staging --gateway {GW} --force` writes it), or "
                            "delete it in the dashboard")
    assert added["secret_preview"] not in proc.stdout and added["secret_id"] not in proc.stdout


def test_changed_and_deleted_configs_and_a_deleted_route(plans) -> None:
    plan = plans["staging"]
    gateway = next(r for r in plan["resources"] if r["props"].get("aiGatewayId") == GW and "aiGateway:" in r["type"])
    live_gw = {**create_body(gateway["props"]), "id": GW, "store_id": "a" * 32}
    configs = [r["props"] for r in plan["resources"] if r["type"] == PROVIDER_CONFIG]
    anthropic = next(p for p in configs if p["providerSlug"] == "anthropic")
    live_config = {"id": "c1", "provider_slug": "anthropic", "alias": "default", "default_config": True,
                   "rate_limit": float(anthropic["rateLimit"]) + 1, "rate_limit_period": 60.0,
                   "secret_id": "s1", "secret_preview": "sk-a..."}
    result = drift(plan, [live_gw], details={GW: byok.GatewayDetails([live_config], [])})
    found = {(d.resource[0], d.field): (d.declared, d.live) for d in result.drift}
    assert found == {
        (PROVIDER_CONFIG, "providerKeys (openai alias default)"): ("openai alias default (default)", None),
        (PROVIDER_CONFIG, "providerKeys (anthropic alias default).rateLimit"): (
            anthropic["rateLimit"], anthropic["rateLimit"] + 1),
        (AI_GATEWAY_DYNAMIC_ROUTING, "routes.support"): (
            "model openai/gpt-4o; fallback anthropic/claude-sonnet-4-5; fallback 2 none (end)", None),
    }
    hints = {d.field: d.hint("staging") for d in result.drift}
    assert hints["providerKeys (anthropic alias default).rateLimit"].endswith(
        "set rateLimit.limit of the anthropic alias default entry of aigw:gateways.support-bot.providerKeys in "
        "Pulumi.staging.yaml")
    assert "`pulumi up -s staging` creates it" in hints["routes.support"]
    assert "sk-a" not in to_text(result, 3, "staging")
    # Without details (aigw audit, aigw prove) keys and routes are not compared, and nothing is said of them.
    bare = drift(plan, [live_gw])
    assert bare.drift == [] and bare.routes is None and "route(s) compared" not in to_text(bare, 1, "staging")


def test_one_shape_for_the_plan_and_the_api() -> None:
    # The plan: pulumi-cloudflare's inputs (provider renamed, conditions as JSON text, floats); the API: its JSON.
    planned = [{"id": "start", "type": "start", "outputs": {"next": {"elementId": "c"}}},
               {"id": "c", "type": "conditional", "properties": {"conditions": '{"metadata.plan":{"$eq":"paid"}}'},
                "outputs": {"true": {"elementId": "m"}, "false": {"elementId": "m"}}},
               {"id": "m", "type": "model", "outputs": {"success": {"elementId": "end"},
                                                       "fallback": {"elementId": "end"}},
                "properties": {"aiGatewayDynamicRoutingProvider": "openai", "model": "gpt-4o", "retries": 1.0,
                               "timeout": 30000.0}},
               {"id": "end", "type": "end", "outputs": {}}]
    api = route_body({"elements": planned})
    assert api[1]["properties"]["conditions"] == {"metadata.plan": {"$eq": "paid"}}
    assert byok.canonical_route(planned) == byok.canonical_route(list(reversed(api)))
    api[2]["properties"]["retries"] = 2
    assert byok.canonical_route(planned) != byok.canonical_route(api)


def test_a_token_that_cannot_read_routes_skips_the_check_with_one_line(standin: StandIn, plans) -> None:
    plan = plans["staging"]
    seed_plan(standin, plan)
    standin.inject_response("/routes", json.dumps({"success": False, "errors": [
        {"code": 10000, "message": "Authentication error"}]}), status=403)
    proc = aigw("drift", "staging", "--format", "json", token=READ_TOKEN, api=standin)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # the gateways decide: they are as declared
    gateways = sum(1 for r in plan["resources"] if r["type"].endswith("aiGateway:AiGateway"))
    line = (f"provider key and route check skipped for {gateways} gateway(s): the token lacks the permission group "
            "'AI Gateway Read' (HTTP 403 on list routes); add it to check them")
    assert proc.stderr == f"aigw: {line}\n" and json.loads(proc.stdout)["skipped"] == [line]
