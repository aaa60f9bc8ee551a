"""`aigw drift`'s words (aigw/live/drift.py to_text / to_json), which the command prints as they are."""

from __future__ import annotations

import json

from aigw.live.drift import FieldDrift, StackDrift, shown, to_json, to_text
from aigw_policy.rules import GATEWAY


def _result() -> StackDrift:
    return StackDrift("dev", "0" * 32, matched=1, missing=[("chat", "dev-chat")],
                      drift=[FieldDrift((GATEWAY, "bot"), "dev-bot", "cacheTtl", 300, None)])


def test_the_text_names_the_missing_gateway_and_the_drifted_field_with_its_hint():
    assert to_text(_result(), 2, "Pulumi.dev.yaml").splitlines() == [
        f"dev (account {'0' * 32}): 1 gateway(s) matched, 1 missing, 1 drifted field(s); 2 API request(s)",
        "  MISSING  dev-chat (aigw:gateways.chat): declared, not live; `pulumi up -s Pulumi.dev.yaml` creates it",
        "  DRIFT    dev-bot cacheTtl: declared 300, live absent",
        "           re-apply the declaration with `pulumi up -s dev`, or adopt the live value: set "
        "aigw:gateways.bot.cache.ttl in Pulumi.dev.yaml",
        "drift: found (exit 1)",
    ]
    assert to_text(StackDrift("dev", "0" * 32, matched=2), 1, "dev").splitlines()[-1] == "drift: none"


def test_the_json_has_the_same_facts_and_the_skipped_check():
    doc = json.loads(to_json(_result(), 2, "Logpush job check skipped: ..."))
    assert doc["missing"] == [{"name": "chat", "id": "dev-chat"}]
    assert doc["drift"][0] == {"resource": {"type": GATEWAY, "name": "bot"}, "id": "dev-bot", "field": "cacheTtl",
                               "declared": 300, "live": None, "hint": _result().drift[0].hint("dev")}
    assert (doc["requests"], doc["skipped"]) == (2, ["Logpush job check skipped: ..."])
    assert json.loads(to_json(_result(), 2, None))["skipped"] == []


def test_values_are_shown_as_json_but_strings_and_absence():
    assert [shown(None), shown("fixed"), shown(True), shown({"a": 1})] == ["absent", "fixed", "true", '{"a": 1}']
