"""`no-default-gateway`, case by case on rule_fixtures' compliant stack (docs/policy.md)."""

from __future__ import annotations

from rule_fixtures import (
    GW,
    assert_finding,
    changed,
    environments,
    of_rule,
    only,
    run,
)


@environments
def test_gateway_id_default(env):
    finding = only(run(changed(*GW, "aiGatewayId", "default", env), env), "no-default-gateway")
    assert_finding(finding, "no-default-gateway", "mandatory", GW,
                   "gateway 'support-bot' (id default) uses the id 'default'",
                   "Cloudflare creates that gateway by itself", "Give the gateway its own id.")


def test_an_id_that_only_contains_default():
    assert of_rule(run(changed(*GW, "aiGatewayId", "prod-default")), "no-default-gateway") == []
