"""Shared helpers for the review tests (`aigw diff`, `aigw compare`): plan fixtures and the command line."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from typing import Any

# One way to run the real command line for every layer-3 test (tests/helpers/plan.py, importable
# everywhere: pyproject.toml's pytest `pythonpath`).
from helpers.plan import ROOT, aigw

__all__ = ["ACCOUNT_TOKEN", "API_TOKEN", "EDGE_WORKER", "GATEWAY", "LOGPUSH_JOB", "R2_BUCKET", "REVIEW_DATE", "ROOT",
           "SUBDOMAIN", "WORKERS_SCRIPT", "aigw", "custom", "edited", "props", "resource", "stray_html", "without"]

GATEWAY = "cloudflare:index/aiGateway:AiGateway"
WORKERS_SCRIPT = "cloudflare:index/workersScript:WorkersScript"
SUBDOMAIN = "cloudflare:index/workersScriptSubdomain:WorkersScriptSubdomain"
ACCOUNT_TOKEN = "cloudflare:index/accountToken:AccountToken"
LOGPUSH_JOB = "pulumi-python:dynamic/aigw:LogpushJob"  # aigw/components/logpush_job.py
R2_BUCKET = "cloudflare:index/r2Bucket:R2Bucket"
EDGE_WORKER = "aigw:index:EdgeWorker"
API_TOKEN = "aigw:index:ApiToken"
REVIEW_DATE = "2026-12-01"  # AIGW_TODAY for every review test (conftest.py)


def resource(plan: Mapping[str, Any], type_: str, name: str) -> dict[str, Any]:
    found = [r for r in plan["resources"] if r["type"] == type_ and r["name"] == name]
    assert len(found) == 1, f"{type_} {name}: {len(found)} in the plan"
    return found[0]


def props(plan: Mapping[str, Any], type_: str, name: str) -> dict[str, Any]:
    """The (mutable) props of one resource of ``plan``."""
    return resource(plan, type_, name)["props"]


def edited(plan: Mapping[str, Any], type_: str = GATEWAY, name: str = "batch-summariser", **changes: Any
           ) -> dict[str, Any]:
    """A deep copy of ``plan`` with ``changes`` set on one resource's props (None removes a prop)."""
    out = copy.deepcopy(dict(plan))
    target = props(out, type_, name)
    for key, value in changes.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    return out


def without(plan: Mapping[str, Any], type_: str, name: str) -> dict[str, Any]:
    """A deep copy of ``plan`` without one resource."""
    out = copy.deepcopy(dict(plan))
    resource(out, type_, name)  # it was there
    out["resources"] = [r for r in out["resources"] if not (r["type"] == type_ and r["name"] == name)]
    return out


def custom(plan: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(type, name) of every Cloudflare resource of ``plan`` (components left out)."""
    return ((r["type"], r["name"]) for r in plan["resources"] if not r["type"].startswith("aigw:"))


# What GitHub keeps of raw HTML in a comment: the aigw-diff marker, <details> and <summary>.
_KEPT_HTML = re.compile(r"<!-- aigw-diff: stack=\S+ -->|</?details>|</?summary>")


def stray_html(markdown: str) -> list[str]:
    """Raw HTML tags outside code spans: GitHub strips them, and the text they stood for with them.

    A placeholder such as `<run token>` or `<env>-support-bot` written as plain text is one.
    """
    outside_code = re.sub(r"`[^`\n]*`", "", _KEPT_HTML.sub("", markdown))
    return re.findall(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?>", outside_code)
