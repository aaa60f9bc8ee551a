"""The CrossGuard pack: every rule of rules.py as a pulumi-policy Policy.

Runs inside the policy plugin process the Pulumi CLI starts (`python -m pulumi.policy ADDR .`
in this folder). The stack comes from PULUMI_STACK, its environment and account from
PULUMI_CONFIG (`aigw:environment`, `aigw:accountId`, `aigw:productionEnvironments`).

Two departures from pulumi-policy's defaults, both so that rules see what the engine sent:
- Secrets. The engine sends secret values wrapped (KeepSecrets), but pulumi-policy 1.21 unwraps
  them before a policy sees them, so no policy could tell a secret from plain text. The
  servicer's `deserialize_properties` is replaced by `values.from_wire`, which keeps the
  wrapper as `Secret` (and turns unknowns into `Unknown`). This is a private name of
  pulumi-policy: the range is pinned (requirements.txt) and tests drive this pack over gRPC.
- Unknowns. pulumi-policy turns a policy that touches an unknown value during preview into an
  advisory "can't run policy" note, silently weakening a mandatory rule; here the rule itself
  decides (engine.guarded): a violation in production, nothing elsewhere.
- The policy config as a whole. A policy sees only its own config (`args.get_config()`), but
  relaxations-waived judges every rule's level and waivers: the servicer's `Configure` (which gets
  every policy's level and properties, see pulumi's pkg/resource/analyzer/config.go
  ReconcilePolicyPackConfig) is wrapped to keep a copy, and relaxations-waived is always run as
  mandatory (a policy config cannot switch off the rule that reports switching rules off).
  A violation that a waiver holds for is not reported (pulumi-policy has no suppressed state).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)
from pulumi_policy import policy as _servicer_module
from pulumi_policy.proxy import _DictProxy, _ListProxy

from .engine import (
    Context,
    Rule,
    effective_level,
    holding_waivers,
    is_production,
    run_resource_rule,
    run_stack_rule,
    waived,
)
from .rules import RULES
from .values import Resource, from_wire
from .waivers import RULE_ID as RELAXATIONS_WAIVED

PACK_NAME = "aigw-policy"


def _keep_secrets(props: dict[str, Any], proxy_secrets: bool = False) -> dict[str, Any]:
    return from_wire(props)


_servicer_module.deserialize_properties = _keep_secrets

_Servicer = _servicer_module._PolicyAnalyzerServicer
_configure = _Servicer.Configure
_enforcement_level = _Servicer._get_enforcement_level
# What the engine's last Configure sent: policy name -> (enforcement level, properties).
CONFIGURED: dict[str, tuple[str, dict[str, Any]]] = {}
# What is derived from it once per Configure, not per Analyze call: the settings, the waivers holding today.
_DERIVED: dict[Any, Any] = {}


def _keep_config(self, request, context):
    from google.protobuf import json_format

    CONFIGURED.clear()
    _DERIVED.clear()
    for name in request.policyConfig:
        entry = request.policyConfig[name]
        CONFIGURED[name] = (self._convert_enforcement_level(entry.enforcementLevel).value,
                            json_format.MessageToDict(entry.properties))
    return _configure(self, request, context)


def _level(self, policy):
    if policy.name == RELAXATIONS_WAIVED:
        return EnforcementLevel.MANDATORY
    return _enforcement_level(self, policy)


_Servicer.Configure = _keep_config
_Servicer._get_enforcement_level = _level


def plain(value: Any) -> Any:
    """pulumi-policy's unknown-checking proxies -> plain dicts and lists (no unknown check)."""
    if isinstance(value, _DictProxy):
        return {k: plain(v) for k, v in value["__target"].items()}
    if isinstance(value, _ListProxy):
        return [plain(v) for v in value["__target"]]
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    return value


def _config_value(config: Mapping[str, str], key: str) -> Any:
    raw = config.get(key)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


@functools.lru_cache(maxsize=1)
def _stack(pulumi_stack: str, pulumi_config: str) -> tuple[str, str, tuple[str, ...], str | None]:
    """(stack, environment, the stack's own production environments, account) from the plugin's
    environment (parsed once per distinct value: it does not change while the engine runs)."""
    config_env = json.loads(pulumi_config or "{}")
    environment = str(config_env.get("aigw:environment") or pulumi_stack)
    listed = _config_value(config_env, "aigw:productionEnvironments") or []
    own = tuple(listed) if isinstance(listed, list) else ()
    return pulumi_stack, environment, own, config_env.get("aigw:accountId")


def configured_settings() -> dict[str, tuple[str, dict[str, Any]]]:
    """Every rule's (level, properties with defaults) as the engine configured the pack."""
    if "settings" not in _DERIVED:
        out = {}
        for rule in RULES:
            level, props = CONFIGURED.get(rule.id, (rule.level, {}))
            out[rule.id] = (rule.level if rule.id == RELAXATIONS_WAIVED else level, {**rule.defaults(), **props})
        _DERIVED["settings"] = out
    return _DERIVED["settings"]


def _holding(ctx: Context) -> list:
    key = ("holding", ctx.today)
    if key not in _DERIVED:
        _DERIVED[key] = holding_waivers(ctx.settings, ctx.today)
    return _DERIVED[key]


def stack_context(rule_config: Mapping[str, Any] | None, rule: Rule) -> Context:
    stack, environment, stack_production, account = _stack(os.environ.get("PULUMI_STACK", ""),
                                                            os.environ.get("PULUMI_CONFIG", ""))
    config = {**rule.defaults(), **(rule_config or {})}
    return Context(stack, environment, is_production(environment, config, stack_production), account, config,
                   settings=configured_settings())


def _resource_policy(rule: Rule) -> ResourceValidationPolicy:
    def validate(args, report_violation) -> None:
        if args.resource_type not in rule.types:
            return
        resource = Resource(args.resource_type, args.name, plain(args.props), args.urn)
        ctx = stack_context(args.get_config(), rule)
        holding = _holding(ctx)
        for v in run_resource_rule(rule, resource, ctx):
            if not waived(holding, rule.id, ctx.stack, v.resource.name if v.resource else ctx.stack):
                report_violation(v.message)

    return ResourceValidationPolicy(rule.id, rule.description, validate, **_common(rule))


def _stack_policy(rule: Rule) -> StackValidationPolicy:
    def validate(args, report_violation) -> None:
        resources = [Resource(r.resource_type, r.name, plain(r.props), r.urn) for r in args.resources]
        ctx = stack_context(args.get_config(), rule)
        holding = _holding(ctx)
        for v in run_stack_rule(rule, resources, ctx):
            if not waived(holding, rule.id, ctx.stack, v.resource.name if v.resource else ctx.stack):
                report_violation(v.message, v.resource.urn if v.resource and v.resource.urn else None)

    return StackValidationPolicy(rule.id, rule.description, validate, **_common(rule))


def _common(rule: Rule) -> dict[str, Any]:
    return {
        "enforcement_level": EnforcementLevel(effective_level(rule.level)),
        "config_schema": PolicyConfigSchema(properties={k: dict(v) for k, v in rule.schema().items()}),
        "severity": Severity(rule.severity),
        "remediation_steps": rule.remediation,
    }


def policies() -> list:
    return [_resource_policy(r) if r.scope == "resource" else _stack_policy(r) for r in RULES]


def serve() -> None:
    """Serve the Analyzer gRPC service (prints the port, blocks until killed)."""
    PolicyPack(PACK_NAME, policies())
