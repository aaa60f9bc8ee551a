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
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigw_policy.rules import GATEWAY, is_credential_name

from ..spec import AUTHENTICATION_IMPORTED_OFF

COMPONENT = "aigw:index:Gateway"
AUTHENTICATION_UNKNOWN = ("the API did not say whether authentication is on: the stack declares the default "
                          "(authentication: true); check the gateway in the dashboard, and if it is off write "
                          "authentication: imported-off before `pulumi up` (turning it on cannot be undone)")
PLACEHOLDER = "v1:REPLACE-ME-with-pulumi-config-set-secret"


class ImportError_(Exception):
    """Invalid input for an import (exit 2)."""


@dataclass
class Imported:
    name: str
    gateway_id: str
    written: bool
    secrets: list[str] = field(default_factory=list)  # key paths holding a placeholder
    notes: list[str] = field(default_factory=list)  # what the user must check before `pulumi up`


def gateway_name(gateway_id: str, environment: str) -> str:
    prefix = f"{environment}-"
    return gateway_id[len(prefix):] if gateway_id.startswith(prefix) and len(gateway_id) > len(prefix) else gateway_id


def _secure() -> dict[str, str]:
    return {"secure": PLACEHOLDER}


def gateway_config(gw: Mapping[str, Any], environment: str) -> tuple[str, dict[str, Any], list[str]]:
    """(logical name, the gateway's aigw:gateways entry, key paths (under the entry) of credential placeholders)."""
    name = gateway_name(gw["id"], environment)
    secrets: list[str] = []
    entry: dict[str, Any] = {}
    if gw["id"] != f"{environment}-{name}":
        entry["id"] = gw["id"]
    entry["cache"] = {"ttl": gw.get("cache_ttl") or 0, "invalidateOnUpdate": bool(gw.get("cache_invalidate_on_update"))}
    limit, interval = gw.get("rate_limiting_limit") or 0, gw.get("rate_limiting_interval") or 0
    entry["rateLimit"] = ({"limit": limit, "interval": interval,
                           "technique": str(gw.get("rate_limiting_technique") or "fixed").lower()}
                          if limit and interval else None)
    logging: dict[str, Any] = {"collect": bool(gw.get("collect_logs")),
                               "classification": bool(gw.get("log_classification")),
                               "logpush": bool(gw.get("logpush"))}
    logging["maxLogs"] = gw.get("log_management")
    strategy = gw.get("log_management_strategy")
    logging["onFull"] = {"DELETE_OLDEST": "deleteOldest", "STOP_INSERTING": "stopInserting"}.get(
        str(strategy).upper()) if strategy else None
    if gw.get("logpush_public_key"):
        from ruamel.yaml.scalarstring import LiteralScalarString

        key = str(gw["logpush_public_key"])  # a PEM block: written as a YAML block, as a person would
        logging["logpushPublicKey"] = LiteralScalarString(key) if "\n" in key else key
    entry["logging"] = logging
    # Changelog 2026-11-03 ("New AI Gateways require authentication"): `false` is refused in config;
    # a gateway already off is declared `imported-off` (sent as false, which keeps it off); one
    # whose API record does not say is left to the default (true) with a note: an absent value is
    # unknown, and writing `imported-off` for a gateway that is on would make `pulumi up` fail.
    if gw.get("authentication") is True:
        entry["authentication"] = True
    elif gw.get("authentication") is False:
        entry["authentication"] = AUTHENTICATION_IMPORTED_OFF
    entry["retry"] = ({"maxAttempts": gw["retry_max_attempts"], "delayMs": gw.get("retry_delay"),
                       "backoff": gw.get("retry_backoff")} if gw.get("retry_max_attempts") else None)
    entry["dlp"] = _dlp(gw.get("dlp"))
    guardrails = gw.get("guardrails") or {}
    g = {side: {k.upper(): v for k, v in (guardrails.get(side) or {}).items() if v} for side in ("prompt", "response")}
    entry["guardrails"] = g if any(g.values()) else None
    otels = []
    for i, otel in enumerate(gw.get("otel") or []):
        o: dict[str, Any] = {"url": otel["url"], "contentType": otel.get("content_type") or "json", "headers": {}}
        for header, value in (otel.get("headers") or {}).items():
            if is_credential_name(header):
                o["headers"][header] = _secure()
                secrets.append(f"otel[{i}].headers.{header}")
            else:
                o["headers"][header] = value
        if otel.get("authorization") is not None:
            o["authorization"] = _secure()
            secrets.append(f"otel[{i}].authorization")
        otels.append(o)
    entry["otel"] = otels
    entry["spendLimits"] = _spend(gw.get("spend_limits"))
    if gw.get("stripe"):
        events = gw["stripe"].get("usage_events") or []
        entry["stripe"] = {"authorization": _secure(), "usageEvents": [{"payload": e.get("payload")} for e in events]}
        secrets.append("stripe.authorization")
    entry["zdr"] = bool(gw.get("zdr"))
    entry["byokOnly"] = bool(gw.get("byok_only"))
    entry["workersAiBillingMode"] = gw.get("workers_ai_billing_mode") or "postpaid"
    if gw.get("store_id"):
        entry["storeId"] = gw["store_id"]
    return name, entry, secrets


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
                                "technique": r.get("technique") or "sliding", "enabled": r.get("enabled", True)}
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


def set_secret_command(stack: str, name: str, where: str) -> str:
    return f"pulumi config set -s {stack} --secret --path 'aigw:gateways.{name}.{where}' <value>"


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_stack(path: Path, stack: str, account: str, environment: str, gateways: Sequence[Mapping[str, Any]],
                force: bool = False) -> list[Imported]:
    """Add the gateways to ``path`` (created when missing); returns what was (and was not) written.

    The file's layout is kept: its indentation (sequence items included) is measured and reused, and
    comment lines stay where they were written relative to the keys around them, although ruamel
    keeps a comment on the deepest value before it (see _Comments): the comment closing the file stays
    last, one introducing the key after `aigw:gateways` stays before that key, one between two
    gateways stays above the second, whatever is added or replaced.
    """
    from io import StringIO

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    yaml = YAML(typ="rt")
    yaml.Representer = _Representer
    yaml.preserve_quotes = True
    yaml.width = 4096
    doc = yaml.load(path.read_text()) if path.exists() else None
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
    out: list[Imported] = []
    for gw in gateways:
        name, entry, secrets = gateway_config(gw, str(env))
        if name in gateways_map and not force:
            out.append(Imported(name, gw["id"], False))
            continue
        gateways_map[name] = CommentedMap(entry)
        note = f"imported from the live gateway {gw['id']} by `aigw import`"
        notes = [AUTHENTICATION_UNKNOWN] if gw.get("authentication") is None else []
        if notes:
            note += "; " + AUTHENTICATION_UNKNOWN
        if secrets:
            note += "; credentials are placeholders, set each with:\n" + "\n".join(
                set_secret_command(stack, name, where) for where in secrets)
        _drop_import_notes(config, gateways_map, name)
        comments.drop_notes(name)
        gateways_map.yaml_set_comment_before_after_key(name, before=note, indent=comments.entry_column)
        out.append(Imported(name, gw["id"], True, secrets, notes))
    comments.put_back(doc, config, gateways_map)
    buffer = StringIO()
    yaml.dump(doc, buffer)
    _write_atomic(path, buffer.getvalue())
    return out


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
    """A `pulumi import --file` document adopting the written gateways."""
    resources: list[dict[str, Any]] = []
    for item in imported:
        if not item.written:
            continue
        parent = f"{item.name}-component"
        resources.append({"type": COMPONENT, "name": parent, "logicalName": item.name, "component": True})
        resources.append({"type": GATEWAY, "name": item.name,
                          "logicalName": item.name, "id": f"{account}/{item.gateway_id}", "parent": parent})
    return {"resources": resources}


def write_import_file(path: Path, document: Mapping[str, Any]) -> None:
    _write_atomic(path, json.dumps(document, indent=2) + "\n")
