"""`aigw import`: live gateways into a stack file, plus a `pulumi import --file` document.

The stack file keeps its comments and layout (ruamel round-trip); existing gateways are left as
they are unless --force. Every setting is written explicitly (off as null), so org or stack
defaults cannot change an adopted gateway: a following `aigw drift` shows no drift. A live
credential is never written: a `secure:` placeholder takes its place, with the command that sets
the real value as a secret.

The import file adopts the gateways on the next `pulumi import --file` instead of recreating them:
each AiGateway under its `aigw:index:Gateway` component, with the import id `<account>/<id>`
(pulumi-cloudflare's import id: the `pulumi import` example in `pulumi_cloudflare/ai_gateway.py`).
The file's `component` and `logicalName` fields follow Pulumi's import-file format as documented; not
run against a `pulumi` binary here.

Each gateway's provider configs and routes (aigw/live/byok.py) are written too: ``providerKeys:`` with the
key a placeholder (never the secret's id or preview), ``routes:`` in the spec's shape, and the import file
adopts each key's SecretsStoreSecret and each route (see byok_entry); the provider configs, dynamic resources,
are adopted by their own create (aigw/components/provider_config.py).

What is never written: any OTel header value (whatever the header's name: `x-honeycomb-team` is a
key), the OTel and Stripe authorization, and the credentials an OTel URL carries (userinfo,
credential-like query parameters: see mapping.url_credentials), each reported. What is never
imported twice: a gateway whose id another stack of the project declares (for the same account)
is skipped with a note naming that stack. Nothing is written unless everything can be: the stack
file, the sibling stacks and the import file's path are all checked first; each file is replaced
atomically (a temporary file beside it, then os.replace), keeping its mode, and a symlink stays a
link (its target is written).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigw_policy.rules import GATEWAY
from aigw_policy.vocabulary import (
    AI_GATEWAY_DYNAMIC_ROUTING,
    DEFAULT_OTEL_CONTENT_TYPE,
    DEFAULT_SPEND_TECHNIQUE,
    GATEWAY_COMPONENT,
    SECRETS_STORE_SECRET,
)
from aigw_policy.vocabulary import (
    gateway_id as default_gateway_id,
)

from .. import atomic, fields
from ..spec import AUTHENTICATION_IMPORTED_OFF
from . import byok
from .mapping import url_credentials

COMPONENT = GATEWAY_COMPONENT
AUTHENTICATION_UNKNOWN = ("the API did not say whether authentication is on: the stack declares the default "
                          "(authentication: true); check the gateway in the dashboard, and if it is off write "
                          "authentication: imported-off before `pulumi up` (turning it on cannot be undone)")
PLACEHOLDER = "v1:REPLACE-ME-with-pulumi-config-set-secret"


SPLIT_ADOPTED = ("route {route!r} (dynamic/{route}): a percentage split, deployed as a Pulumi dynamic resource that "
                 "`pulumi import` cannot adopt (pulumi/pulumi#16175): not in the import file; the first `pulumi up` "
                 "adopts the live route of that name while its elements are these")


class ImportError_(Exception):
    """Invalid input for an import (exit 2)."""


@dataclass
class Imported:
    name: str
    gateway_id: str
    written: bool
    secrets: list[str] = field(default_factory=list)  # key paths holding a placeholder
    notes: list[str] = field(default_factory=list)  # what the user must check before `pulumi up`
    adopt: bool | None = None  # in the import file (default: when written)
    reason: str = ""  # why a gateway not written is not adopted either
    # More import-file entries under the gateway's component: its secrets and routes (type, name, import id).
    resources: list[tuple[str, str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.adopt is None:
            self.adopt = self.written


@dataclass
class StackUpdate:
    """What `aigw import` would write into a stack file: ``text`` (None: the file stays as it is)."""

    path: Path
    text: str | None
    items: list[Imported]


def gateway_name(gateway_id: str, environment: str) -> str:
    prefix = f"{environment}-"
    return gateway_id[len(prefix):] if gateway_id.startswith(prefix) and len(gateway_id) > len(prefix) else gateway_id


def _secure() -> dict[str, str]:
    return {"secure": PLACEHOLDER}


def gateway_config(gw: Mapping[str, Any], environment: str,
                   name: str | None = None) -> tuple[str, dict[str, Any], list[str]]:
    """(logical name, the gateway's aigw:gateways entry, key paths (under the entry) of credential placeholders).

    ``name`` overrides the logical name (the entry then carries ``id:`` when it differs from
    ``<environment>-<name>``). Credentials left out of an OTel URL are in url_notes()."""
    name = name or gateway_name(gw["id"], environment)
    secrets: list[str] = []
    entry: dict[str, Any] = {}
    off = {group for group, keys in fields.AI_GATEWAY_GROUPS.items() if not all(gw.get(k) for k in keys)}
    for row in fields.AI_GATEWAY:
        if row.spec is None:
            continue
        *parents, key = row.spec.split(".")
        if parents and parents[0] in off:
            entry[parents[0]] = None
            continue
        if row.to_config is not None:
            value = _TO_CONFIG[row.to_config](gw.get(row.api), gw, environment, name, secrets)
        else:
            value = _plain(row, gw.get(row.api))
        if value is _OMIT:
            continue
        target = entry
        for step in parents:
            target = target.setdefault(step, {})
        target[key] = value
    return name, entry, secrets


_OMIT = object()  # the key is left out of the entry


def _plain(row: fields.Field, value: Any) -> Any:
    """A live value as the stack file writes it (a row without a transform): the API's default where
    it leaves the field out, enums in the spec's case and words."""
    default = row.api_default if row.import_default is fields.UNSET else row.import_default
    if not value and default is not fields.UNSET:
        value = default
    if isinstance(default, bool):
        return bool(value)
    if not value and row.import_unset == "omit":
        return _OMIT
    if value is not None and row.case is not None:
        value = str(value).lower() if row.case == "lower" else str(value).upper()
    if row.values:
        return {api: spec for spec, api in row.values.items()}.get(value) if value else None
    return value


def _id(value: Any, gw: Mapping[str, Any], environment: str, name: str, secrets: list[str]) -> Any:
    return value if value != default_gateway_id(environment, name) else _OMIT


def _pem(value: Any, gw: Mapping[str, Any], environment: str, name: str, secrets: list[str]) -> Any:
    if not value:
        return _OMIT
    from ruamel.yaml.scalarstring import LiteralScalarString

    key = str(value)  # a PEM block: written as a YAML block, as a person would
    return LiteralScalarString(key) if "\n" in key else key


def _authentication(value: Any, gw: Mapping[str, Any], environment: str, name: str, secrets: list[str]) -> Any:
    # Changelog 2026-11-03 ("New AI Gateways require authentication"): `false` is refused in config;
    # a gateway already off is declared `imported-off` (sent as false, which keeps it off); one
    # whose API record does not say is left to the default (true) with a note: an absent value is
    # unknown, and writing `imported-off` for a gateway that is on would make `pulumi up` fail.
    if value is True:
        return True
    if value is False:
        return AUTHENTICATION_IMPORTED_OFF
    return _OMIT


def _guardrails(value: Any, gw: Mapping[str, Any], environment: str, name: str, secrets: list[str]) -> Any:
    guardrails = value or {}
    g = {side: {k.upper(): v for k, v in (guardrails.get(side) or {}).items() if v} for side in ("prompt", "response")}
    return g if any(g.values()) else None


def _otel(value: Any, gw: Mapping[str, Any], environment: str, name: str, secrets: list[str]) -> Any:
    otels = []
    for i, otel in enumerate(value or []):
        # A credential in the URL is left out (the spec refuses one there, placeholder or not): see url_notes.
        url, _ = url_credentials(str(otel["url"]))
        o: dict[str, Any] = {"url": url, "contentType": otel.get("content_type") or DEFAULT_OTEL_CONTENT_TYPE,
                             "headers": {}}
        # Every header value is a placeholder: a name says nothing (Honeycomb's key travels in
        # `x-honeycomb-team`: Checkly docs, "Honeycomb" traces export), and a value written here
        # would be committed in plain text.
        for header in otel.get("headers") or {}:
            o["headers"][header] = _secure()
            secrets.append(f"otel[{i}].headers.{header}")
        if otel.get("authorization") is not None:
            o["authorization"] = _secure()
            secrets.append(f"otel[{i}].authorization")
        otels.append(o)
    return otels


def _stripe(value: Any, gw: Mapping[str, Any], environment: str, name: str, secrets: list[str]) -> Any:
    if not value:
        return _OMIT
    secrets.append("stripe.authorization")
    return {"authorization": _secure(), "usageEvents": [{"payload": e.get("payload")}
                                                        for e in value.get("usage_events") or []]}


def url_notes(gw: Mapping[str, Any], name: str) -> list[str]:
    """One note per OTel URL of ``gw`` that carries credentials: what was left out, and what to do."""
    notes = []
    for i, otel in enumerate(gw.get("otel") or []):
        _, parts = url_credentials(str(otel.get("url") or ""))
        if parts:
            params = [p for p in parts if p != "userinfo"]
            what = (["userinfo"] if "userinfo" in parts else []) + (
                [("query parameter " if len(params) == 1 else "query parameters ") + ", ".join(params)]
                if params else [])
            notes.append(f"otel[{i}].url: the live URL carries credentials ({', '.join(what)}), left out of the "
                         f"stack file; before `pulumi up` (which would send the URL without them) send the credential "
                         f"in otel[{i}].authorization or a header, as a secret: `pulumi config set --secret --path "
                         f"'aigw:gateways.{name}.otel[{i}].headers.<Header>' <value>`")
    return notes


def _dlp(dlp: Any) -> dict[str, Any] | None:
    if not isinstance(dlp, Mapping) or not dlp.get("enabled"):
        return None
    if "policies" in dlp:
        return {"enabled": True, "policies": [
            {"id": p["id"], "action": p["action"], "check": list(p.get("check") or []),
             "enabled": p.get("enabled", True), "profiles": list(p.get("profiles") or [])}
            for p in dlp["policies"]]}
    return {"enabled": True, "action": dlp.get("action"), "profiles": list(dlp.get("profiles") or [])}


def _spend(spend: Any) -> dict[str, Any] | None:
    if not isinstance(spend, Mapping) or not spend.get("rules"):
        return None
    rules = []
    for r in spend["rules"]:
        rule: dict[str, Any] = {"limit": r["limit"], "window": r["window"],
                                "technique": r.get("technique") or DEFAULT_SPEND_TECHNIQUE,
                                "enabled": r.get("enabled", True)}
        if r.get("id"):
            rule["id"] = r["id"]
        if r.get("model"):
            rule["models"] = list(r["model"].get("values") or [])
        if r.get("provider"):
            rule["providers"] = list(r["provider"].get("values") or [])
        if r.get("metadata"):
            rule["metadata"] = {k: "partition" if v.get("mode") == "partition" else list(v.get("values") or [])
                                for k, v in r["metadata"].items()}
        rules.append(rule)
    # Omitted `enabled` is off, as mapping.normalise reads it (the default of `spend_limits.enabled` in
    # terraform-provider-cloudflare v5.22.0 `internal/services/ai_gateway/schema.go`, `StaticBool(false)`).
    return {"enabled": bool(spend.get("enabled")), "rules": rules}


# The field table's transforms (Field.to_config), by name.
_TO_CONFIG = {"id": _id, "pem": _pem, "authentication": _authentication, "guardrails": _guardrails,
              "otel": _otel, "stripe": _stripe, "dlp": lambda value, *_: _dlp(value),
              "spend_limits": lambda value, *_: _spend(value)}


def set_secret_command(stack: str, name: str, where: str) -> str:
    return f"pulumi config set -s {stack} --secret --path 'aigw:gateways.{name}.{where}' <value>"


def check_writable(path: Path, option: str) -> None:
    """``path`` can be (re)written by write_text / write_import_file: raise ImportError_ (naming ``option``) if not."""
    target = Path(os.path.realpath(path))
    if target.is_dir():
        raise ImportError_(f"{option} {path}: is a directory, not a file")
    if target.exists() and not target.is_file():
        raise ImportError_(f"{option} {path}: not a regular file")
    if not target.parent.is_dir():
        raise ImportError_(f"{option} {path}: the directory {target.parent} does not exist")
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise ImportError_(f"{option} {path}: the directory {target.parent} is not writable")


def _read_stack_text(path: Path) -> str | None:
    """The stack file's text (None: there is none yet), or ImportError_ naming the file and why: read and
    parsed by the bounded reader every command uses (aigw/yamlfast.py: a regular UTF-8 file of bounded
    size; no key given twice; aliases, nesting and integers bounded), before ruamel walks it."""
    from ..config import _parse, _read_text
    from ..spec import SpecError

    if not os.path.lexists(path):
        return None
    target = Path(os.path.realpath(path))
    if not target.exists():
        raise ImportError_(f"{path}: a symlink to {target}, which does not exist")
    if not target.is_file():
        raise ImportError_(f"{path}: not a regular file")
    try:
        text = _read_text(target, str(path))
        _parse(text, str(path))
    except SpecError as exc:
        raise ImportError_("; ".join(p.render() for p in exc.problems)) from None
    return text


def declared_elsewhere(project: Path, stack_path: Path, account: str) -> dict[str, tuple[str, str, str]]:
    """gateway id -> (stack, file name, key path) for every gateway another stack file of ``project``
    declares on ``account`` (a stack without aigw:accountId counts: its account is unknown).

    Read as values only (ids, not the full spec), so a sibling with an unrelated mistake does not
    stop an import; one that cannot be read at all does (ImportError_): its gateways are unknown,
    and importing one of them here would make two stacks manage one gateway."""
    from ..config import _parse, _read_text, list_stacks, stack_name_of
    from ..spec import SpecError

    own = Path(os.path.realpath(stack_path))
    out: dict[str, tuple[str, str, str]] = {}
    for sibling in list_stacks(project):
        if Path(os.path.realpath(sibling)) == own:
            continue
        why, doc = None, None
        try:
            stack = stack_name_of(sibling)
            if not sibling.is_file():  # a FIFO would block the read; a dangling link says nothing
                raise SpecError([])
            doc = _parse(_read_text(sibling, sibling.name), sibling.name)
        except SpecError as exc:
            why = "; ".join(p.render() for p in exc.problems) or f"{sibling.name}: not a regular file"
        except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
            why = f"{sibling.name}: cannot be read: {exc}"
        config = doc.get("config") if isinstance(doc, dict) else None
        if why is None and not isinstance(config, (dict, type(None))):
            why = f"{sibling.name}: config: not a mapping"
        config = config or {}
        gateways = config.get("aigw:gateways") or {}
        if why is None and not isinstance(gateways, dict):
            why = f"{sibling.name}: aigw:gateways: not a mapping"
        if why is not None:
            raise ImportError_(f"{why}; cannot tell which gateways it declares; fix it (or move it away) and "
                               "import again")
        if config.get("aigw:accountId") not in (None, account):
            continue
        environment = config.get("aigw:environment", stack)
        for name, own_settings in gateways.items():
            gid = own_settings.get("id") if isinstance(own_settings, dict) else None
            out.setdefault(str(gid or default_gateway_id(environment, name)),
                           (stack, sibling.name, f"aigw:gateways.{name}"))
    return out


def prepare_stack(path: Path, stack: str, account: str, environment: str, gateways: Sequence[Mapping[str, Any]],
                  force: bool = False, details: Mapping[str, byok.GatewayDetails] | None = None) -> StackUpdate:
    """The stack file with the gateways added (``text`` None when nothing changes); nothing is written.

    The file's layout is kept: its indentation (sequence items included) is measured and reused, and
    comment lines stay where they were written relative to the keys around them, although ruamel
    keeps a comment on the deepest value before it (see _Comments): the comment closing the file stays
    last, one introducing the key after `aigw:gateways` stays before that key, one between two
    gateways stays above the second, whatever is added or replaced.

    A gateway the file already declares (by its id, under whatever name) is kept, and adopted in
    the import file; a name the file declares for another gateway id is kept and not adopted
    (both replaced with ``force``). Two gateways that would get one name: the second is named by its id.

    ``details`` (gateway id -> its live provider configs and routes): each written gateway gets them as
    ``providerKeys:`` (the key a placeholder) and ``routes:``; see byok_entry.
    """
    from io import StringIO

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="rt")
    yaml.Representer = _Representer
    yaml.preserve_quotes = True
    yaml.width = 4096
    original = _read_stack_text(path)
    try:
        doc = yaml.load(original) if original is not None else None
    except YAMLError as exc:  # what the bounded reader let through, ruamel refused
        raise ImportError_(f"{path}: invalid YAML: {str(exc).splitlines()[0]}") from None
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, CommentedMap):
        raise ImportError_(f"{path}: not a stack file (a mapping with `config:`)")
    mapping, sequence, offset = _indentation(doc)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    config = doc.get("config")
    if config is None:
        config = doc["config"] = CommentedMap()
    if not isinstance(config, CommentedMap):
        raise ImportError_(f"{path}: config: not a mapping")
    declared_account = config.get("aigw:accountId")
    if declared_account is not None and declared_account != account:
        raise ImportError_(f"{path}: aigw:accountId: {declared_account}: the stack is for another account than "
                           f"--account {account}")
    gateways_map = config.get("aigw:gateways")
    if gateways_map is not None and not isinstance(gateways_map, CommentedMap):
        raise ImportError_(f"{path}: aigw:gateways: not a mapping")
    comments = _Comments(doc, config, mapping)
    config.setdefault("aigw:accountId", account)
    env = config.setdefault("aigw:environment", environment)
    if gateways_map is None:
        gateways_map = config["aigw:gateways"] = CommentedMap()
    if not gateways_map:
        gateways_map.fa.set_block_style()
    declared = {str(own.get("id") if isinstance(own, Mapping) and own.get("id") else default_gateway_id(env, n)): str(n)
                for n, own in gateways_map.items()}
    out: list[Imported] = []
    taken: set[str] = set()
    changed = original is None
    for gw in gateways:
        name = declared.get(gw["id"]) or gateway_name(gw["id"], str(env))
        if name in taken:
            name = gw["id"]
        taken.add(name)
        live = (details or {}).get(gw["id"])
        if name in gateways_map and not force:
            if declared.get(gw["id"]) == name:
                own = gateways_map[name]
                out.append(Imported(name, gw["id"], False, adopt=True,
                                    resources=declared_resources(account, name, gw, live, own)))
            else:
                own = gateways_map[name]
                other = own.get("id") if isinstance(own, Mapping) and own.get("id") else default_gateway_id(env, name)
                out.append(Imported(name, gw["id"], False, adopt=False,
                                    reason=f"it declares the gateway {other}, not {gw['id']}"))
            continue
        name, entry, secrets = gateway_config(gw, str(env), name)
        extra, resources, byok_notes = byok_entry(account, name, gw, live, secrets)
        entry.update(extra)
        gateways_map[name] = CommentedMap(entry)
        changed = True
        note = f"imported from the live gateway {gw['id']} by `aigw import`"
        notes = ([AUTHENTICATION_UNKNOWN] if gw.get("authentication") is None else []) + url_notes(gw, name) \
            + byok_notes
        for extra in notes:
            note += "; " + extra
        if secrets:
            note += "; credentials are placeholders, set each with:\n" + "\n".join(
                set_secret_command(stack, name, where) for where in secrets)
        _drop_import_notes(config, gateways_map, name)
        comments.drop_notes(name)
        gateways_map.yaml_set_comment_before_after_key(name, before=note, indent=comments.entry_column)
        out.append(Imported(name, gw["id"], True, secrets, notes, resources=resources))
    comments.put_back(doc, config, gateways_map)
    if not changed:
        return StackUpdate(path, None, out)
    buffer = StringIO()
    yaml.dump(doc, buffer)
    text = buffer.getvalue()
    return StackUpdate(path, None if text == original else text, out)


PROVIDER_CONFIG_ADOPTED = ("its provider configs are Pulumi dynamic resources, which `pulumi import` cannot adopt "
                           "(pulumi/pulumi#16175): the first `pulumi up` adopts each live config that has the "
                           "declared provider, alias and secret instead of creating a second one")
NO_STORE = ("the live gateway names no Secrets Store (store_id), so its keys' secrets cannot be imported: `pulumi up` "
            "would create the stack's store and new secrets, and stop at each live provider config (it points at "
            "another secret); delete those configs in the dashboard first, or set storeId")


def byok_entry(account: str, name: str, gw: Mapping[str, Any], live: byok.GatewayDetails | None,
               secrets: list[str]) -> tuple[dict[str, Any], list[tuple[str, str, str]], list[str]]:
    """(the entry's providerKeys and routes, the import-file entries for them, the notes) of one gateway.

    Keys: one ``providerKeys:`` entry per live provider config, the key a ``secure:`` placeholder (its path
    appended to ``secrets``); the secret's id and preview are never written. The gateway's ``storeId``
    (written from the live ``store_id``) makes the program put the secrets in that store, not a new one;
    each secret is adopted by `pulumi import` as `<account>/<store_id>/<secret_id>` (pulumi-cloudflare
    `secrets_store_secret.py`, "## Import"). Routes: each live route the spec can declare, adopted as
    `<account>/<gateway_id>/<route id>` (pulumi-cloudflare `ai_gateway_dynamic_routing.py`, "## Import"). A
    route the spec refuses is left out with a note. A route with a percentage split is written, but not in the
    import file: it is a Pulumi dynamic resource (aigw:DynamicRoute), which `pulumi import` cannot adopt
    (pulumi/pulumi#16175); its create takes the live route of that name when the elements are the declared
    ones (aigw/components/route.py), so the first `pulumi up` adopts it instead of making a second route."""
    if live is None:
        return {}, [], []
    entry: dict[str, Any] = {}
    resources: list[tuple[str, str, str]] = []
    keys, notes = byok.provider_keys_config(live.configs, _secure())
    store = gw.get("store_id")
    by_pair = {byok.config_key(c): c for c in live.configs}
    if keys:
        entry["providerKeys"] = keys
        for i, key in enumerate(keys):
            secrets.append(f"providerKeys[{i}].key")
            secret_id = by_pair[(key["provider"], key["alias"])].get("secret_id")
            if store and secret_id:
                resources.append((SECRETS_STORE_SECRET, f"{name}-{key['provider']}-{key['alias']}",
                                  f"{account}/{store}/{secret_id}"))
        notes.append(PROVIDER_CONFIG_ADOPTED)
        if not store:
            notes.append(NO_STORE)
    routes, route_notes = byok.routes_config(live.routes)
    notes += route_notes
    if routes:
        entry["routes"] = routes
        ids = {r.get("name"): r.get("id") for r in live.routes}
        splits = {route for route, spec in routes.items()
                  if any(isinstance(e, Mapping) and e.get("type") == "percentage" for e in spec["elements"])}
        notes += [SPLIT_ADOPTED.format(route=route) for route in sorted(splits)]
        resources += [(AI_GATEWAY_DYNAMIC_ROUTING, f"{name}-{route}", f"{account}/{gw['id']}/{ids[route]}")
                      for route in routes if route not in splits]
    return entry, resources, notes


def declared_resources(account: str, name: str, gw: Mapping[str, Any], live: byok.GatewayDetails | None,
                       own: Any) -> list[tuple[str, str, str]]:
    """The import-file entries of a gateway the stack file already declares (a rerun's file is the first
    run's): only the keys and routes that entry declares and the account has."""
    if live is None or not isinstance(own, Mapping):
        return []
    _, resources, _ = byok_entry(account, name, gw, live, [])
    keys = own.get("providerKeys") if isinstance(own.get("providerKeys"), list) else []
    pairs = {f"{name}-{k.get('provider')}-{k.get('alias', 'default')}" for k in keys if isinstance(k, Mapping)}
    routes = {f"{name}-{r}" for r in (own.get("routes") if isinstance(own.get("routes"), Mapping) else {})}
    return [r for r in resources if r[1] in (pairs if r[0] == SECRETS_STORE_SECRET else routes)]


def write_stack(path: Path, stack: str, account: str, environment: str, gateways: Sequence[Mapping[str, Any]],
                force: bool = False, details: Mapping[str, byok.GatewayDetails] | None = None) -> list[Imported]:
    """Add the gateways to ``path`` (created when missing); returns what was (and was not) written."""
    update = prepare_stack(path, stack, account, environment, gateways, force, details)
    if update.text is not None:
        write_text(path, update.text)
    return update.items


# --- layout ---------------------------------------------------------------------------------------


def _representer() -> type:
    """ruamel's round-trip representer, writing null as `null` (ruamel's own writes nothing: `key:`),
    so a hand-written `rateLimit: null` stays as it is and an imported setting that is off reads so."""
    from ruamel.yaml.representer import RoundTripRepresenter

    class Representer(RoundTripRepresenter):
        pass

    Representer.add_representer(type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    return Representer


_Representer = _representer()

_NOTE_PREFIXES = ("# imported from the live gateway ", "# pulumi config set -s ")
Lines = list[tuple[int, str]]  # comment lines as (column, text); text '' is a blank line


def _indentation(doc: Any) -> tuple[int, int, int]:
    """(mapping, sequence, offset) for ruamel's ``YAML.indent``, measured on the file: the first nested
    block mapping gives the mapping indent, the first block sequence the dash offset under its key.
    A file without them gets this repository's style (2; `- ` two columns under its key)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    mapping: int | None = None
    seq: tuple[int, int] | None = None
    stack = [doc]
    while stack and (mapping is None or seq is None):
        node = stack.pop()
        if not isinstance(node, CommentedMap):
            if isinstance(node, CommentedSeq):
                stack.extend(reversed(node))
            continue
        for key, value in node.items():
            if isinstance(value, CommentedMap) and value and not value.fa.flow_style() and mapping is None:
                indent = value.lc.key(next(iter(value)))[1] - node.lc.key(key)[1]
                mapping = indent if indent > 0 else None
            if isinstance(value, CommentedSeq) and value and not value.fa.flow_style() and seq is None:
                key_col = node.lc.key(key)[1]
                dash, content = value.lc.col - key_col, value.lc.item(0)[1] - key_col
                seq = (content, dash) if dash >= 0 and content > dash else None
        stack.extend(reversed(list(node.values())))
    sequence, offset = seq or (4, 2)
    return mapping or 2, sequence, offset


def _last_path(container: Any, key: Any = None) -> list[tuple[Any, Any]]:
    """(container, last key or index) from ``container`` (from its ``key``, if given) down through
    block containers to the deepest last value: where ruamel keeps the comment lines that follow."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    path = []
    node = container
    while isinstance(node, (CommentedMap, CommentedSeq)) and node and not node.fa.flow_style():
        if key is None:
            key = next(reversed(node)) if isinstance(node, CommentedMap) else len(node) - 1
        path.append((node, key))
        node, key = node[key], None
    return path


def _detach(path: list[tuple[Any, Any]], column: int, keep_end_of: Any = None) -> Lines:
    """Remove, from the comments along ``path``, the lines (after a value's own line) from the first
    one at or left of ``column`` on; return them. The end comments of ``keep_end_of`` stay (the
    document's own end comments are printed last whatever changes)."""
    from ruamel.yaml.comments import CommentedMap

    out: Lines = []
    for container, key in path:
        slot = 2 if isinstance(container, CommentedMap) else 0
        item = container.ca.items.get(key)
        token = item[slot] if item and len(item) > slot else None
        if token is not None:
            head, sep, rest = token.value.partition("\n")
            lines = [(len(line) - len(line.lstrip()), line.strip()) for line in rest.split("\n")[:-1]] if rest else []
            cut = _first_at_or_left_of(lines, column)
            if cut is not None:
                out += lines[cut:]
                token.value = head + sep + _text(lines[:cut])
        end = getattr(container.ca, "end", None) if container is not keep_end_of else None
        if end:
            cut = _first_at_or_left_of([(t.column, t.value.strip()) for t in end], column)
            if cut is not None:
                for t in end[cut:]:
                    out += [(t.column if line.strip() else 0, line.strip()) for line in t.value.split("\n")[:-1]]
                del end[cut:]
    return out


def _first_at_or_left_of(lines: Lines, column: int) -> int | None:
    """Index of the first comment line at or left of ``column``, blank lines just before it included."""
    for i, (at, text) in enumerate(lines):
        if text and at <= column:
            while i > 0 and not lines[i - 1][1]:
                i -= 1
            return i
    return None


def _text(lines: Lines) -> str:
    return "".join(" " * column + text + "\n" if text else "\n" for column, text in lines)


def _before(container: Any, key: Any, lines: Lines) -> None:
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    if lines:
        item = container.ca.items.setdefault(key, [None, None, None, None])
        tokens = [CommentToken((text + "\n") if text else "\n", CommentMark(column), None) for column, text in lines]
        item[1] = tokens + list(item[1] or [])


def _after(path: list[tuple[Any, Any]], lines: Lines) -> None:
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    if not lines or not path:
        return
    container, last = path[-1]
    slot = 2 if isinstance(container, CommentedMap) else 0
    item = container.ca.items.setdefault(last, [None, None, None, None] if slot == 2 else [None, None])
    if item[slot] is None:
        item[slot] = CommentToken("\n" + _text(lines), CommentMark(0), None)
    else:
        item[slot].value = item[slot].value.rstrip("\n") + "\n" + _text(lines)


class _Comments:
    """ruamel keeps the comment lines between two keys on the deepest value before them, so adding
    or replacing a gateway (or adding a key to config) would move or drop them. Taken off before the
    change, put back after it where they belong."""

    def __init__(self, doc: Any, config: Any, mapping: int):
        self.config_column, self.entry_column = mapping, 2 * mapping
        keys = list(config)
        # Lines at config level after its last key close the file: they stay last.
        self.end = _detach(_last_path(doc), self.config_column, keep_end_of=doc)
        # Lines at config level after `aigw:gateways` introduce the next key: they stay before it.
        self.next_key = keys[keys.index("aigw:gateways") + 1] if "aigw:gateways" in keys[:-1] else None
        self.between = _detach(_last_path(config, "aigw:gateways"), self.config_column) if self.next_key else []
        # Lines at gateway level: above the gateway after them, or (after the last one) after the last.
        self.above: dict[Any, Lines] = {}
        self.trailing: Lines = []
        gateways = config.get("aigw:gateways")
        names = list(gateways) if hasattr(gateways, "ca") else []
        for i, name in enumerate(names):
            lines = _detach(_last_path(gateways, name), self.entry_column)
            if i + 1 < len(names):
                self.above[names[i + 1]] = lines
            else:
                self.trailing = lines

    def drop_notes(self, name: str) -> None:
        """An earlier `aigw import` note above ``name`` that was taken off (before --force writes a new one)."""
        if name in self.above:
            self.above[name] = [(column, text) for column, text in self.above[name] if not _is_note(text, name)]

    def put_back(self, doc: Any, config: Any, gateways: Any) -> None:
        for name, lines in self.above.items():
            _before(gateways, name, lines)
        _after(_last_path(config, "aigw:gateways"), self.trailing)
        if self.next_key is not None:
            _before(config, self.next_key, self.between)
        _after(_last_path(doc), self.end)


def _is_note(text: str, name: str) -> bool:
    text = text.lstrip()
    return text.startswith(_NOTE_PREFIXES[0]) or (
        text.startswith(_NOTE_PREFIXES[1]) and f"aigw:gateways.{name}." in text)


def _drop_import_notes(config: Any, gateways_map: Any, name: str) -> None:
    """Earlier `aigw import` notes above ``name`` (before --force writes a new one). Above the first
    gateway, ruamel keeps them on the map itself (and on its key in config)."""
    holders = []
    item = gateways_map.ca.items.get(name)
    if item and len(item) > 1 and item[1]:
        holders.append(item[1])
    if next(iter(gateways_map), None) == name:
        comment = gateways_map.ca.comment
        if comment and len(comment) > 1 and comment[1]:
            holders.append(comment[1])
        outer = config.ca.items.get("aigw:gateways")
        if outer and len(outer) > 3 and outer[3]:
            holders.append(outer[3])
    for tokens in holders:
        tokens[:] = [t for t in tokens if not _is_note(t.value, name)]


def import_file(account: str, imported: Sequence[Imported]) -> dict[str, Any]:
    """A `pulumi import --file` document adopting the gateways: those written, and those the stack
    file already declared (a rerun's file is as complete as the first run's)."""
    resources: list[dict[str, Any]] = []
    for item in imported:
        if not item.adopt:
            continue
        parent = f"{item.name}-component"
        resources.append({"type": COMPONENT, "name": parent, "logicalName": item.name, "component": True})
        resources.append({"type": GATEWAY, "name": item.name,
                          "logicalName": item.name, "id": f"{account}/{item.gateway_id}", "parent": parent})
        resources += [{"type": type_, "name": logical, "logicalName": logical, "id": id_, "parent": parent}
                      for type_, logical, id_ in item.resources]
    return {"resources": resources}


def write_text(path: Path, text: str) -> None:
    """Write a prepared stack file (atomically, keeping its mode and symlink: aigw/atomic.py)."""
    atomic.replace(path, text.encode("utf-8"))


def write_import_file(path: Path, document: Mapping[str, Any]) -> None:
    atomic.replace(path, (json.dumps(document, indent=2) + "\n").encode("utf-8"))


# --- what `aigw import` says ----------------------------------------------------------------------

SKIPPED_DEFAULT = ("aigw: skipped the auto-created gateway `default` (name it with --gateway default to adopt "
                   "it anyway; the policy flags it: no-default-gateway)")


def unknown_gateways(unknown: Sequence[str], account: str, known: Sequence[str]) -> list[str]:
    """The errors for --gateway ids the account does not have."""
    return [f"--gateway {g}: no such gateway in account {account} (gateways: {', '.join(sorted(known)) or 'none'})"
            for g in unknown]


def skipped_elsewhere(gateway_id: str, where: tuple[str, str, str]) -> str:
    other, file_name, key = where
    return f"aigw: skipped {gateway_id}: stack {other} already declares it ({file_name}, {key})"


def kept(item: Imported, path: Path) -> str:
    """Why a gateway the stack file already has was left alone."""
    why = item.reason or f"already declared in {path.name}"
    return (f"aigw: kept aigw:gateways.{item.name}" + ("" if item.reason else f" ({item.gateway_id})")
            + f": {why} (--force overwrites)")


def nothing_to_import(path: Path, account: str, chosen: bool) -> str:
    why = "no gateway chosen can be adopted (see above)" if chosen else f"account {account} has no gateway to adopt"
    return f"nothing to import into {path.name}: {why}; no file written"


def imported(items: Sequence[Imported], stack: str) -> list[tuple[str, bool]]:
    """The lines for the gateways written, in order: (line, whether it goes to stderr)."""
    out: list[tuple[str, bool]] = []
    for item in items:
        if not item.written:
            continue
        out.append((f"imported {item.gateway_id} as aigw:gateways.{item.name}", False))
        out += [(f"  {item.gateway_id}: {note}", True) for note in item.notes]
        out += [(f"  set the credential: {set_secret_command(stack, item.name, where)}", False)
                for where in item.secrets]
    return out


def wrote(path: Path, target: Path, stack: str, stack_written: bool) -> str:
    files = f"{path.name} and {target.name}" if stack_written else f"{target.name} ({path.name} unchanged)"
    return f"wrote {files}; then: pulumi import -s {stack} --file {target.name}"
