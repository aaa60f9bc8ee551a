"""aigw_policy.values: how rules read properties (need, secret_at) and the sources converted to them."""

from __future__ import annotations

import pytest

from aigw_policy.values import (
    REDACTED,
    SECRET_MARK,
    SECRET_SIG,
    SIG_KEY,
    UNKNOWN,
    UNKNOWN_SENTINELS,
    Resource,
    Secret,
    Unknown,
    UnknownValue,
    from_plan,
    from_wire,
    need,
    secret_at,
)

PROPS = {
    "authentication": True,
    "collectLogs": False,
    "rateLimitingLimit": 0,
    "otels": [{"url": "https://otlp.example.com/v1/traces", "headers": {"x-team": "search"}},
              {"url": "https://second.example.com", "authorization": Secret("Bearer abc")}],
    "guardrails": {"prompt": {"p1": "BLOCK"}},
}


def wire_secret(value):
    return {SIG_KEY: SECRET_SIG, "value": value}


# --- need --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "expected"), [
    ("authentication", True),
    ("collectLogs", False),
    ("rateLimitingLimit", 0),
    ("otels[0].url", "https://otlp.example.com/v1/traces"),
    ("otels[0].headers.x-team", "search"),
    ("otels[1].url", "https://second.example.com"),
    ("guardrails.prompt.p1", "BLOCK"),
    ("guardrails.prompt", {"p1": "BLOCK"}),
])
def test_need_reads_dotted_paths_with_indexes(path, expected):
    assert need(PROPS, path) == expected


def test_need_reveals_secrets_on_the_way_and_at_the_end():
    assert need(PROPS, "otels[1].authorization") == "Bearer abc"
    assert need({"otels": Secret([{"url": "https://a.example"}])}, "otels[0].url") == "https://a.example"
    assert need(Secret({"a": Secret({"b": 1})}), "a.b") == 1


@pytest.mark.parametrize("path", [
    "zdr", "guardrails.response", "guardrails.prompt.s1", "otels[2].url", "otels[0].authorization",
    "authentication.deeper", "otels.url",
])
def test_need_gives_the_default_when_the_path_is_absent(path):
    assert need(PROPS, path) is None
    assert need(PROPS, path, "fallback") == "fallback"


def test_need_keeps_falsy_values_that_are_present_instead_of_the_default():
    assert need(PROPS, "collectLogs", True) is False
    assert need(PROPS, "rateLimitingLimit", 600) == 0


@pytest.mark.parametrize(("props", "path"), [
    ({"authentication": UNKNOWN}, "authentication"),
    ({"otels": UNKNOWN}, "otels[0].url"),
    ({"otels": [{"url": UNKNOWN}]}, "otels[0].url"),
    ({"otels": [UNKNOWN]}, "otels[0].url"),
    ({"dlp": UNKNOWN}, "dlp.enabled"),
    ({"bindings": [{"text": Secret(UNKNOWN)}]}, "bindings[0].text"),
    ({"bindings": Secret(UNKNOWN)}, "bindings[0].name"),
])
def test_need_raises_unknown_value_naming_the_whole_path(props, path):
    with pytest.raises(UnknownValue) as raised:
        need(props, path, "a default does not hide an unknown")
    assert raised.value.path == path
    assert str(raised.value) == path


def test_need_does_not_raise_for_an_unknown_it_does_not_reach():
    props = {"otels": [{"url": "https://a.example", "headers": UNKNOWN}], "stripe": UNKNOWN}
    assert need(props, "otels[0].url") == "https://a.example"
    assert need(props, "collectLogs", True) is True


def test_unknown_is_one_marker():
    assert Unknown() == UNKNOWN


# --- secret_at -----------------------------------------------------------------------------------

def test_secret_at_a_secret_leaf():
    assert secret_at(PROPS, "otels[1].authorization")
    assert not secret_at(PROPS, "otels[0].url")
    assert not secret_at(PROPS, "otels[0].headers.x-team")


@pytest.mark.parametrize("path", ["otels", "otels[0]", "otels[0].authorization", "otels[0].headers.api-key"])
def test_secret_at_is_true_under_a_secret_ancestor(path):
    # The Python SDK sends a whole list as one secret when any element of it is a secret.
    props = {"otels": Secret([{"url": "https://a.example", "authorization": "Bearer abc",
                               "headers": {"api-key": "k"}}])}
    assert secret_at(props, path)


def test_secret_at_an_object_ancestor_and_a_redacted_value():
    assert secret_at({"stripe": Secret({"authorization": "sk_live_x"})}, "stripe.authorization")
    assert secret_at({"destinationConf": Secret()}, "destinationConf")
    assert Secret().value is REDACTED


@pytest.mark.parametrize("path", ["missing", "otels[5].authorization", "collectLogs.x", "otels[0].url.deeper"])
def test_secret_at_an_absent_path_is_false(path):
    assert not secret_at(PROPS, path)


# --- from_wire -----------------------------------------------------------------------------------

def test_from_wire_turns_secret_signatures_into_secrets_at_any_depth():
    wire = {
        "bindings": [{"name": "AIG_TOKEN", "type": "secret_text", "text": wire_secret("tok-123")}],
        "otels": wire_secret([{"url": "https://a.example", "authorization": "Bearer x"}]),
    }
    assert from_wire(wire) == {
        "bindings": [{"name": "AIG_TOKEN", "type": "secret_text", "text": Secret("tok-123")}],
        "otels": Secret([{"url": "https://a.example", "authorization": "Bearer x"}]),
    }


@pytest.mark.parametrize("sentinel", sorted(UNKNOWN_SENTINELS))
def test_from_wire_turns_every_unknown_sentinel_into_unknown(sentinel):
    assert from_wire({"collectLogs": sentinel, "otels": [sentinel]}) == {"collectLogs": UNKNOWN, "otels": [UNKNOWN]}


def test_the_unknown_sentinels_are_pulumis():
    from pulumi.runtime.rpc import UNKNOWN as PULUMI_UNKNOWN

    assert PULUMI_UNKNOWN in UNKNOWN_SENTINELS
    assert len(UNKNOWN_SENTINELS) == 7


def test_from_wire_keeps_a_secret_unknown_as_a_secret():
    # During preview a Run token's value is unknown, but still marked secret.
    sentinel = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    assert from_wire({"text": wire_secret(sentinel)}) == {"text": Secret(UNKNOWN)}


def test_from_wire_reads_integral_struct_numbers_as_ints():
    converted = from_wire({"rateLimitingInterval": 60.0, "limit": 250.5, "nested": [{"window": 86400.0}],
                           "flag": True, "text": "60.0", "none": None})
    assert converted == {"rateLimitingInterval": 60, "limit": 250.5, "nested": [{"window": 86400}],
                         "flag": True, "text": "60.0", "none": None}
    assert type(converted["rateLimitingInterval"]) is int
    assert type(converted["nested"][0]["window"]) is int
    assert type(converted["flag"]) is bool


def test_from_wire_secret_signatures_match_pulumis():
    from pulumi.runtime import rpc

    assert (SIG_KEY, SECRET_SIG) == (rpc._special_sig_key, rpc._special_secret_sig)


# --- from_plan -----------------------------------------------------------------------------------

def test_from_plan_marks_secret_paths_as_secrets():
    entry = {
        "type": "cloudflare:index/logpushJob:LogpushJob", "name": "logpush-job",
        "props": {"accountId": "abc", "dataset": "ai_gateway_events", "destinationConf": SECRET_MARK},
        "options": {"protect": False, "secretPaths": ["destinationConf"]},
    }
    resource = from_plan(entry)
    assert resource == Resource("cloudflare:index/logpushJob:LogpushJob", "logpush-job",
                                {"accountId": "abc", "dataset": "ai_gateway_events", "destinationConf": Secret()})
    assert resource.props["destinationConf"].value is REDACTED


def test_from_plan_wraps_a_whole_secret_list_keeping_its_shown_values():
    bindings = [{"name": "PAYLOADS", "type": "plain_text", "text": "false"},
                {"name": "AIG_TOKEN", "type": "secret_text", "text": SECRET_MARK}]
    resource = from_plan({"type": "t", "name": "n", "props": {"bindings": bindings},
                          "options": {"secretPaths": ["bindings"]}})
    assert resource.props == {"bindings": Secret(bindings)}
    assert secret_at(resource.props, "bindings[1].text")
    assert need(resource.props, "bindings[0].text") == "false"


def test_from_plan_marks_nested_paths_and_leaves_the_rest():
    props = {"otels": [{"url": "https://a.example", "headers": {"api-key": SECRET_MARK, "x-team": "t"}}]}
    resource = from_plan({"type": "t", "name": "n", "props": props,
                          "options": {"secretPaths": ["otels[0].headers.api-key", "otels[3].url", "missing"]}})
    assert resource.props == {"otels": [{"url": "https://a.example",
                                         "headers": {"api-key": Secret(), "x-team": "t"}}]}
    assert props["otels"][0]["headers"]["api-key"] == SECRET_MARK, "the plan entry is not modified"


def test_from_plan_without_options_or_props():
    assert from_plan({"type": "aigw:index:Gateway", "name": "support-bot", "props": {}}) == Resource(
        "aigw:index:Gateway", "support-bot", {})
    assert from_plan({"type": "t", "name": "n"}).props == {}
    assert from_plan({"type": "t", "name": "n", "props": {"a": SECRET_MARK}}).props == {"a": SECRET_MARK}


def test_from_plan_of_an_older_plan_without_secret_paths_marks_what_it_shows_as_secret():
    # Plans made before options.secretPaths (an older base revision in `aigw diff`).
    entry = {"type": "t", "name": "n", "props": {"a": SECRET_MARK, "b": [{"c": SECRET_MARK, "d": "x"}]},
             "options": {"secretProps": ["a", "b"]}}
    assert from_plan(entry).props == {"a": Secret(), "b": [{"c": Secret(), "d": "x"}]}
