"""`tokens-not-expiring`, case by case on rule_fixtures' compliant stack (docs/policy.md)."""

from __future__ import annotations

import datetime as dt

from rule_fixtures import (
    API_TOKEN,
    assert_finding,
    changed,
    compliant,
    context,
    environments,
    find,
    of_rule,
    only,
    run,
)

from aigw_policy.engine import run_resource_rule
from aigw_policy.rules import RULES_BY_ID


def expiry(name: str, today: str, env: str = "prod", config: dict | None = None) -> list:
    token = find(compliant(env), API_TOKEN, name)
    ctx = context(env, config=config, today=dt.date.fromisoformat(today))
    return run_resource_rule(RULES_BY_ID["tokens-not-expiring"], token, ctx)


@environments
def test_a_token_expiring_within_14_days_is_an_advisory(env):
    # ci-deploy: notBefore 2026-11-23, expiresOn 2026-12-23.
    (violation,) = expiry("ci-deploy", "2026-12-09", env)
    assert violation.resource.ref == (API_TOKEN, "ci-deploy")
    assert violation.message == (
        "token 'ci-deploy' expires on 2026-12-23, in 14 days (within 14). Rotate it: move validFrom forward in "
        "aigw:tokens (`pulumi up` then mints a new value).")
    assert expiry("ci-deploy", "2026-12-08", env) == []  # 15 days left


def test_an_expired_token_says_since_when_and_that_cloudflare_refuses_it():
    (violation,) = expiry("ci-deploy", "2026-12-26")
    assert violation.message.startswith(
        "token 'ci-deploy' expired on 2026-12-23 (3 days ago): Cloudflare no longer accepts it. Rotate it")
    # expiresOn is midnight UTC: on the day itself the token is already refused.
    (today,) = expiry("ci-deploy", "2026-12-23")
    assert "expired on 2026-12-23 (today)" in today.message


def test_the_run_token_warns_that_the_edge_workers_fail_with_it():
    (violation,) = expiry("edge-run", "2027-02-20")  # expires 2027-02-21
    assert "in 1 day (within 14). The edge Workers hold it (AIG_TOKEN): once it has expired, every request " \
           "through them fails." in violation.message


def test_expiry_warning_days_is_configurable():
    assert expiry("ci-deploy", "2026-12-01", config={"expiryWarningDays": 30})[0].message.startswith(
        "token 'ci-deploy' expires on 2026-12-23, in 22 days (within 30).")


def test_tokens_not_expiring_is_advisory_and_quiet_on_the_compliant_stack():
    assert of_rule(run(compliant()), "tokens-not-expiring") == []
    stack = changed(API_TOKEN, "log-reader", "expiresOn", "2026-11-30")  # a week after the fixture's today
    finding = only(run(stack), "tokens-not-expiring")
    assert_finding(finding, "tokens-not-expiring", "advisory", (API_TOKEN, "log-reader"),
                   "token 'log-reader' expires on 2026-11-30, in 7 days")
