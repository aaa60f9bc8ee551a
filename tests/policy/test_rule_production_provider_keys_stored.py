"""`production-provider-keys-stored`, case by case on rule_fixtures' stack with support-bot's provider keys
and route (docs/policy.md)."""

from __future__ import annotations

from rule_fixtures import (
    GW,
    PROVIDER_CONFIG,
    SECRETS_STORE_SECRET,
    SUPPORT_BOT,
    assert_finding,
    of_rule,
    only,
    run,
    with_byok,
    with_change,
    without,
)

RULE = "production-provider-keys-stored"
SECRET = (SECRETS_STORE_SECRET, "support-bot-openai-default")
CONFIG = (PROVIDER_CONFIG, "support-bot-openai-default")


def test_the_byok_stack_is_compliant():
    assert run(with_byok()) == []


def test_keys_without_byok_only():
    finding = only(run(with_change(with_byok(), *GW, "byokOnly", False)), RULE)
    assert_finding(finding, RULE, "mandatory", GW, f"{SUPPORT_BOT} has provider keys or routes but does not "
                   "require provider credentials", "Set byokOnly: true.")


def test_keys_without_a_store():
    finding = only(run(with_change(with_byok(), *GW, "storeId", None)), RULE)
    assert_finding(finding, RULE, "mandatory", GW, "has provider keys but no Secrets Store (storeId)")


def test_a_config_without_its_secret():
    finding = only(run(without(with_byok(), *SECRET)), RULE)
    assert_finding(finding, RULE, "mandatory", CONFIG,
                   "has no Secrets Store secret named prod-support-bot_openai_default")


def test_a_secret_not_scoped_for_ai_gateway_or_in_another_store():
    findings = of_rule(run(with_change(with_byok(), *SECRET, "scopes", ["workers"])), RULE)
    assert [f.message.split(":")[0] for f in findings] == [
        "secret prod-support-bot_openai_default is not scoped ai_gateway"]
    finding = only(run(with_change(with_byok(), *SECRET, "storeId", "f" * 32)), RULE)
    assert_finding(finding, RULE, "mandatory", SECRET, "is in store ffff", "not in the store of")


def test_a_plaintext_key():
    finding = only(run(with_change(with_byok(), *SECRET, "value", "sk-plain")), RULE)
    assert_finding(finding, RULE, "mandatory", SECRET, "the provider key is in plain text")
    assert "sk-plain" not in finding.message


def test_outside_production_nothing_is_reported():
    assert of_rule(run(with_change(with_byok("dev"), *GW, "byokOnly", False), "dev"), RULE) == []
