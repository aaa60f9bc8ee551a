"""Every planned pulumi-cloudflare resource passes the installed provider's own input schema.

The bridged provider checks inputs when the engine calls Check, i.e. at every `pulumi preview`:
required inputs, types, and the Terraform validators, of which the enums
(`stringvalidator.OneOfCaseInsensitive`) are published in the Python SDK's docstrings as
"Available values: ...". This test reads exactly that from the installed `pulumi_cloudflare`
package (the Args classes' type hints and their property docstrings), so a resource the
provider would reject at preview fails here, offline. pulumi-cloudflare 6.23.1's LogpushJob
`dataset` enum has no `ai_gateway_events`: that is why the stack's Logpush job is a dynamic
resource (aigw/components/logpush_job.py), and a test below proves the checker catches it.
"""

from __future__ import annotations

import collections.abc
import inspect
import json
import re
import sys
import typing
from functools import cache
from pathlib import Path
from typing import Any

import pulumi
import pulumi_cloudflare
import pytest
from helpers.plan_server import plan_runner

ROOT = Path(__file__).resolve().parents[1]
STACKS = sorted(p.name for p in ROOT.glob("Pulumi.*.yaml"))
_AVAILABLE = re.compile(r"Available values:\s*(.*?)\.\s*$", re.S | re.M)


def _enum(doc: str | None) -> tuple[str, ...] | None:
    """The values of "Available values: "a", "b"." (the docs render `_` as `*`: "access*requests")."""
    match = _AVAILABLE.search(doc or "")
    if match is None:
        return None
    return tuple(v.replace("*", "_") for v in re.findall(r'"([^"]*)"', match.group(1)))


@cache
def _fields(args_class: type) -> dict[str, tuple[str, Any, bool, tuple[str, ...] | None]]:
    """camelCase name -> (python name, type hint, required, enum) of an input Args class."""
    # pulumi.Input[T] is Union[T, Awaitable[T], "Output[T]"]: the forward reference needs Output.
    hints = typing.get_type_hints(args_class.__init__, {**vars(sys.modules[args_class.__module__]),
                                                        "Output": pulumi.Output, "T": Any})
    params = inspect.signature(args_class.__init__).parameters
    out = {}
    for name, param in params.items():
        if name in ("__self__", "self"):
            continue
        prop = getattr(args_class, name, None)
        getter = prop.fget if isinstance(prop, property) else None
        camel = getattr(getter, "_pulumi_name", None) or _camel(name)
        out[camel] = (name, hints[name], param.default is inspect.Parameter.empty, _enum(getter and getter.__doc__))
    return out


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def _candidates(hint: Any) -> list[Any]:
    """The concrete types a `pulumi.Input[Optional[...]]` hint allows (Outputs and awaitables dropped)."""
    origin = typing.get_origin(hint)
    if origin is typing.Union:
        out: list[Any] = []
        for arg in typing.get_args(hint):
            out += _candidates(arg)
        return out
    if hint is type(None) or origin in (collections.abc.Awaitable, pulumi.Output) or hint is pulumi.Output:
        return []
    if inspect.isclass(hint) and issubclass(hint, pulumi.Output):
        return []
    return [hint]


def problems(value: Any, hint: Any, path: str, enum: tuple[str, ...] | None = None) -> list[str]:
    """What the provider would reject in ``value`` for an input typed ``hint`` (empty when valid)."""
    if value == "[secret]":  # offline a secret holds this placeholder: its type is not known here
        return []
    found: list[str] = []
    for kind in _candidates(hint):
        origin = typing.get_origin(kind)
        if kind in (str, int, float, bool):
            ok = (isinstance(value, bool) if kind is bool else
                  isinstance(value, (int, float)) and not isinstance(value, bool) if kind is float else
                  isinstance(value, int) and not isinstance(value, bool) if kind is int else isinstance(value, str))
            if not ok:
                found.append(f"{path}: {value!r} is not {kind.__name__}")
                continue
            if enum is not None and isinstance(value, str) and value.lower() not in {e.lower() for e in enum}:
                return [f"{path}: {value!r} is not one of the provider's values {list(enum)}"]
            return []
        if origin in (collections.abc.Sequence, list):
            if not isinstance(value, list):
                found.append(f"{path}: not a list")
                continue
            [item] = typing.get_args(kind)
            return [p for i, v in enumerate(value) for p in problems(v, item, f"{path}[{i}]", enum)]
        if origin in (collections.abc.Mapping, dict):
            if not isinstance(value, dict):
                found.append(f"{path}: not a map")
                continue
            _, item = typing.get_args(kind)
            return [p for k, v in value.items() for p in problems(v, item, f"{path}.{k}")]
        if inspect.isclass(kind) and kind.__name__.endswith("Args"):
            if not isinstance(value, dict):
                found.append(f"{path}: not an object")
                continue
            return args_problems(value, kind, path)
        if kind is typing.Any:
            return []
    return found[:1] if found else []


def args_problems(props: dict[str, Any], args_class: type, path: str = "") -> list[str]:
    fields = _fields(args_class)
    out = [f"{path}{'.' if path else ''}{k}: not an input of {args_class.__name__}" for k in props if k not in fields]
    for camel, (_, hint, required, enum) in fields.items():
        where = f"{path}{'.' if path else ''}{camel}"
        if camel not in props or props[camel] is None:
            if required:
                out.append(f"{where}: required by {args_class.__name__}")
            continue
        out += problems(props[camel], hint, where, enum)
    return out


def resource_problems(resource: dict[str, Any]) -> list[str]:
    """A planned resource of pulumi-cloudflare against its Args class (type token -> class name)."""
    package, _module, name = resource["type"].split(":")
    assert package == "cloudflare"
    args_class = getattr(pulumi_cloudflare, f"{name}Args")
    return [f"{resource['type']} {resource['name']!r}: {p}" for p in args_problems(resource["props"], args_class)]


@pytest.fixture(scope="module")
def plans() -> dict[str, dict[str, Any]]:
    out = {}
    for stack in STACKS:
        proc = plan_runner([stack], cwd=ROOT)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        out[stack] = json.loads(proc.stdout)
    return out


def test_the_repo_has_stacks_to_check():
    assert {"Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"} <= set(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_every_planned_provider_resource_passes_the_provider_schema(plans, stack):
    custom = [r for r in plans[stack]["resources"] if r["type"].startswith("cloudflare:")]
    assert custom, "nothing to check"
    assert [p for r in custom for p in resource_problems(r)] == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_other_custom_resource_is_one_of_the_projects_dynamic_resources(plans, stack):
    # Anything that is neither pulumi-cloudflare nor a component of this project must be known here: the
    # Logpush job and the BYOK provider config, dynamic resources over the SDK (no provider resource exists).
    others = {r["type"] for r in plans[stack]["resources"]
              if not r["type"].startswith(("cloudflare:", "aigw:index:"))}
    assert others <= {"pulumi-python:dynamic/aigw:LogpushJob", "pulumi-python:dynamic/aigw:ProviderConfig"}


def test_the_provider_rejects_a_logpush_job_of_the_ai_gateway_dataset(plans):
    # What the program would plan with pulumi_cloudflare.LogpushJob: the provider's enum rejects it.
    [job] = [r for r in plans["Pulumi.prod.yaml"]["resources"] if r["type"].endswith("aigw:LogpushJob")]
    as_provider = {**job, "type": "cloudflare:index/logpushJob:LogpushJob"}
    [problem] = resource_problems(as_provider)
    assert problem.startswith("cloudflare:index/logpushJob:LogpushJob 'logpush-job': dataset: 'ai_gateway_events' "
                              "is not one of the provider's values")
    assert resource_problems({**as_provider, "props": {**job["props"], "dataset": "HTTP_requests"}}) == []


def test_the_checker_reads_enums_types_and_required_inputs():
    gateway = {"accountId": "a", "aiGatewayId": "x", "cacheInvalidateOnUpdate": True, "cacheTtl": 0,
               "collectLogs": True, "rateLimitingInterval": 0, "rateLimitingLimit": 0}
    assert args_problems(gateway, pulumi_cloudflare.AiGatewayArgs) == []
    assert args_problems({**gateway, "rateLimitingTechnique": "token-bucket"}, pulumi_cloudflare.AiGatewayArgs) == [
        "rateLimitingTechnique: 'token-bucket' is not one of the provider's values ['fixed', 'sliding']"]
    assert args_problems({**gateway, "cacheTtl": "60"}, pulumi_cloudflare.AiGatewayArgs) == [
        "cacheTtl: '60' is not int"]
    missing = {k: v for k, v in gateway.items() if k != "collectLogs"}
    assert args_problems(missing, pulumi_cloudflare.AiGatewayArgs) == ["collectLogs: required by AiGatewayArgs"]
    nested = {**gateway, "otels": [{"url": "https://o", "headers": {}, "contentType": "xml"}]}
    [problem] = args_problems(nested, pulumi_cloudflare.AiGatewayArgs)
    assert problem.startswith("otels[0].contentType: 'xml' is not one of the provider's values")
    assert args_problems({**gateway, "colour": 1}, pulumi_cloudflare.AiGatewayArgs) == [
        "colour: not an input of AiGatewayArgs"]
