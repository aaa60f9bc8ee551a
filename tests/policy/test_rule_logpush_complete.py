"""`logpush-complete`, case by case on rule_fixtures' compliant stack (docs/policy.md)."""

from __future__ import annotations

import pytest
from rule_fixtures import (
    ACCOUNT_ID,
    DELETE,
    GATEWAY,
    GATEWAY_NAMES,
    GW,
    JOB,
    OTHER_ACCOUNT_ID,
    assert_finding,
    changed,
    compliant,
    environments,
    of_rule,
    only,
    run,
    with_change,
    without,
)


@environments
def test_logpush_without_collecting_logs(env):
    finding = only(run(changed(*GW, "collectLogs", False, env), env), "logpush-complete")
    assert_finding(finding, "logpush-complete", "mandatory", GW,
                   f"gateway 'support-bot' (id {env}-support-bot) has logpush on but collects no logs",
                   "Set logging.collect: true or logging.logpush: false.")


@pytest.mark.parametrize("key", [DELETE, None, "", "MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEA"])
@environments
def test_logpush_without_public_key(env, key):
    finding = only(run(changed(*GW, "logpushPublicKey", key, env), env), "logpush-complete")
    assert_finding(finding, "logpush-complete", "mandatory", GW,
                   "has logpush on without a public key", "Run `aigw logpush keygen <stack>`",
                   "aigw:logpush.publicKey")


@pytest.mark.parametrize(("path", "value"), [
    ("enabled", False),
    ("dataset", "http_requests"),
    ("accountId", OTHER_ACCOUNT_ID),
    (None, None),
])
@environments
def test_logpush_without_a_job_for_the_account(env, path, value):
    stack = without(compliant(env), *JOB) if path is None else changed(*JOB, path, value, env)
    findings = of_rule(run(stack, env), "logpush-complete")
    assert [f.resource for f in findings] == [(GATEWAY, name) for name in GATEWAY_NAMES]
    for finding in findings:
        assert_finding(finding, "logpush-complete", "mandatory", finding.resource,
                       f"gateway '{finding.resource[1]}'", "has logpush on but the stack has no enabled Logpush job",
                       f"with dataset ai_gateway_events in account {ACCOUNT_ID}",
                       "Add aigw:logpush (destination and retention) to the stack.")


def test_a_job_without_enabled_counts_as_enabled():
    assert run(changed(*JOB, "enabled", DELETE)) == []


def test_a_gateway_with_logpush_off_needs_no_key_nor_job():
    stack = with_change(changed(*GW, "logpush", False), *GW, "logpushPublicKey", DELETE)
    assert of_rule(run(stack), "logpush-complete") == []
