"""A route with a percentage split (aigw/components/route.py): under Pulumi mocks it is a DynamicRoute with
AiGatewayDynamicRouting's props; its dynamic provider against the API stand-in (tests/helpers/standin.py)
through the official SDK (CLOUDFLARE_BASE_URL): create sends the named outputs, read gives back what was sent,
a new name is a rename in place, new elements are a new version that is deployed, delete removes it."""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Iterator

import pytest
from helpers.standin import DEFAULT_ACCOUNT, TEST_TOKENS, WRITE_TOKEN, StandIn

from aigw.components.route import FIELDS, DynamicRouteProvider, api_elements
from aigw.program import deploy
from aigw_policy.vocabulary import AI_GATEWAY_DYNAMIC_ROUTING, DYNAMIC_ROUTE, ROUTE_TYPES

GATEWAY_ID = "prod-support-bot"

SPLIT = {"elements": [
    {"id": "start", "type": "start", "outputs": {"next": {"elementId": "split"}}},
    {"id": "split", "type": "percentage", "outputs": {"70%": {"elementId": "a"}, "30%": {"elementId": "b"}}},
    {"id": "a", "type": "model", "properties": {"provider": "openai", "model": "gpt-4o", "retries": 1,
                                                "timeout": 30000},
     "outputs": {"success": {"elementId": "end"}, "fallback": {"elementId": "b"}}},
    {"id": "b", "type": "model", "properties": {"provider": "anthropic", "model": "claude-sonnet-4-5",
                                                "retries": 0, "timeout": 30000},
     "outputs": {"success": {"elementId": "end"}, "fallback": {"elementId": "end"}}},
    {"id": "end", "type": "end", "outputs": {}},
]}
PLAIN = {"elements": [e for e in SPLIT["elements"] if e["id"] != "split"]}
PLAIN["elements"][0] = {"id": "start", "type": "start", "outputs": {"next": {"elementId": "a"}}}


def with_conditional_and_rate(route: dict) -> dict:
    """The route with a conditional and a rate element before its split (every element type once)."""
    out = copy.deepcopy(route)
    first = out["elements"][0]["outputs"]["next"]["elementId"]
    out["elements"][0]["outputs"]["next"]["elementId"] = "plan"
    out["elements"][1:1] = [
        {"id": "plan", "type": "conditional", "properties": {"conditions": {"metadata.plan": {"$eq": "paid"}}},
         "outputs": {"true": {"elementId": first}, "false": {"elementId": "budget"}}},
        {"id": "budget", "type": "rate", "properties": {"key": "metadata.user", "limit": 100, "limitType": "count",
                                                        "window": 3600},
         "outputs": {"success": {"elementId": first}, "fallback": {"elementId": "b"}}},
    ]
    return out


# --------------------------------------------------------------------------- under mocks


def routes_of(engine, stack_spec, route: dict) -> tuple[dict, dict]:
    spec = stack_spec({"main": {"id": "main-gw", "routes": {"support": route}}}, environment="staging")
    engine.run(lambda: deploy(spec))
    return engine.of_type(AI_GATEWAY_DYNAMIC_ROUTING), engine.of_type(DYNAMIC_ROUTE)


def props_of(registration) -> dict:
    return {k: v for k, v in registration.inputs.items() if k != "__provider"}


def test_a_split_is_a_dynamic_route_and_a_route_without_one_is_not(engine, stack_spec):
    plain, dynamic = routes_of(engine, stack_spec, PLAIN)
    assert list(plain) == ["main-support"] and dynamic == {}
    plain, dynamic = routes_of(engine, stack_spec, SPLIT)
    assert plain == {} and list(dynamic) == ["main-support"]
    assert DYNAMIC_ROUTE in ROUTE_TYPES
    split = {e["id"]: e for e in dynamic["main-support"].inputs["elements"]}["split"]
    assert split == {"id": "split", "type": "percentage",
                     "outputs": {"70%": {"elementId": "a"}, "30%": {"elementId": "b"}}}


def test_the_props_have_the_shape_of_ai_gateway_dynamic_routing(engine, stack_spec):
    """The same route but its split, registered once as each type: the props are the same but the split
    element (so plan, diff, compare, drift and the rules read both alike)."""
    full_plain = with_conditional_and_rate(PLAIN)
    full_split = with_conditional_and_rate(SPLIT)
    (plain,), _ = (list(t.values()) for t in routes_of(engine, stack_spec, full_plain))
    _, (dynamic,) = (list(t.values()) for t in routes_of(engine, stack_spec, full_split))
    p, d = props_of(plain), props_of(dynamic)
    assert set(p) == set(d) == set(FIELDS)
    assert {k: p[k] for k in ("accountId", "gatewayId", "name")} == {k: d[k] for k in ("accountId", "gatewayId",
                                                                                          "name")}
    by_id = {e["id"]: e for e in d["elements"]}
    for e in p["elements"]:  # every element as AiGatewayDynamicRouting's; only where they lead differs
        assert {k: v for k, v in by_id[e["id"]].items() if k != "outputs"} == {k: v for k, v in e.items()
                                                                             if k != "outputs"}
        assert sorted(by_id[e["id"]]["outputs"]) == sorted(e["outputs"])
    assert [by_id[i] for i in ("a", "b", "end")] == [e for e in p["elements"] if e["id"] in ("a", "b", "end")]
    assert by_id["a"]["properties"] == {"aiGatewayDynamicRoutingProvider": "openai", "model": "gpt-4o",
                                        "retries": 1, "timeout": 30000}
    assert by_id["plan"]["properties"] == {"conditions": '{"metadata.plan":{"$eq":"paid"}}'}
    assert by_id["budget"]["properties"] == {"key": "metadata.user", "limit": 100, "limitType": "count",
                                             "window": 3600}


# --------------------------------------------------------------------------- against the stand-in


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with StandIn(tokens=TEST_TOKENS) as api:
        yield api
    assert not api.errors, f"the stand-in raised inside its server: {api.errors!r}"


@pytest.fixture
def provider(standin, monkeypatch) -> DynamicRouteProvider:
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", standin.base_url)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", WRITE_TOKEN)
    standin.seed_gateway(GATEWAY_ID)
    return DynamicRouteProvider()


def props(route: dict = SPLIT, name: str = "support") -> dict:
    """The props the program registers for this spec route (aigw/components/route.py plan_elements)."""
    from aigw.components.route import plan_elements
    from aigw.spec.routing import RouteSpec

    return {"accountId": DEFAULT_ACCOUNT, "gatewayId": GATEWAY_ID, "name": name,
            "elements": plan_elements(RouteSpec.model_validate(route))}


def stored(standin: StandIn, id_: str) -> dict:
    return standin.account().routes[GATEWAY_ID][id_]


def test_create_sends_the_split_and_read_gives_back_the_props(provider, standin):
    want = props(with_conditional_and_rate(SPLIT))
    assert provider.check({}, want).failures == []
    made = provider.create(want)
    route = stored(standin, made.id)
    assert route["name"] == "support"
    assert {e["id"]: e for e in route["elements"]}["split"]["outputs"] == {"70%": {"elementId": "a"},
                                                                           "30%": {"elementId": "b"}}
    assert route["elements"] == with_conditional_and_rate(SPLIT)["elements"]  # the API's JSON, as the spec's
    assert made.outs == want
    read = provider.read(made.id, made.outs)
    assert (read.id, read.outs) == (made.id, want)
    assert not provider.diff(made.id, read.outs, want).changes  # nothing for a refresh to report


def test_a_new_name_is_a_rename_in_place(provider, standin):
    made = provider.create(props())
    diff = provider.diff(made.id, made.outs, props(name="support-v2"))
    assert diff.changes and diff.replaces == []
    versions = len(stored(standin, made.id)["_versions"])
    updated = provider.update(made.id, made.outs, props(name="support-v2"))
    assert stored(standin, made.id)["name"] == "support-v2" == updated.outs["name"]
    assert len(stored(standin, made.id)["_versions"]) == versions  # a rename makes no version


def test_new_elements_are_a_new_version_that_is_deployed(provider, standin):
    made = provider.create(props())
    first = stored(standin, made.id)["version"]["version_id"]
    changed = copy.deepcopy(SPLIT)
    changed["elements"][1]["outputs"] = {"40%": {"elementId": "a"}, "60%": {"elementId": "b"}}
    news = props(changed)
    diff = provider.diff(made.id, made.outs, news)
    assert diff.changes and diff.replaces == []
    updated = provider.update(made.id, made.outs, news)
    route = stored(standin, made.id)
    assert {e["id"]: e for e in route["elements"]}["split"]["outputs"] == {"40%": {"elementId": "a"},
                                                                           "60%": {"elementId": "b"}}
    assert route["version"]["version_id"] != first and route["version"]["active"] == "true"
    assert [v["active"] for v in route["_versions"]] == ["false", "true"]
    assert route["deployment"]["version_id"] == route["version"]["version_id"]
    assert updated.outs == news
    assert provider.read(made.id, updated.outs).outs == news


def test_a_new_gateway_or_account_replaces(provider):
    base = props()
    assert provider.diff("id", base, {**base, "gatewayId": "prod-other"}).replaces == ["gatewayId"]
    assert provider.diff("id", base, {**base, "accountId": "f" * 32}).replaces == ["accountId"]
    assert not provider.diff("id", base, json.loads(json.dumps(base))).changes
    floats = copy.deepcopy(base)
    floats["elements"][2]["properties"]["retries"] = 1.0  # the engine may hand back numbers as floats
    assert not provider.diff("id", base, floats).changes


def test_delete_and_a_route_gone_elsewhere(provider, standin):
    made = provider.create(props())
    provider.delete(made.id, made.outs)
    assert standin.account().routes[GATEWAY_ID] == {}
    assert provider.read(made.id, made.outs).id is None  # gone: the engine plans a create
    provider.delete(made.id, made.outs)  # already gone: no error


def test_a_change_made_elsewhere_is_read_back(provider, standin):
    made = provider.create(props())
    route = stored(standin, made.id)
    {e["id"]: e for e in route["elements"]}["a"]["properties"]["model"] = "gpt-4o-mini"
    read = provider.read(made.id, made.outs)
    assert {e["id"]: e for e in read.outs["elements"]}["a"]["properties"]["model"] == "gpt-4o-mini"
    assert provider.diff(made.id, read.outs, props()).changes


def test_check_refuses_a_broken_graph_and_unknown_fields_before_any_call(provider, standin):
    broken = props()
    broken["elements"][1]["outputs"] = {"70%": {"elementId": "a"}, "20%": {"elementId": "b"}}
    failures = provider.check({}, {**broken, "comment": "x", "name": ""}).failures
    assert sorted(f.property for f in failures) == ["comment", "elements", "name"]
    reason = {f.property: f.reason for f in failures}["elements"]
    assert "must total 100% (they total 90%)" in reason
    assert standin.account().routes.get(GATEWAY_ID, {}) == {}


def test_the_api_refusal_has_its_words(provider, standin):
    bad = props()
    bad["elements"][1]["outputs"] = {"70%": {"elementId": "a"}, "else": {"elementId": "b"}}
    with pytest.raises(RuntimeError, match=r"creating route dynamic/support of gateway 'prod-support-bot': "
                                           r"HTTP 400: 7001"):
        provider.create(bad)


def test_no_token_is_a_clear_error_and_the_pickle_holds_none(provider, monkeypatch):
    from pulumi.dynamic import ConfigureRequest

    monkeypatch.delenv("CLOUDFLARE_API_TOKEN")
    with pytest.raises(RuntimeError, match="no Cloudflare API token for the dynamic route"):
        provider.create(props())
    provider.configure(ConfigureRequest({"cloudflare:apiToken": "token-value-123"}))
    assert b"token-value-123" not in pickle.dumps(provider)


def test_the_api_json_is_the_spec_json():
    """props -> the API's element JSON is the spec's own JSON (what the stack file says)."""
    assert api_elements(props(with_conditional_and_rate(SPLIT))["elements"]) == with_conditional_and_rate(
        SPLIT)["elements"]


def test_the_stand_ins_versions_and_deployments_through_the_sdk(provider, standin):
    """The stand-in's version endpoints answer what the SDK parses, and refuse as strictly as its others."""
    import cloudflare

    made = provider.create(props())
    where = {"account_id": DEFAULT_ACCOUNT, "gateway_id": GATEWAY_ID}
    with cloudflare.Cloudflare(api_token=WRITE_TOKEN, base_url=standin.base_url, max_retries=0) as client:
        routing = client.ai_gateway.dynamic_routing
        answer = routing.create_version(made.id, elements=api_elements(props(PLAIN)["elements"]), **where)
        assert answer.id == made.id and [e.id for e in answer.elements] == [e["id"] for e in PLAIN["elements"]]
        assert [e.id for e in routing.get(made.id, **where).elements] == [e["id"] for e in SPLIT["elements"]]
        versions = routing.list_versions(made.id, **where).data.versions
        assert [v.active for v in versions] == ["false", "true"]  # newest first; the new one not deployed
        routing.create_deployment(made.id, version_id=versions[0].version_id, **where)
        assert [e.id for e in routing.get(made.id, **where).elements] == [e["id"] for e in PLAIN["elements"]]
        deployments = routing.list_deployments(made.id, **where).data.deployments
        assert [d.version_id for d in deployments] == [versions[0].version_id, versions[1].version_id]
        with pytest.raises(cloudflare.NotFoundError):
            routing.create_deployment(made.id, version_id="0" * 32, **where)
        with pytest.raises(cloudflare.BadRequestError):
            client.post(f"/accounts/{DEFAULT_ACCOUNT}/ai-gateway/gateways/{GATEWAY_ID}/routes/{made.id}/versions",
                        body={"elements": api_elements(props()["elements"]), "comment": "x"}, cast_to=object)
        with pytest.raises(cloudflare.BadRequestError):
            client.post(f"/accounts/{DEFAULT_ACCOUNT}/ai-gateway/gateways/{GATEWAY_ID}/routes/{made.id}/deployments",
                        body={"version_id": versions[0].version_id, "comment": "x"}, cast_to=object)
        raw = client.get(f"/accounts/{DEFAULT_ACCOUNT}/ai-gateway/gateways/{GATEWAY_ID}/routes/{made.id}",
                         cast_to=object)
        assert not [k for k in raw["result"] if k.startswith("_")]  # the stand-in's own keys are never answered


def test_create_adopts_the_live_route_of_that_name_with_the_declared_elements(provider, standin):
    # What `aigw import` wrote from the account: a dynamic resource cannot be `pulumi import`-ed, so the first
    # `pulumi up` takes the live route instead of creating a second one of the same name.
    want = props()
    first = provider.create(want)
    again = provider.create(want)
    assert again.id == first.id
    assert list(standin.account().routes[GATEWAY_ID]) == [first.id]
    assert not provider.diff(again.id, again.outs, want).changes


def test_create_stops_on_a_live_route_of_that_name_with_other_elements(provider, standin):
    first = provider.create(props())
    other = props(with_conditional_and_rate(SPLIT))
    with pytest.raises(RuntimeError) as caught:
        provider.create(other)
    assert str(caught.value) == (
        f"creating route dynamic/support of gateway {GATEWAY_ID!r}: the gateway already has a route of that name "
        f"({first.id}) with other elements; adopt it with `aigw import --force` (the stack then declares its "
        "elements), or give the declared route another name")
    assert list(standin.account().routes[GATEWAY_ID]) == [first.id]
    other_name = provider.create(props(name="support-b"))
    assert len(standin.account().routes[GATEWAY_ID]) == 2 and other_name.id != first.id
