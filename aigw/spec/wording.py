"""Error wording: a pydantic error turned into a key path, a line and what is allowed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from pydantic import (
    BaseModel,
)

from .base import NAMESPACE
from .gateway import GatewaySettings, GatewaySpec
from .secrets import Secret

_LAST_PATH_PART = re.compile(r"(\.[^.\[]*|\[\d+\])$")


def _nearest_line(positions: Mapping[tuple[str, str], int], file: str, path: str) -> int | None:
    """The line of ``path``, or of the closest enclosing key (a missing key has no line)."""
    while path:
        if (file, path) in positions:
            return positions[(file, path)]
        parent = _LAST_PATH_PART.sub("", path)
        if parent == path:
            return None
        path = parent
    return None


_TYPE_TAGS = {"str", "int", "float", "bool", "none"}


def _is_union_tag(part: Any) -> bool:
    # pydantic puts the union member (class name or type tag) into error locations.
    return isinstance(part, str) and (part in _MODEL_NAMES or part in _TYPE_TAGS or "[" in part)


_MODEL_NAMES: dict[str, type[BaseModel]] = {}


def _join_path(prefix: str, loc: Iterable[str]) -> str:
    path = prefix
    for part in loc:
        if part.isdigit():
            path += f"[{part}]"
        elif path.endswith(":") or not path:
            path += part
        else:
            sep = "." if path != NAMESPACE else ":"
            path += sep + part
    return path


def _allowed(err: Mapping[str, Any], model: type[BaseModel] | None, loc: list[str]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if isinstance(err.get("input"), Secret) and kind != "value_error":
        return (
            "a secret is accepted only for credentials (OTel authorization and credential headers, "
            "Stripe authorization, Logpush destination and R2 keys, Worker secrets, provider keys); "
            "this value is not one, set it in plain text"
        )
    if kind == "extra_forbidden":
        owner = _model_at(model, loc[:-1])
        if owner is not None:
            keys = _aliases(GatewaySettings) + ["id"] if owner is GatewaySpec else _aliases(owner)
            return "unknown key; allowed keys: " + ", ".join(keys)
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        return "allowed: " + ctx.get("expected", "").replace("'", "")
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        field_range = _range_of(model, loc)
        if field_range:
            return field_range
        op = {"greater_than_equal": ">=", "less_than_equal": "<=", "greater_than": ">", "less_than": "<"}[kind]
        return f"must be {op} {list(ctx.values())[0]}"
    if kind == "string_pattern_mismatch":
        return f"must match {ctx.get('pattern')}"
    if kind == "too_long" and "max_length" in ctx:
        return f"at most {ctx['max_length']} items; got {ctx.get('actual_length')}"
    if kind == "too_short" and "min_length" in ctx:
        return f"at least {ctx['min_length']} item{'s' if ctx['min_length'] != 1 else ''}"
    if kind == "string_too_short" and "min_length" in ctx:
        return f"at least {ctx['min_length']} character{'s' if ctx['min_length'] != 1 else ''}"
    if kind in ("too_short", "too_long"):
        return err["msg"][0].lower() + err["msg"][1:]
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "must be a whole number"
    if kind in ("bool_type", "bool_parsing"):
        return "must be true or false"
    if kind in ("string_type",):
        return "must be a string"
    if kind in ("float_type", "float_parsing"):
        return "must be a number"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "must be a mapping"
    if kind == "list_type":
        return "must be a list"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return err["msg"]


def _aliases(model: type[BaseModel]) -> list[str]:
    """The keys a user may write (internal fields have aliases starting with `_`)."""
    keys = [f.alias or name for name, f in model.model_fields.items()]
    return [k for k in keys if not k.startswith("_")]


def _model_at(model: type[BaseModel] | None, loc: list[str]) -> type[BaseModel] | None:
    current: Any = model
    for part in loc:
        if part in _MODEL_NAMES:
            # a union member's tag in the error location: the member that was validated
            current = _MODEL_NAMES[part]
            continue
        if part.isdigit() or current is None:
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        by_alias = {(f.alias or n): f for n, f in current.model_fields.items()}
        info = by_alias.get(part)
        if info is None:
            # a dict key (gateway name, header name): stay on the value type
            continue
        current = _model_in(info.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _model_in(annotation: Any) -> Any:
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _range_of(model: type[BaseModel] | None, loc: list[str]) -> str | None:
    owner = _model_at(model, loc[:-1])
    if owner is None or not loc:
        return None
    by_alias = {(f.alias or n): f for n, f in owner.model_fields.items()}
    info = by_alias.get(loc[-1])
    if info is None:
        return None
    low = high = None
    for meta in _constraints(info):
        low = getattr(meta, "ge", None) if getattr(meta, "ge", None) is not None else low
        high = getattr(meta, "le", None) if getattr(meta, "le", None) is not None else high
    if low is not None and high is not None:
        return f"allowed: {low:,}..{high:,}".replace(",", ",")
    if low is not None:
        return f"must be >= {low:,}"
    if high is not None:
        return f"must be <= {high:,}"
    return None


def _constraints(info: Any) -> list[Any]:
    import typing

    found = list(info.metadata)

    def walk(tp: Any) -> None:
        if typing.get_origin(tp) is Annotated:
            args = typing.get_args(tp)
            for meta in args[1:]:
                found.extend(getattr(meta, "metadata", []) or [meta])
            walk(args[0])
        else:
            for arg in typing.get_args(tp):
                walk(arg)

    walk(info.annotation)
    return found
