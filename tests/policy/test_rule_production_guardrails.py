"""`production-guardrails`, case by case on rule_fixtures' compliant stack (docs/policy.md)."""

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


@pytest.mark.parametrize(("path", "value", "missing"), [
    ("guardrails.prompt", {}, ["on prompts."]),
    ("guardrails.response", DELETE, ["on responses."]),
    ("guardrails", DELETE, ["on prompt", " and responses."]),
    ("guardrails", {}, ["on prompt", " and responses."]),
])


def test_production_gateway_without_guardrails(path, value, missing):
    finding = only(run(changed(*GW, path, value)), "production-guardrails")
    assert_finding(finding, "production-guardrails", "advisory", GW,
                   f"{SUPPORT_BOT} has no guardrails", *missing, "Set guardrails: {prompt: {P1: BLOCK")
