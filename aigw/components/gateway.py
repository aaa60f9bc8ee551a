"""`Gateway`: one declared AI Gateway, its `cloudflare.AiGateway`, and what clients need to use it."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_cloudflare as cloudflare

from aigw_policy.vocabulary import GATEWAY_COMPONENT, SECRET_MARK
from aigw_policy.vocabulary import edge_script_name as edge_name

from .. import fields
from ..spec import GatewaySpec, Secret, StackSpec
from ..spec.routing import SECRET_SCOPE, RouteSpec, secret_name
from .provider_config import ProviderConfig

GATEWAY_HOST = "https://gateway.ai.cloudflare.com/v1"
# Provider path segments clients append to the gateway's base URL.
PROVIDERS = ("openai", "anthropic", "workers-ai", "compat")
# Placeholder for secrets that cannot be decrypted offline (plan under mocks): the value
# only ever travels inside a Pulumi secret, and the plan prints every secret as [secret].
OFFLINE_SECRET_PLACEHOLDER = SECRET_MARK
# AiGateway outputs that echo credentials: keep them secret in state and diffs too.
SECRET_OUTPUTS = fields.credential_props()


def secret(value: Secret) -> pulumi.Input[str]:
    return pulumi.Output.secret(value.value if value.value is not None else OFFLINE_SECRET_PLACEHOLDER)


def base_url(account_id: str, gateway_id: str) -> str:
    return f"{GATEWAY_HOST}/{account_id}/{gateway_id}"


def edge_script_name(gw: GatewaySpec) -> str:
    return edge_name(gw.id)


def workers_dev_url(stack: StackSpec, script: str) -> str:
    subdomain = stack.workers_dev_subdomain or "<workers.dev subdomain of the account>"
    return f"https://{script}.{subdomain}.workers.dev"


def client_contract(stack: StackSpec, gw: GatewaySpec) -> dict[str, Any]:
    """What a client of this gateway in this environment must send.

    The gateway itself cannot drop bodies while keeping metadata: where payloads are off,
    clients must send `cf-aig-collect-log-payload: false` (AI Gateway changelog 2026-03-17, "Log AI
    Gateway request metadata without storing payloads"; AI Gateway docs, Observability > Logging).
    """
    if gw.edge is not None:
        # The edge Worker adds the Run token, the metadata and (where payloads are off) the
        # payload header itself, and strips client overrides: clients only call its URL.
        contract: dict[str, Any] = {
            "url": workers_dev_url(stack, edge_script_name(gw)),
            "via": "edge-worker",
            "headers": {},
            "paths": "/<provider>/<provider path>, e.g. /openai/chat/completions",
            "authorization": {
                "header": "the provider's own (e.g. authorization, x-api-key)",
                "value": "the caller's own provider credentials, passed through unchanged",
            },
        }
        if gw.logging.collect and not gw.logging.payloads:
            contract["enforced"] = {"cf-aig-collect-log-payload": "false"}
        return contract
    headers: dict[str, str] = {
        "cf-aig-metadata": json.dumps({"environment": stack.environment, "gateway": gw.name},
                                      separators=(",", ":")),
    }
    if gw.logging.collect and not gw.logging.payloads:
        headers["cf-aig-collect-log-payload"] = "false"
    contract: dict[str, Any] = {"url": base_url(stack.account_id, gw.id), "headers": headers}
    if gw.authentication:
        contract["authorization"] = {
            "header": "cf-aig-authorization",
            "value": "Bearer <API token with the 'AI Gateway Run' permission>",
        }
    return contract


def gateway_args(stack: StackSpec, gw: GatewaySpec) -> dict[str, Any]:
    """The AiGateway inputs for one gateway spec (python names; 0 where the API means off), one per
    row of the field table (aigw/fields.py) whose setting is given."""
    args: dict[str, Any] = {"account_id": stack.account_id}
    for row in fields.AI_GATEWAY:
        if row.spec is None:
            continue
        value = _spec_value(gw, row)
        if value is not None:
            args[fields.snake(row.prop)] = value
    return args


def _spec_value(gw: GatewaySpec, row: fields.Field) -> Any:
    """The input of ``row`` for ``gw``: None when it is not sent."""
    value: Any = gw
    for step in row.spec.split("."):
        if value is None:  # the enclosing setting is absent (rateLimit, retry)
            return None if row.when_absent is fields.UNSET else row.when_absent
        value = getattr(value, fields.snake(step))
    if value is None:
        return None
    if row.to_input is not None:
        return _TO_INPUT[row.to_input](value)
    return row.values.get(value, value) if row.values else value


def _dlp(dlp: Any) -> dict[str, Any]:
    if hasattr(dlp, "policies"):
        return {
            "enabled": dlp.enabled,
            "policies": [
                {"id": p.id, "action": p.action, "checks": list(p.check), "enabled": p.enabled,
                 "profiles": list(p.profiles)}
                for p in dlp.policies
            ],
        }
    return {"enabled": dlp.enabled, "action": dlp.action, "profiles": list(dlp.profiles)}


def _guardrails(guardrails: Any) -> dict[str, Any]:
    return {
        "prompt": {k.lower(): v for k, v in guardrails.prompt.set_categories().items()},
        "response": {k.lower(): v for k, v in guardrails.response.set_categories().items()},
    }


def _otels(otels: Any) -> list[dict[str, Any]] | None:
    return [_otel(o) for o in otels] or None


def _spend_limits(spend: Any) -> dict[str, Any]:
    return {"enabled": spend.enabled, "rules": [_spend_rule(r) for r in spend.rules]}


def _stripe(stripe: Any) -> dict[str, Any]:
    return {"authorization": secret(stripe.authorization),
            "usage_events": [{"payload": e.payload} for e in stripe.usage_events]}


def _otel(otel: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "url": otel.url,
        "headers": {k: secret(v) if isinstance(v, Secret) else v for k, v in otel.headers.items()},
        "content_type": otel.content_type,
    }
    if otel.authorization is not None:
        out["authorization"] = secret(otel.authorization)
    return out


def _spend_rule(rule: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "limit": float(rule.limit),
        "limit_type": "cost",
        "window": rule.window,
        "technique": rule.technique,
        "enabled": rule.enabled,
    }
    if rule.id is not None:
        out["id"] = rule.id
    if rule.models:
        out["model"] = {"mode": "filter", "values": list(rule.models)}
    if rule.providers:
        out["ai_gateway_provider"] = {"mode": "filter", "values": list(rule.providers)}
    if rule.metadata:
        out["metadata"] = {
            key: {"mode": "partition"} if value == "partition" else {"mode": "filter", "values": list(value)}
            for key, value in rule.metadata.items()
        }
    return out


def route_elements(route: RouteSpec) -> list[dict[str, Any]]:
    """A route's elements as AiGatewayDynamicRouting inputs (python names): the provider's `conditions` is a
    string (pulumi-cloudflare `AiGatewayDynamicRoutingElementPropertiesArgs.conditions`), so the conditions
    go as canonical JSON; a model's `provider` is the bridge's `ai_gateway_dynamic_routing_provider`."""
    out: list[dict[str, Any]] = []
    for e in route.elements:
        element: dict[str, Any] = {"id": e.id, "type": e.type,
                                   "outputs": {k: {"element_id": v} for k, v in _targets(e)}}
        if e.type == "conditional":
            element["properties"] = {"conditions": json.dumps(e.properties.conditions, sort_keys=True,
                                                              separators=(",", ":"))}
        elif e.type == "rate":
            p = e.properties
            element["properties"] = {"key": p.key, "limit": float(p.limit), "limit_type": p.limit_type,
                                     "window": float(p.window)}
        elif e.type == "model":
            p = e.properties
            element["properties"] = {"ai_gateway_dynamic_routing_provider": p.provider, "model": p.model,
                                     "retries": float(p.retries), "timeout": float(p.timeout)}
        out.append(element)
    return out


def _targets(element: Any) -> list[tuple[str, str]]:
    from ..spec.routing import targets

    return targets(element)


# The field table's transforms (Field.to_input), by name.
_TO_INPUT = {"dlp": _dlp, "guardrails": _guardrails, "otel": _otels, "spend_limits": _spend_limits,
             "stripe": _stripe}


class Gateway(pulumi.ComponentResource):
    """One AI Gateway of a stack.

    Production gateways are protected from deletion unless the spec says otherwise:
    deleting a gateway also deletes its stored logs, irreversibly.
    """

    TYPE = GATEWAY_COMPONENT

    def __init__(self, stack: StackSpec, spec: GatewaySpec, opts: pulumi.ResourceOptions | None = None,
                 store_id: pulumi.Input[str] | None = None):
        """``store_id``: the stack's Secrets Store, for a gateway with provider keys and no storeId of its own."""
        super().__init__(self.TYPE, spec.name, None, opts)
        self.spec = spec
        self.gateway_id = spec.id
        self.base_url = base_url(stack.account_id, spec.id)
        self.provider_urls = {p: f"{self.base_url}/{p}" for p in PROVIDERS}
        self.client_contract = client_contract(stack, spec)
        args = gateway_args(stack, spec)
        if spec.provider_keys and spec.store_id is None:
            if store_id is None:
                raise ValueError(f"gateway {spec.name!r} has provider keys: it needs the stack's Secrets Store")
            args["store_id"] = store_id
        self.resource = cloudflare.AiGateway(
            spec.name,
            **args,
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=bool(spec.protect),
                additional_secret_outputs=SECRET_OUTPUTS,
            ),
        )
        self.secrets, self.provider_configs = self._provider_keys(stack, spec, args.get("store_id"))
        self.routes = {name: self._route(stack, spec, name, route) for name, route in spec.routes.items()}
        # No register_outputs(): the component has no outputs of its own (exports carry
        # them), and the extra RPC per gateway costs ~1 s per 1,000 gateways in the plan.

    def _provider_keys(self, stack: StackSpec, spec: GatewaySpec, store_id: Any) -> tuple[list[Any], list[Any]]:
        """Per key: a Secrets Store secret holding it (scope ai_gateway, named as Cloudflare looks it up) and
        the provider config that points at the secret by id (the key itself never reaches the config)."""
        secrets, configs = [], []
        for key in spec.provider_keys:
            name = f"{spec.name}-{key.provider}-{key.alias}"
            stored = cloudflare.SecretsStoreSecret(
                name,
                **fields.inputs(fields.SECRETS_STORE_SECRET, account_id=stack.account_id, store_id=store_id,
                                name=secret_name(spec.id, key.provider, key.alias), scopes=[SECRET_SCOPE],
                                value=secret(key.key),
                                comment=f"aigw: {key.provider} key {key.alias!r} of gateway {spec.id}"),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.resource]),
            )
            props: dict[str, Any] = {"accountId": stack.account_id, "gatewayId": spec.id,
                                     "providerSlug": key.provider, "alias": key.alias,
                                     "defaultConfig": key.default_config, "secretId": stored.id}
            if key.rate_limit is not None:
                props["rateLimit"] = key.rate_limit.limit
                props["rateLimitPeriod"] = key.rate_limit.period
            configs.append(ProviderConfig(name, props, pulumi.ResourceOptions(parent=self,
                                                                              depends_on=[self.resource])))
            secrets.append(stored)
        return secrets, configs

    def _route(self, stack: StackSpec, spec: GatewaySpec, name: str, route: RouteSpec) -> Any:
        from .route import DynamicRoute, has_split, plan_elements

        opts = pulumi.ResourceOptions(parent=self, depends_on=[self.resource, *self.provider_configs])
        if has_split(route):
            # A percentage split: pulumi-cloudflare 6.23.1 would drop its named outputs ("70%"), so the route
            # is a dynamic resource over the SDK with AiGatewayDynamicRouting's props (aigw/components/route.py).
            props = {"accountId": stack.account_id, "gatewayId": spec.id, "name": name,
                     "elements": plan_elements(route)}
            return DynamicRoute(f"{spec.name}-{name}", props, opts)
        return cloudflare.AiGatewayDynamicRouting(
            f"{spec.name}-{name}",
            **fields.inputs(fields.AI_GATEWAY_DYNAMIC_ROUTING, account_id=stack.account_id, gateway_id=spec.id,
                            name=name, elements=route_elements(route)),
            opts=opts,
        )

    def exports(self) -> dict[str, Any]:
        return {
            "id": self.gateway_id,
            "baseUrl": self.base_url,
            "providerUrls": self.provider_urls,
            "clientContract": self.client_contract,
        }
