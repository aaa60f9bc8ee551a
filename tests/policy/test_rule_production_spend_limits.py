"""`production-spend-limits`, case by case on rule_fixtures' compliant stack (docs/policy.md)."""

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


@pytest.mark.parametrize(("path", "value"), [
    ("spendLimits.enabled", False), ("spendLimits.rules", []), ("spendLimits.rules", DELETE), ("spendLimits", DELETE),
])


def test_production_gateway_without_spend_limit(path, value):
    finding = only(run(changed(*GW, path, value)), "production-spend-limits")
    assert_finding(finding, "production-spend-limits", "advisory", GW,
                   f"{SUPPORT_BOT} has no spend limit", "Set spendLimits: {rules: [{limit, window, technique}]}.")
