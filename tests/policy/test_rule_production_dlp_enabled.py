"""`production-dlp-enabled`, case by case on rule_fixtures' compliant stack (docs/policy.md)."""

from __future__ import annotations

import pytest
from rule_fixtures import (
    DELETE,
    DLP_PROFILE,
    GW,
    SUPPORT_BOT,
    assert_finding,
    changed,
    only,
    run,
)


@pytest.mark.parametrize(("path", "value"), [
    ("dlp.enabled", False), ("dlp.enabled", DELETE), ("dlp.policies", []), ("dlp.policies", DELETE), ("dlp", DELETE),
])


def test_production_gateway_without_dlp(path, value):
    finding = only(run(changed(*GW, path, value)), "production-dlp-enabled")
    assert_finding(finding, "production-dlp-enabled", "advisory", GW,
                   f"{SUPPORT_BOT} has no DLP", "Set dlp: {policies: [{id, action: BLOCK")


def test_dlp_with_profiles_instead_of_policies():
    assert run(changed(*GW, "dlp", {"enabled": True, "action": "BLOCK", "profiles": [DLP_PROFILE]})) == []
