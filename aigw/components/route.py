"""`DynamicRoute`: a gateway's dynamic route with a percentage split, as a Pulumi dynamic resource over the SDK.

Why a dynamic resource: a percentage element's outputs are named by their share ("70%", "30%"), and
pulumi-cloudflare 6.23.1's `AiGatewayDynamicRoutingElementOutputsArgs` (`pulumi_cloudflare/_inputs.py`) has only
the fixed outputs element_id, next, true, false, success and fallback: the split would be dropped on the way and
drift. The official `cloudflare` SDK sends them (cloudflare-python `types/ai_gateway/dynamic_routing_create_params.py`:
`ElementUnionMember2.outputs: Dict[str, ElementUnionMember2Outputs]`), so a route with at least one percentage
element is managed with `client.ai_gateway.dynamic_routing` (cloudflare-python
`resources/ai_gateway/dynamic_routing.py`), the way aigw/components/provider_config.py manages a provider
config. A route without a split stays a `cloudflare.AiGatewayDynamicRouting` (aigw/components/gateway.py).

Props have AiGatewayDynamicRouting's shape, as the engine and `aigw plan --format json` show that resource:
`accountId`, `gatewayId`, `name`, `elements` with the same camelCase keys (`outputs.<name>.elementId`, a
model's `properties.aiGatewayDynamicRoutingProvider`, a rate's `limitType`, a conditional's `conditions` as a
canonical JSON string); only a percentage element's outputs differ, keyed by share. So the plan, `aigw diff`,
`aigw compare` and the rules read both types alike (aigw_policy.vocabulary.ROUTE_TYPES).

The calls (the SDK's docstrings say what each does):
- create: `POST .../gateways/{gateway_id}/routes` with name and elements ("Creates a dynamic route ... from the
  specified routing elements"). The answer has a `version` and a `deployment`: ASSUMED (from that answer's
  shape, not documented in words) that the first version serves traffic at once.
- read: `GET .../routes/{id}` ("Retrieves a dynamic route with its routing elements, active version, and current
  deployment"). ASSUMED: its `elements` are the deployed version's.
- a new name: `PATCH .../routes/{id}` with the name only ("Updates the name of a dynamic route. To change routing
  behaviour, create and deploy a new version"), in place.
- new elements: `POST .../routes/{id}/versions` ("The version does not serve traffic until you deploy it"), then
  `POST .../routes/{id}/deployments` with its `version_id` ("Deploys the specified version ... so that it
  serves traffic"). The create-version answer (SDK `DynamicRoutingCreateVersionResponse`: id, created_at,
  elements, gateway_id, modified_at, name) has no version id, so the new version is the one
  `GET .../routes/{id}/versions` lists after the call and not before. ASSUMED: that list's first page holds
  the newest version; if no single new version shows, the update fails and says so (nothing is deployed).
- delete: `DELETE .../routes/{id}`.
- a new gateway or account replaces the route (they are the path of every call).

Credentials: as the other dynamic providers (aigw/components/sdk_provider.py), the stack's
`cloudflare:apiToken` or `CLOUDFLARE_API_TOKEN`; `CLOUDFLARE_BASE_URL` overrides the API address. The token needs
"AI Gateway Write" (API reference, AI Gateway > Dynamic Routing, every write method).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from aigw_policy.vocabulary import DYNAMIC_ROUTE_NAME, LOGPUSH_JOB_MODULE

from .. import fields
from .sdk_provider import SdkProvider, api_error_text, required_failures
from .sdk_provider import normal_number as _normal
from .sdk_provider import unknown as _unknown

# Props (camelCase) -> API keys: the DynamicRoute field table.
FIELDS: dict[str, str] = {f.prop: f.api for f in fields.DYNAMIC_ROUTE}
REPLACE_ON = fields.replaced_by(fields.DYNAMIC_ROUTE)
REQUIRED = ("accountId", "gatewayId", "name")
# A model's provider: pulumi-cloudflare's name for it (the bridge renames `provider`, a reserved word there);
# kept in these props so that they read as AiGatewayDynamicRouting's do.
PROVIDER_PROP = "aiGatewayDynamicRoutingProvider"


def _error_text(exc: Exception) -> str:
    return api_error_text(exc, "AI Gateway Write")


# --------------------------------------------------------------------------- the element shapes


def plan_elements(route: Any) -> list[dict[str, Any]]:
    """A route's elements (aigw.spec.routing.RouteSpec) as props: AiGatewayDynamicRouting's camelCase shape
    (aigw/components/gateway.py `route_elements`, as the engine names those inputs), percentage outputs by
    share."""
    from ..spec.routing import targets

    out: list[dict[str, Any]] = []
    for e in route.elements:
        element: dict[str, Any] = {"id": e.id, "type": e.type,
                                   "outputs": {name: {"elementId": target} for name, target in targets(e)}}
        p = getattr(e, "properties", None)
        if e.type == "conditional":
            element["properties"] = {"conditions": _canonical(p.conditions)}
        elif e.type == "rate":
            element["properties"] = {"key": p.key, "limit": _normal(p.limit), "limitType": p.limit_type,
                                     "window": _normal(p.window)}
        elif e.type == "model":
            element["properties"] = {PROVIDER_PROP: p.provider, "model": p.model, "retries": _normal(p.retries),
                                     "timeout": _normal(p.timeout)}
        out.append(element)
    return out


def api_elements(elements: Any) -> list[dict[str, Any]]:
    """Props elements -> the API's JSON (cloudflare-python `dynamic_routing_create_params.Element`, by its wire
    names: `elementId`, `limitType`, a model's `provider`, `conditions` an object)."""
    out: list[dict[str, Any]] = []
    for e in elements or []:
        element: dict[str, Any] = {"id": e.get("id"), "type": e.get("type"),
                                   "outputs": {name: {"elementId": (target or {}).get("elementId")}
                                               for name, target in (e.get("outputs") or {}).items()}}
        props = e.get("properties")
        if isinstance(props, Mapping):
            body = {k: _normal(v) for k, v in props.items() if v is not None}
            if PROVIDER_PROP in body:
                body["provider"] = body.pop(PROVIDER_PROP)
            if isinstance(body.get("conditions"), str):
                body["conditions"] = json.loads(body["conditions"])
            element["properties"] = body
        out.append(element)
    return out


def _live_elements(elements: Any) -> list[dict[str, Any]]:
    """The API's elements (SDK models or dicts) -> props elements: the inverse of api_elements."""
    out: list[dict[str, Any]] = []
    for e in elements or []:
        raw = e.model_dump(by_alias=True, exclude_none=True) if hasattr(e, "model_dump") else dict(e)
        element: dict[str, Any] = {"id": raw.get("id"), "type": raw.get("type"),
                                   "outputs": {name: {"elementId": (target or {}).get("elementId")}
                                               for name, target in (raw.get("outputs") or {}).items()}}
        props = raw.get("properties")
        if isinstance(props, Mapping) and (props or raw.get("type") == "conditional"):
            body = {k: _normal(v) for k, v in props.items() if v is not None}
            if "provider" in body:
                body[PROVIDER_PROP] = body.pop("provider")
            if "conditions" in body and not isinstance(body["conditions"], str):
                body["conditions"] = _canonical(body["conditions"])
            element["properties"] = body
        out.append(element)
    return out


# Pages of the route list read to find a declared route's name (a gateway with more routes than this is not
# expected: the API's per-gateway route limit is not documented).
MAX_PAGES = 20


def _canonical(value: Any) -> str:
    # As aigw/components/gateway.py sends a conditional's conditions to pulumi-cloudflare (a string there).
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _same(a: Any, b: Any) -> bool:
    return json.dumps(_normal_tree(a), sort_keys=True) == json.dumps(_normal_tree(b), sort_keys=True)


def _normal_tree(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _normal_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normal_tree(v) for v in value]
    return _normal(value)


# --------------------------------------------------------------------------- the provider


class DynamicRouteProvider(SdkProvider):
    """Create, read, rename, redeploy and delete one dynamic route of a gateway through the `cloudflare` SDK."""

    WHAT = "the dynamic route"

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = required_failures(news, REQUIRED)
        elements = news.get("elements")
        if not _unknown(elements):
            problem = _elements_problem(elements)
            if problem:
                failures.append(CheckFailure("elements", problem))
        unknown_keys = sorted(set(news) - set(FIELDS) - {"__provider"})
        failures += [CheckFailure(k, f"{k} is not a dynamic route field") for k in unknown_keys]
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [k for k in FIELDS if not _same(olds.get(k), news.get(k))]
        return DiffResult(changes=bool(changed), replaces=[k for k in changed if k in REPLACE_ON], stables=[],
                          delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        # A dynamic resource cannot be `pulumi import`-ed (pulumi/pulumi#16175): a route `aigw import` wrote from
        # the account is adopted here instead, when the live route of that name has the declared elements.
        # One with other elements stops the create (a second route of one name is not what anyone declared).
        live = self._live_named(props)
        if live is not None:
            if _same(_live_elements(live.elements), props.get("elements")):
                return CreateResult(str(live.id), _outputs(props, live))
            raise RuntimeError(
                f"creating route dynamic/{props.get('name')} of gateway {props.get('gatewayId')!r}: the gateway "
                f"already has a route of that name ({live.id}) with other elements; adopt it with `aigw "
                "import --force` (the stack then declares its elements), or give the declared route another name")
        try:
            made = self._client().ai_gateway.dynamic_routing.create(
                props["gatewayId"], account_id=props["accountId"], name=props["name"],
                elements=api_elements(props.get("elements")))
        except Exception as exc:  # noqa: BLE001 (the engine shows the message)
            raise RuntimeError(f"creating route dynamic/{props.get('name')} of gateway {props.get('gatewayId')!r}: "
                               f"{_error_text(exc)}") from None
        if made is None or not made.id:
            raise RuntimeError(f"creating route dynamic/{props.get('name')}: the API returned no id")
        return CreateResult(str(made.id), _outputs(props, made))

    def _live_named(self, props: dict[str, Any]) -> Any:
        """The gateway's live route named as declared (the SDK's DataRoute), or None. The list answers `{data: {routes,
        per_page, ...}}` (cloudflare-python `types/ai_gateway/dynamic_routing_list_response.py`); pages are read
        until one holds fewer routes than its per_page (at most MAX_PAGES)."""
        client = self._client()
        for page in range(1, MAX_PAGES + 1):
            try:
                answer = client.ai_gateway.dynamic_routing.list(props["gatewayId"], account_id=props["accountId"],
                                                                page=page)
            except Exception as exc:  # noqa: BLE001 (the engine shows the message)
                raise RuntimeError(f"listing the routes of gateway {props.get('gatewayId')!r}: "
                                   f"{_error_text(exc)}") from None
            data = getattr(answer, "data", None)
            routes = list(getattr(data, "routes", None) or [])
            for route in routes:
                if route.name == props.get("name"):
                    return route
            if not routes or len(routes) < int(getattr(data, "per_page", 0) or 0):
                return None
        return None

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        import cloudflare

        try:
            route = self._client().ai_gateway.dynamic_routing.get(
                id_, account_id=props["accountId"], gateway_id=props["gatewayId"])
        except cloudflare.NotFoundError:
            return ReadResult(None, {})  # gone (or its gateway is): the engine plans a create
        except Exception as exc:  # noqa: BLE001
            raise RuntimeError(f"reading route {id_}: {_error_text(exc)}") from None
        if route is None:
            return ReadResult(None, {})
        return ReadResult(id_, _outputs(props, route))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        client = self._client()
        where = {"account_id": news["accountId"], "gateway_id": news["gatewayId"]}
        what = f"route dynamic/{news.get('name')} ({id_}) of gateway {news.get('gatewayId')!r}"
        try:
            if not _same(olds.get("elements"), news.get("elements")):
                version = self._new_version(client, id_, where, api_elements(news.get("elements")), what)
                client.ai_gateway.dynamic_routing.create_deployment(id_, version_id=version, **where)
            if olds.get("name") != news.get("name"):
                client.ai_gateway.dynamic_routing.update(id_, name=news["name"], **where)
            route = client.ai_gateway.dynamic_routing.get(id_, **where)
        except RuntimeError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise RuntimeError(f"updating {what}: {_error_text(exc)}") from None
        return UpdateResult(_outputs(news, route))

    @staticmethod
    def _new_version(client: Any, id_: str, where: Mapping[str, str], elements: list[dict[str, Any]],
                     what: str) -> str:
        """Create a version of the route with these elements; its id (see the module docstring: ASSUMED)."""
        routing = client.ai_gateway.dynamic_routing
        before = {v.version_id for v in routing.list_versions(id_, **where).data.versions}
        routing.create_version(id_, elements=elements, **where)
        new = [v.version_id for v in routing.list_versions(id_, **where).data.versions if v.version_id not in before]
        if len(new) != 1:
            raise RuntimeError(f"updating {what}: a new version was created but the API lists "
                               f"{len(new)} new versions, so aigw cannot tell which one to deploy; nothing was "
                               "deployed. Deploy the newest version in the dashboard, then run pulumi refresh")
        return new[0]

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        import cloudflare

        try:
            self._client().ai_gateway.dynamic_routing.delete(
                id_, account_id=props["accountId"], gateway_id=props["gatewayId"])
        except cloudflare.NotFoundError:
            return  # already gone
        except Exception as exc:  # noqa: BLE001
            raise RuntimeError(f"deleting route {id_}: {_error_text(exc)}") from None


def _elements_problem(elements: Any) -> str | None:
    """The element graph checked again before any call (the spec's checks, aigw/spec/routing.py)."""
    from pydantic import ValidationError

    from ..spec.routing import RouteSpec

    if not isinstance(elements, list) or not all(isinstance(e, Mapping) for e in elements):
        return "elements must be a list of elements"
    try:
        RouteSpec.model_validate({"elements": api_elements(elements)})
    except (ValidationError, ValueError, TypeError) as exc:
        errors = exc.errors() if isinstance(exc, ValidationError) else [{"loc": (), "msg": str(exc)}]
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:5])
    return None


def _outputs(props: Mapping[str, Any], route: Any) -> dict[str, Any]:
    """State: the declared props, with the name and elements as the API holds them (a refresh sees a change
    made elsewhere)."""
    outs = {k: v for k, v in props.items() if k != "__provider" and v is not None}
    name = getattr(route, "name", None)
    if name:
        outs["name"] = name
    elements = getattr(route, "elements", None)
    if elements is not None:
        outs["elements"] = _live_elements(elements)
    return outs


class DynamicRoute(pulumi.dynamic.Resource, module=LOGPUSH_JOB_MODULE, name=DYNAMIC_ROUTE_NAME):
    """A gateway's route with a percentage split (type `pulumi-python:dynamic/aigw:DynamicRoute`).

    ``props``: accountId, gatewayId, name, elements (the DynamicRoute field table; elements as
    :func:`plan_elements` writes them).
    """

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None):
        unknown = set(props) - set(FIELDS)
        if unknown:
            raise ValueError(f"not dynamic route fields: {sorted(unknown)}")
        super().__init__(DynamicRouteProvider(), name, dict(props), opts)


TYPE = f"pulumi-python:{DynamicRoute._resource_type_name}"


def has_split(route: Any) -> bool:
    """True when a route has a percentage element: it is a DynamicRoute, not an AiGatewayDynamicRouting."""
    return any(e.type == "percentage" for e in route.elements)
