"""The stand-in's dynamic routes and provider configs, through the official SDK (its models parse every
answer): a route declared in the spec goes and comes back unchanged (nothing for drift), and the stand-in
drops and rejects what the live API drops and rejects (cloudflare-docs PR #30453), which the spec refuses."""

from __future__ import annotations

import cloudflare
import pytest
from helpers.standin import DEFAULT_ACCOUNT, READ_TOKEN, SUPPORT_ROUTE, WRITE_TOKEN

from aigw.spec.routing import RouteSpec

ROUTE = {"elements": SUPPORT_ROUTE}


@pytest.fixture
def sdk(standin):
    standin.seed_gateway("prod-support-bot")
    with cloudflare.Cloudflare(api_token=WRITE_TOKEN, base_url=standin.base_url, max_retries=0) as client:
        yield client


def api_elements() -> list[dict]:
    """The spec's elements in the API's JSON (camelCase keys as the API writes them)."""
    route = RouteSpec.model_validate(ROUTE)
    return [e.model_dump(by_alias=True, exclude_none=True) for e in route.elements]


def test_a_spec_route_comes_back_as_sent(sdk, standin):
    made = sdk.ai_gateway.dynamic_routing.create("prod-support-bot", account_id=DEFAULT_ACCOUNT, name="support",
                                                 elements=api_elements())
    got = sdk.ai_gateway.dynamic_routing.get(made.id, account_id=DEFAULT_ACCOUNT, gateway_id="prod-support-bot")
    assert got.name == "support" and got.version.active == "true"
    assert [e.model_dump(by_alias=True, exclude_none=True) for e in got.elements] == api_elements() == ROUTE[
        "elements"]
    renamed = sdk.ai_gateway.dynamic_routing.update(made.id, account_id=DEFAULT_ACCOUNT,
                                                    gateway_id="prod-support-bot", name="support-v2")
    assert renamed.route.name == "support-v2" and renamed.success
    assert standin.account().routes["prod-support-bot"][made.id]["name"] == "support-v2"
    sdk.ai_gateway.dynamic_routing.delete(made.id, account_id=DEFAULT_ACCOUNT, gateway_id="prod-support-bot")
    assert standin.account().routes["prod-support-bot"] == {}


def test_what_the_api_drops_and_rejects(sdk, standin):
    elements = api_elements()
    elements[1]["properties"] = {"condition": {"metadata.plan": {"$eq": "paid"}}}  # dropped, no error
    made = sdk.ai_gateway.dynamic_routing.create("prod-support-bot", account_id=DEFAULT_ACCOUNT, name="r",
                                                 elements=elements)
    assert standin.account().routes["prod-support-bot"][made.id]["elements"][1]["properties"] == {}
    for broken, path in (({"id": "end", "type": "end"}, "outputs"),
                         ({"id": "rl", "type": "rate_limit", "outputs": {}}, "type")):
        with pytest.raises(cloudflare.BadRequestError) as info:
            sdk.ai_gateway.dynamic_routing.create("prod-support-bot", account_id=DEFAULT_ACCOUNT, name="bad",
                                                  elements=[*api_elements()[:-1], broken])
        assert info.value.body["errors"][0]["path"][-1] == path


def test_reading_needs_ai_gateway_read_and_writing_write(standin):
    standin.seed_gateway("prod-support-bot")
    with cloudflare.Cloudflare(api_token=READ_TOKEN, base_url=standin.base_url, max_retries=0) as client:
        assert list(client.ai_gateway.provider_configs.list("prod-support-bot", account_id=DEFAULT_ACCOUNT)) == []
        with pytest.raises(cloudflare.PermissionDeniedError):
            client.ai_gateway.provider_configs.create("prod-support-bot", account_id=DEFAULT_ACCOUNT, alias="a",
                                                      default_config=True, provider_slug="openai", secret_id="x")
