"""`production-authentication-required`, case by case on rule_fixtures' compliant stack (docs/policy.md)."""

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


@pytest.mark.parametrize("value", [False, DELETE, None, "true"])
def test_gateway_not_authenticated(value):
    finding = only(run(changed(*GW, "authentication", value)), "production-authentication-required")
    assert_finding(finding, "production-authentication-required", "mandatory", GW,
                   SUPPORT_BOT, "is not authenticated", "Set authentication: true.")
