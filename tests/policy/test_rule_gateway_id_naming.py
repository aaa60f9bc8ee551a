"""`gateway-id-naming`, case by case on rule_fixtures' compliant stack (docs/policy.md)."""

from __future__ import annotations

import pytest
from rule_fixtures import (
    DEFAULT_PATTERN,
    GATEWAY,
    GATEWAY_NAMES,
    GW,
    assert_finding,
    changed,
    compliant,
    of_rule,
    only,
    run,
)


@pytest.mark.parametrize("gid", ["support-bot", "staging-support-bot", "prod-Support-bot", "prod-support-bot-",
                                 "prod-", "prod_support", "prod-a--b"])
def test_gateway_id_not_matching_the_default_pattern(gid):
    # Underscores are in Cloudflare's id alphabet: prod-my_bot matches (test below).
    finding = only(run(changed(*GW, "aiGatewayId", gid)), "gateway-id-naming")
    named = "gateway 'support-bot'" if gid == "support-bot" else f"gateway 'support-bot' (id {gid})"
    assert_finding(finding, "gateway-id-naming", "advisory", GW,
                   f"{named}: id '{gid}' does not match gatewayIdPattern '{DEFAULT_PATTERN}'",
                   "Rename the gateway or change its id: (the default id is <environment>-<name>).")


def test_the_default_pattern_follows_the_environment():
    findings = of_rule(run(compliant("prod"), "dev"), "gateway-id-naming")
    assert [f.resource for f in findings] == [(GATEWAY, name) for name in GATEWAY_NAMES]
    assert "does not match gatewayIdPattern 'dev-[a-z0-9_]+(-[a-z0-9_]+)*'" in findings[0].message


def test_a_custom_gateway_id_pattern():
    config = {"gateway-id-naming": {"gatewayIdPattern": "{environment}-team-[a-z-]+"}}
    findings = of_rule(run(compliant(), config=config), "gateway-id-naming")
    assert [f.resource for f in findings] == [(GATEWAY, name) for name in GATEWAY_NAMES]
    assert "does not match gatewayIdPattern 'prod-team-[a-z-]+'" in findings[0].message
    findings = of_rule(run(changed(*GW, "aiGatewayId", "prod-team-support"), config=config), "gateway-id-naming")
    assert [f.resource[1] for f in findings] == ["batch-summariser", "docs-search"]
