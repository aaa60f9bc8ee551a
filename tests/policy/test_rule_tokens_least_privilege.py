"""`tokens-least-privilege`, case by case on rule_fixtures' compliant stack (docs/policy.md)."""

from __future__ import annotations

import json

import pytest
from rule_fixtures import (
    ACCOUNT_ID,
    ACCOUNT_TOKEN,
    API_TOKEN,
    DELETE,
    OTHER_ACCOUNT,
    OTHER_ACCOUNT_ID,
    OWN_ACCOUNT,
    account_scope,
    assert_finding,
    changed,
    compliant,
    environments,
    find,
    of_rule,
    only,
    run,
    with_change,
)


@environments
def test_run_token_with_write_permission(env):
    stack = changed(API_TOKEN, "edge-run", "permissionGroups", ["AI Gateway Run", "AI Gateway Write"], env)
    finding = only(run(stack, env), "tokens-least-privilege")
    assert_finding(finding, "tokens-least-privilege", "mandatory", (API_TOKEN, "edge-run"),
                   "token 'edge-run' (purpose run) has write permissions (AI Gateway Write)",
                   "only purpose deploy may write", "Use purpose run or read.")


def test_deploy_permissions_under_purpose_run():
    finding = only(run(changed(API_TOKEN, "ci-deploy", "purpose", "run")), "tokens-least-privilege")
    assert_finding(finding, "tokens-least-privilege", "mandatory", (API_TOKEN, "ci-deploy"),
                   "token 'ci-deploy' (purpose run) has write permissions (AI Gateway Write, Logs Write, "
                   "Workers R2 Storage Write, Account API Tokens Write, Workers Scripts Write)")


def test_read_token_with_edit_permission():
    stack = changed(API_TOKEN, "log-reader", "permissionGroups", ["AI Gateway Read", "Zone Settings Edit"])
    finding = only(run(stack), "tokens-least-privilege")
    assert_finding(finding, "tokens-least-privilege", "mandatory", (API_TOKEN, "log-reader"),
                   "(purpose read) has write permissions (Zone Settings Edit)")


@environments
def test_api_token_lifetime_above_max_token_days(env):
    stack = changed(API_TOKEN, "edge-run", "expiresOn", "2027-03-01", env)  # notBefore 2026-11-23
    finding = only(run(stack, env), "tokens-least-privilege")
    assert_finding(finding, "tokens-least-privilege", "mandatory", (API_TOKEN, "edge-run"),
                   "token 'edge-run' is valid for 98 days (2026-11-23 to 2027-03-01)", "more than maxTokenDays (90)",
                   "Shorten expiresInDays and rotate by moving validFrom.")


def test_account_token_lifetime_above_max_token_days():
    stack = changed(ACCOUNT_TOKEN, "edge-run", "expiresOn", "2027-03-01T00:00:00Z")
    finding = only(run(stack), "tokens-least-privilege")
    assert_finding(finding, "tokens-least-privilege", "mandatory", (ACCOUNT_TOKEN, "edge-run"),
                   "token 'edge-run' is valid for 98 days", "more than maxTokenDays (90)")


def test_max_token_days_from_the_policy_config():
    stack = changed(API_TOKEN, "edge-run", "expiresOn", "2027-03-01")
    assert of_rule(run(stack, config={"tokens-least-privilege": {"maxTokenDays": 120}}), "tokens-least-privilege") == []
    stricter = of_rule(run(compliant(), config={"tokens-least-privilege": {"maxTokenDays": 60}}),
                       "tokens-least-privilege")
    assert [f.resource for f in stricter] == [(API_TOKEN, "edge-run"), (ACCOUNT_TOKEN, "edge-run")]
    assert "valid for 90 days (2026-11-23 to 2027-02-21), more than maxTokenDays (60)" in stricter[0].message


def test_a_lifetime_of_exactly_max_token_days_is_fine():
    assert find(compliant(), API_TOKEN, "edge-run").props["expiresOn"] == "2027-02-21"
    assert of_rule(run(changed(API_TOKEN, "edge-run", "expiresOn", "2027-02-22")), "tokens-least-privilege")


def test_a_future_token_lifetime_counts_from_not_before():
    stack = changed(API_TOKEN, "edge-run", "notBefore", "2027-01-01")
    stack = with_change(stack, API_TOKEN, "edge-run", "expiresOn", "2027-05-01")
    finding = only(run(stack), "tokens-least-privilege")
    assert "is valid for 120 days (2027-01-01 to 2027-05-01)" in finding.message
    assert of_rule(run(with_change(stack, API_TOKEN, "edge-run", "expiresOn", "2027-03-31")),
                   "tokens-least-privilege") == []


@pytest.mark.parametrize("ref", [(API_TOKEN, "log-reader"), (ACCOUNT_TOKEN, "log-reader")])
def test_a_token_that_never_expires(ref):
    finding = only(run(changed(*ref, "expiresOn", DELETE)), "tokens-least-privilege")
    assert_finding(finding, "tokens-least-privilege", "mandatory", ref,
                   "token 'log-reader' never expires", "Set expiresInDays (at most 90).")


@environments
def test_api_token_for_another_account(env):
    finding = only(run(changed(API_TOKEN, "log-reader", "accountId", OTHER_ACCOUNT_ID, env), env),
                   "tokens-least-privilege")
    assert_finding(finding, "tokens-least-privilege", "mandatory", (API_TOKEN, "log-reader"),
                   f"token 'log-reader' is for account {OTHER_ACCOUNT_ID}, not the stack's account {ACCOUNT_ID}",
                   "Declare it in that account's stack.")


@pytest.mark.parametrize(("scope", "reached"), [
    (account_scope(OTHER_ACCOUNT_ID), OTHER_ACCOUNT),
    (json.dumps({"com.cloudflare.api.account.*": "*"}), "com.cloudflare.api.account.*"),
    (json.dumps({OWN_ACCOUNT: "*", OTHER_ACCOUNT: "*"}), OTHER_ACCOUNT),
])
@environments
def test_account_token_scoped_beyond_the_account(env, scope, reached):
    finding = only(run(changed(ACCOUNT_TOKEN, "edge-run", "policies[0].resources", scope, env), env),
                   "tokens-least-privilege")
    assert_finding(finding, "tokens-least-privilege", "mandatory", (ACCOUNT_TOKEN, "edge-run"),
                   f"account token 'edge-run' reaches {reached} beyond the stack's account",
                   f"({OWN_ACCOUNT})", "Scope its policies to that account only.")


def test_account_token_scope_as_an_object():
    stack = changed(ACCOUNT_TOKEN, "edge-run", "policies[0].resources", json.loads(account_scope()))
    assert run(stack) == []
