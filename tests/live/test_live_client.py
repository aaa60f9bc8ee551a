"""aigw/live/client.py and aigw/live/mapping.py in-process: the official SDK over real HTTP against
the stand-in (tests/helpers/standin.py), and the live -> props mapping with its normalisation.

Client: pages of 100 (counted in the stand-in's request log), every failure a LiveError (exit 3)
naming the call and the reason, the rate-limit policy (a 429 waited out once with a message, a
second one fails, --no-wait fails at once), no token -> TokenMissing (exit 2 in the CLI).
Mapping: the API's quirks normalised (0/null off, omitted defaults, enum case, generated spend-limit
ids, credentials never compared by value), and a round trip API JSON -> props that gives back the
plan's props for every gateway of the repo's staging and prod stacks.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from helpers.live import (
    LIVE_CREDENTIAL,
    closed_port,
    create_body,
    gateways_of,
    repo_plans,
    seed_plan,
    with_live_credentials,
)
from helpers.standin import (
    DEFAULT_ACCOUNT,
    GATEWAYS_ONLY_TOKEN,
    LOGS_READ_TOKEN,
    READ_TOKEN,
    RUN_TOKEN,
    TEST_TOKENS,
    FakeClock,
    StandIn,
)

from aigw.live.client import EXIT_API, MAX_REQUESTS, PER_PAGE, Client, LiveError, TokenMissing
from aigw.live.mapping import SECRET_FIELD, differences, live_props, mark_credentials, normalise
from aigw_policy.values import Secret

ACCOUNT = DEFAULT_ACCOUNT
GATEWAYS = f"/accounts/{ACCOUNT}/ai-gateway/gateways"


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> dict[str, dict[str, Any]]:
    """The repo's stacks, planned once per session (shared by the xdist workers)."""
    base = tmp_path_factory.getbasetemp()
    return repo_plans(base.parent if worker_id != "master" else base)


@pytest.fixture
def client(standin: StandIn) -> Iterator[Client]:
    with Client(READ_TOKEN, standin.base_url, out=io.StringIO()) as made:
        yield made


def list_requests(api: StandIn) -> list[Any]:
    return api.requests_to("/ai-gateway/gateways", "GET")


# --------------------------------------------------------------------------- pages of 100


@pytest.mark.parametrize(("count", "pages"), [(0, 1), (1, 1), (100, 1), (250, 3), (1000, 10)])
def test_gateways_are_read_in_pages_of_100_never_one_get_each(standin: StandIn, client: Client, seed, count: int,
                                                              pages: int) -> None:
    ids = seed(count)
    got = client.gateways(ACCOUNT)
    assert [g["id"] for g in got] == ids
    requests = standin.requests
    assert len(requests) == pages == client.requests, requests
    assert all(r.path == GATEWAYS and r.method == "GET" and r.status == 200 for r in requests)
    assert [r.query for r in requests] == [{"page": str(n), "per_page": str(PER_PAGE)} for n in range(1, pages + 1)]


def test_a_gateway_comes_back_as_the_api_sent_it(standin: StandIn, client: Client) -> None:
    standin.seed_gateway("support-bot", cache_ttl=60, guardrails={"prompt": {"P1": "BLOCK"}, "response": {}},
                         spend_limits={"rules": [{"limit": 5, "limitType": "cost", "window": 60}]})
    (got,) = client.gateways(ACCOUNT)
    raw = standin.gateways["support-bot"]
    assert got["guardrails"] == {"prompt": {"P1": "BLOCK"}, "response": {}}  # wire names, not the SDK's python ones
    assert got["spend_limits"]["rules"][0]["limitType"] == "cost"
    # Timestamps come back as ISO strings (mode="json"), re-written by the SDK: the same instant.
    assert datetime.fromisoformat(got["created_at"]) == datetime.fromisoformat(raw["created_at"])
    # Fields the API did not send stay absent (absent = unset; never None the mapping must guess about).
    assert "logpush" not in got and "otel" not in got
    skip = {"created_at", "modified_at"}
    assert {k: v for k, v in got.items() if k not in skip} == {k: v for k, v in raw.items() if k not in skip}


def test_logpush_jobs_are_one_request(standin: StandIn, client: Client) -> None:
    standin.seed_logpush_job(name="a")
    standin.seed_logpush_job(name="b", max_upload_interval_seconds=300)
    jobs = client.logpush_jobs(ACCOUNT)
    assert [(j["name"], j["max_upload_interval_seconds"]) for j in jobs] == [("a", 0), ("b", 300)]
    assert client.requests == len(standin.requests) == 1


def test_the_token_and_the_base_url_come_from_the_environment(standin: StandIn, monkeypatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", READ_TOKEN)
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", standin.base_url)
    standin.seed_gateway("x")
    with Client() as made:
        assert [g["id"] for g in made.gateways(ACCOUNT)] == ["x"]
    assert standin.requests[0].token == READ_TOKEN


def test_no_token_is_token_missing_before_any_request(standin: StandIn, monkeypatch) -> None:
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    with pytest.raises(TokenMissing, match="CLOUDFLARE_API_TOKEN is not set.*AI Gateway Read"):
        Client(base_url=standin.base_url)
    with pytest.raises(TokenMissing):
        Client("", base_url=standin.base_url)
    assert standin.requests == []


# --------------------------------------------------------------------------- errors: exit 3, the call and why


def live_error(call) -> LiveError:
    with pytest.raises(LiveError) as caught:
        call()
    assert caught.value.exit_code == EXIT_API == 3
    assert "Traceback" not in str(caught.value)
    return caught.value


def test_a_rejected_token_names_the_call_and_the_401(standin: StandIn) -> None:
    with Client("not-a-token", standin.base_url) as made:
        message = str(live_error(lambda: made.gateways(ACCOUNT)))
    assert message.startswith("list gateways: the API token was rejected (HTTP 401: Authentication error (code 10000))")
    assert "CLOUDFLARE_API_TOKEN" in message and "not-a-token" not in message


@pytest.mark.parametrize(("token", "call", "name", "group"), [
    (RUN_TOKEN, "gateways", "list gateways", "AI Gateway Read"),
    # Logpush has no read-only permission: listing jobs needs Logs Write (Cloudflare Logs docs, Permissions).
    (GATEWAYS_ONLY_TOKEN, "logpush_jobs", "list Logpush jobs", "Logs Write"),
    (LOGS_READ_TOKEN, "logpush_jobs", "list Logpush jobs", "Logs Write"),
])
def test_a_missing_permission_names_the_group_to_add(standin: StandIn, token: str, call: str, name: str,
                                                     group: str) -> None:
    with Client(token, standin.base_url) as made:
        message = str(live_error(lambda: getattr(made, call)(ACCOUNT)))
    assert message.startswith(f"{name}: permission denied (HTTP 403: ")
    assert message.endswith(f"the token needs the permission group '{group}' on this account: add it, or use a "
                            "token scoped to this account")


def test_an_unreachable_api_is_a_network_error() -> None:
    with Client(READ_TOKEN, f"http://127.0.0.1:{closed_port()}/client/v4") as made:
        message = str(live_error(lambda: made.gateways(ACCOUNT)))
    assert message.startswith("list gateways: cannot reach the Cloudflare API (") and message.endswith("(network)")
    assert "refused" in message.lower()


def test_no_answer_within_the_timeout_is_a_network_error(silent_url: str) -> None:
    start = time.monotonic()
    with Client(READ_TOKEN, silent_url, timeout=0.5) as made:
        message = str(live_error(lambda: made.gateways(ACCOUNT)))
    assert message == "list gateways: no answer from the Cloudflare API within the timeout (0.5 s for the whole " \
                      "request, --timeout) (network)"
    assert time.monotonic() - start < 5  # one attempt: the SDK's own retries are off


def test_another_api_error_names_the_call_and_the_status(standin: StandIn) -> None:
    standin.seed_gateway("x")
    with Client(READ_TOKEN, standin.base_url) as made:
        message = str(live_error(lambda: made.call("get gateway", lambda: made.sdk.ai_gateway.get(
            "nowhere", account_id=ACCOUNT))))
    assert message == "get gateway: HTTP 404: Gateway 'nowhere' not found (code 7002)"


# --------------------------------------------------------------------------- 429: Retry-After, once


@pytest.fixture
def clocked() -> Iterator[tuple[StandIn, FakeClock]]:
    """A stand-in on a fake clock: a fake sleep moves it, so Retry-After is waited out without waiting."""
    clock = FakeClock()
    with StandIn(tokens=TEST_TOKENS, clock=clock) as api:
        yield api, clock
    assert not api.errors


def sleeping_client(api: StandIn, clock: FakeClock, **kwargs: Any) -> tuple[Client, list[float], io.StringIO]:
    slept: list[float] = []
    out = io.StringIO()

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)

    return Client(READ_TOKEN, api.base_url, out=out, sleep=sleep, **kwargs), slept, out


WAIT_MESSAGE = ("aigw: list gateways: rate limited by Cloudflare (HTTP 429); waiting 2 s (Retry-After) before trying "
                "once more\n")


def test_a_429_is_waited_out_once_for_retry_after_with_a_message(clocked) -> None:
    api, clock = clocked
    api.seed_gateways(150)
    api.inject_429("/ai-gateway/gateways", retry_after=2)  # blocks the token for 2 s, as a real 429 does
    made, slept, out = sleeping_client(api, clock)
    with made:
        assert len(made.gateways(ACCOUNT)) == 150
    assert slept == [2.0]
    assert out.getvalue() == WAIT_MESSAGE
    assert [(r.query["page"], r.status) for r in api.requests] == [("1", 429), ("1", 200), ("2", 200)]
    assert made.requests == 3


def test_a_retry_before_retry_after_would_be_refused_again(clocked) -> None:
    """The stand-in really blocks the token: had the client not waited the whole Retry-After, the
    retry would be a second 429 (so the test above shows the wait was long enough)."""
    api, clock = clocked
    api.inject_429("/ai-gateway/gateways", retry_after=2)
    made, slept, out = sleeping_client(api, clock)
    made.sleep = lambda seconds: (slept.append(seconds), clock.advance(seconds - 0.5))
    with made:
        message = str(live_error(lambda: made.gateways(ACCOUNT)))
    assert "still limited after waiting once" in message and slept == [2.0]


def test_a_second_429_fails_instead_of_waiting_again(clocked) -> None:
    api, clock = clocked
    api.inject_429("/ai-gateway/gateways", retry_after=2)
    api.inject_429("/ai-gateway/gateways", retry_after=2)
    made, slept, out = sleeping_client(api, clock)
    with made:
        message = str(live_error(lambda: made.gateways(ACCOUNT)))
    assert message.startswith("list gateways: rate limited by Cloudflare (HTTP 429, Retry-After 2 s; still limited "
                              "after waiting once)")
    assert "run again later" in message
    assert slept == [2.0] and out.getvalue() == WAIT_MESSAGE
    assert [r.status for r in api.requests] == [429, 429]


def test_the_one_wait_is_per_command_not_per_page(clock: FakeClock) -> None:
    """A budget of 2 requests per window: page 3 is refused, waited out; page 6 is refused again and
    fails (waiting once more would be a second 5-minute block on a token someone else is using)."""
    with StandIn(tokens=TEST_TOKENS, clock=clock, rate_limit=2, block_seconds=2) as api:
        api.seed_gateways(550)
        made, slept, out = sleeping_client(api, clock)
        with made:
            message = str(live_error(lambda: made.gateways(ACCOUNT)))
        assert [(r.query["page"], r.status) for r in api.requests] == [
            ("1", 200), ("2", 200), ("3", 429), ("3", 200), ("4", 200), ("5", 429)]
    assert not api.errors
    assert slept == [2.0] and "still limited after waiting once" in message


def test_no_wait_fails_at_once_naming_the_call(clocked) -> None:
    api, clock = clocked
    api.inject_429("/ai-gateway/gateways", retry_after=2)
    made, slept, out = sleeping_client(api, clock, wait=False)
    with made:
        message = str(live_error(lambda: made.gateways(ACCOUNT)))
    assert message.startswith("list gateways: rate limited by Cloudflare (HTTP 429, Retry-After 2 s; --no-wait)")
    assert slept == [] and out.getvalue() == ""
    assert len(api.requests) == 1 and made.requests == 1  # the SDK's own retries are off


def test_a_429_on_the_logpush_jobs_names_that_call(clocked) -> None:
    api, clock = clocked
    api.inject_429("/logpush/jobs", retry_after=3)
    made, slept, out = sleeping_client(api, clock)
    with made:
        assert made.logpush_jobs(ACCOUNT) == []
    assert slept == [3.0] and out.getvalue().startswith("aigw: list Logpush jobs: rate limited by Cloudflare")


# --------------------------------------------------------------------------- mapping: API JSON -> props


REQUIRED = {"cache_invalidate_on_update": False, "cache_ttl": 0, "collect_logs": True,
            "rate_limiting_interval": 0, "rate_limiting_limit": 0}


def test_live_props_use_the_plans_names() -> None:
    live = {
        "id": "prod-x", **REQUIRED, "authentication": True, "created_at": "t", "modified_at": "t", "is_default": False,
        "account_tag": "a", "internal_id": "i", "account_id": "a",
        "otel": [{"url": "u", "headers": {"X-Api_Key": "k", "x_team": "t"}, "content_type": "json"}],
        "dlp": {"enabled": True, "policies": [{"id": "p", "action": "BLOCK", "check": ["REQUEST"], "enabled": True,
                                               "profiles": ["pr"]}]},
        "guardrails": {"prompt": {"P1": "BLOCK", "S13": "FLAG"}, "response": {"S1": "FLAG"}},
        "spend_limits": {"enabled": True, "rules": [{
            "limit": 1.5, "limitType": "cost", "window": 60, "provider": {"mode": "filter", "values": ["openai"]},
            "metadata": {"team_name": {"mode": "partition"}, "cf.user_id": {"mode": "filter", "values": ["u"]}}}]},
        "log_management_strategy": "DELETE_OLDEST", "workers_ai_billing_mode": "postpaid",
    }
    props = live_props(live, ACCOUNT)
    assert props["accountId"] == ACCOUNT and props["aiGatewayId"] == "prod-x"
    assert not {"createdAt", "modifiedAt", "isDefault", "accountTag", "internalId", "id"} & set(props)
    assert props["otels"] == [{"url": "u", "headers": {"X-Api_Key": "k", "x_team": "t"}, "contentType": "json"}]
    assert props["dlp"]["policies"][0]["checks"] == ["REQUEST"]
    assert props["guardrails"] == {"prompt": {"p1": "BLOCK", "s13": "FLAG"}, "response": {"s1": "FLAG"}}
    rule = props["spendLimits"]["rules"][0]
    assert rule["limitType"] == "cost" and rule["aiGatewayProvider"] == {"mode": "filter", "values": ["openai"]}
    assert rule["metadata"] == {"team_name": {"mode": "partition"}, "cf.user_id": {"mode": "filter", "values": ["u"]}}
    assert props["logManagementStrategy"] == "DELETE_OLDEST" and props["workersAiBillingMode"] == "postpaid"


def test_credentials_are_marked_as_secrets_for_the_rules() -> None:
    props = live_props({"id": "x", **REQUIRED, "otel": [{"url": "u", "authorization": "Bearer live",
                                                          "headers": {"Authorization": "k", "x-team": "t"}}],
                        "stripe": {"authorization": "sk_live", "usage_events": []}}, ACCOUNT)
    marked = mark_credentials(props)
    otel = marked["otels"][0]
    assert isinstance(otel["authorization"], Secret) and isinstance(otel["headers"]["Authorization"], Secret)
    assert otel["headers"]["x-team"] == "t"
    assert isinstance(marked["stripe"]["authorization"], Secret)
    assert "live" not in repr(marked) and "sk_live" not in repr(marked)


# --------------------------------------------------------------------------- normalisation


BASE = {"accountId": ACCOUNT, "aiGatewayId": "x", "collectLogs": True, "cacheInvalidateOnUpdate": False}


def diff(declared: dict[str, Any], live: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    return differences({**BASE, **declared}, {**BASE, **live})


@pytest.mark.parametrize(("declared", "live"), [
    ({"rateLimitingLimit": 0, "rateLimitingInterval": 0}, {"rateLimitingLimit": None, "rateLimitingInterval": None}),
    ({"rateLimitingLimit": None, "rateLimitingInterval": None},
     {"rateLimitingLimit": 0, "rateLimitingInterval": 0, "rateLimitingTechnique": "fixed"}),  # the API fills it
    ({}, {"rateLimitingLimit": 100, "rateLimitingInterval": 0, "rateLimitingTechnique": "sliding"}),  # 0 = off
    ({"cacheTtl": 0}, {"cacheTtl": None}),
    ({"cacheTtl": None}, {}),
    ({"retryMaxAttempts": None, "retryDelay": 500, "retryBackoff": "constant"},
     {"retryMaxAttempts": 0, "retryDelay": 500, "retryBackoff": "constant"}),
    ({"dlp": None}, {"dlp": {"enabled": False, "action": "BLOCK", "profiles": []}}),
    ({"guardrails": None}, {"guardrails": {"prompt": {}, "response": {}}}),
    ({"otels": []}, {"otels": None}),
    ({"spendLimits": None}, {"spendLimits": {"enabled": True, "rules": []}}),  # no rule limits nothing
], ids=["rate-0-null", "rate-null-0", "rate-interval-0", "cache-0-null", "cache-absent", "retry-0", "dlp-off",
        "guardrails-empty", "otel-empty", "spend-no-rules"])
def test_zero_and_null_both_mean_off(declared: dict[str, Any], live: dict[str, Any]) -> None:
    assert diff(declared, live) == []


@pytest.mark.parametrize(("field", "default"), [
    ("logpush", False), ("logClassification", False), ("zdr", False),
    ("byokOnly", False), ("workersAiBillingMode", "postpaid"), ("cacheInvalidateOnUpdate", False),
])
def test_an_omitted_optional_field_equals_its_default(field: str, default: Any) -> None:
    assert diff({field: default}, {}) == [] == diff({}, {field: default})
    other = {bool: True, str: "unified"}[type(default)]
    assert diff({field: default}, {field: other}) == [(field, None, other)]


def test_an_omitted_spend_limit_rule_default_equals_it() -> None:
    declared = {"spendLimits": {"enabled": True, "rules": [
        {"limit": 5, "limitType": "cost", "window": 60, "technique": "sliding", "enabled": True}]}}
    live = {"spendLimits": {"enabled": True, "rules": [{"limit": 5.0, "limitType": "cost", "window": 60}]}}
    assert diff(declared, live) == []
    live["spendLimits"]["rules"][0]["technique"] = "fixed"
    assert diff(declared, live) == [("spendLimits.rules[0].technique", "sliding", "fixed")]
    assert diff(declared, {"spendLimits": {"rules": declared["spendLimits"]["rules"]}}) == [
        ("spendLimits.enabled", True, False)]  # omitted `enabled` is off (the documented default)


@pytest.mark.parametrize(("declared", "live"), [
    ({"rateLimitingLimit": 1, "rateLimitingInterval": 1, "rateLimitingTechnique": "fixed"},
     {"rateLimitingLimit": 1, "rateLimitingInterval": 1, "rateLimitingTechnique": "FIXED"}),
    ({"logManagementStrategy": "DELETE_OLDEST"}, {"logManagementStrategy": "delete_oldest"}),
    ({"retryMaxAttempts": 2, "retryBackoff": "exponential"}, {"retryMaxAttempts": 2, "retryBackoff": "Exponential"}),
    ({"workersAiBillingMode": "unified"}, {"workersAiBillingMode": "UNIFIED"}),
    ({"dlp": {"enabled": True, "policies": [{"id": "p", "action": "BLOCK", "checks": ["REQUEST", "RESPONSE"],
                                             "enabled": True, "profiles": ["a"]}]}},
     {"dlp": {"enabled": True, "policies": [{"id": "p", "action": "block", "checks": ["response", "request"],
                                             "profiles": ["a"]}]}}),
    ({"guardrails": {"prompt": {"p1": "BLOCK"}, "response": {}}},
     {"guardrails": {"prompt": {"P1": "block"}, "response": {"S1": None}}}),
    ({"otels": [{"url": "u", "headers": {}, "contentType": "json"}]}, {"otels": [{"url": "u", "headers": {}}]}),
], ids=["technique", "strategy", "backoff", "billing", "dlp", "guardrails", "otel-content-type"])
def test_enums_compare_without_case(declared: dict[str, Any], live: dict[str, Any]) -> None:
    assert diff(declared, live) == []


def test_a_generated_spend_limit_rule_id_is_ignored_unless_declared() -> None:
    rule = {"limit": 5, "limitType": "cost", "window": 60, "technique": "fixed"}
    live = {"spendLimits": {"enabled": True, "rules": [{**rule, "id": "2f1c9e0a"}]}}
    assert diff({"spendLimits": {"enabled": True, "rules": [rule]}}, live) == []
    assert diff({"spendLimits": {"enabled": True, "rules": [{**rule, "id": "daily"}]}}, live) == [
        ("spendLimits.rules[0].id", "daily", "2f1c9e0a")]


def test_credentials_are_compared_by_presence_never_by_value() -> None:
    declared = {"otels": [{"url": "u", "authorization": "[secret]", "headers": {"api-key": "[secret]", "x-team": "a"}}],
                "stripe": {"authorization": "[secret]", "usageEvents": [{"payload": "p"}]}}
    live = {"otels": [{"url": "u", "authorization": "Bearer live-1", "headers": {"api-key": "live-2", "x-team": "a"}}],
            "stripe": {"authorization": "sk_live_3", "usageEvents": [{"payload": "p"}]}}
    assert diff(declared, live) == []
    # Presence is compared; the value shown is never the live one.
    live["otels"][0].pop("authorization")
    live["otels"][0]["headers"]["x-team"] = "b"
    found = diff(declared, live)
    assert found == [("otels[0].authorization", SECRET_FIELD, None), ("otels[0].headers.x-team", "a", "b")]
    live["otels"][0]["headers"]["Authorization"] = "Bearer live-4"
    assert ("otels[0].headers.Authorization", None, SECRET_FIELD) in diff(declared, live)
    assert not any("live-" in repr(d) or "sk_live" in repr(d) for d in diff(declared, live))
    assert normalise({"stripe": {"authorization": "sk_live_3"}})["stripe"]["authorization"] == SECRET_FIELD


def test_read_only_fields_and_the_account_are_never_differences() -> None:
    declared = {**BASE, "cacheTtl": 60}
    live = live_props({"id": "x", **REQUIRED, "cache_ttl": 60, "created_at": "t", "modified_at": "u",
                       "is_default": False, "internal_id": "i", "account_tag": "a"}, "another-account")
    assert differences(declared, live) == []


# --------------------------------------------------------------------------- round trip: API JSON -> the plan's props


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_each_repo_gateway_round_trips_from_the_api_to_the_plans_props(plans, standin: StandIn, client: Client,
                                                                        stack: str) -> None:
    """Created as `pulumi up` would create it (the plan's props as the API body), read back through the
    SDK: the props mapped from the live JSON are the plan's props (credentials aside), so no drift."""
    plan = plans[stack]
    seed_plan(standin, plan, via_sdk=True)
    live = {g["id"]: g for g in client.gateways(plan["accountId"])}
    assert client.requests == 1
    declared = gateways_of(plan)
    assert sorted(live) == sorted(r["props"]["aiGatewayId"] for r in declared)
    for resource in declared:
        props = live_props(live[resource["props"]["aiGatewayId"]], plan["accountId"])
        assert props == with_live_credentials(resource["props"]), resource["name"]
        assert differences(resource["props"], props) == [], resource["name"]


def test_the_round_trip_covers_otel_dlp_guardrails_and_spend_limits(plans) -> None:
    """The repo's staging and prod gateways between them hold every nested setting the mapping renames."""
    bodies = [create_body(r["props"]) for stack in ("staging", "prod") for r in gateways_of(plans[stack])]
    assert {"otel", "dlp", "guardrails", "spend_limits", "logpush_public_key"} <= {k for b in bodies for k in b}
    assert any(LIVE_CREDENTIAL in str(b.get("otel")) for b in bodies)  # a credential header, given a live value
    assert any(b.get("dlp", {}).get("policies") for b in bodies)
    assert any(r.get("model") for b in bodies for r in (b.get("spend_limits") or {}).get("rules", []))


def test_a_changed_live_field_is_one_difference_with_both_values(plans) -> None:
    resource = next(r for r in gateways_of(plans["prod"]) if r["name"] == "docs-search")
    body = create_body(resource["props"])
    body["rate_limiting_limit"] = 5000
    body["guardrails"]["prompt"]["S7"] = "BLOCK"
    live = live_props(body, ACCOUNT)
    assert differences(resource["props"], live) == [("guardrails.prompt.s7", "FLAG", "BLOCK"),
                                                    ("rateLimitingLimit", 1200, 5000)]


def test_plans_fixture_is_the_repos(plans) -> None:
    assert {"dev", "staging", "prod"} <= set(plans)
    assert plans["prod"]["accountId"] == ACCOUNT  # the stand-in's default account is the prod stack's
    assert Path(__file__).resolve().parents[2].joinpath("Pulumi.prod.yaml").read_text().count(ACCOUNT) == 1


def test_retry_after_reads_seconds_and_http_dates():
    from email.utils import formatdate

    from aigw.live.client import BLOCK_SECONDS, retry_after_seconds

    assert retry_after_seconds("2") == 2.0
    assert retry_after_seconds(formatdate(1030.0, usegmt=True), now=1000.0) == 30.0
    assert retry_after_seconds(formatdate(900.0, usegmt=True), now=1000.0) == 0.0
    assert retry_after_seconds(None) == retry_after_seconds("soon") == BLOCK_SECONDS == 300.0


# --------------------------------------------------------------------------- paging by result_info, the request cap


@pytest.mark.parametrize(("result_info", "pages"), [("counts", 5), ("full", 5), ("none", 6)])
def test_a_server_applying_50_per_page_is_read_to_the_end(standin: StandIn, client: Client, seed,
                                                          result_info: str, pages: int) -> None:
    """Acceptance (issue 11): 250 gateways, `per_page` capped at 50 by the server, all listed. Done by
    total_count / total_pages; without a result_info, by the empty page after the last full one."""
    ids = seed(250)
    standin.max_per_page, standin.result_info = 50, result_info
    assert [g["id"] for g in client.gateways(ACCOUNT)] == ids
    assert [r.query["page"] for r in list_requests(standin)] == [str(n) for n in range(1, pages + 1)]
    assert {r.query["per_page"] for r in list_requests(standin)} == {"100"}


def test_a_short_last_page_without_result_info_ends_the_listing(standin: StandIn, client: Client, seed) -> None:
    seed(130)
    standin.result_info = "none"
    assert len(client.gateways(ACCOUNT)) == 130 and client.requests == 2


def test_a_server_repeating_its_first_page_stops_at_the_request_cap(standin: StandIn, seed) -> None:
    """Acceptance (issue 11): a server repeating pages stops at the cap with exit 3."""
    seed(250)
    standin.repeat_pages = True
    with Client(READ_TOKEN, standin.base_url) as made:
        message = str(live_error(lambda: made.gateways(ACCOUNT)))
    assert message.startswith(f"list gateways: stopped after {MAX_REQUESTS} API requests, the most one command makes")
    assert len(standin.requests) == MAX_REQUESTS == 100


def test_pages_that_do_not_add_up_to_the_total_fail(standin: StandIn, seed) -> None:
    """A server that answers page N with page 1's gateways but says "page N of 3": it stops at page 3,
    with 100 distinct gateways of the 250 it counted."""
    seed(250)
    real = standin._list_gateways

    def repeating(account, token, query, body):
        status, payload = real(account, token, {**query, "page": "1"}, body)
        payload["result_info"].update(page=int(query.get("page", 1)), total_pages=3)
        return status, payload

    standin._list_gateways = repeating  # type: ignore[method-assign]
    from helpers import standin as module
    routes = module._ROUTES[0][1]
    saved = routes["GET"]
    routes["GET"] = (saved[0], lambda self, *a, **k: repeating(*a, **k))
    try:
        with Client(READ_TOKEN, standin.base_url) as made:
            message = str(live_error(lambda: made.gateways(ACCOUNT)))
    finally:
        routes["GET"] = saved
    assert message == "list gateways: the API said 250 gateway(s) but its 3 page(s) held 100 distinct one(s) " \
                      "(pages repeated?)"


# --------------------------------------------------------------------------- answers that are not the API's JSON


@pytest.mark.parametrize(("body", "content_type", "words"), [
    ("<html><body>502 Bad Gateway</body></html>", "text/html", ["not JSON", "text/html", "502 Bad Gateway"]),
    ('{"result": [', "application/json", ["not JSON"]),
    ('{"success": true, "errors": [], "messages": [], "result": {"id": "x"}}', "application/json",
     ["`result` is not a list"]),
    ('{"success": true, "errors": [], "messages": [], "result": ["x"]}', "application/json",
     ["`result` is not a list of objects"]),
    ('["not", "an", "envelope"]', "application/json", ["not a v4 success envelope"]),
], ids=["html", "truncated", "result-object", "result-strings", "not-envelope"])
@pytest.mark.parametrize(("call", "path", "name"), [("gateways", "/ai-gateway/gateways", "list gateways"),
                                                    ("logpush_jobs", "/logpush/jobs", "list Logpush jobs")])
def test_an_answer_that_is_not_the_api_json_is_exit_3_naming_the_call(standin: StandIn, client: Client, body: str,
                                                                      content_type: str, words: list[str], call: str,
                                                                      path: str, name: str) -> None:
    standin.inject_response(path, body, content_type=content_type)
    message = str(live_error(lambda: getattr(client, call)(ACCOUNT)))
    assert message.startswith(f"{name}: ")
    for word in words:
        assert word in message


def test_an_html_error_page_is_named_not_dumped(standin: StandIn, client: Client) -> None:
    standin.inject_response("/ai-gateway/gateways", "<html>" + "x" * 5000 + "</html>", status=502,
                            content_type="text/html")
    message = str(live_error(lambda: client.gateways(ACCOUNT)))
    assert message.startswith("list gateways: HTTP 502: not the API's JSON (text/html: '<html>xxx")
    assert len(message) < 300


def test_a_server_trickling_its_answer_ends_at_the_deadline(standin: StandIn) -> None:
    """One deadline for the whole request: a byte every 0.2 s never trips a per-read timeout of 1 s."""
    standin.inject_response("/ai-gateway/gateways", '{"success": true, "result": []}' + " " * 200, trickle=0.2)
    start = time.monotonic()
    with Client(READ_TOKEN, standin.base_url, timeout=1) as made:
        message = str(live_error(lambda: made.gateways(ACCOUNT)))
    assert message == "list gateways: no answer from the Cloudflare API within the timeout (1 s for the whole " \
                      "request, --timeout) (network)"
    assert time.monotonic() - start < 3


# --------------------------------------------------------------------------- Retry-After: bounded by --max-wait


@pytest.mark.parametrize(("retry_after", "shown"), [
    ("3600", "a wait of 3600 s"), ("inf", "a wait of an unbounded number of s"),
    ("1" + "0" * 400, "a wait of an unbounded number of s"), ("nan", "a wait of 300 s"), ("soon", "a wait of 300 s"),
    ("Fri, 31 Dec 9999 23:59:59 GMT", "a wait of "),
], ids=["hour", "inf", "10**400", "nan", "unreadable", "far-date"])
def test_a_retry_after_beyond_max_wait_is_refused_at_once(clocked, retry_after: str, shown: str) -> None:
    """Acceptance (issue 11): `Retry-After: 3600` is refused with a message and exit 3, at once."""
    api, clock = clocked
    api.inject_429("/ai-gateway/gateways", retry_after=retry_after)
    made, slept, out = sleeping_client(api, clock)
    with made:
        message = str(live_error(lambda: made.gateways(ACCOUNT)))
    assert message.startswith("list gateways: rate limited by Cloudflare (HTTP 429, Retry-After ")
    assert shown in message and "more than --max-wait 60 s, so aigw does not wait. Run again later" in message
    assert slept == [] and out.getvalue() == "" and len(api.requests) == 1
    assert len(message) < 400


def test_a_larger_max_wait_waits_a_longer_retry_after(clocked) -> None:
    api, clock = clocked
    api.inject_429("/ai-gateway/gateways", retry_after="3600")
    made, slept, out = sleeping_client(api, clock, max_wait=3600)
    with made:
        assert made.gateways(ACCOUNT) == []
    assert slept == [3600.0] and "waiting 3600 s" in out.getvalue()


def test_retry_after_never_overflows() -> None:
    from aigw.live.client import BLOCK_SECONDS, retry_after_seconds

    assert retry_after_seconds("1" + "0" * 400) == float("inf") == retry_after_seconds("inf")
    assert retry_after_seconds("-5") == 0.0 and retry_after_seconds("nan") == BLOCK_SECONDS
    assert retry_after_seconds("Fri, 31 Dec 9999 23:59:59 GMT", now=0.0) > 10**11
    assert retry_after_seconds("Mon, 99 Foo 99999999999 99:99:99 GMT") == BLOCK_SECONDS


# --------------------------------------------------------------------------- absent is unknown; unknown fields ignored


@pytest.mark.parametrize("declared", [True, False])
def test_an_absent_live_authentication_is_unknown_never_drift(declared: bool) -> None:
    """Since 2026-11-03 new gateways are on by default and cannot be turned off, older ones may be off
    (changelog "New AI Gateways require authentication"): a live gateway that does not say is neither."""
    assert diff({"authentication": declared}, {}) == [] == diff({"authentication": declared},
                                                                  {"authentication": None})
    assert diff({"authentication": True}, {"authentication": False}) == [("authentication", True, False)]
    assert diff({"authentication": False}, {"authentication": True}) == [("authentication", False, True)]
    assert diff({}, {"authentication": False}) == [("authentication", None, False)]


def test_retry_delay_and_backoff_are_compared_without_max_attempts() -> None:
    assert diff({"retryDelay": 500, "retryBackoff": "exponential"}, {"retryDelay": 2000, "retryBackoff": "linear"}) \
        == [("retryBackoff", "exponential", "linear"), ("retryDelay", 500, 2000)]
    assert diff({}, {"retryDelay": 2000}) == [("retryDelay", None, 2000)]


def test_a_live_field_the_mapping_does_not_know_is_not_drift(standin: StandIn, client: Client) -> None:
    """A field Cloudflare adds to gateways later (here `semantic_cache`) is ignored, not reported."""
    standin.seed_gateway("support-bot", cache_ttl=60, authentication=True)
    standin.gateways["support-bot"]["semantic_cache"] = {"enabled": True, "threshold": 0.9}
    (live,) = client.gateways(ACCOUNT)
    declared = {**BASE, "aiGatewayId": "support-bot", "cacheTtl": 60, "authentication": True,
                "rateLimitingLimit": 0, "rateLimitingInterval": 0}
    props = live_props(live, ACCOUNT)
    assert props["semanticCache"] == {"enabled": True, "threshold": 0.9}  # read, passed to the rules as is
    assert differences(declared, props) == []
    props["cacheTtl"] = 5
    assert differences(declared, props) == [("cacheTtl", 60, 5)]
