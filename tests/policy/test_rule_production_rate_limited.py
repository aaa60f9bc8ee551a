"""`production-rate-limited`, case by case on rule_fixtures' compliant stack (docs/policy.md)."""

from __future__ import annotations

import pytest
from rule_fixtures import (
    DELETE,
    GW,
    SUPPORT_BOT,
    assert_finding,
    changed,
    only,
    run,
)


@pytest.mark.parametrize(("path", "value", "shown"), [
    ("rateLimitingLimit", 0, "(limit 0, interval 60)"),
    ("rateLimitingInterval", 0, "(limit 600, interval 0)"),
    ("rateLimitingLimit", DELETE, "(limit None, interval 60)"),
    ("rateLimitingInterval", DELETE, "(limit 600, interval None)"),
    ("rateLimitingLimit", -5, "(limit -5, interval 60)"),
])
def test_gateway_without_rate_limit(path, value, shown):
    finding = only(run(changed(*GW, path, value)), "production-rate-limited")
    assert_finding(finding, "production-rate-limited", "mandatory", GW,
                   SUPPORT_BOT, f"has no rate limit {shown}", "Set rateLimit: {limit: <requests>, interval: <seconds>")
