"""`relaxations-waived`, case by case on rule_fixtures' compliant stack (docs/policy.md)."""

from __future__ import annotations

import pytest
from rule_fixtures import (
    GATEWAY,
    GW,
    assert_finding,
    changed,
    compliant,
    of_rule,
    only,
    run,
    with_change,
)

from aigw_policy.engine import STACK_TYPE

WAIVED_GW = "support-bot"


def waiver(**fields) -> dict:
    return {"resources": [WAIVED_GW], "owner": "@acme/platform", "reason": "INC-1: vendor investigation",
            "expires": "2026-12-10", **fields}  # the fixtures' today is 2026-11-23


def test_relaxations_waived_reports_each_mandatory_rule_lowered_in_production():
    levels = {"production-authentication-required": "disabled", "tokens-least-privilege": "advisory",
              "cache-ttl-bounded": "disabled"}  # the last is advisory by default: lowering it is no finding
    found = of_rule(run(compliant(), levels=levels), "relaxations-waived")
    assert [(f.level, f.resource) for f in found] == [("mandatory", (STACK_TYPE, "prod"))] * 2
    assert found[0].message.startswith(
        "the policy config sets production-authentication-required to disabled (default mandatory) for production "
        "stack 'prod': in production a mandatory rule is relaxed only by a waiver. Keep "
        "production-authentication-required mandatory and add production-authentication-required.waivers: ")
    assert "sets tokens-least-privilege to advisory (default mandatory)" in found[1].message


@pytest.mark.parametrize("env", ["dev", "staging"])
def test_relaxations_waived_lets_levels_go_outside_production(env):
    assert of_rule(run(compliant(env), env, levels={"tokens-least-privilege": "disabled"}),
                   "relaxations-waived") == []


def test_a_production_stack_for_any_rule_is_judged_by_relaxations_waived():
    """Narrowing relaxations-waived's own productionEnvironments does not make it look away."""
    config = {"relaxations-waived": {"productionEnvironments": ["nothing"]},
              "production-rate-limited": {"productionEnvironments": ["live"]}}
    found = of_rule(run(compliant("live"), "live", config=config, levels={"tokens-least-privilege": "advisory"}),
                    "relaxations-waived")
    assert [f.resource for f in found] == [(STACK_TYPE, "live")]


def test_a_waiver_waives_its_rule_on_its_resources_only():
    stack = with_change(changed(*GW, "authentication", False), GATEWAY, "docs-search", "authentication", False)
    config = {"production-authentication-required": {"waivers": [waiver()]}}
    found = of_rule(run(stack, config=config), "production-authentication-required")
    assert [(f.resource[1], f.level, f.waiver is not None) for f in found] == [
        ("docs-search", "mandatory", False), (WAIVED_GW, "mandatory", True)]
    w = next(f.waiver for f in found if f.waiver)
    assert (w.label, w.owner, w.reason, w.expires.isoformat()) == (
        "production-authentication-required.waivers[0]", "@acme/platform", "INC-1: vendor investigation",
        "2026-12-10")
    assert of_rule(run(stack, config=config), "relaxations-waived") == []
    # A waiver of another rule waives nothing here.
    other = {"production-rate-limited": {"waivers": [waiver()]}}
    assert all(f.waiver is None for f in run(stack, config=other))


def test_a_waiver_holds_through_its_expiry_day_and_in_its_stacks_only():
    stack = changed(*GW, "authentication", False)
    on_the_day = {"production-authentication-required": {"waivers": [waiver(expires="2026-11-23")]}}
    assert only(run(stack, config=on_the_day), "production-authentication-required").waiver is not None
    elsewhere = {"production-authentication-required": {"waivers": [waiver(stacks=["staging"])]}}
    assert only(run(stack, config=elsewhere), "production-authentication-required").waiver is None


@pytest.mark.parametrize("env", ["prod", "dev"])
def test_an_expired_waiver_is_a_mandatory_finding_naming_it_and_waives_nothing(env):
    stack = changed(*GW, "authentication", False, env)
    config = {"production-authentication-required": {"waivers": [waiver(expires="2026-11-22")]}}
    found = run(stack, env, config=config)
    guard = only(found, "relaxations-waived")
    assert_finding(guard, "relaxations-waived", "mandatory", (STACK_TYPE, env),
                   "waiver production-authentication-required.waivers[0] (owner @acme/platform) expired on "
                   "2026-11-22 (today is 2026-11-23) and waives nothing")
    assert all(f.waiver is None for f in found)


MALFORMED = {
    "missing fields": ({"resources": [WAIVED_GW]}, "owner, reason, expires missing (a waiver names resources, "
                                                   "owner, reason, expires)"),
    "unknown field": (waiver(expiry="2026-12-01"), "expiry: unknown field (allowed: resources, owner, reason, "
                                                   "expires, stacks)"),
    "bad date": (waiver(expires="next week"), 'expires: "next week": not a date (YYYY-MM-DD)'),
    "empty resources": (waiver(resources=[]), "resources: []: not a non-empty list of resource names"),
    "blank owner": (waiver(owner=" "), 'owner: " ": not a non-empty string'),
    "not an object": ("support-bot", '"support-bot": a waiver is an object with resources, owner, reason, expires'),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_waiver_is_a_mandatory_finding_saying_what_is_wrong(case):
    entry, words = MALFORMED[case]
    stack = changed(*GW, "authentication", False)
    found = run(stack, config={"production-authentication-required": {"waivers": [entry]}})
    assert_finding(only(found, "relaxations-waived"), "relaxations-waived", "mandatory", (STACK_TYPE, "prod"),
                   "waiver production-authentication-required.waivers[0]", words)
    assert all(f.waiver is None for f in found)


def test_a_waiver_longer_than_max_waiver_days_waives_nothing():
    stack = changed(*GW, "authentication", False)
    config = {"production-authentication-required": {"waivers": [waiver(expires="2027-03-01")]},
              "relaxations-waived": {"maxWaiverDays": 30}}
    found = run(stack, config=config)
    assert "expires on 2027-03-01, more than maxWaiverDays (30) after today (2026-11-23), and waives nothing" in (
        only(found, "relaxations-waived").message)
    assert only(found, "production-authentication-required").waiver is None
