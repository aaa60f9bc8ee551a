"""Property values as every rule sees them, whoever supplies them.

Rules read plain Python values in the engine's camelCase shape, with two markers:
- `Secret`: a Pulumi secret (its value, or `REDACTED` when the source never holds it, as in
  an offline plan). Whether a value is a secret is what `secrets-not-plaintext` checks.
- `Unknown`: a value not known yet (during `pulumi preview`, computed by another resource).

Three sources are converted to this shape: the engine's wire form (the pack, `from_wire`),
`aigw plan` JSON (`from_plan`), and plain dicts in tests. Pure Python: no pulumi import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .vocabulary import SECRET_MARK  # what `aigw plan` prints in place of a secret value

# Pulumi's property-value signatures (sdk/go/common/resource/properties.go).
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
# Unknown sentinels, one per type (pulumi_policy/proxy.py, pulumi/runtime/rpc.py).
UNKNOWN_SENTINELS = frozenset({
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # string
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
    "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
    "e48ece36-62e2-4504-bad9-02848725956a",  # archive
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
})


class _Redacted:
    def __repr__(self) -> str:
        return "REDACTED"


REDACTED = _Redacted()


@dataclass(frozen=True)
class Secret:
    """A secret value (`REDACTED` when the source does not carry the value)."""

    value: Any = REDACTED


@dataclass(frozen=True)
class Unknown:
    """A value that is not known during preview."""


UNKNOWN = Unknown()


class UnknownValue(Exception):
    """A rule needed a property whose value is unknown (raised by `need`)."""

    def __init__(self, path: str):
        super().__init__(path)
        self.path = path


@dataclass(frozen=True)
class Resource:
    """One resource as rules see it: Pulumi type token, logical name, camelCase props."""

    type: str
    name: str
    props: Mapping[str, Any] = field(default_factory=dict)
    urn: str = ""

    @property
    def ref(self) -> tuple[str, str]:
        return (self.type, self.name)


def is_secret(value: Any) -> bool:
    return isinstance(value, Secret)


def secret_at(props: Any, path: str | tuple[str | int, ...]) -> bool:
    """Whether the value at ``path`` is a secret, itself or inside a secret (the Python SDK
    sends a whole list or object as one secret when any element of it is a secret)."""
    node = props
    for part in _split(path):
        if isinstance(node, Secret):
            return True
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else None
        else:
            node = node.get(part) if isinstance(node, Mapping) else None
    return isinstance(node, Secret)


def reveal(value: Any) -> Any:
    """The value under a Secret marker (which may be REDACTED); other values unchanged."""
    return value.value if isinstance(value, Secret) else value


def _split(path: str | tuple[str | int, ...]) -> list[str | int]:
    """``a.b[0].c`` -> ["a", "b", 0, "c"]; a tuple of parts is taken as is (for keys with dots)."""
    if isinstance(path, tuple):
        return list(path)
    parts: list[str | int] = []
    for piece in path.split("."):
        while "[" in piece:
            head, _, rest = piece.partition("[")
            if head:
                parts.append(head)
            index, _, piece = rest.partition("]")
            parts.append(int(index))
        if piece:
            parts.append(piece)
    return parts


def _shown(path: str | tuple[str | int, ...]) -> str:
    if isinstance(path, str):
        return path
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def need(props: Any, path: str | tuple[str | int, ...], default: Any = None) -> Any:
    """The value at ``path`` (``a.b[0].c``), secrets revealed; ``default`` when absent.

    Raises UnknownValue naming the path when the value (or anything on the way) is unknown:
    a rule that needs a value it cannot see must not guess.
    """
    node = reveal(props)
    for part in _split(path):
        if isinstance(node, Unknown):
            raise UnknownValue(_shown(path))
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return default
            node = reveal(node[part])
        else:
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = reveal(node[part])
    if isinstance(node, Unknown):
        raise UnknownValue(_shown(path))
    return node


def _number(value: Any) -> Any:
    # Protobuf Struct numbers are floats (60 -> 60.0): integral ones read as ints, as in the plan.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def from_wire(value: Any) -> Any:
    """The engine's wire form (a Struct as a dict) -> rule values."""
    if isinstance(value, Mapping):
        if value.get(SIG_KEY) == SECRET_SIG:
            return Secret(from_wire(value.get("value")))
        return {k: from_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_wire(v) for v in value]
    if isinstance(value, str) and value in UNKNOWN_SENTINELS:
        return UNKNOWN
    return _number(value)


def secret_paths(wire: Any, prefix: str = "") -> list[str]:
    """Paths (``otels[0].authorization``) of the secrets in a wire-form value."""
    if isinstance(wire, Mapping):
        if wire.get(SIG_KEY) == SECRET_SIG:
            return [prefix]
        out: list[str] = []
        for k, v in wire.items():
            out += secret_paths(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(wire, list):
        return [p for i, v in enumerate(wire) for p in secret_paths(v, f"{prefix}[{i}]")]
    return []


def _mark(value: Any, parts: list[str | int]) -> Any:
    if not parts:
        return Secret(REDACTED if value == SECRET_MARK else value)
    head, rest = parts[0], parts[1:]
    if isinstance(head, int) and isinstance(value, list) and head < len(value):
        return [_mark(v, rest) if i == head else v for i, v in enumerate(value)]
    if isinstance(head, str) and isinstance(value, Mapping) and head in value:
        return {k: _mark(v, rest) if k == head else v for k, v in value.items()}
    return value


def from_plan(entry: Mapping[str, Any]) -> Resource:
    """One resource of `aigw plan --format json` -> a Resource (its `options.secretPaths`
    say which values are secrets; the plan itself only ever shows "[secret]")."""
    props: Any = dict(entry.get("props") or {})
    options = entry.get("options") or {}
    if "secretPaths" not in options and "secretProps" in options:
        # A plan made before secretPaths existed (an older base revision in `aigw diff`): every
        # "[secret]" it shows was a secret.
        return Resource(entry["type"], entry["name"], _mark_shown_secrets(props))
    for path in options.get("secretPaths", []):
        props = _mark(props, _split(path))
    return Resource(entry["type"], entry["name"], props)


def _mark_shown_secrets(value: Any) -> Any:
    if value == SECRET_MARK:
        return Secret(REDACTED)
    if isinstance(value, Mapping):
        return {k: _mark_shown_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mark_shown_secrets(v) for v in value]
    return value
