"""The provider config's dynamic provider (aigw/components/provider_config.py) against the API stand-in:
create, read, diff (every change replaces, the old config first), delete, with the official SDK inside it
pointed at the stand-in (CLOUDFLARE_BASE_URL). The key never reaches the provider config: it sends the
Secrets Store secret's id, and its state holds no key and no preview."""

from __future__ import annotations

import json
import pickle

import pytest
from helpers.standin import DEFAULT_ACCOUNT, WRITE_TOKEN

from aigw.components.provider_config import FIELDS, ProviderConfigProvider

SECRET_ID = "5e1c2f0a9b8d4e3f8a7b6c5d4e3f2a1b"


def props(**changes):
    out = {"accountId": DEFAULT_ACCOUNT, "gatewayId": "prod-support-bot", "providerSlug": "openai",
           "alias": "default", "defaultConfig": True, "secretId": SECRET_ID}
    out.update(changes)
    return {k: v for k, v in out.items() if v is not None}


@pytest.fixture
def provider(standin, monkeypatch):
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", standin.base_url)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", WRITE_TOKEN)
    standin.seed_gateway("prod-support-bot")
    return ProviderConfigProvider()


def test_create_read_delete(provider, standin):
    made = provider.create(props(rateLimit=100, rateLimitPeriod=60))
    stored = standin.account().provider_configs["prod-support-bot"][made.id]
    assert (stored["provider_slug"], stored["alias"], stored["secret_id"], stored["rate_limit"]) == (
        "openai", "default", SECRET_ID, 100)
    assert made.outs == props(rateLimit=100, rateLimitPeriod=60)
    assert "secretPreview" not in made.outs and "secret" not in made.outs
    read = provider.read(made.id, made.outs)
    assert (read.id, read.outs) == (made.id, made.outs)
    provider.delete(made.id, made.outs)
    assert standin.account().provider_configs["prod-support-bot"] == {}
    assert provider.read(made.id, made.outs).id is None  # gone: the engine plans a create
    provider.delete(made.id, made.outs)  # already gone: no error


def test_a_change_made_elsewhere_is_read_back(provider, standin):
    made = provider.create(props())
    standin.account().provider_configs["prod-support-bot"][made.id]["alias"] = "other"
    assert provider.read(made.id, made.outs).outs["alias"] == "other"


def test_every_change_replaces_deleting_the_old_config_first(provider):
    diff = provider.diff("id", props(), props(rateLimit=10, rateLimitPeriod=60))
    assert diff.changes and diff.replaces == ["rateLimit", "rateLimitPeriod"] and diff.delete_before_replace
    assert not provider.diff("id", props(), props()).changes


def test_check_refuses_unknown_fields_and_a_key(provider):
    failures = provider.check({}, props(secret="sk-live", alias=""))
    assert sorted(f.property for f in failures.failures) == ["alias", "secret"]
    assert "sk-live" not in json.dumps([f.reason for f in failures.failures])
    assert "secret" not in FIELDS  # the key is never a field of this resource


def test_an_api_refusal_has_the_apis_words(provider):
    # (A duplicate never reaches the API: create adopts or refuses it first, tests/live/test_provider_config_adopt.py.)
    with pytest.raises(RuntimeError, match="HTTP 400: 7001: Invalid"):
        provider.create(props(rateLimit="many"))


def test_the_serialized_provider_holds_no_token(provider):
    from pulumi.dynamic import ConfigureRequest

    provider.configure(ConfigureRequest({"cloudflare:apiToken": "token-value-123"}))
    assert b"token-value-123" not in pickle.dumps(provider)
