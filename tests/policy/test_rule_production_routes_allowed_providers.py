"""`production-routes-allowed-providers`, case by case on rule_fixtures' stack with support-bot's route
(docs/policy.md)."""

from __future__ import annotations

from rule_fixtures import (
    AI_GATEWAY_DYNAMIC_ROUTING,
    assert_finding,
    byok_route,
    of_rule,
    only,
    run,
    with_byok,
)

RULE = "production-routes-allowed-providers"
ROUTE = (AI_GATEWAY_DYNAMIC_ROUTING, "support-bot-support")


def test_allowed_providers_by_default():
    assert of_rule(run(with_byok()), RULE) == []


def test_a_provider_outside_the_list():
    stack = with_byok(providers=("openai", "mistral"), route=byok_route(fallback=("mistral", "mistral-large")))
    finding = only(run(stack), RULE)
    assert_finding(finding, RULE, "mandatory", ROUTE, "route dynamic/support of gateway prod-support-bot calls "
                   "mistral, not in allowedProviders (anthropic, openai, workers-ai)", "allowedProviders")


def test_the_policy_config_sets_the_list():
    finding = only(run(with_byok(), config={RULE: {"allowedProviders": ["openai"]}}), RULE)
    assert_finding(finding, RULE, "mandatory", ROUTE, "calls anthropic, not in allowedProviders (openai)")


def test_outside_production_any_provider():
    stack = with_byok("dev", providers=("openai", "mistral"), route=byok_route("dev", ("mistral", "m")))
    assert of_rule(run(stack, "dev"), RULE) == []
