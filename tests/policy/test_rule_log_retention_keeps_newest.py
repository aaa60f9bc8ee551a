"""`log-retention-keeps-newest`, case by case on rule_fixtures' compliant stack (docs/policy.md)."""

from __future__ import annotations

from rule_fixtures import (
    GW,
    assert_finding,
    changed,
    environments,
    of_rule,
    only,
    run,
    with_change,
)


def test_stop_inserting_with_logpush_is_fine():
    assert run(changed(*GW, "logManagementStrategy", "STOP_INSERTING")) == []


@environments
def test_stop_inserting_without_logpush(env):
    stack = with_change(changed(*GW, "logpush", False, env), *GW, "logManagementStrategy", "STOP_INSERTING")
    finding = only(run(stack, env), "log-retention-keeps-newest")
    assert_finding(finding, "log-retention-keeps-newest", "advisory", GW,
                   f"gateway 'support-bot' (id {env}-support-bot) stops inserting logs once 5000000 are stored",
                   "new requests then go unlogged", "Set logging.onFull: deleteOldest, or export with logpush.")


def test_stop_inserting_without_collecting_logs_is_fine():
    stack = with_change(changed(*GW, "logpush", False), *GW, "logManagementStrategy", "STOP_INSERTING")
    stack = with_change(stack, *GW, "collectLogs", False)
    assert of_rule(run(stack), "log-retention-keeps-newest") == []
