"""Schema fidelity: planned AiGateway props -> Cloudflare API body -> the official SDK's request type.

Two parts, both used by tests/test_schema_fidelity.py:

* :func:`api_body` maps the props of a `cloudflare:index/aiGateway:AiGateway` (camelCase, as
  the engine sees them) to the JSON body the provider sends to the API. pulumi-cloudflare is
  bridged from the Terraform provider: a Pulumi name is the camelCase of the Terraform
  attribute, except where the bridge renamed it (reserved or pluralised names), and a
  Terraform attribute is the API key, except where the provider's model has a different JSON
  tag. So: camelCase -> snake_case, then undo the Pulumi renames, then apply the JSON tags.
* :func:`api_problems` checks a body against `cloudflare.types.ai_gateway.AIGatewayCreateParams`
  (cloudflare-python 5.9.0): a walk over the TypedDict hints rejects unknown and missing
  required keys at every level (wire names, i.e. `PropertyInfo` aliases such as `P1`,
  `limitType`), wrong JSON types and bad enum values; then pydantic validates the same
  body (under the SDK's python key names) with a strict TypeAdapter.

Both take other resources too (tests/test_schema_fidelity_log_export_tokens.py): `api_body` with
that resource's rename tables, `api_problems` with the SDK params TypedDict to check against.

pydantic alone is not enough: TypedDicts ignore unknown keys, it knows nothing of the
wire aliases, and `Iterable[...]` fields are validated lazily (only when iterated).
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Collection, Iterable, Mapping, Sequence
from functools import cache
from typing import Annotated, Any, Literal, NotRequired, Required, Union, get_args, get_origin

from cloudflare._utils import PropertyInfo
from cloudflare.types.ai_gateway import AIGatewayCreateParams
from pydantic import TypeAdapter, ValidationError
from typing_extensions import is_typeddict

from aigw import fields

# --------------------------------------------------------------------------- props -> API body

ITEM = fields.ITEM  # a path step into a list item

# Pulumi property (after snake_casing) -> API key, where the bridge renamed it or the provider's
# model tags it differently: derived from the field table (aigw/fields.py), which the SDK check
# below then verifies.
PULUMI_RENAMES: dict[tuple[str, ...], dict[str, str]] = fields.pulumi_renames()
# Terraform attribute -> API JSON key: for AiGateway already in PULUMI_RENAMES (other resources pass theirs).
JSON_TAGS: dict[tuple[str, ...], dict[str, str]] = {}
# Maps whose keys are data (header names, metadata keys), never renamed.
FREE_FORM_MAPS = set(fields.AI_GATEWAY_FREE_FORM)

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake_case(name: str) -> str:
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def api_body(
    props: Mapping[str, Any],
    *,
    renames: Mapping[tuple[str, ...], Mapping[str, str]] = PULUMI_RENAMES,
    json_tags: Mapping[tuple[str, ...], Mapping[str, str]] = JSON_TAGS,
    free_form: Collection[tuple[str, ...]] = FREE_FORM_MAPS,
) -> dict[str, Any]:
    """The API request of one resource's props (`account_id` included: the SDK's create params
    carry it, as the path parameter). The tables default to AiGateway's; other resources pass theirs."""
    return _body(props, (), renames, json_tags, free_form)


def _body(value: Any, path: tuple[str, ...], renames: Mapping[tuple[str, ...], Mapping[str, str]],
          json_tags: Mapping[tuple[str, ...], Mapping[str, str]], free_form: Collection[tuple[str, ...]]) -> Any:
    if isinstance(value, Mapping):
        if path in free_form:
            return {key: _body(v, (*path, "*"), renames, json_tags, free_form) for key, v in value.items()}
        out = {}
        for key, v in value.items():
            name = snake_case(key)
            name = renames.get(path, {}).get(name, name)
            out[json_tags.get(path, {}).get(name, name)] = _body(v, (*path, name), renames, json_tags, free_form)
        return out
    if isinstance(value, list):
        return [_body(v, (*path, ITEM), renames, json_tags, free_form) for v in value]
    return value


# --------------------------------------------------------------------------- body -> problems


def api_problems(body: Any, params: type = AIGatewayCreateParams) -> list[str]:
    """Everything about `body` that the SDK's `params` TypedDict (by default AIGatewayCreateParams)
    does not accept; [] when it is valid."""
    problems, python_form = check(params, body, "body")
    if problems:
        return problems
    return pydantic_problems(python_form, params)


def check(tp: Any, value: Any, path: str) -> tuple[list[str], Any]:
    """Walk `value` (wire names) against the SDK type `tp`.

    Returns the problems and the value re-keyed to the SDK's python names (for pydantic).
    """
    tp, _ = _unwrap(tp)
    origin = get_origin(tp)
    if is_typeddict(tp):
        return _check_typeddict(tp, value, path)
    if origin in (Union, types.UnionType):
        return _check_union(tp, value, path)
    if origin is Literal:
        allowed = get_args(tp)
        ok = any(value == a and type(value) is type(a) for a in allowed)
        return ([] if ok else [f"{path}: {value!r} is not one of {list(allowed)}"]), value
    if tp is type(None):
        return ([] if value is None else [f"{path}: expected null, got {value!r}"]), value
    if origin in (list, Iterable, Sequence):  # List[...], Iterable[...], SequenceNotStr[...]
        if not isinstance(value, list):
            return [f"{path}: expected a JSON array, got {type(value).__name__} {value!r}"], value
        (item_type,) = get_args(tp) or (Any,)
        problems: list[str] = []
        items = []
        for i, item in enumerate(value):
            p, converted = check(item_type, item, f"{path}[{i}]")
            problems += p
            items.append(converted)
        return problems, items
    if origin in (dict, Mapping):
        key_type, value_type = get_args(tp)
        if not isinstance(value, dict):
            return [f"{path}: expected a JSON object, got {type(value).__name__} {value!r}"], value
        problems = []
        out = {}
        for key, item in value.items():
            problems += check(key_type, key, f"{path} key")[0]
            p, out[key] = check(value_type, item, f"{path}.{key}")
            problems += p
        return problems, out
    if tp is Any:
        return [], value
    if tp in (str, int, float, bool):
        return ([] if _json_type_ok(tp, value) else
                [f"{path}: expected {tp.__name__}, got {type(value).__name__} {value!r}"]), value
    raise TypeError(f"{path}: the checker does not know SDK type {tp!r}; teach it")


def _json_type_ok(tp: type, value: Any) -> bool:
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:  # a JSON number
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, str)


def _unwrap(tp: Any) -> tuple[Any, str | None]:
    """Strip Required/NotRequired/Annotated; return the bare type and its wire alias if any."""
    alias = None
    while True:
        origin = get_origin(tp)
        if origin in (Required, NotRequired):
            (tp,) = get_args(tp)
        elif origin is Annotated:
            for meta in tp.__metadata__:
                if isinstance(meta, PropertyInfo) and meta.alias:
                    alias = meta.alias
            tp = get_args(tp)[0]
        else:
            return tp, alias


@cache
def wire_fields(td: type) -> dict[str, tuple[str, Any, bool]]:
    """A TypedDict's fields by wire name: (python name, type, required).

    Requiredness comes from the hints, not `__required_keys__`: the SDK modules use postponed
    annotations, so the TypedDict metaclass never saw `Required[...]` and lists every key of a
    `total=False` class as optional.
    """
    hints = typing.get_type_hints(td, include_extras=True)
    fields = {}
    for name, hint in hints.items():
        _, alias = _unwrap(hint)
        origin = get_origin(hint)
        required = origin is Required or (origin is not NotRequired and td.__total__)
        fields[alias or name] = (name, hint, required)
    return fields


def _check_typeddict(td: type, value: Any, path: str) -> tuple[list[str], Any]:
    if not isinstance(value, dict):
        return [f"{path}: expected a JSON object ({td.__name__}), got {type(value).__name__} {value!r}"], value
    fields = wire_fields(td)
    problems = []
    out = {}
    for key in value:
        if key not in fields:
            problems.append(f"{path}.{key}: unknown key for {td.__name__}; the API knows: {', '.join(sorted(fields))}")
    for wire, (name, hint, required) in fields.items():
        if wire not in value:
            if required:
                problems.append(f"{path}.{wire}: required key of {td.__name__} is missing")
            continue
        p, out[name] = check(hint, value[wire], f"{path}.{wire}")
        problems += p
    return problems, out


def _check_union(tp: Any, value: Any, path: str) -> tuple[list[str], Any]:
    tried = []
    for member in get_args(tp):
        problems, converted = check(member, value, path)
        if not problems:
            return [], converted
        tried.append(f"{getattr(member, '__name__', member)}: {'; '.join(problems)}")
    return [f"{path}: matches no member of the union ({' | '.join(tried)})"], value


@cache
def _adapter(params: type = AIGatewayCreateParams) -> TypeAdapter:
    return TypeAdapter(params)


def pydantic_problems(python_form: Mapping[str, Any], params: type = AIGatewayCreateParams) -> list[str]:
    """Validate with pydantic (SDK python names), forcing every lazily validated iterable."""
    try:
        validated = _adapter(params).validate_python(python_form, strict=True)
    except ValidationError as exc:
        return _render(exc, "")
    problems: list[str] = []
    _materialise(validated, "", problems)
    return problems


def _render(exc: ValidationError, prefix: str) -> list[str]:
    return [f"pydantic: {prefix}{'.'.join(map(str, e['loc']))}: {e['msg']} ({e['input']!r})"
            for e in exc.errors(include_url=False)]


def _materialise(value: Any, path: str, problems: list[str]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _materialise(item, f"{path}{key}.", problems)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _materialise(item, f"{path}{i}.", problems)
    elif isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        try:
            items = list(value)  # pydantic's ValidatorIterator validates here
        except ValidationError as exc:
            problems += _render(exc, path)
            return
        _materialise(items, path, problems)
