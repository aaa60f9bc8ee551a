"""Provider keys (BYOK) and dynamic routes of a gateway: ``providerKeys:`` and ``routes:``.

Provider keys. Cloudflare keeps BYOK keys in Secrets Store: the gateway names its store (`store_id`), and each
key is a secret of that store "scoped to ai_gateway" whose name is ``{gatewayId}_{providerSlug}_{alias}``
(AI Gateway docs, "BYOK (Store Keys)": https://developers.cloudflare.com/ai-gateway/configuration/bring-your-own-keys/;
Secrets Store docs, "AI Gateway integration": https://developers.cloudflare.com/secrets-store/integrations/ai-gateway/;
the naming contract as alchemy documents it: https://alchemy.run/providers/cloudflare/ai/providerkey). The
gateway's provider config ties the provider slug and alias to that secret (cloudflare-python
`types/ai_gateway/provider_config_create_params.py`: `provider_slug`, `alias`, `default_config`, `secret_id`,
`rate_limit`, `rate_limit_period`). The key itself is a ``secure:`` value: it goes to the Secrets Store secret
(a Pulumi secret), never to the provider config, whose create takes the secret's id instead.

Routes. A route is the API's element graph (cloudflare-python `types/ai_gateway/dynamic_routing_create_params.py`;
AI Gateway docs, "Dynamic routing > JSON Configuration":
https://developers.cloudflare.com/ai-gateway/features/dynamic-routing/json-configuration/). The elements are
written as that JSON (``type``, ``id``, ``properties``, ``outputs`` with ``elementId``), and refused where the
API would drop or reject them, as measured in cloudflare-docs PR #30453
(https://github.com/cloudflare/cloudflare-docs/pull/30453): a conditional's ``condition`` is dropped (only
``conditions`` is known), a percentage's ``else`` output is rejected and its outputs must total 100%, a rate
element's type is ``rate`` with ``window`` (``rate_limit``, ``interval`` rejected, ``technique`` dropped), an
end element needs ``outputs`` (``{}``). The graph is checked before any call: exactly one start, unique ids,
every output names an element, every element is reachable from the start, no cycle, every path reaches a
model before its end.

A route with a percentage split is deployed by aigw/components/route.py (a Pulumi dynamic resource over the
`cloudflare` SDK, whose percentage element takes named outputs: cloudflare-python
`types/ai_gateway/dynamic_routing_create_params.py` `ElementUnionMember2.outputs: Dict[str, ...]`);
pulumi-cloudflare 6.23.1's `AiGatewayDynamicRoutingElementOutputsArgs` has only fixed outputs and would drop
them. Every other route stays an `AiGatewayDynamicRouting`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from .base import _Model
from .secrets import Secret, _credential

# Provider slugs as the AI Gateway provider paths spell them (openai, anthropic, workers-ai,
# google-ai-studio, ...): lowercase letters, digits and single hyphens. Aliases: the same, so that
# `{gatewayId}_{providerSlug}_{alias}` splits back into its parts (neither holds an underscore).
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
ALIAS_PATTERN = SLUG_PATTERN
ALIAS_MAX_LENGTH = 64
DEFAULT_ALIAS = "default"
# Secrets Store: secrets used by AI Gateway carry this scope (Secrets Store docs, "AI Gateway integration";
# pulumi-cloudflare `secrets_store_secret.py` `scopes`).
SECRET_SCOPE = "ai_gateway"
# "Up to 5 named percentage outputs" (JSON Configuration, "Percentage Split").
PERCENTAGE_OUTPUTS_MAX = 5
_PERCENT_KEY = re.compile(r"^(100|[1-9]?[0-9](?:\.[0-9]+)?)%$")
ROUTE_NAME_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
ELEMENT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


def secret_name(gateway_id: str, provider: str, alias: str) -> str:
    """The Secrets Store secret's name Cloudflare looks the key up by."""
    return f"{gateway_id}_{provider}_{alias}"


# --------------------------------------------------------------------------- provider keys


class ProviderKeyRateLimitSpec(_Model):
    """The provider config's own limit (`rate_limit` requests per `rate_limit_period`)."""

    limit: Annotated[int, Field(ge=1, strict=True)] = Field(description="rate_limit.")
    period: Annotated[int, Field(ge=1, strict=True)] = Field(
        description="rate_limit_period, in seconds (the SDK's number; the unit is not documented by Cloudflare).")


class ProviderKeySpec(_Model):
    provider: str = Field(pattern=SLUG_PATTERN, max_length=64, description="provider_slug (openai, anthropic, ...).")
    alias: str = Field(DEFAULT_ALIAS, pattern=ALIAS_PATTERN, max_length=ALIAS_MAX_LENGTH,
                       description="alias (picked per request with cf-aig-byok-alias).")
    key: Secret = Field(description="The provider API key, a `secure:` value.")
    default: Annotated[bool, Field(strict=True)] | None = Field(
        None, description="default_config; default: true for the alias `default`.")
    rate_limit: ProviderKeyRateLimitSpec | None = None

    @field_validator("key", mode="before")
    @classmethod
    def _key_is_secret(cls, value: Any, info: ValidationInfo) -> Any:
        return _credential(value, info)

    @property
    def default_config(self) -> bool:
        return self.alias == DEFAULT_ALIAS if self.default is None else self.default


def check_provider_keys(keys: list[ProviderKeySpec]) -> list[ProviderKeySpec]:
    """One key per provider and alias (one provider config each), at most one default per provider."""
    errors: list[InitErrorDetails] = []
    seen: dict[tuple[str, str], int] = {}
    defaults: dict[str, int] = {}
    for i, key in enumerate(keys):
        pair = (key.provider, key.alias)
        if pair in seen:
            errors.append(_error((i, "alias"), key.alias,
                                 f"providerKeys[{seen[pair]}] is already {key.provider} alias {key.alias}; "
                                 "a gateway has one provider config per provider and alias"))
        seen.setdefault(pair, i)
        if key.default_config:
            if key.provider in defaults:
                errors.append(_error((i, "default"), True,
                                     f"providerKeys[{defaults[key.provider]}] is already the default "
                                     f"{key.provider} key; set default: false on one of them"))
            defaults.setdefault(key.provider, i)
    if errors:
        raise ValidationError.from_exception_data("providerKeys", errors)
    return keys


# --------------------------------------------------------------------------- route elements


class Next(_Model):
    element_id: str = Field(pattern=ELEMENT_ID_PATTERN)


class StartOutputs(_Model):
    next: Next


class ConditionalOutputs(_Model):
    true: Next
    false: Next

    @model_validator(mode="before")
    @classmethod
    def _yaml_booleans(cls, value: Any) -> Any:
        # YAML reads an unquoted `true:` / `false:` key as a boolean (the stack file loader then makes
        # it "True" / "False"); the API's keys are the strings "true" and "false".
        if isinstance(value, dict):
            return {str(k).lower() if isinstance(k, bool) or k in ("True", "False") else k: v
                    for k, v in value.items()}
        return value


class SuccessFallbackOutputs(_Model):
    success: Next
    fallback: Next


class ConditionalProperties(_Model):
    # `condition` (singular, as an older docs example had it) is silently dropped by the API (PR #30453):
    # extra="forbid" refuses it, with this model's only key as the allowed one.
    conditions: dict[str, Any] = Field(min_length=1, description="MongoDB-like operators ($eq, $in, $and...).")


class RateProperties(_Model):
    key: str = Field(min_length=1)
    limit: Annotated[float, Field(gt=0)]
    limit_type: Literal["count", "cost"]
    window: Annotated[int, Field(ge=1, strict=True)] = Field(description="Seconds.")


class ModelProperties(_Model):
    provider: str = Field(pattern=SLUG_PATTERN)
    model: str = Field(min_length=1)
    retries: Annotated[int, Field(ge=0, le=5, strict=True)]
    timeout: Annotated[int, Field(ge=1, strict=True)] = Field(description="Milliseconds.")


class StartElement(_Model):
    id: str = Field(pattern=ELEMENT_ID_PATTERN)
    type: Literal["start"]
    outputs: StartOutputs


class ConditionalElement(_Model):
    id: str = Field(pattern=ELEMENT_ID_PATTERN)
    type: Literal["conditional"]
    properties: ConditionalProperties
    outputs: ConditionalOutputs


class PercentageElement(_Model):
    id: str = Field(pattern=ELEMENT_ID_PATTERN)
    type: Literal["percentage"]
    outputs: dict[str, Next] = Field(min_length=2, max_length=PERCENTAGE_OUTPUTS_MAX)

    @field_validator("outputs")
    @classmethod
    def _percentages(cls, value: dict[str, Next]) -> dict[str, Next]:
        bad = [k for k in value if not _PERCENT_KEY.match(k)]
        if bad:
            raise ValueError(f"percentage outputs are named by their share, e.g. '70%' and '30%' (not {bad[0]!r}; "
                             "the API rejects 'else', cloudflare-docs PR #30453)")
        total = sum(float(k[:-1]) for k in value)
        if abs(total - 100.0) > 1e-9:
            raise ValueError(f"the outputs must total 100% (they total {total:g}%)")
        return value


class RateElement(_Model):
    id: str = Field(pattern=ELEMENT_ID_PATTERN)
    type: Literal["rate"]
    properties: RateProperties
    outputs: SuccessFallbackOutputs


class ModelElement(_Model):
    id: str = Field(pattern=ELEMENT_ID_PATTERN)
    type: Literal["model"]
    properties: ModelProperties
    outputs: SuccessFallbackOutputs


class EndOutputs(_Model):
    """An end element's `outputs`: required by the API, and empty (PR #30453)."""


class EndElement(_Model):
    id: str = Field(pattern=ELEMENT_ID_PATTERN)
    type: Literal["end"]
    outputs: EndOutputs


ELEMENT_TYPES = ("start", "conditional", "percentage", "rate", "model", "end")
_BY_TYPE = {"start": "StartElement", "conditional": "ConditionalElement", "percentage": "PercentageElement",
            "rate": "RateElement", "model": "ModelElement", "end": "EndElement"}


def _element_kind(value: Any) -> str | None:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return _BY_TYPE.get(kind) if isinstance(kind, str) else None


RouteElement = Annotated[
    Annotated[StartElement, Tag("StartElement")]
    | Annotated[ConditionalElement, Tag("ConditionalElement")]
    | Annotated[PercentageElement, Tag("PercentageElement")]
    | Annotated[RateElement, Tag("RateElement")]
    | Annotated[ModelElement, Tag("ModelElement")]
    | Annotated[EndElement, Tag("EndElement")],
    Discriminator(_element_kind, custom_error_type="element_type",
                  custom_error_message=f"an element's type is one of: {', '.join(ELEMENT_TYPES)} "
                                       "(the API's; 'rate_limit' is 'rate', cloudflare-docs PR #30453)"),
]


def targets(element: Any) -> list[tuple[str, str]]:
    """(output name, element id) of each of an element's outputs, in the API's order."""
    outputs = element.outputs
    if isinstance(outputs, dict):
        return [(k, v.element_id) for k, v in outputs.items()]
    return [(k, getattr(outputs, k).element_id) for k in type(outputs).model_fields]


class RouteSpec(_Model):
    """One named dynamic route (called as model `dynamic/<name>`)."""

    elements: list[RouteElement] = Field(min_length=3)

    @model_validator(mode="after")
    def _graph(self) -> RouteSpec:
        errors = graph_problems(self.elements)
        if errors:
            raise ValidationError.from_exception_data("RouteSpec", errors)
        return self

    def element(self, element_id: str) -> Any:
        return next(e for e in self.elements if e.id == element_id)


def _error(loc: tuple[Any, ...], value: Any, message: str) -> InitErrorDetails:
    return InitErrorDetails(type=PydanticCustomError("value_error", "{error}", {"error": message}),
                            loc=loc, input=value)


def graph_problems(elements: list[Any]) -> list[InitErrorDetails]:
    """The element graph's problems, each at the element (or output) it is about."""
    errors: list[InitErrorDetails] = []
    index: dict[str, int] = {}
    for i, e in enumerate(elements):
        if e.id in index:
            errors.append(_error(("elements", i, "id"), e.id, f"already the id of elements[{index[e.id]}]; "
                                                               "element ids are unique within a route"))
        index.setdefault(e.id, i)
    starts = [i for i, e in enumerate(elements) if e.type == "start"]
    if len(starts) != 1:
        errors.append(_error(("elements",), [e.id for e in elements],
                             "a route has exactly one start element" +
                             (f" (it has {len(starts)}: elements {starts})" if starts else " (it has none)")))
    for i, e in enumerate(elements):
        for name, target in targets(e):
            if target not in index:
                errors.append(_error(("elements", i, "outputs", name, "elementId"), target,
                                     f"no element of this route has id {target!r} (ids: {', '.join(index)})"))
            elif target == e.id:
                errors.append(_error(("elements", i, "outputs", name, "elementId"), target,
                                     "an element cannot lead to itself"))
            elif elements[index[target]].type == "start":
                errors.append(_error(("elements", i, "outputs", name, "elementId"), target,
                                     "nothing leads back to the start element"))
    if errors or not starts:
        return errors
    start = elements[starts[0]]
    # Reachability, cycles and "a model before the end" in one depth-first walk of every path.
    reached: set[str] = set()
    reported: set[tuple[str, str]] = set()

    def walk(element: Any, path: tuple[str, ...], seen_model: bool) -> None:
        reached.add(element.id)
        seen_model = seen_model or element.type == "model"
        if element.type == "end":
            if not seen_model and ("no-model", element.id) not in reported:
                reported.add(("no-model", element.id))
                errors.append(_error(("elements", index[element.id]), element.id,
                                     f"the path {' -> '.join((*path, element.id))} reaches this end without "
                                     "a model: every path must call a model before it ends"))
            return
        for _name, target in targets(element):
            if target in path or target == element.id:
                if ("cycle", target) not in reported:
                    reported.add(("cycle", target))
                    errors.append(_error(("elements", index[element.id], "outputs", _name, "elementId"), target,
                                         f"this output closes a loop ({' -> '.join((*path, element.id, target))}); "
                                         "every path must end"))
                continue
            walk(elements[index[target]], (*path, element.id), seen_model)

    walk(start, (), False)
    for i, e in enumerate(elements):
        if e.id not in reached:
            errors.append(_error(("elements", i, "id"), e.id,
                                 f"not reachable from the start element {start.id!r}: every element must be on a "
                                 "path from the start"))
    return errors


def check_routes(routes: dict[str, RouteSpec]) -> dict[str, RouteSpec]:
    bad = [name for name in routes if not isinstance(name, str) or not re.match(ROUTE_NAME_PATTERN, name)]
    if bad:
        raise ValidationError.from_exception_data("routes", [
            _error((name,), name, "a route name is lowercase letters and digits in runs joined by '-' or '_' "
                                  f"(pattern {ROUTE_NAME_PATTERN}); clients call it as model dynamic/<name>")
            for name in bad])
    return routes


def route_providers(route: RouteSpec) -> list[str]:
    """The providers a route's model elements call, in order."""
    out: list[str] = []
    for e in route.elements:
        if e.type == "model" and e.properties.provider not in out:
            out.append(e.properties.provider)
    return out
