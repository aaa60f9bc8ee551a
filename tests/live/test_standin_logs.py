"""The stand-in's gateway data plane and Logs API (tests/helpers/standin.py), through the official SDK and httpx."""

from __future__ import annotations

import json
from collections.abc import Iterator

import cloudflare
import httpx
import pytest
from helpers.standin import AIG_READ, AIG_RUN, RUN_TOKEN, TOKENS_READ, StandIn

READ = "logs-read"


@pytest.fixture
def api() -> Iterator[StandIn]:
    with StandIn(tokens={READ: {AIG_READ}, RUN_TOKEN: {AIG_RUN}, "tokens": {AIG_READ, TOKENS_READ}}) as a:
        a.seed_gateway("gw", authentication=True)
        yield a
    assert not a.errors, a.errors


def _call(api: StandIn, *headers: tuple[str, str], token: str = RUN_TOKEN) -> httpx.Response:
    return httpx.post(api.gateway_url("gw") + "/openai/chat/completions", content=b'{"q": "hello"}',
                      headers=[("cf-aig-authorization", f"Bearer {token}"), *headers])


def _sdk(api: StandIn, token: str = READ) -> cloudflare.Cloudflare:
    return cloudflare.Cloudflare(api_token=token, base_url=api.base_url, max_retries=0)


def test_each_call_is_logged_with_bodies_unless_the_payload_header_says_false(api: StandIn) -> None:
    assert _call(api, ("cf-aig-metadata", '{"a": 1}')).status_code == 200
    assert _call(api, ("CF-AIG-Collect-Log-Payload", "false")).status_code == 200
    with_body, without = api.logs("gw").values()
    assert with_body["_request"] == '{"q": "hello"}' and with_body["_response"] and with_body["metadata"] == '{"a": 1}'
    assert without["_request"] is None and without["_response"] is None
    with _sdk(api) as sdk:
        listed = sdk.ai_gateway.logs.list("gw", account_id=api.account_id, order_by="created_at",
                                          order_by_direction="asc").result
        assert [log.id for log in listed] == [with_body["id"], without["id"]]
        full = sdk.ai_gateway.logs.get(with_body["id"], account_id=api.account_id, gateway_id="gw")
        empty = sdk.ai_gateway.logs.get(without["id"], account_id=api.account_id, gateway_id="gw")
        assert full.request_head == '{"q": "hello"}' and full.request_size == 14
        assert empty.request_head is None and empty.request_size is None and empty.response_head is None
        body = sdk.ai_gateway.logs.request(with_body["id"], account_id=api.account_id, gateway_id="gw")
        assert body == {"q": "hello"}
        with pytest.raises(cloudflare.NotFoundError):
            sdk.ai_gateway.logs.response(without["id"], account_id=api.account_id, gateway_id="gw")


def test_collect_log_false_stores_nothing_and_true_overrides_a_gateway_without_logs(api: StandIn) -> None:
    _call(api, ("cf-aig-collect-log", "false"))
    assert api.logs("gw") == {}
    api.gateways["gw"]["collect_logs"] = False
    _call(api)
    assert api.logs("gw") == {}
    _call(api, ("cf-aig-collect-log", "true"))
    assert len(api.logs("gw")) == 1


def test_an_authenticated_gateway_needs_a_run_token(api: StandIn) -> None:
    assert _call(api, token=READ).status_code == 401
    assert httpx.post(api.gateway_url("nope") + "/openai/x").status_code == 404
    assert api.logs("gw") == {}


@pytest.mark.parametrize("query", [{"per_page": "101"}, {"page": "0"}, {"order_by": "cost"},
                                   {"order_by_direction": "up"}, {"start_date": "yesterday"}, {"bogus": "1"}])
def test_the_log_list_is_strict_about_its_query(api: StandIn, query: dict[str, str]) -> None:
    with _sdk(api) as sdk, pytest.raises(cloudflare.BadRequestError):
        sdk.get(f"/accounts/{api.account_id}/ai-gateway/gateways/gw/logs", cast_to=object,
                options={"params": query})


def test_log_list_pages_newest_first_with_start_date(api: StandIn) -> None:
    ids = api.seed_logs("gw", 7)
    api.logs("gw")[ids[0]]["created_at"] = "2020-01-01T00:00:00.000Z"
    with _sdk(api) as sdk:
        page = sdk.ai_gateway.logs.list("gw", account_id=api.account_id, per_page=4, page=2,
                                        start_date="2021-01-01T00:00:00Z")
        assert [log.id for log in page.result] == [ids[2], ids[1]]
        assert page.result_info is not None and page.result_info.page == 2
    raw = json.loads(httpx.get(f"{api.base_url}/accounts/{api.account_id}/ai-gateway/gateways/gw/logs",
                               headers={"Authorization": f"Bearer {READ}"}).content)
    assert raw["result_info"]["total_count"] == 7 and "_request" not in raw["result"][0]


def test_account_tokens_need_account_api_tokens_read(api: StandIn) -> None:
    api.seed_account_token("edge", ["AI Gateway Run"])
    with _sdk(api, "tokens") as sdk:
        (token,) = sdk.accounts.tokens.list(account_id=api.account_id).result
        assert token.name == "edge" and token.policies[0].permission_groups[0].name == "AI Gateway Run"
    with _sdk(api) as sdk, pytest.raises(cloudflare.PermissionDeniedError):
        sdk.accounts.tokens.list(account_id=api.account_id)
