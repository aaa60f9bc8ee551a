"""The API stand-in, driven by the official `cloudflare` SDK over real HTTP.

Every success response is parsed twice: by the SDK's typed methods (as `aigw` uses them) and,
from the raw JSON, by the SDK's own response models with `strict()` below, which also fails on a
field the model does not know (the SDK's models accept extras silently) unless it is one the
real API is known to add. The request schema is walked against the SDK's request TypedDicts, and
invalid bodies are checked against the SDK's types too (`helpers.schema.api_problems`), so the
stand-in is not stricter or looser than the SDK where the SDK has an opinion.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import types
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Literal, NotRequired, Required, Union, get_args, get_origin

import cloudflare
import httpx
import pytest
from cloudflare._models import BaseModel as SDKModel
from cloudflare.pagination import V4PagePaginationArrayResultInfo
from cloudflare.types.accounts.token_verify_response import TokenVerifyResponse
from cloudflare.types.ai_gateway import (
    AIGatewayCreateParams,
    AIGatewayCreateResponse,
    AIGatewayDeleteResponse,
    AIGatewayGetResponse,
    AIGatewayListResponse,
    AIGatewayUpdateParams,
    AIGatewayUpdateResponse,
)
from cloudflare.types.logpush import LogpushJob
from cloudflare.types.logpush.job_delete_response import JobDeleteResponse
from helpers.schema import api_problems, wire_fields
from helpers.standin import (
    AI_GATEWAY_DATASET,
    CREATE_BODY,
    DEFAULT_ACCOUNT,
    GATEWAYS_ONLY_TOKEN,
    LOGS_READ_TOKEN,
    LOGS_WRITE,
    READ_ONLY_FIELDS,
    READ_TOKEN,
    RUN_TOKEN,
    TEST_TOKENS,
    UPDATE_BODY,
    WRITE_TOKEN,
    Bool,
    Enum,
    FakeClock,
    Int,
    ListOf,
    MapOf,
    Number,
    Obj,
    OneOf,
    Spec,
    StandIn,
    Str,
)
from typing_extensions import is_typeddict

ACCOUNT = DEFAULT_ACCOUNT
GATEWAYS = f"/accounts/{ACCOUNT}/ai-gateway/gateways"
JOBS = f"/accounts/{ACCOUNT}/logpush/jobs"
# In the raw gateway JSON but not in the SDK's response model (cloudflare-go v6 `ai_gateway/aigateway.go` has them).
GATEWAY_RAW_EXTRAS = frozenset({"account_id", "account_tag", "internal_id"})
REQUIRED = {"cache_invalidate_on_update": False, "cache_ttl": 0, "collect_logs": True,
            "rate_limiting_interval": 0, "rate_limiting_limit": 0}
SPKI_16 = "k" * 16
DROP = object()  # in a body change: remove the key


@pytest.fixture
def sdk(standin: StandIn) -> Iterator[Callable[..., cloudflare.Cloudflare]]:
    """`sdk(token)` -> a Cloudflare client on the stand-in (no SDK retries); all closed after the test."""
    clients: list[cloudflare.Cloudflare] = []

    def make(token: str = READ_TOKEN, **kwargs: Any) -> cloudflare.Cloudflare:
        kwargs.setdefault("max_retries", 0)
        # Plain HTTP: an httpx client that skips loading the CA bundle (70 ms a client); the SDK closes it.
        kwargs.setdefault("http_client", httpx.Client(verify=False))
        client = cloudflare.Cloudflare(api_token=token, base_url=standin.base_url, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def raw(api: StandIn, method: str, path: str, token: str | None = READ_TOKEN, **kwargs: Any) -> httpx.Response:
    """One plain HTTP request (for what the SDK will not send: no token, malformed JSON, bad paths)."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    headers |= kwargs.pop("headers", {})
    with httpx.Client(verify=False) as client:  # plain HTTP: skip loading the CA bundle (slow)
        return client.request(method, api.base_url + path, headers=headers, **kwargs)


def create(client: cloudflare.Cloudflare, gateway_id: str, **settings: Any) -> AIGatewayCreateResponse:
    return client.ai_gateway.create(account_id=ACCOUNT, id=gateway_id, **{**REQUIRED, **settings})


# --------------------------------------------------------------------------- strict parsing


def strict(model: type[SDKModel], data: Any, extras: frozenset[str] = frozenset()) -> SDKModel:
    """`model.model_validate(data)` (types, enums, required fields), and no field the model does not
    know, at any depth, except `extras` at the top."""
    parsed = model.model_validate(data)
    unknown = _unknown_fields(parsed, extras)
    assert not unknown, f"{model.__name__}: fields the SDK's model does not know: {unknown}"
    return parsed


def _unknown_fields(value: Any, allowed: frozenset[str] = frozenset(), path: str = "") -> list[str]:
    if isinstance(value, SDKModel):
        out = [f"{path}.{k}" for k in (value.model_extra or {}) if k not in allowed]
        for name in type(value).model_fields:
            out += _unknown_fields(getattr(value, name), frozenset(), f"{path}.{name}")
        return out
    if isinstance(value, list):
        return [u for i, v in enumerate(value) for u in _unknown_fields(v, frozenset(), f"{path}[{i}]")]
    if isinstance(value, dict):
        return [u for k, v in value.items() for u in _unknown_fields(v, frozenset(), f"{path}.{k}")]
    return []


def strict_gateway(model: type[SDKModel], data: Any) -> SDKModel:
    assert GATEWAY_RAW_EXTRAS <= set(data), "the raw gateway lacks account_id/account_tag/internal_id"
    return strict(model, data, GATEWAY_RAW_EXTRAS)


def strict_job(data: dict[str, Any]) -> LogpushJob:
    # The SDK's dataset Literal (cloudflare `types/logpush/logpush_job.py`) lacks `ai_gateway_events`; the
    # SDK's typed calls do not enforce it, so it is checked apart and the rest strictly.
    assert data["dataset"] == AI_GATEWAY_DATASET or data["dataset"] in get_args(
        get_args(LogpushJob.model_fields["dataset"].annotation)[0])
    job = {k: v for k, v in data.items() if k != "filter"}  # a field the real API echoes; not in the model
    return strict(LogpushJob, {**job, "dataset": None})


def assert_success_envelope(body: dict[str, Any], *, extra: set[str] = frozenset()) -> None:
    assert set(body) == {"result", "success", "errors", "messages"} | set(extra)
    assert body["success"] is True and body["errors"] == []


def assert_error(exc: cloudflare.APIStatusError, status: int, code: int, *words: str) -> dict[str, Any]:
    """The v4 failure envelope (cloudflare/api-schemas `common.yaml`) with this status and first code;
    words in the message."""
    body = exc.response.json()
    assert exc.status_code == status
    assert set(body) == {"success", "errors", "messages", "result"}
    assert body["success"] is False and body["messages"] == [] and body["result"] is None
    for error in body["errors"]:
        assert isinstance(error["code"], int) and isinstance(error["message"], str) and error["message"]
        assert set(error) <= {"code", "message", "path"}
    assert body["errors"][0]["code"] == code, body
    message = " ".join(e["message"] for e in body["errors"])
    for word in words:
        assert word in message, body
    assert "retry-after" not in exc.response.headers or status == 429
    return body


def test_strict_catches_a_missing_required_field_and_an_unknown_one(standin: StandIn) -> None:
    """The checker itself: a test that passes because nothing was checked is worse than none."""
    gateway = dict(standin.seed_gateway("checked"))
    strict_gateway(AIGatewayGetResponse, gateway)
    with pytest.raises(ValueError, match="collect_logs"):
        strict_gateway(AIGatewayGetResponse, {k: v for k, v in gateway.items() if k != "collect_logs"})
    with pytest.raises(AssertionError, match="surprise"):
        strict_gateway(AIGatewayGetResponse, {**gateway, "surprise": 1})
    with pytest.raises(AssertionError, match="extra"):
        strict_gateway(AIGatewayGetResponse, {**gateway, "otel": [{"url": "u", "headers": {}, "extra": 1}]})
    with pytest.raises(ValueError, match="rate_limiting_technique"):
        strict_gateway(AIGatewayGetResponse, {**gateway, "rate_limiting_technique": "token-bucket"})


# --------------------------------------------------------------------------- gateways: CRUD


def test_create_returns_the_gateway_as_the_sdk_models_it(standin: StandIn, sdk) -> None:
    client = sdk(WRITE_TOKEN)
    response = client.ai_gateway.with_raw_response.create(
        account_id=ACCOUNT, id="support-bot", **{**REQUIRED, "cache_ttl": 300}, authentication=True,
        log_management=10_000, log_management_strategy="DELETE_OLDEST", retry_max_attempts=3, retry_backoff="linear")
    body = response.http_response.json()
    assert_success_envelope(body)
    strict_gateway(AIGatewayCreateResponse, body["result"])
    created = response.parse()
    assert isinstance(created, AIGatewayCreateResponse)
    assert (created.id, created.cache_ttl, created.authentication, created.log_management) == (
        "support-bot", 300, True, 10_000)
    assert created.is_default is False and created.created_at == created.modified_at
    assert isinstance(created.created_at, datetime) and created.created_at.tzinfo is not None
    assert body["result"]["account_id"] == ACCOUNT and body["result"]["internal_id"]
    assert standin.gateways["support-bot"]["retry_backoff"] == "linear"


def test_get_returns_what_create_stored(standin: StandIn, sdk) -> None:
    create(sdk(WRITE_TOKEN), "support-bot", cache_ttl=60)
    client = sdk(READ_TOKEN)
    body = client.ai_gateway.with_raw_response.get("support-bot", account_id=ACCOUNT).http_response.json()
    assert_success_envelope(body)
    strict_gateway(AIGatewayGetResponse, body["result"])
    got = client.ai_gateway.get("support-bot", account_id=ACCOUNT)
    assert isinstance(got, AIGatewayGetResponse) and got.cache_ttl == 60 and got.collect_logs is True
    assert body["result"] == standin.gateways["support-bot"]


def test_update_replaces_the_whole_configuration(standin: StandIn, sdk) -> None:
    client = sdk(WRITE_TOKEN)
    before = create(client, "support-bot", cache_ttl=60, logpush=True, retry_max_attempts=3, zdr=True)
    internal_id = standin.gateways["support-bot"]["internal_id"]
    response = client.ai_gateway.with_raw_response.update(
        "support-bot", account_id=ACCOUNT, **{**REQUIRED, "collect_logs": False, "cache_ttl": None})
    body = response.http_response.json()
    strict_gateway(AIGatewayUpdateResponse, body["result"])
    after = response.parse()
    # Settings not re-sent are gone (PUT = full replacement: the SDK's update is a `_put`).
    assert (after.logpush, after.retry_max_attempts, after.zdr) == (None, None, None)
    assert "logpush" not in body["result"] and after.collect_logs is False and after.cache_ttl is None
    assert after.created_at == before.created_at and after.modified_at > before.modified_at
    assert body["result"]["internal_id"] == internal_id and after.id == "support-bot"


def test_delete_returns_the_gateway_then_it_is_gone(standin: StandIn, sdk) -> None:
    client = sdk(WRITE_TOKEN)
    create(client, "support-bot")
    response = client.ai_gateway.with_raw_response.delete("support-bot", account_id=ACCOUNT)
    strict_gateway(AIGatewayDeleteResponse, response.http_response.json()["result"])
    assert response.parse().id == "support-bot"
    assert standin.gateways == {}
    with pytest.raises(cloudflare.NotFoundError) as caught:
        client.ai_gateway.get("support-bot", account_id=ACCOUNT)
    assert_error(caught.value, 404, 7002, "support-bot")


@pytest.mark.parametrize("call", ["get", "update", "delete"])
def test_a_missing_gateway_is_a_404_with_code_7002(sdk, call: str) -> None:
    client = sdk(WRITE_TOKEN)
    kwargs = REQUIRED if call == "update" else {}
    with pytest.raises(cloudflare.NotFoundError) as caught:
        getattr(client.ai_gateway, call)("nowhere", account_id=ACCOUNT, **kwargs)
    assert_error(caught.value, 404, 7002, "nowhere")


def test_a_duplicate_id_is_refused_with_code_7001(standin: StandIn, sdk) -> None:
    client = sdk(WRITE_TOKEN)
    create(client, "support-bot")
    with pytest.raises(cloudflare.BadRequestError) as caught:
        create(client, "support-bot", cache_ttl=5)
    assert_error(caught.value, 400, 7001, "support-bot", "already exists")
    assert standin.gateways["support-bot"]["cache_ttl"] == 0


def test_the_seeded_default_gateway_is_the_auto_created_one(standin: StandIn, sdk) -> None:
    standin.seed_default_gateway()
    body = sdk().ai_gateway.with_raw_response.get("default", account_id=ACCOUNT).http_response.json()
    got = strict_gateway(AIGatewayGetResponse, body["result"])
    assert got.is_default is True and got.authentication is True and got.collect_logs is True
    assert (got.cache_ttl, got.rate_limiting_interval, got.rate_limiting_limit) == (0, 0, 0)


def test_a_gateway_changed_by_hand_is_served_changed(standin: StandIn, sdk) -> None:
    standin.seed_gateway("support-bot", cache_ttl=60)
    standin.gateways["support-bot"]["cache_ttl"] = 3600
    assert sdk().ai_gateway.get("support-bot", account_id=ACCOUNT).cache_ttl == 3600


def test_every_setting_round_trips_and_the_sdk_agrees_the_body_is_valid(standin: StandIn, sdk) -> None:
    guardrails = {"prompt": {"P1": "BLOCK", "S1": "FLAG", "S13": "BLOCK"}, "response": {"S10": "FLAG"}}
    spend_limits = {"enabled": True, "rules": [{
        "limit": 12.5, "limitType": "cost", "window": 86400, "id": "r1", "enabled": True, "technique": "sliding",
        "metadata": {"team": {"mode": "partition"}, "env": {"mode": "filter", "values": ["prod"]}},
        "model": {"mode": "filter", "values": ["gpt-4o"]}, "provider": {"mode": "filter", "values": ["openai"]}}]}
    full = {
        "id": "everything", **REQUIRED, "authentication": True, "byok_only": True, "guardrails": guardrails,
        "dlp": {"enabled": True, "policies": [{"id": "p", "action": "BLOCK", "check": ["REQUEST", "RESPONSE"],
                                               "enabled": True, "profiles": ["prof"]}]},
        "log_classification": False, "log_management": 10_000_000, "log_management_strategy": "STOP_INSERTING",
        "logpush": True, "logpush_public_key": "k" * 1024,
        "otel": [{"url": "https://otel.example/v1/traces", "headers": {"x": "y"}, "authorization": "store/ref",
                  "content_type": "protobuf"}],
        "rate_limiting_technique": "sliding", "retry_backoff": "exponential", "retry_delay": 60_000,
        "retry_max_attempts": 5, "spend_limits": spend_limits, "store_id": "store",
        "stripe": {"authorization": "a", "usage_events": [{"payload": "p"}]},
        "workers_ai_billing_mode": "unified", "zdr": False,
    }
    assert api_problems({"account_id": ACCOUNT, **full}) == []
    client = sdk(WRITE_TOKEN)
    created = client.post(GATEWAYS, cast_to=object, body=full)["result"]
    strict_gateway(AIGatewayCreateResponse, created)
    assert {k: created[k] for k in full} == full
    shape_a = {"enabled": True, "action": "FLAG", "profiles": ["a", "b"]}
    updated = client.put(f"{GATEWAYS}/everything", cast_to=object,
                         body={**{k: v for k, v in full.items() if k != "id"}, "dlp": shape_a})["result"]
    assert strict_gateway(AIGatewayUpdateResponse, updated).dlp.action == "FLAG"


@pytest.mark.parametrize("gateway_id", ["a", "a_b-c_1", "x" * 64, "0", "_", "a-b-c"])
def test_valid_ids_are_accepted(sdk, gateway_id: str) -> None:
    assert create(sdk(WRITE_TOKEN), gateway_id).id == gateway_id


@pytest.mark.parametrize(("name", "value"), [
    ("log_management", 10_000), ("log_management", 10_000_000), ("retry_max_attempts", 1),
    ("retry_max_attempts", 5), ("retry_delay", 0), ("retry_delay", 60_000), ("logpush_public_key", SPKI_16),
    ("logpush_public_key", "k" * 1024), ("cache_ttl", None), ("rate_limiting_limit", None), ("log_management", None),
    ("guardrails", None), ("otel", None), ("otel", []), ("spend_limits", None), ("stripe", None),
])
def test_range_edges_and_nulls_are_accepted(standin: StandIn, sdk, name: str, value: Any) -> None:
    sdk(WRITE_TOKEN).post(GATEWAYS, cast_to=object, body={"id": "edge", **REQUIRED, name: value})
    assert standin.gateways["edge"][name] == value


def test_an_integral_float_is_an_integer(standin: StandIn, sdk) -> None:
    # JSON has one number type and the API is JavaScript (ASSUMED, see standin.Int).
    sdk(WRITE_TOKEN).post(GATEWAYS, cast_to=object, body={"id": "floaty", **REQUIRED, "cache_ttl": 60.0})
    assert raw(standin, "GET", f"{GATEWAYS}/floaty").json()["result"]["cache_ttl"] == 60


# --------------------------------------------------------------------------- gateways: invalid bodies

# (case, body changes (None = remove the key), words the message must name, does the SDK's type reject it too)
_BAD = [
    ("log_management below", {"log_management": 5000}, ["log_management", "10000"], False),
    ("log_management above", {"log_management": 10_000_001}, ["log_management"], False),
    ("technique", {"rate_limiting_technique": "token-bucket"}, ["rate_limiting_technique", "token-bucket"], True),
    ("id pattern", {"id": "Bad_ID-"}, ["id", "pattern"], False),
    ("id leading hyphen", {"id": "-a"}, ["id"], False),
    ("id double hyphen", {"id": "a--b"}, ["id"], False),
    ("id uppercase", {"id": "Support"}, ["id"], False),
    ("id dot", {"id": "a.b"}, ["id"], False),
    ("id empty", {"id": ""}, ["id"], False),
    ("id too long", {"id": "x" * 65}, ["id", "64"], False),
    ("id not a string", {"id": 7}, ["id"], True),
    ("retry_max_attempts 0", {"retry_max_attempts": 0}, ["retry_max_attempts"], False),
    ("retry_max_attempts 6", {"retry_max_attempts": 6}, ["retry_max_attempts"], False),
    ("retry_delay negative", {"retry_delay": -1}, ["retry_delay"], False),
    ("retry_delay above", {"retry_delay": 60_001}, ["retry_delay"], False),
    ("retry_backoff", {"retry_backoff": "random"}, ["retry_backoff"], True),
    ("cache_ttl negative", {"cache_ttl": -1}, ["cache_ttl"], False),
    ("cache_ttl string", {"cache_ttl": "60"}, ["cache_ttl"], True),
    ("cache_ttl fraction", {"cache_ttl": 1.5}, ["cache_ttl"], True),
    ("interval negative", {"rate_limiting_interval": -1}, ["rate_limiting_interval"], False),
    ("limit negative", {"rate_limiting_limit": -5}, ["rate_limiting_limit"], False),
    ("public key short", {"logpush_public_key": "k" * 15}, ["logpush_public_key", "16"], False),
    ("public key long", {"logpush_public_key": "k" * 1025}, ["logpush_public_key", "1024"], False),
    ("strategy", {"log_management_strategy": "DELETE_NEWEST"}, ["log_management_strategy"], True),
    ("billing mode", {"workers_ai_billing_mode": "prepaid"}, ["workers_ai_billing_mode"], True),
    ("billing mode null", {"workers_ai_billing_mode": None}, ["workers_ai_billing_mode", "null"], True),
    ("collect_logs string", {"collect_logs": "yes"}, ["collect_logs", "boolean"], True),
    ("collect_logs number", {"collect_logs": 1}, ["collect_logs"], True),
    ("authentication null", {"authentication": None}, ["authentication", "null"], True),
    ("unknown field", {"payload_logging": False}, ["payload_logging", "unknown"], True),
    ("read-only field", {"created_at": "2026-01-01T00:00:00.000Z"}, ["created_at"], True),
    ("otel content type", {"otel": [{"url": "u", "headers": {}, "content_type": "xml"}]}, ["otel[0].content_type"],
     True),
    ("otel without url", {"otel": [{"headers": {}}]}, ["otel[0].url", "required"], True),
    ("otel header value", {"otel": [{"url": "u", "headers": {"a": 1}}]}, ["otel[0].headers.a"], True),
    ("otel unknown key", {"otel": [{"url": "u", "headers": {}, "timeout": 5}]}, ["otel[0].timeout"], True),
    ("dlp action", {"dlp": {"enabled": True, "action": "DENY", "profiles": []}}, ["dlp.action", "DENY"], True),
    ("dlp check", {"dlp": {"enabled": True, "policies": [
        {"id": "p", "action": "FLAG", "check": ["BOTH"], "enabled": True, "profiles": []}]}},
     ["dlp.policies[0].check[0]"], True),
    ("dlp null", {"dlp": None}, ["dlp", "null"], True),
    ("guardrails half", {"guardrails": {"prompt": {}}}, ["guardrails.response", "required"], True),
    ("guardrails category", {"guardrails": {"prompt": {"S14": "FLAG"}, "response": {}}}, ["guardrails.prompt.S14"],
     True),
    ("guardrails action", {"guardrails": {"prompt": {"P1": "ALLOW"}, "response": {}}}, ["guardrails.prompt.P1"],
     True),
    ("spend limit type", {"spend_limits": {"rules": [{"limit": 1, "limitType": "tokens", "window": 60}]}},
     ["spend_limits.rules[0].limitType"], True),
    ("spend limit negative", {"spend_limits": {"rules": [{"limit": -1, "limitType": "cost", "window": 60}]}},
     ["spend_limits.rules[0].limit"], False),
    ("spend limit rules", {"spend_limits": {"rules": [{"limit": 1, "limitType": "cost", "window": 60}] * 21}},
     ["spend_limits.rules", "20"], False),
    ("spend limit metadata", {"spend_limits": {"rules": [{"limit": 1, "limitType": "cost", "window": 60,
                                                          "metadata": {"k": {"mode": "filter"}}}]}},
     ["spend_limits.rules[0].metadata.k.values", "required"], True),
    ("stripe", {"stripe": {"authorization": "a"}}, ["stripe.usage_events", "required"], True),
    *[(f"missing {name}", {name: DROP}, [name, "required"], True) for name in ["id", *REQUIRED]],
]


@pytest.mark.parametrize(("changes", "words", "sdk_rejects"), [case[1:] for case in _BAD],
                         ids=[case[0] for case in _BAD])
def test_an_invalid_create_body_is_a_400_naming_the_field(standin: StandIn, sdk, changes: dict[str, Any],
                                                          words: list[str], sdk_rejects: bool) -> None:
    body = {k: v for k, v in {"id": "bad", **REQUIRED, **changes}.items() if v is not DROP}
    # The SDK's own request types agree wherever they have an opinion (ranges and the id pattern are
    # not in them: those come from Cloudflare's API reference, AI Gateway > Create a new Gateway).
    assert bool(api_problems({"account_id": ACCOUNT, **body})) is sdk_rejects
    with pytest.raises(cloudflare.BadRequestError) as caught:
        sdk(WRITE_TOKEN).post(GATEWAYS, cast_to=object, body=body)
    error = assert_error(caught.value, 400, 7001, *words)["errors"][0]
    assert error["path"][0] == "body"
    assert standin.gateways == {}


def test_the_sdk_create_call_reports_every_bad_field(sdk) -> None:
    with pytest.raises(cloudflare.BadRequestError) as caught:
        create(sdk(WRITE_TOKEN), "Bad_ID-", log_management=5000, rate_limiting_technique="token-bucket")
    body = assert_error(caught.value, 400, 7001)
    assert [e["path"] for e in body["errors"]] == [["body", "id"], ["body", "log_management"],
                                                  ["body", "rate_limiting_technique"]]
    assert "log_management" in str(caught.value)  # the SDK's message carries the body


def test_an_update_body_takes_no_id_and_needs_every_required_field(standin: StandIn, sdk) -> None:
    standin.seed_gateway("support-bot")
    client = sdk(WRITE_TOKEN)
    with pytest.raises(cloudflare.BadRequestError) as caught:
        client.put(f"{GATEWAYS}/support-bot", cast_to=object, body={"id": "support-bot", **REQUIRED})
    assert_error(caught.value, 400, 7001, "id", "unknown")
    with pytest.raises(cloudflare.BadRequestError) as caught:
        client.put(f"{GATEWAYS}/support-bot", cast_to=object, body={**REQUIRED, "collect_logs": None})
    assert_error(caught.value, 400, 7001, "collect_logs")
    body = dict(REQUIRED)
    del body["cache_invalidate_on_update"]
    with pytest.raises(cloudflare.BadRequestError) as caught:
        client.put(f"{GATEWAYS}/support-bot", cast_to=object, body=body)
    assert_error(caught.value, 400, 7001, "cache_invalidate_on_update", "required")


def test_malformed_json_and_non_object_bodies_are_400s(standin: StandIn) -> None:
    response = raw(standin, "POST", GATEWAYS, WRITE_TOKEN, content=b"{not json",
                   headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == 6007
    response = raw(standin, "POST", GATEWAYS, WRITE_TOKEN, json=[{"id": "a"}])
    assert response.status_code == 400 and "object" in response.json()["errors"][0]["message"]


# --------------------------------------------------------------------------- authentication (changelog 2026-11-03)


def test_a_new_gateway_cannot_be_created_without_authentication(standin: StandIn, sdk) -> None:
    client = sdk(WRITE_TOKEN)
    with pytest.raises(cloudflare.BadRequestError) as caught:
        create(client, "open", authentication=False)
    body = assert_error(caught.value, 400, 7001, "authentication", "require authentication")
    assert body["errors"][0]["path"] == ["body", "authentication"] and "open" not in standin.gateways
    assert create(client, "left-out").authentication is True  # on by default
    assert create(client, "on", authentication=True).authentication is True
    assert standin.gateways["left-out"]["authentication"] is True


def test_authentication_cannot_be_turned_off_and_an_update_leaving_it_out_keeps_it(standin: StandIn, sdk) -> None:
    client = sdk(WRITE_TOKEN)
    create(client, "support-bot")
    with pytest.raises(cloudflare.BadRequestError) as caught:
        client.ai_gateway.update("support-bot", account_id=ACCOUNT, **REQUIRED, authentication=False)
    assert_error(caught.value, 400, 7001, "authentication", "cannot be turned off")
    updated = client.ai_gateway.update("support-bot", account_id=ACCOUNT, **{**REQUIRED, "cache_ttl": 60})
    assert updated.authentication is True and standin.gateways["support-bot"]["authentication"] is True


def test_a_gateway_already_off_may_stay_off_and_may_be_turned_on(standin: StandIn, sdk) -> None:
    """"Existing gateways with authentication turned off can continue without it" (changelog 2026-11-03)."""
    standin.seed_gateway("legacy", authentication=False)
    client = sdk(WRITE_TOKEN)
    assert client.ai_gateway.update("legacy", account_id=ACCOUNT, **REQUIRED, authentication=False).authentication \
        is False
    assert client.ai_gateway.update("legacy", account_id=ACCOUNT, **REQUIRED).authentication is False  # kept
    assert client.ai_gateway.update("legacy", account_id=ACCOUNT, **REQUIRED, authentication=True).authentication
    with pytest.raises(cloudflare.BadRequestError):
        client.ai_gateway.update("legacy", account_id=ACCOUNT, **REQUIRED, authentication=False)
    standin.seed_gateway("unsaid")  # a gateway whose record does not carry the field
    assert "authentication" not in client.ai_gateway.update("unsaid", account_id=ACCOUNT, **REQUIRED).to_dict()


# --------------------------------------------------------------------------- gateways: listing


def test_the_server_may_apply_fewer_per_page_and_send_total_pages(standin: StandIn, sdk, seed) -> None:
    seed(120)
    standin.max_per_page, standin.result_info = 50, "full"
    body = sdk().ai_gateway.with_raw_response.list(account_id=ACCOUNT, per_page=100, page=3).http_response.json()
    assert body["result_info"] == {"page": 3, "per_page": 50, "count": 20, "total_count": 120, "total_pages": 3}
    standin.result_info, standin.repeat_pages = "none", True
    body = sdk().ai_gateway.with_raw_response.list(account_id=ACCOUNT, per_page=100, page=2).http_response.json()
    assert "result_info" not in body and [g["id"] for g in body["result"]][0] == "gw-0000"


def test_an_injected_raw_answer_is_served_once(standin: StandIn) -> None:
    standin.inject_response("/ai-gateway/gateways", "<html>502 Bad Gateway</html>", status=502,
                            content_type="text/html")
    first = raw(standin, "GET", GATEWAYS)
    assert (first.status_code, first.headers["content-type"], first.text) == (502, "text/html",
                                                                            "<html>502 Bad Gateway</html>")
    assert raw(standin, "GET", GATEWAYS).json()["success"] is True
    assert [r.status for r in standin.requests] == [502, 200]



def test_the_sdk_iterator_reads_250_gateways_in_three_pages_and_one_empty_page(standin: StandIn, sdk, seed) -> None:
    ids = seed(250)
    seen = [g.id for g in sdk().ai_gateway.list(account_id=ACCOUNT, per_page=100)]
    assert seen == ids
    # SyncV4PagePaginationArray asks for page+1 until a page comes back empty (it does not read
    # result_info): 100 + 100 + 50, then page 4 (empty). The first request sends no `page`.
    requests = standin.requests_to(GATEWAYS)
    assert [r.query for r in requests] == [{"per_page": "100"}, {"per_page": "100", "page": "2"},
                                          {"per_page": "100", "page": "3"}, {"per_page": "100", "page": "4"}]
    assert [r.method for r in requests] == ["GET"] * 4 and len(standin.requests) == 4
    assert {r.status for r in requests} == {200} and {r.token for r in requests} == {READ_TOKEN}


def test_an_exact_multiple_of_100_costs_one_empty_page_too(standin: StandIn, sdk, seed) -> None:
    seed(200)
    assert len(list(sdk().ai_gateway.list(account_id=ACCOUNT, per_page=100))) == 200
    assert [r.query.get("page") for r in standin.requests] == [None, "2", "3"]


def test_a_list_page_parses_strictly_and_says_where_it_is(standin: StandIn, sdk, seed) -> None:
    seed(25)
    client = sdk()
    body = client.ai_gateway.with_raw_response.list(account_id=ACCOUNT).http_response.json()
    assert_success_envelope(body, extra={"result_info"})
    for item in body["result"]:
        strict_gateway(AIGatewayListResponse, item)
    strict(V4PagePaginationArrayResultInfo, body["result_info"], frozenset({"count", "total_count"}))
    assert body["result_info"] == {"page": 1, "per_page": 20, "count": 20, "total_count": 25}  # default per_page 20
    page = client.ai_gateway.list(account_id=ACCOUNT, page=2)
    assert [g.id for g in page.result] == [f"gw-{i:04d}" for i in range(20, 25)]
    assert page.result_info.page == 2 and page.has_next_page()
    past = client.ai_gateway.list(account_id=ACCOUNT, page=9, per_page=100)
    assert past.result == [] and not past.has_next_page()
    assert past.result_info.model_extra == {"count": 0, "total_count": 25}


def test_search_filters_by_id(standin: StandIn, sdk) -> None:
    for gateway_id in ["prod-support", "prod-search", "staging-support", "default"]:
        standin.seed_gateway(gateway_id)
    client = sdk()
    assert [g.id for g in client.ai_gateway.list(account_id=ACCOUNT, search="support")] == [
        "prod-support", "staging-support"]
    assert [g.id for g in client.ai_gateway.list(account_id=ACCOUNT, search="PROD")] == ["prod-support", "prod-search"]
    assert list(client.ai_gateway.list(account_id=ACCOUNT, search="nothing")) == []


@pytest.mark.parametrize(("params", "name"), [
    ({"per_page": 101}, "per_page"), ({"per_page": 0}, "per_page"), ({"page": 0}, "page"), ({"page": -1}, "page"),
])
def test_list_parameters_out_of_range_are_400s(sdk, params: dict[str, int], name: str) -> None:
    with pytest.raises(cloudflare.BadRequestError) as caught:
        sdk().ai_gateway.list(account_id=ACCOUNT, **params)
    assert_error(caught.value, 400, 7001, f"query.{name}")


def test_list_parameters_that_are_not_integers_are_400s(standin: StandIn) -> None:
    response = raw(standin, "GET", GATEWAYS, params={"per_page": "ten"})
    assert response.status_code == 400 and "per_page" in response.json()["errors"][0]["message"]


# --------------------------------------------------------------------------- Logpush jobs and token verify


def test_logpush_jobs_list_and_get_parse_with_the_sdk(standin: StandIn, sdk) -> None:
    first = standin.seed_logpush_job(name="aigw-prod", max_upload_records=1000)
    standin.seed_logpush_job(dataset="workers_trace_events", enabled=False, filter='{"where":{}}')
    client = sdk()
    jobs = list(client.logpush.jobs.list(account_id=ACCOUNT))
    assert [(j.id, j.dataset, j.enabled) for j in jobs] == [(1, AI_GATEWAY_DATASET, True),
                                                           (2, "workers_trace_events", False)]
    assert isinstance(jobs[0], LogpushJob) and jobs[0].max_upload_records == 1000
    body = client.logpush.jobs.with_raw_response.list(account_id=ACCOUNT).http_response.json()
    assert_success_envelope(body)
    for job in body["result"]:
        strict_job(job)
    got = client.logpush.jobs.get(1, account_id=ACCOUNT)
    assert got.name == "aigw-prod" and got.destination_conf == first["destination_conf"]
    strict_job(client.logpush.jobs.with_raw_response.get(1, account_id=ACCOUNT).http_response.json()["result"])
    assert [r.path for r in standin.requests] == [JOBS, JOBS, f"{JOBS}/1", f"{JOBS}/1"]


def test_a_missing_or_invalid_logpush_job(standin: StandIn, sdk) -> None:
    with pytest.raises(cloudflare.NotFoundError) as caught:
        sdk().logpush.jobs.get(42, account_id=ACCOUNT)
    assert_error(caught.value, 404, 1004, "42")
    assert raw(standin, "GET", f"{JOBS}/abc").status_code == 400
    assert list(sdk().logpush.jobs.list(account_id=ACCOUNT)) == []


R2 = "r2://aigw-logs/{DATE}?account-id=acct&access-key-id=key&secret-access-key=s3cret"


def create_job(client: cloudflare.Cloudflare, **fields: Any) -> LogpushJob:
    return client.logpush.jobs.create(account_id=ACCOUNT, **{"dataset": AI_GATEWAY_DATASET,
                                                             "destination_conf": R2, **fields})


def test_a_created_logpush_job_is_stored_and_read_back(standin: StandIn, sdk) -> None:
    client = sdk(WRITE_TOKEN)
    job = create_job(client, name="aigw-prod", enabled=True, filter='{"where":{}}', max_upload_records=1000,
                     ownership_challenge="challenge-token")
    assert isinstance(job, LogpushJob) and (job.id, job.dataset, job.enabled) == (1, AI_GATEWAY_DATASET, True)
    stored = standin.logpush_jobs[job.id]
    assert stored["destination_conf"] == R2 and stored["filter"] == '{"where":{}}'
    assert "ownership_challenge" not in stored  # write-only: proves the destination, never echoed
    body = client.logpush.jobs.with_raw_response.get(job.id, account_id=ACCOUNT).http_response.json()
    assert_success_envelope(body)
    assert body["result"] == stored
    strict_job(body["result"])
    strict_job(client.logpush.jobs.with_raw_response.create(
        account_id=ACCOUNT, dataset=AI_GATEWAY_DATASET, destination_conf=R2).http_response.json()["result"])
    assert standin.logpush_jobs[2]["enabled"] is False  # not sent: disabled


def test_a_logpush_job_update_changes_what_is_sent_and_keeps_the_rest(standin: StandIn, sdk) -> None:
    client = sdk(WRITE_TOKEN)
    job = create_job(client, name="aigw-prod", enabled=True, max_upload_records=1000)
    updated = client.logpush.jobs.update(job.id, account_id=ACCOUNT, destination_conf="https://logs.example/in",
                                         max_upload_interval_seconds=300)
    assert (updated.destination_conf, updated.max_upload_interval_seconds) == ("https://logs.example/in", 300)
    assert (updated.name, updated.enabled, updated.max_upload_records) == ("aigw-prod", True, 1000)
    assert standin.logpush_jobs[job.id]["destination_conf"] == "https://logs.example/in"
    strict_job(client.logpush.jobs.with_raw_response.update(
        job.id, account_id=ACCOUNT, name=None).http_response.json()["result"])
    assert standin.logpush_jobs[job.id]["name"] is None


def test_a_logpush_job_dataset_cannot_be_changed(standin: StandIn, sdk) -> None:
    client = sdk(WRITE_TOKEN)
    job = create_job(client)
    with pytest.raises(cloudflare.BadRequestError) as caught:
        client.logpush.jobs.update(job.id, account_id=ACCOUNT, extra_body={"dataset": "http_requests"})
    assert_error(caught.value, 400, 1004, "dataset", "unknown")
    assert standin.logpush_jobs[job.id]["dataset"] == AI_GATEWAY_DATASET


def test_a_deleted_logpush_job_is_gone(standin: StandIn, sdk) -> None:
    client = sdk(WRITE_TOKEN)
    job = create_job(client)
    body = client.logpush.jobs.with_raw_response.delete(job.id, account_id=ACCOUNT).http_response.json()
    assert_success_envelope(body)
    assert body["result"] == {"id": job.id} and standin.logpush_jobs == {}
    strict(JobDeleteResponse, body["result"])
    for call in (lambda: client.logpush.jobs.delete(job.id, account_id=ACCOUNT),
                 lambda: client.logpush.jobs.get(job.id, account_id=ACCOUNT),
                 lambda: client.logpush.jobs.update(job.id, account_id=ACCOUNT, enabled=False)):
        with pytest.raises(cloudflare.NotFoundError) as caught:
            call()
        assert_error(caught.value, 404, 1004, str(job.id))


@pytest.mark.parametrize(("fields", "words"), [
    ({"destination_conf": None}, ["destination_conf", "null"]),
    ({"dataset": "no_such_dataset"}, ["dataset", "no_such_dataset"]),
    ({"destination_conf": "not a uri"}, ["destination_conf", "pattern"]),
    ({"destination_conf": "r2://" + "x" * 4092}, ["destination_conf", "4096"]),
    ({"enabled": "yes"}, ["enabled", "boolean"]),
    ({"kind": "instant"}, ["kind"]),
    ({"frequency": "often"}, ["frequency"]),
    ({"max_upload_bytes": 4_999_999}, ["max_upload_bytes", "0 or between 5000000 and 1000000000"]),
    ({"max_upload_bytes": 1_000_000_001}, ["max_upload_bytes", "1000000000"]),
    ({"max_upload_interval_seconds": 29}, ["max_upload_interval_seconds", "0 or between 30 and 300"]),
    ({"max_upload_interval_seconds": 301}, ["max_upload_interval_seconds", "301"]),
    ({"max_upload_records": 999}, ["max_upload_records", "0 or between 1000 and 1000000"]),
    ({"max_upload_records": 1_000_001}, ["max_upload_records", "1000001"]),
    ({"max_upload_records": "1000"}, ["max_upload_records", "integer"]),
    ({"output_options": {"output_type": "xml"}}, ["output_options.output_type", "xml"]),
    ({"bogus": 1}, ["bogus", "unknown"]),
], ids=lambda v: next(iter(v)) if isinstance(v, dict) else None)
def test_an_invalid_logpush_job_body_is_a_400_naming_the_field(standin: StandIn, sdk, fields, words) -> None:
    client = sdk(WRITE_TOKEN)
    with pytest.raises(cloudflare.BadRequestError) as caught:
        create_job(client, extra_body=fields)
    assert_error(caught.value, 400, 1004, *words)
    job = create_job(client)
    with pytest.raises(cloudflare.BadRequestError) as caught:
        client.logpush.jobs.update(job.id, account_id=ACCOUNT, extra_body=fields)
    if "dataset" not in fields:
        assert_error(caught.value, 400, 1004, *words)
    assert list(standin.logpush_jobs) == [job.id]


def test_a_logpush_job_create_needs_a_destination_and_a_dataset(standin: StandIn) -> None:
    for body, missing in (({"dataset": AI_GATEWAY_DATASET}, "destination_conf"), ({"destination_conf": R2}, "dataset")):
        response = raw(standin, "POST", JOBS, WRITE_TOKEN, json=body)
        assert response.status_code == 400 and response.json()["errors"][0]["message"] == f"{missing}: is required"
    assert raw(standin, "POST", JOBS, WRITE_TOKEN, content=b"{").json()["errors"][0]["code"] == 6007
    assert standin.logpush_jobs == {}


@pytest.mark.parametrize(("field", "value"), [
    ("max_upload_bytes", 0), ("max_upload_bytes", 5_000_000), ("max_upload_bytes", 1_000_000_000),
    ("max_upload_interval_seconds", 0), ("max_upload_interval_seconds", 30), ("max_upload_interval_seconds", 300),
    ("max_upload_records", 0), ("max_upload_records", 1_000), ("max_upload_records", 1_000_000),
    ("max_upload_records", None),
])
def test_logpush_upload_bounds_at_their_edges_are_accepted(standin: StandIn, sdk, field: str, value: Any) -> None:
    job = create_job(sdk(WRITE_TOKEN), **{field: value})
    assert getattr(job, field) == value and standin.logpush_jobs[job.id][field] == value


@pytest.mark.parametrize("token", [READ_TOKEN, WRITE_TOKEN])
def test_logs_write_is_what_every_logpush_call_needs(standin: StandIn, sdk, token: str) -> None:
    standin.seed_logpush_job()
    client = sdk(token)
    assert len(list(client.logpush.jobs.list(account_id=ACCOUNT))) == 1
    assert client.logpush.jobs.get(1, account_id=ACCOUNT).id == 1


@pytest.mark.parametrize("token", [LOGS_READ_TOKEN, GATEWAYS_ONLY_TOKEN, RUN_TOKEN])
@pytest.mark.parametrize("call", [
    lambda c: list(c.logpush.jobs.list(account_id=ACCOUNT)),
    lambda c: c.logpush.jobs.get(1, account_id=ACCOUNT),
    lambda c: create_job(c),
    lambda c: c.logpush.jobs.update(1, account_id=ACCOUNT, enabled=False),
    lambda c: c.logpush.jobs.delete(1, account_id=ACCOUNT),
], ids=["list", "get", "create", "update", "delete"])
def test_without_logs_write_every_logpush_call_is_a_403(standin: StandIn, sdk, token: str, call) -> None:
    """Logs Read covers Logpull and Instant Logs, not Logpush (Cloudflare Logs docs, Permissions)."""
    standin.seed_logpush_job(enabled=True)
    with pytest.raises(cloudflare.PermissionDeniedError) as caught:
        call(sdk(token))
    assert_error(caught.value, 403, 10000, "permission")
    assert list(standin.logpush_jobs) == [1] and standin.logpush_jobs[1]["enabled"] is True
    assert LOGS_WRITE not in standin.tokens[token].permissions


def test_token_verify(standin: StandIn, sdk) -> None:
    for token in TEST_TOKENS:  # any valid token, whatever its permissions
        response = sdk(token).accounts.tokens.with_raw_response.verify(account_id=ACCOUNT)
        body = response.http_response.json()
        assert_success_envelope(body)
        verified = strict(TokenVerifyResponse, body["result"])
        assert verified.status == "active" and verified.id == standin.tokens[token].id
        assert response.parse() == verified
    standin.add_token("expiring", set(), expires_on="2030-01-01T00:00:00Z")
    verified = sdk("expiring").accounts.tokens.verify(account_id=ACCOUNT)
    assert verified.expires_on == datetime.fromisoformat("2030-01-01T00:00:00+00:00")
    assert standin.requests[0].path == f"/accounts/{ACCOUNT}/tokens/verify"


# --------------------------------------------------------------------------- authentication and permissions


def test_an_unknown_token_is_a_401_with_code_10000(sdk) -> None:
    client = sdk("not-a-token")
    with pytest.raises(cloudflare.AuthenticationError) as caught:
        client.ai_gateway.list(account_id=ACCOUNT)
    assert_error(caught.value, 401, 10000, "Authentication error")
    with pytest.raises(cloudflare.AuthenticationError):
        client.accounts.tokens.verify(account_id=ACCOUNT)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic dXNlcjpwYXNz"},
                                     {"Authorization": READ_TOKEN}])
def test_no_bearer_token_is_a_401(standin: StandIn, headers: dict[str, str]) -> None:
    response = raw(standin, "GET", GATEWAYS, token=None, headers=headers)
    assert response.status_code == 401 and response.json()["errors"] == [{"code": 10000,
                                                                         "message": "Authentication error"}]


@pytest.mark.parametrize("status", ["disabled", "expired"])
def test_a_token_that_is_not_active_is_a_401(standin: StandIn, sdk, status: str) -> None:
    standin.add_token("old", {"AI Gateway Read"}, status=status)
    with pytest.raises(cloudflare.AuthenticationError):
        sdk("old").ai_gateway.list(account_id=ACCOUNT)


@pytest.mark.parametrize(("token", "call"), [
    (RUN_TOKEN, lambda c: c.ai_gateway.list(account_id=ACCOUNT)),
    (RUN_TOKEN, lambda c: c.ai_gateway.get("default", account_id=ACCOUNT)),
    (READ_TOKEN, lambda c: create(c, "new")),
    (READ_TOKEN, lambda c: c.ai_gateway.update("default", account_id=ACCOUNT, **REQUIRED)),
    (READ_TOKEN, lambda c: c.ai_gateway.delete("default", account_id=ACCOUNT)),
    (GATEWAYS_ONLY_TOKEN, lambda c: list(c.logpush.jobs.list(account_id=ACCOUNT))),
    (GATEWAYS_ONLY_TOKEN, lambda c: c.logpush.jobs.get(1, account_id=ACCOUNT)),
    (RUN_TOKEN, lambda c: list(c.logpush.jobs.list(account_id=ACCOUNT))),
], ids=["run-list", "run-get", "read-create", "read-update", "read-delete", "aig-only-jobs", "aig-only-job",
        "run-jobs"])
def test_a_missing_permission_is_a_403_with_code_10000(standin: StandIn, sdk, token: str, call) -> None:
    standin.seed_default_gateway()
    standin.seed_logpush_job()
    with pytest.raises(cloudflare.PermissionDeniedError) as caught:
        call(sdk(token))
    assert_error(caught.value, 403, 10000, "permission")
    assert "default" in standin.gateways and "new" not in standin.gateways


def test_write_permission_also_reads(standin: StandIn, sdk) -> None:
    standin.seed_gateway("support-bot")
    standin.seed_logpush_job()
    client = sdk(WRITE_TOKEN)
    assert [g.id for g in client.ai_gateway.list(account_id=ACCOUNT)] == ["support-bot"]
    assert len(list(client.logpush.jobs.list(account_id=ACCOUNT))) == 1


def test_accounts_are_separate_and_a_token_reaches_only_its_own(standin: StandIn, sdk) -> None:
    other = "0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f6"
    standin.seed_gateway("prod-bot")
    standin.seed_gateway("dev-bot", account_id=other)
    standin.add_token("prod-only", {"AI Gateway Read"}, accounts=[ACCOUNT])
    client = sdk()
    assert [g.id for g in client.ai_gateway.list(account_id=other)] == ["dev-bot"]
    assert [g.id for g in client.ai_gateway.list(account_id=ACCOUNT)] == ["prod-bot"]
    with pytest.raises(cloudflare.PermissionDeniedError) as caught:
        sdk("prod-only").ai_gateway.list(account_id=other)
    assert_error(caught.value, 403, 10000)
    with pytest.raises(cloudflare.PermissionDeniedError):  # an account the stand-in does not hold
        client.ai_gateway.list(account_id="f" * 32)


def test_unknown_routes_and_methods(standin: StandIn) -> None:
    response = raw(standin, "GET", f"/accounts/{ACCOUNT}/ai-gateway/nowhere")
    assert response.status_code == 404 and response.json()["errors"][0]["code"] == 7000
    response = raw(standin, "PATCH", f"{GATEWAYS}/x", WRITE_TOKEN, json={})
    assert response.status_code == 405 and response.json()["success"] is False
    response = raw(standin, "DELETE", JOBS, WRITE_TOKEN)
    assert response.status_code == 405
    with httpx.Client(verify=False) as client:  # outside /client/v4
        response = client.get(f"http://127.0.0.1:{standin.port}/accounts/{ACCOUNT}/ai-gateway/gateways",
                              headers={"Authorization": f"Bearer {READ_TOKEN}"})
    assert response.status_code == 404


# --------------------------------------------------------------------------- rate limits


def test_every_response_carries_ratelimit_headers_and_only_a_429_retry_after(standin: StandIn, sdk) -> None:
    standin.seed_gateway("support-bot")
    responses = [
        raw(standin, "GET", GATEWAYS),  # 200
        raw(standin, "GET", f"{GATEWAYS}/nowhere"),  # 404
        raw(standin, "GET", GATEWAYS, params={"per_page": 500}),  # 400
        raw(standin, "POST", GATEWAYS, json={"id": "x", **REQUIRED}),  # 403
        raw(standin, "GET", GATEWAYS, token="bogus"),  # 401
    ]
    assert [r.status_code for r in responses] == [200, 404, 400, 403, 401]
    for response in responses:
        assert response.headers["Ratelimit-Policy"] == '"burst";q=1200;w=300'
        assert response.headers["Ratelimit"].startswith('"default";r=')
        assert "retry-after" not in response.headers
    assert [r.headers["Ratelimit"] for r in responses[:4]] == [
        '"default";r=1199;t=300', '"default";r=1198;t=300', '"default";r=1197;t=300', '"default";r=1196;t=300']


def test_the_budget_runs_out_then_the_token_is_blocked_until_retry_after(limited_standin: StandIn,
                                                                         clock: FakeClock) -> None:
    api = limited_standin
    with cloudflare.Cloudflare(api_token=READ_TOKEN, base_url=api.base_url, max_retries=0) as client:
        for remaining in (2, 1, 0):
            response = client.ai_gateway.with_raw_response.list(account_id=ACCOUNT)
            assert response.headers["Ratelimit"] == f'"default";r={remaining};t=300'
            assert response.headers["Ratelimit-Policy"] == '"burst";q=3;w=300'
            assert "retry-after" not in response.headers
        with pytest.raises(cloudflare.RateLimitError) as caught:
            client.ai_gateway.list(account_id=ACCOUNT)
        assert_error(caught.value, 429, 971, "throttling")
        assert caught.value.response.headers["Retry-After"] == "2"
        assert caught.value.response.headers["Ratelimit"] == '"default";r=0;t=2'
        with cloudflare.Cloudflare(api_token=WRITE_TOKEN, base_url=api.base_url, max_retries=0) as other:
            assert list(other.ai_gateway.list(account_id=ACCOUNT)) == []  # the budget is per token
        clock.advance(1)
        with pytest.raises(cloudflare.RateLimitError) as caught:  # still blocked, on any endpoint
            client.accounts.tokens.verify(account_id=ACCOUNT)
        assert caught.value.response.headers["Retry-After"] == "1"
        clock.advance(1)
        response = client.ai_gateway.with_raw_response.list(account_id=ACCOUNT)
        assert response.headers["Ratelimit"] == '"default";r=2;t=300' and "retry-after" not in response.headers
    assert [r.status for r in api.requests] == [200, 200, 200, 429, 200, 429, 200]


def test_the_window_resets_after_it_ends(limited_standin: StandIn, clock: FakeClock) -> None:
    for _ in range(3):
        assert raw(limited_standin, "GET", GATEWAYS).status_code == 200
    clock.advance(300)
    response = raw(limited_standin, "GET", GATEWAYS)
    assert response.status_code == 200 and response.headers["Ratelimit"] == '"default";r=2;t=300'


def test_the_documented_block_is_five_minutes(clock: FakeClock) -> None:
    with StandIn(tokens=TEST_TOKENS, rate_limit=1, clock=clock) as api:
        assert raw(api, "GET", GATEWAYS).status_code == 200
        response = raw(api, "GET", GATEWAYS)
        assert response.status_code == 429 and response.headers["Retry-After"] == "300"
        clock.advance(299.5)
        assert raw(api, "GET", GATEWAYS).headers["Retry-After"] == "1"  # rounded up
        clock.advance(0.5)
        assert raw(api, "GET", GATEWAYS).status_code == 200


def test_an_injected_429_hits_the_next_matching_request_once(clock: FakeClock) -> None:
    with StandIn(tokens=TEST_TOKENS, clock=clock) as api, cloudflare.Cloudflare(
            api_token=READ_TOKEN, base_url=api.base_url, max_retries=0) as client:
        api.inject_429("/ai-gateway/gateways", retry_after=2)
        assert list(client.logpush.jobs.list(account_id=ACCOUNT)) == []  # another path: untouched
        with pytest.raises(cloudflare.RateLimitError) as caught:
            client.ai_gateway.list(account_id=ACCOUNT)
        assert caught.value.response.headers["Retry-After"] == "2"
        assert_error(caught.value, 429, 971)
        with pytest.raises(cloudflare.RateLimitError):  # retried too early: the token is blocked
            client.ai_gateway.list(account_id=ACCOUNT)
        clock.advance(2)
        assert list(client.ai_gateway.list(account_id=ACCOUNT)) == []
        api.inject_429("/ai-gateway/gateways", retry_after=7, method="POST", block=False)
        assert list(client.ai_gateway.list(account_id=ACCOUNT)) == []  # a GET: not the injected POST
        with pytest.raises(cloudflare.RateLimitError) as caught:
            client.post(GATEWAYS, cast_to=object, body={})
        assert caught.value.response.headers["Retry-After"] == "7"
        assert list(client.ai_gateway.list(account_id=ACCOUNT)) == []  # no block this time
    assert [r.status for r in api.requests] == [200, 429, 429, 200, 200, 429, 200]


def test_the_sdk_waits_out_a_short_retry_after_in_real_time(standin: StandIn, sdk) -> None:
    standin.inject_429("/ai-gateway/gateways", retry_after=1)
    started = time.monotonic()
    assert list(sdk(max_retries=1).ai_gateway.list(account_id=ACCOUNT)) == []
    assert time.monotonic() - started >= 1.0
    assert [r.status for r in standin.requests] == [429, 200]


# --------------------------------------------------------------------------- request log and server


def test_every_request_is_recorded(standin: StandIn, sdk) -> None:
    standin.seed_gateway("support-bot")
    sdk().ai_gateway.get("support-bot", account_id=ACCOUNT)
    list(sdk().ai_gateway.list(account_id=ACCOUNT, per_page=50, search="support"))
    with pytest.raises(cloudflare.AuthenticationError):
        sdk("bogus").ai_gateway.get("support-bot", account_id=ACCOUNT)
    assert [(r.method, r.path, r.query, r.token, r.status) for r in standin.requests] == [
        ("GET", f"{GATEWAYS}/support-bot", {}, READ_TOKEN, 200),
        ("GET", GATEWAYS, {"per_page": "50", "search": "support"}, READ_TOKEN, 200),
        ("GET", GATEWAYS, {"per_page": "50", "search": "support", "page": "2"}, READ_TOKEN, 200),
        ("GET", f"{GATEWAYS}/support-bot", {}, "bogus", 401),
    ]
    assert len(standin.requests_to("/ai-gateway/gateways", method="get")) == 4
    assert len(standin.requests_to(f"{GATEWAYS}/support-bot")) == 2
    standin.clear_requests()
    assert standin.requests == []


def test_concurrent_requests_are_all_served(standin: StandIn, seed) -> None:
    seed(30)
    results: list[int] = []
    with httpx.Client(verify=False, headers={"Authorization": f"Bearer {READ_TOKEN}"}) as client:

        def fetch(i: int) -> None:
            results.append(client.get(f"{standin.base_url}{GATEWAYS}/gw-{i:04d}").status_code)

        threads = [threading.Thread(target=fetch, args=(i,)) for i in range(30)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert results == [200] * 30 and len(standin.requests) == 30
    assert sorted(r.path for r in standin.requests) == [f"{GATEWAYS}/gw-{i:04d}" for i in range(30)]


def test_stop_closes_idle_keep_alive_connections_and_frees_the_port() -> None:
    api = StandIn(tokens=TEST_TOKENS)
    with pytest.raises(RuntimeError):
        _ = api.base_url
    api.start()
    with pytest.raises(RuntimeError):
        api.start()
    port = api.port
    with cloudflare.Cloudflare(api_token=READ_TOKEN, base_url=api.base_url, max_retries=0) as client:
        assert list(client.ai_gateway.list(account_id=ACCOUNT)) == []  # leaves a keep-alive connection open
        started = time.monotonic()
        api.stop()
        assert time.monotonic() - started < 5
        with pytest.raises(cloudflare.APIConnectionError):
            client.ai_gateway.list(account_id=ACCOUNT)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    api.stop()  # idempotent
    assert [t for t in threading.enumerate() if t.name == "cloudflare-standin"] == []


def test_seeding_validates_like_the_api(standin: StandIn) -> None:
    with pytest.raises(ValueError, match="log_management"):
        standin.seed_gateway("bad", log_management=5)
    with pytest.raises(ValueError, match="pattern"):
        standin.seed_gateway("Bad")
    standin.seed_gateway("ok")
    with pytest.raises(ValueError, match="already"):
        standin.seed_gateway("ok")
    with pytest.raises(ValueError, match="unknown"):
        standin.seed_logpush_job(bogus=1)
    assert set(READ_ONLY_FIELDS) <= set(standin.gateways["ok"])


# --------------------------------------------------------------------------- the schema against the SDK's types


def _unwrap(tp: Any) -> tuple[Any, bool]:
    """(the bare type, whether null is allowed): strips Required/NotRequired/Annotated/Optional."""
    while get_origin(tp) in (Required, NotRequired) or hasattr(tp, "__metadata__"):
        tp = get_args(tp)[0]
    if get_origin(tp) in (Union, types.UnionType) and type(None) in get_args(tp):
        rest = tuple(a for a in get_args(tp) if a is not type(None))
        return (rest[0] if len(rest) == 1 else Union[rest]), True  # noqa: UP007
    return tp, False


def _compare(spec: Spec, tp: Any, path: str) -> list[str]:
    tp, nullable = _unwrap(tp)
    problems = [] if spec.nullable == nullable else [f"{path}: nullable {spec.nullable} vs SDK {nullable}"]
    origin = get_origin(tp)
    if is_typeddict(tp):
        if not isinstance(spec, Obj):
            return [*problems, f"{path}: SDK object, stand-in {type(spec).__name__}"]
        sdk_fields = {k: v for k, v in wire_fields(tp).items() if k != "account_id"}
        if set(sdk_fields) != set(spec.fields):
            problems.append(f"{path}: keys differ: SDK only {sorted(set(sdk_fields) - set(spec.fields))}, "
                            f"stand-in only {sorted(set(spec.fields) - set(sdk_fields))}")
        for key in set(sdk_fields) & set(spec.fields):
            (_, hint, required), (sub, sub_required) = sdk_fields[key], spec.fields[key]
            if required != sub_required:
                problems.append(f"{path}.{key}: required {sub_required} vs SDK {required}")
            problems += _compare(sub, hint, f"{path}.{key}")
        return problems
    if origin in (Union, types.UnionType):
        members = get_args(tp)
        if not isinstance(spec, OneOf) or len(spec.members) != len(members):
            return [*problems, f"{path}: SDK union of {len(members)}, stand-in {spec!r}"]
        return problems + [p for i, (s, m) in enumerate(zip(spec.members, members, strict=True))
                           for p in _compare(s, m, f"{path}|{i}")]
    if origin is Literal:
        if not isinstance(spec, Enum) or set(spec.values) != set(get_args(tp)):
            problems.append(f"{path}: SDK enum {get_args(tp)}, stand-in {spec!r}")
        return problems
    if origin in (list, Iterable, Sequence):
        if not isinstance(spec, ListOf):
            return [*problems, f"{path}: SDK list, stand-in {spec!r}"]
        return problems + _compare(spec.item, get_args(tp)[0], f"{path}[]")
    if origin is dict:
        if not isinstance(spec, MapOf):
            return [*problems, f"{path}: SDK map, stand-in {spec!r}"]
        return problems + _compare(spec.value, get_args(tp)[1], f"{path}{{}}")
    expected = {bool: Bool, int: Int, float: Number, str: Str}.get(tp)
    if expected is None or type(spec) is not expected:
        problems.append(f"{path}: SDK {tp!r}, stand-in {spec!r}")
    return problems


@pytest.mark.parametrize(("spec", "params"), [(CREATE_BODY, AIGatewayCreateParams),
                                              (UPDATE_BODY, AIGatewayUpdateParams)], ids=["create", "update"])
def test_the_request_schema_matches_the_sdk_types(spec: Obj, params: type) -> None:
    """Every key, required flag, nullability, JSON type and enum of the SDK's request types."""
    assert _compare(spec, params, "body") == []


def test_the_schema_comparison_notices_a_difference() -> None:
    wrong = Obj(fields={**UPDATE_BODY.fields, "retry_backoff": (Enum(nullable=True, values=("constant",)), False)})
    del wrong.fields["zdr"]
    problems = _compare(wrong, AIGatewayUpdateParams, "body")
    assert any("retry_backoff" in p for p in problems) and any("zdr" in p for p in problems)


def test_stored_gateways_carry_only_fields_the_sdk_or_the_raw_api_has(standin: StandIn) -> None:
    known = {f.alias or name for name, f in AIGatewayGetResponse.model_fields.items()}
    stored = standin.seed_gateway("x", authentication=True, logpush=True, logpush_public_key=SPKI_16)
    assert set(stored) - known == set(GATEWAY_RAW_EXTRAS)
    assert json.loads(json.dumps(stored)) == stored


# --------------------------------------------------------------------------- opt-in: the stand-in's assumptions, live

LIVE_TOKEN = os.environ.get("CLOUDFLARE_API_TOKEN")
LIVE_ACCOUNT = os.environ.get("CLOUDFLARE_ACCOUNT_ID")
live = pytest.mark.skipif(not (LIVE_TOKEN and LIVE_ACCOUNT),
                          reason="set CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID to check against a real account")


@pytest.fixture
def real() -> Iterator[cloudflare.Cloudflare]:
    with cloudflare.Cloudflare(api_token=LIVE_TOKEN, max_retries=0) as client:
        yield client


@live
def test_live_a_list_page_has_the_shape_the_stand_in_serves(real: cloudflare.Cloudflare) -> None:
    """Read-only, 1 request: the envelope, result_info, the gateway fields and the rate-limit headers."""
    response = real.ai_gateway.with_raw_response.list(account_id=LIVE_ACCOUNT, per_page=100)
    body = response.http_response.json()
    assert {"result", "success", "errors", "messages"} <= set(body)
    assert {"page", "per_page"} <= set(body.get("result_info") or {})
    for gateway in body["result"]:
        strict_gateway(AIGatewayListResponse, gateway)
    assert {"ratelimit", "ratelimit-policy"} <= set(response.headers) and "retry-after" not in response.headers


@live
def test_live_errors_have_the_codes_the_stand_in_uses(real: cloudflare.Cloudflare) -> None:
    """Read-only, 3 requests: per_page 101, a missing gateway, a well-formed (40 characters) unknown token."""
    with pytest.raises(cloudflare.BadRequestError) as caught:
        real.ai_gateway.list(account_id=LIVE_ACCOUNT, per_page=101)
    assert caught.value.response.json()["success"] is False
    with pytest.raises(cloudflare.NotFoundError) as caught:
        real.ai_gateway.get("aigw-standin-probe-missing", account_id=LIVE_ACCOUNT)
    assert caught.value.response.json()["errors"][0]["code"] == 7002
    with cloudflare.Cloudflare(api_token="A" * 40, max_retries=0) as bogus, pytest.raises(
            cloudflare.AuthenticationError) as caught:
        bogus.ai_gateway.list(account_id=LIVE_ACCOUNT)
    assert caught.value.response.json()["errors"][0]["code"] == 10000
