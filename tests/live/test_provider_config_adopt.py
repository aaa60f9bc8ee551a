"""The provider config's create adopts the live config `aigw import` left in place (a dynamic resource cannot be
`pulumi import`ed: pulumi/pulumi#16175), against the API stand-in: same provider, alias and secret is adopted
with nothing sent; the same provider and alias pointing at another secret stops with what to do; none creates."""

from __future__ import annotations

import pytest
from helpers.standin import DEFAULT_ACCOUNT, WRITE_TOKEN

from aigw.components.provider_config import ProviderConfigProvider

GW = "prod-support-bot"
SECRET_ID = "5e1c2f0a9b8d4e3f8a7b6c5d4e3f2a1b"


def props(**changes):
    return {"accountId": DEFAULT_ACCOUNT, "gatewayId": GW, "providerSlug": "openai", "alias": "default",
            "defaultConfig": True, "secretId": SECRET_ID, **changes}


@pytest.fixture
def provider(standin, monkeypatch):
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", standin.base_url)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", WRITE_TOKEN)
    standin.seed_gateway(GW)
    return ProviderConfigProvider()


def test_a_live_config_with_the_declared_secret_is_adopted(provider, standin):
    live = standin.seed_provider_config(GW, provider_slug="openai", alias="default", default_config=True,
                                        secret_id=SECRET_ID, rate_limit=100, rate_limit_period=60)
    standin.clear_requests()
    made = provider.create(props())
    assert made.id == live["id"]
    assert list(standin.account().provider_configs[GW]) == [live["id"]]  # no second config
    assert [r.method for r in standin.requests] == ["GET"]  # one list, nothing created
    # The state holds the live fields (a refresh or the next diff sees the rate limit), never the preview.
    assert made.outs == {**props(), "rateLimit": 100, "rateLimitPeriod": 60}
    assert live["secret_preview"] not in str(made.outs)


def test_a_live_config_with_another_secret_stops_the_create(provider, standin):
    live = standin.seed_provider_config(GW, provider_slug="openai", alias="default", default_config=True,
                                        secret_id="f" * 32)
    with pytest.raises(RuntimeError, match=r"already has a config for this provider and alias .* points at another "
                                           r"secret .*delete it in the dashboard"):
        provider.create(props())
    assert list(standin.account().provider_configs[GW]) == [live["id"]]


def test_another_alias_is_not_adopted_a_new_config_is_created(provider, standin):
    other = standin.seed_provider_config(GW, provider_slug="openai", alias="team", default_config=False,
                                         secret_id=SECRET_ID)
    made = provider.create(props())
    assert made.id != other["id"] and set(standin.account().provider_configs[GW]) == {other["id"], made.id}
