"""The route rules see a route with a percentage split (a DynamicRoute, aigw/components/route.py: the same props
as an AiGatewayDynamicRouting, only the split's outputs are keyed by share): production-routes-allowed-providers,
byok-keys-cover-routes and production-provider-keys-stored read both types (aigw_policy.vocabulary.ROUTE_TYPES)."""

from __future__ import annotations

from rule_fixtures import (
    GATEWAY,
    Resource,
    assert_finding,
    byok_route,
    of_rule,
    only,
    run,
    with_byok,
    with_change,
)

from aigw_policy.vocabulary import DYNAMIC_ROUTE


def split_route(environment: str = "prod", to: tuple[str, str] = ("mistral", "mistral-large")) -> Resource:
    """support-bot's route with a 90/10 split in front: 10% to ``to``."""
    plain = byok_route(environment)
    elements = [dict(e) for e in plain.props["elements"]]
    elements[0] = {"id": "start", "type": "start", "outputs": {"next": {"elementId": "split"}}}
    elements.insert(1, {"id": "split", "type": "percentage",
                        "outputs": {"90%": {"elementId": "primary"}, "10%": {"elementId": "canary"}}})
    elements.insert(-1, {"id": "canary", "type": "model", "properties": {
        "aiGatewayDynamicRoutingProvider": to[0], "model": to[1], "retries": 0, "timeout": 30000},
        "outputs": {"success": {"elementId": "end"}, "fallback": {"elementId": "end"}}})
    return Resource(DYNAMIC_ROUTE, plain.name, {**plain.props, "elements": elements})


def test_a_split_to_an_allowed_provider_passes():
    assert of_rule(run(with_byok(route=split_route(to=("openai", "gpt-4o-mini")))),
                   "production-routes-allowed-providers") == []


def test_a_split_to_a_provider_outside_the_list_is_a_finding():
    finding = only(run(with_byok(providers=("openai", "anthropic", "mistral"), route=split_route())),
                   "production-routes-allowed-providers")
    assert_finding(finding, "production-routes-allowed-providers", "mandatory", (DYNAMIC_ROUTE, "support-bot-support"),
                   "route dynamic/support of gateway prod-support-bot calls mistral, not in allowedProviders")


def test_a_split_to_a_provider_without_a_key_is_a_finding():
    finding = only(run(with_byok(route=split_route()), config={
        "production-routes-allowed-providers": {"allowedProviders": ["openai", "anthropic", "mistral"]}}),
        "byok-keys-cover-routes")
    assert "calls mistral" in finding.message


def test_a_gateway_with_only_a_split_route_must_require_provider_credentials():
    # No provider keys: only the route makes the gateway one that must require provider credentials.
    resources = with_change(with_byok(providers=(), route=split_route(to=("openai", "gpt-4o-mini"))), GATEWAY,
                            "support-bot", "byokOnly", False)
    finding = only(run(resources), "production-provider-keys-stored")
    assert "does not require provider credentials" in finding.message
