"""Which secrets a change touched, from the stack files' ciphertext.

A plan never holds secret values (offline they cannot be decrypted), so two plans show the same
"[secret]" before and after. The stack file does change: a new `secure:` ciphertext at a key
path means the value changed. Only that fact is reported ("changed"), never a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from aigw_policy.rules import GATEWAY, LOGPUSH_JOB, WORKERS_SCRIPT

from ..yamlfast import MAX_FILE_BYTES, load

LOGPUSH_JOB_NAME = "logpush-job"  # aigw/components/log_export.py


def secure_values(text: str | None) -> dict[str, str]:
    """key path (``aigw:gateways.bot.otel[0].authorization``) -> ciphertext, for every `secure:` value."""
    if not text or len(text.encode("utf-8", "replace")) > MAX_FILE_BYTES:
        return {}
    try:
        # Bounded like every stack-file read (aliases, depth, size): a base revision's file is
        # input from a pull request too, and a billion-laughs one must not hang the review.
        doc = load(text)
    except yaml.YAMLError:
        return {}
    out: dict[str, str] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            if set(node) == {"secure"}:
                out[path] = str(node["secure"])
                return
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")

    walk((doc or {}).get("config") if isinstance(doc, Mapping) else None, "")
    return out


def _setting(rest: str) -> str:
    # otel[0].authorization -> "otel[0] authorization"; otel[0].headers.x-api-key -> "otel[0] header x-api-key"
    head, _, tail = rest.partition(".")
    if tail.startswith("headers."):
        return f"{head} header {tail[len('headers.'):]}"
    return f"{head} {tail}".strip()


def secret_changes(base_text: str | None, head_text: str | None
                   ) -> tuple[dict[tuple[str, str], list[str]], list[str]]:
    """((type, name) -> settings whose secret changed, notes for secrets not tied to one resource)."""
    before, after = secure_values(base_text), secure_values(head_text)
    touched = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
    by_resource: dict[tuple[str, str], list[str]] = {}
    notes: list[str] = []
    for path in touched:
        what = "added" if path not in before else "removed" if path not in after else "changed"
        namespace, _, rest = path.partition(".")
        if namespace == "aigw:gateways" and "." in rest:
            name, _, setting = rest.partition(".")
            by_resource.setdefault((GATEWAY, name), []).append(_setting(setting))
        elif namespace == "aigw:workers" and ".secrets." in rest:
            name, _, key = rest.partition(".secrets.")
            by_resource.setdefault((WORKERS_SCRIPT, name), []).append(f"binding {key}")
        elif namespace == "aigw:logpush":
            by_resource.setdefault((LOGPUSH_JOB, LOGPUSH_JOB_NAME), []).append(f"destination ({rest})")
        else:
            notes.append(f"secret {path}: {what} (value not shown)")
    return by_resource, notes
