"""The live client's lists of a gateway's provider configs and routes (aigw/live/client.py, aigw/live/byok.py)
against the stand-in: pages, the routes' documented `{data: {routes}}` answer and the other shapes read, an
answer without routes, the 403 that skips the check, and the per-command bound on gateways read."""

from __future__ import annotations

import io
import json

import pytest
from helpers.standin import DEFAULT_ACCOUNT, READ_TOKEN, StandIn

from aigw.live import byok
from aigw.live.client import Client, LiveError

GW = "prod-support-bot"
ROUTE = [{"id": "start", "type": "start", "outputs": {"next": {"elementId": "m"}}},
         {"id": "m", "type": "model", "properties": {"provider": "openai", "model": "gpt-4o", "retries": 0,
                                                     "timeout": 1000},
          "outputs": {"success": {"elementId": "end"}, "fallback": {"elementId": "end"}}},
         {"id": "end", "type": "end", "outputs": {}}]


def client(standin: StandIn) -> Client:
    return Client(READ_TOKEN, standin.base_url, out=io.StringIO())


def test_provider_configs_are_read_100_a_page(standin: StandIn) -> None:
    standin.seed_gateway(GW)
    for i in range(150):
        standin.seed_provider_config(GW, provider_slug="openai", alias=f"a{i}", default_config=False)
    with client(standin) as c:
        configs = c.provider_configs(DEFAULT_ACCOUNT, GW)
        assert (len(configs), c.requests) == (150, 2)
    assert [r.query for r in standin.requests] == [{"page": "1", "per_page": "100"},
                                                   {"page": "2", "per_page": "100"}]


def test_routes_are_read_from_the_documented_data_object_page_by_page(standin: StandIn) -> None:
    standin.seed_gateway(GW)
    for i in range(25):
        standin.seed_route(GW, f"r{i}", ROUTE)
    with client(standin) as c:
        routes = c.routes(DEFAULT_ACCOUNT, GW)
        assert (sorted(r["name"] for r in routes), c.requests) == (sorted(f"r{i}" for i in range(25)), 2)
    assert [r.query for r in standin.requests] == [{"page": "1"}, {"page": "2"}]  # no per_page: its maximum is unknown
    assert routes[0]["elements"] == ROUTE


@pytest.mark.parametrize("body", [
    {"success": True, "result": {"data": {"page": 1, "per_page": 20, "routes": [{"id": "x", "name": "r"}]}}},
    {"success": True, "result": [{"id": "x", "name": "r"}]},
])
def test_routes_in_a_result_envelope_are_read_too(standin: StandIn, body) -> None:
    standin.seed_gateway(GW)
    standin.inject_response("/routes", json.dumps(body))
    with client(standin) as c:
        assert [r["name"] for r in c.routes(DEFAULT_ACCOUNT, GW)] == ["r"]


def test_an_answer_without_routes_is_exit_3_naming_the_call(standin: StandIn) -> None:
    standin.seed_gateway(GW)
    standin.inject_response("/routes", json.dumps({"success": True, "data": "nope"}))
    with client(standin) as c, pytest.raises(LiveError, match="^list routes: the answer has no `data` object"):
        c.routes(DEFAULT_ACCOUNT, GW)


def test_a_403_skips_the_check_with_one_line(standin: StandIn) -> None:
    standin.seed_gateway(GW)
    standin.inject_response("/provider_configs", json.dumps({"success": False, "errors": [
        {"code": 10000, "message": "Authentication error"}]}), status=403)
    with client(standin) as c:
        details, line = byok.read_details(c, DEFAULT_ACCOUNT, [GW])
    assert details == {}
    assert line == ("provider key and route check skipped for 1 gateway(s): the token lacks the permission group "
                    "'AI Gateway Read' (HTTP 403 on list provider configs); add it to check them")


def test_at_most_detail_gateways_are_read_those_with_keys_or_routes_first(standin: StandIn, monkeypatch) -> None:
    monkeypatch.setattr(byok, "DETAIL_GATEWAYS", 2)
    ids = standin.seed_gateways(4)
    with client(standin) as c:
        details, line = byok.read_details(c, DEFAULT_ACCOUNT, ids, first=[ids[3]])
        assert c.requests == 4 and c.max_requests == 100 + 4  # the cap grew by 2 per gateway read
    assert sorted(details) == [ids[0], ids[3]]
    assert line == (f"provider keys and routes not compared for 2 gateway(s) ({ids[1]}, {ids[2]}): at most 2 "
                    "gateways are read per command (2 requests each)")
