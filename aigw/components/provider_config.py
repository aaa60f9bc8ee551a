"""`ProviderConfig`: a gateway's BYOK provider config, as a Pulumi dynamic resource over the official SDK.

Why a dynamic resource: pulumi-cloudflare 6.23.1 has no resource for a gateway's provider configs
(`POST /accounts/{account_id}/ai-gateway/gateways/{gateway_id}/provider_configs`, API reference
"Create a new Provider Configs"; Terraform provider issue cloudflare/terraform-provider-cloudflare#7332 asks
for one). The `cloudflare` SDK has `ai_gateway.provider_configs.create` and `.list`
(cloudflare-python `resources/ai_gateway/provider_configs.py`), so the config is managed with them, the way
aigw/components/logpush_job.py manages the Logpush job.

The key is not a property here. It is a Secrets Store secret of the stack (pulumi-cloudflare
`SecretsStoreSecret`, whose `value` is a Pulumi secret), and the config points at it by `secretId`: the
state, the plan, the diff and the logs of this resource never hold the key. (The API could also take the key
itself, `secret`; that is refused: fields.PROVIDER_CONFIG_UNSUPPORTED.) The API answers with a
`secret_preview`, which is not kept either.

No update: the SDK has none, so every change replaces the config, deleting the old one first (a gateway has
one config per provider and alias).

Adopted on create: a dynamic resource cannot be adopted with `pulumi import` (pulumi/pulumi#16175: the
engine has no provider to read it with), so after `aigw import` the live config still exists when the first
`pulumi up` creates this resource. Create therefore lists the gateway's configs first: one with the declared
provider and alias that points at the declared secret (`secretId`, the imported SecretsStoreSecret's id) is
adopted (its id kept, nothing sent); one that points at another secret stops the create with what to do
(the gateway allows one config per provider and alias, and replacing a live key unasked is not this
resource's call). Delete is `DELETE .../provider_configs/{id}` through the SDK client's
own request method (the SDK 5.9.0 resource has no delete; alchemy's GatewayProvider documents the delete:
https://alchemy.run/providers/cloudflare/ai/gatewayprovider). Read lists the gateway's configs and picks
the one with this id (the API has no get).

Credentials: as the Logpush job's provider, the stack's `cloudflare:apiToken` (given in `configure`) or
`CLOUDFLARE_API_TOKEN`; `CLOUDFLARE_BASE_URL` overrides the API address. The token needs "AI Gateway Write".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
)

from aigw_policy.vocabulary import LOGPUSH_JOB_MODULE, PROVIDER_CONFIG_NAME

from .. import fields
from .sdk_provider import SdkProvider, api_error_text, required_failures
from .sdk_provider import normal_number as _normal
from .sdk_provider import unknown as _unknown

# Props (camelCase) -> API keys: the ProviderConfig field table, but the account and the gateway, which are
# the path of every call.
FIELDS: dict[str, str] = {f.prop: f.api for f in fields.PROVIDER_CONFIG if f.prop not in ("accountId", "gatewayId")}
REPLACE_ON = fields.replaced_by(fields.PROVIDER_CONFIG)
REQUIRED = ("accountId", "gatewayId", "providerSlug", "alias", "secretId")
_PATH = "/accounts/{account_id}/ai-gateway/gateways/{gateway_id}/provider_configs"


def _error_text(exc: Exception) -> str:
    return api_error_text(exc, "AI Gateway Write")


class ProviderConfigProvider(SdkProvider):
    """Create, read and delete one provider config of a gateway through the `cloudflare` SDK."""

    WHAT = "the provider config"

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = required_failures(news, REQUIRED)
        for key in ("rateLimit", "rateLimitPeriod"):
            value = news.get(key)
            if value is None or _unknown(value):
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                failures.append(CheckFailure(key, f"{key} must be a positive number, not {value!r}"))
        if news.get("defaultConfig") is not None and not isinstance(news.get("defaultConfig"), bool):
            failures.append(CheckFailure("defaultConfig", "defaultConfig must be true or false"))
        unknown_keys = sorted(set(news) - set(FIELDS) - {"accountId", "gatewayId", "__provider"})
        failures += [CheckFailure(k, f"{k} is not a provider config field") for k in unknown_keys]
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        keys = ("accountId", "gatewayId", *FIELDS)
        changed = [k for k in keys if _normal(olds.get(k)) != _normal(news.get(k))]
        # Every field replaces (no update endpoint); the old config goes first (one per provider and alias).
        return DiffResult(changes=bool(changed), replaces=[k for k in changed if k in REPLACE_ON], stables=[],
                          delete_before_replace=True)

    def create(self, props: dict[str, Any]) -> CreateResult:
        body = {api: _normal(props[key]) for key, api in FIELDS.items() if props.get(key) is not None}
        body.setdefault("default_config", False)
        client = self._client()
        what = (f"the {props.get('providerSlug')} provider config {props.get('alias')!r} of gateway "
                f"{props.get('gatewayId')!r}")
        try:
            existing = _same(client, props)
        except Exception as exc:  # noqa: BLE001
            raise RuntimeError(f"creating {what}: listing the gateway's configs: {_error_text(exc)}") from None
        if existing is not None:
            if existing.secret_id == props.get("secretId"):
                return CreateResult(str(existing.id), _outputs(props, existing))  # adopted (e.g. after aigw import)
            raise RuntimeError(f"creating {what}: the gateway already has a config for this provider and alias "
                               f"(id {existing.id}) that points at another secret ({existing.secret_id}, not "
                               f"{props.get('secretId')}); delete it in the dashboard (or import its secret) and "
                               "run `pulumi up` again")
        try:
            made = client.ai_gateway.provider_configs.create(
                props["gatewayId"], account_id=props["accountId"], **body)
        except Exception as exc:  # noqa: BLE001 (the engine shows the message)
            raise RuntimeError(f"creating the {props.get('providerSlug')} provider config {props.get('alias')!r} "
                               f"of gateway {props.get('gatewayId')!r}: {_error_text(exc)}") from None
        if made is None or not made.id:
            raise RuntimeError("creating the provider config: the API returned no id")
        return CreateResult(str(made.id), _outputs(props, made))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        import cloudflare

        try:
            found = _find(self._client(), props["accountId"], props["gatewayId"], id_)
        except cloudflare.NotFoundError:
            return ReadResult(None, {})  # the gateway is gone, and its configs with it
        except Exception as exc:  # noqa: BLE001
            raise RuntimeError(f"reading provider config {id_}: {_error_text(exc)}") from None
        if found is None:
            return ReadResult(None, {})
        return ReadResult(id_, _outputs(props, found))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        import cloudflare

        path = _PATH.format(account_id=props["accountId"], gateway_id=props["gatewayId"]) + f"/{id_}"
        try:
            self._client().delete(path, cast_to=object)
        except cloudflare.NotFoundError:
            return  # already gone
        except Exception as exc:  # noqa: BLE001
            raise RuntimeError(f"deleting provider config {id_}: {_error_text(exc)}") from None


def _same(client: Any, props: Mapping[str, Any]) -> Any:
    """The gateway's live config for the declared provider and alias (one per pair), or None."""
    for config in client.ai_gateway.provider_configs.list(props["gatewayId"], account_id=props["accountId"],
                                                          per_page=50):
        if (config.provider_slug, config.alias) == (props.get("providerSlug"), props.get("alias")):
            return config
    return None


def _find(client: Any, account_id: str, gateway_id: str, id_: str) -> Any:
    for config in client.ai_gateway.provider_configs.list(gateway_id, account_id=account_id, per_page=50):
        if config.id == id_:
            return config
    return None


def _outputs(props: Mapping[str, Any], config: Any) -> dict[str, Any]:
    """State: the declared props, with the fields as the API holds them (a refresh sees changes made
    elsewhere). `secret_preview` is never kept."""
    outs = {k: _normal(v) for k, v in props.items() if k != "__provider" and v is not None}
    for key, api in FIELDS.items():
        live = getattr(config, api, None)
        if live is not None:
            outs[key] = _normal(live)
    outs.setdefault("defaultConfig", False)
    return outs


class ProviderConfig(pulumi.dynamic.Resource, module=LOGPUSH_JOB_MODULE, name=PROVIDER_CONFIG_NAME):
    """A gateway's provider config (type `pulumi-python:dynamic/aigw:ProviderConfig`).

    ``props``: accountId, gatewayId, providerSlug, alias, defaultConfig, secretId, rateLimit,
    rateLimitPeriod (the ProviderConfig field table).
    """

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None):
        unknown = set(props) - set(FIELDS) - {"accountId", "gatewayId"}
        if unknown:
            raise ValueError(f"not provider config fields: {sorted(unknown)}")
        super().__init__(ProviderConfigProvider(), name, dict(props), opts)


TYPE = f"pulumi-python:{ProviderConfig._resource_type_name}"
