"""A live gateway's provider configs (BYOK) and dynamic routes: read, put in one shape, compared, imported.

Read per gateway with two list calls (aigw/live/client.py `provider_configs`, `routes`), so they are read only
for the gateways a command compares or imports, at most DETAIL_GATEWAYS of them (gateways that declare keys or
routes first); the rest are named in one `skipped` line. The command's request cap grows by two per gateway read.

Both sides of a comparison are put in one shape first (:func:`canonical_route`): the plan's props
(pulumi-cloudflare's AiGatewayDynamicRouting inputs: `aiGatewayDynamicRoutingProvider`, a conditional's
`conditions` as JSON text, numbers as floats) and the API's JSON (`provider`, `conditions` an object:
cloudflare-python `types/ai_gateway/dynamic_routing_list_response.py`) become
`{id, type, outputs: {name: element id}, properties}` with integral numbers as ints, elements by id (their
order is not a setting). A provider config is compared on provider_slug, alias, default_config, rate_limit
and rate_limit_period; never on its secret (the offline plan knows the Secrets Store secret's id only as a
placeholder) and never on `secret_preview`, which no command prints or writes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Gateways whose provider configs and routes one command reads: 2 requests each, so at most 200 more than
# the command's listing cap (client.MAX_REQUESTS): with it, 1/4 of the token's 1,200 requests per 5 minutes.
DETAIL_GATEWAYS = 100
REQUESTS_PER_GATEWAY = 2
_PROVIDER_KEYS = {"aiGatewayDynamicRoutingProvider": "provider", "ai_gateway_dynamic_routing_provider": "provider",
                  "limit_type": "limitType"}


@dataclass
class GatewayDetails:
    """One live gateway's provider configs and routes, as the API returned them."""

    configs: list[dict[str, Any]] = field(default_factory=list)
    routes: list[dict[str, Any]] = field(default_factory=list)


def read_details(client: Any, account_id: str, gateway_ids: Iterable[str], first: Iterable[str] = ()
                 ) -> tuple[dict[str, GatewayDetails], str | None]:
    """gateway id -> its provider configs and routes, and the one line saying what was not read (or None).

    ``first``: ids read before the others (those that declare keys or routes). Past DETAIL_GATEWAYS gateways
    the rest are not read; a token without the permission (HTTP 403) stops the reading, and the line says
    so: the gateway checks still run. Any other API failure is raised (exit 3)."""
    from .client import PermissionMissing

    wanted = list(dict.fromkeys(gateway_ids))
    front = [g for g in dict.fromkeys(first) if g in wanted]
    order = front + [g for g in wanted if g not in front]
    chosen, rest = order[:DETAIL_GATEWAYS], order[DETAIL_GATEWAYS:]
    client.max_requests += REQUESTS_PER_GATEWAY * len(chosen)
    out: dict[str, GatewayDetails] = {}
    try:
        for gid in chosen:
            out[gid] = GatewayDetails(client.provider_configs(account_id, gid), client.routes(account_id, gid))
    except PermissionMissing as exc:
        return out, (f"provider key and route check skipped for {len(chosen) - len(out)} gateway(s): the token "
                     f"lacks the permission group '{exc.group}' (HTTP 403 on {exc.call}); add it to check them")
    if rest:
        return out, (f"provider keys and routes not compared for {len(rest)} gateway(s) ({', '.join(rest[:3])}"
                     f"{', ...' if len(rest) > 3 else ''}): at most {DETAIL_GATEWAYS} gateways are read per command "
                     f"({REQUESTS_PER_GATEWAY} requests each)")
    return out, None


# --------------------------------------------------------------------------- one shape for both sides


def number(value: Any) -> Any:
    """Integral floats as ints, recursively (the API and the plan write 1 and 1.0 alike)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): number(v) for k, v in value.items()}
    if isinstance(value, list):
        return [number(v) for v in value]
    return value


def _target(value: Any) -> Any:
    if isinstance(value, Mapping):
        return value.get("elementId", value.get("element_id"))
    return value


def canonical_element(element: Any) -> Any:
    if not isinstance(element, Mapping):
        return element
    out: dict[str, Any] = {"id": element.get("id"), "type": element.get("type"),
                           "outputs": {str(k).lower() if isinstance(k, bool) else str(k): _target(v)
                                       for k, v in (element.get("outputs") or {}).items()}}
    props = element.get("properties")
    if isinstance(props, Mapping):
        p: dict[str, Any] = {}
        for key, value in props.items():
            key = _PROVIDER_KEYS.get(key, key)
            if key == "conditions" and isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
            if value is not None:
                p[key] = number(value)
        if p or element.get("type") not in ("start", "end", "percentage"):
            out["properties"] = p
    return out


def canonical_route(elements: Any) -> dict[str, Any]:
    """A route's elements by id, each in the shape above (plan props and API JSON alike)."""
    return {str(e.get("id")) if isinstance(e, Mapping) else repr(e): canonical_element(e) for e in elements or []}


def config_fields(config: Mapping[str, Any]) -> dict[str, Any]:
    """A provider config's compared fields (plan props or API JSON) as plan props: default_config false when
    absent; a rate limit of 0 or none is none (ASSUMED: 0 means no limit, as the gateway's own 0 does)."""
    def get(prop: str, api: str) -> Any:
        return config.get(prop, config.get(api))

    rate, period = number(get("rateLimit", "rate_limit")), number(get("rateLimitPeriod", "rate_limit_period"))
    return {"defaultConfig": bool(get("defaultConfig", "default_config")),
            "rateLimit": rate or None, "rateLimitPeriod": (period or None) if rate else None}


def config_key(config: Mapping[str, Any]) -> tuple[str, str]:
    """(provider slug, alias) of a provider config (plan props or API JSON): one config per pair."""
    return (str(config.get("providerSlug", config.get("provider_slug"))), str(config.get("alias")))


def in_plan_shape(route: Mapping[str, Any]) -> dict[str, Any]:
    """A live route as the words of aigw/wording.py `route` read it (they read both spellings)."""
    return {"name": route.get("name"), "elements": list(route.get("elements") or [])}


# --------------------------------------------------------------------------- import: API -> stack file


def provider_keys_config(configs: Sequence[Mapping[str, Any]], placeholder: Mapping[str, str]
                         ) -> tuple[list[dict[str, Any]], list[str]]:
    """The live configs as `providerKeys:` entries (the key a `secure:` placeholder; never the secret's id or
    preview) and one note per config the spec would refuse, which is left out (named, with why)."""
    from pydantic import ValidationError

    from ..spec.routing import ProviderKeySpec, check_provider_keys
    from ..spec.secrets import Secret

    out: list[dict[str, Any]] = []
    specs: list[Any] = []
    notes: list[str] = []
    for config in sorted(configs, key=lambda c: config_key(c)):
        provider, alias = config_key(config)
        fields_ = config_fields(config)
        entry: dict[str, Any] = {"provider": provider, "alias": alias, "key": dict(placeholder),
                                 "default": fields_["defaultConfig"]}
        what = f"provider key {provider} alias {alias!r}"
        if fields_["rateLimit"] is not None:
            if fields_["rateLimitPeriod"] is None:
                notes.append(f"{what}: left out: it has a rate limit ({fields_['rateLimit']}) without a period, which "
                             "providerKeys cannot declare (rateLimit needs limit and period)")
                continue
            entry["rateLimit"] = {"limit": fields_["rateLimit"], "period": fields_["rateLimitPeriod"]}
        try:
            spec = ProviderKeySpec.model_validate({**entry, "key": Secret(None)})
            check_provider_keys([*specs, spec])
        except ValidationError as exc:
            notes.append(f"{what}: left out: the stack file could not declare it ({_first_error(exc)})")
            continue
        specs.append(spec)
        out.append(entry)
    return out, notes


def routes_config(routes: Sequence[Mapping[str, Any]]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The live routes as `routes:` (name -> {elements}) in the spec's shape (the inverse of
    aigw/components/gateway.py `route_elements`), and one note per route the spec refuses, which is left out
    (a property or type the spec does not know, a name it does not allow): writing it would make the stack
    file fail to plan."""
    from pydantic import ValidationError

    from ..spec.routing import RouteSpec, check_routes

    out: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    for route in sorted(routes, key=lambda r: str(r.get("name"))):
        name = route.get("name")
        elements = [_spec_element(e) for e in route.get("elements") or []]
        try:
            check_routes({name: None})  # type: ignore[dict-item]
            RouteSpec.model_validate({"elements": elements})
        except ValidationError as exc:
            notes.append(f"route {name!r} (dynamic/{name}): left out: the stack file cannot declare it "
                         f"({_first_error(exc)}); it stays in the account, unmanaged (aigw drift reports it)")
            continue
        if name in out:
            notes.append(f"route {name!r}: left out: a second live route of that name")
            continue
        out[str(name)] = {"elements": elements}
    return out, notes


def _spec_element(element: Any) -> Any:
    """One API element as the stack file writes it: the API's own JSON (type, id, properties, outputs with
    elementId), integral numbers as ints (the spec's retries, timeout and window are integers)."""
    if not isinstance(element, Mapping):
        return element
    out: dict[str, Any] = {"id": element.get("id"), "type": element.get("type")}
    props = element.get("properties")
    if isinstance(props, Mapping):
        p = {}
        for key, value in props.items():
            if key == "conditions" and isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
            p[_PROVIDER_KEYS.get(key, key)] = number(value)
        out["properties"] = p
    outputs = element.get("outputs")
    out["outputs"] = ({str(k): {"elementId": _target(v)} for k, v in outputs.items()}
                      if isinstance(outputs, Mapping) else outputs)
    return out


def _first_error(exc: Any) -> str:
    errors = exc.errors()
    if not errors:
        return str(exc)
    e = errors[0]
    where = ".".join(str(p) for p in e.get("loc", ()))
    more = f"; {len(errors) - 1} more" if len(errors) > 1 else ""
    return f"{where + ': ' if where else ''}{e.get('msg')}{more}"
