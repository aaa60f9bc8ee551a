"""`byok-keys-cover-routes`, case by case on rule_fixtures' stack with support-bot's provider keys and
route (docs/policy.md)."""

from __future__ import annotations

from rule_fixtures import (
    AI_GATEWAY_DYNAMIC_ROUTING,
    GW,
    assert_finding,
    byok_route,
    environments,
    of_rule,
    only,
    run,
    with_byok,
    with_change,
)

RULE = "byok-keys-cover-routes"
ROUTE = (AI_GATEWAY_DYNAMIC_ROUTING, "support-bot-support")


@environments
def test_a_routed_provider_without_a_key(env):
    finding = only(run(with_byok(env, providers=("openai",)), env), RULE)
    assert_finding(finding, RULE, "mandatory", ROUTE, "calls anthropic, but the gateway requires provider "
                   "credentials (byokOnly) and stores no key for anthropic", "HTTP 400")


def test_every_routed_provider_has_a_key():
    assert of_rule(run(with_byok()), RULE) == []


def test_workers_ai_needs_no_key():
    stack = with_byok(providers=("openai",), route=byok_route(fallback=("workers-ai", "@cf/meta/llama-3.1-8b")))
    assert of_rule(run(stack), RULE) == []


def test_without_byok_only_a_route_may_use_request_keys():
    stack = with_change(with_byok("dev", providers=("openai",)), *GW, "byokOnly", False)
    assert of_rule(run(stack, "dev"), RULE) == []
