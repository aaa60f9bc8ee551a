"""`cache-ttl-bounded`, case by case on rule_fixtures' compliant stack (docs/policy.md)."""

from __future__ import annotations

from rule_fixtures import (
    GATEWAY,
    GW,
    SUPPORT_BOT,
    assert_finding,
    changed,
    compliant,
    of_rule,
    only,
    run,
)


def test_cache_ttl_above_the_maximum():
    finding = only(run(changed(*GW, "cacheTtl", 86401)), "cache-ttl-bounded")
    assert_finding(finding, "cache-ttl-bounded", "advisory", GW,
                   f"{SUPPORT_BOT} caches responses for 86401 s, more than maxCacheTtl (86400 s)",
                   "Set cache.ttl to at most 86400.")


def test_cache_ttl_at_the_maximum():
    assert run(changed(*GW, "cacheTtl", 86400)) == []


def test_max_cache_ttl_from_the_policy_config():
    findings = of_rule(run(compliant(), config={"cache-ttl-bounded": {"maxCacheTtl": 600}}), "cache-ttl-bounded")
    assert [f.resource for f in findings] == [(GATEWAY, "docs-search")]
    assert "caches responses for 3600 s, more than maxCacheTtl (600 s)" in findings[0].message
