"""Policy config files: the format of `pulumi preview --policy-pack-config FILE`.

A JSON object keyed by policy id (or "all"): a value is an enforcement level
("advisory" | "mandatory" | "remediate" | "disabled") or an object with an optional
"enforcementLevel" and the policy's own properties. "all" sets the level of every policy; a
policy's own level wins over it. Properties are checked against the policy's config schema,
and, stricter than the Pulumi CLI, unknown properties are errors (a typo would be ignored).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aigw_policy.engine import LEVELS
from aigw_policy.rules import RULES, RULES_BY_ID
from aigw_policy.waivers import RULE_ID as RELAXATIONS_WAIVED

Settings = dict[str, tuple[str, dict[str, Any]]]


class PolicyConfigError(Exception):
    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


def _shown(value: Any) -> str:
    return json.dumps(value)


def settings_from(data: Any, source: str) -> Settings:
    """Resolved (level, properties with schema defaults) per policy; errors name file, key, value."""
    from jsonschema import Draft7Validator

    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise PolicyConfigError([f"{source}: {_shown(data)}: a policy config is a JSON object keyed by policy id"])
    levels = ", ".join(LEVELS)
    all_level: str | None = None
    given: dict[str, tuple[str | None, dict[str, Any]]] = {}
    for key, value in data.items():
        level: Any = None
        props: dict[str, Any] = {}
        if isinstance(value, str):
            level = value
        elif isinstance(value, Mapping):
            level = value.get("enforcementLevel")
            props = {k: v for k, v in value.items() if k != "enforcementLevel"}
        else:
            problems.append(f"{source}: {key}: {_shown(value)}: expected an enforcement level ({levels}) "
                            "or an object with enforcementLevel and the policy's properties")
            continue
        if level is not None and level not in LEVELS:
            where = key if isinstance(value, str) else f"{key}.enforcementLevel"
            problems.append(f"{source}: {where}: {_shown(level)}: allowed: {levels}")
            continue
        if key == "all":
            if props:
                problems.append(f"{source}: all: {_shown(sorted(props))}: \"all\" takes only an enforcement level")
            all_level = level
            continue
        rule = RULES_BY_ID.get(key)
        if rule is None:
            problems.append(f"{source}: {key}: unknown policy; policies: {', '.join(r.id for r in RULES)}")
            continue
        if key == RELAXATIONS_WAIVED and level in ("advisory", "disabled"):
            where = key if isinstance(value, str) else f"{key}.enforcementLevel"
            problems.append(f"{source}: {where}: {_shown(level)}: {key} cannot be relaxed (it is what makes a "
                            "relaxation visible); allowed: mandatory, remediate")
            continue
        schema = {"type": "object", "properties": rule.schema(), "additionalProperties": False}
        for error in sorted(Draft7Validator(schema).iter_errors(props), key=lambda e: list(e.path)):
            path = ".".join(str(p) for p in [key, *error.path])
            if error.validator == "additionalProperties":
                allowed = ", ".join(["enforcementLevel", *rule.schema()])
                extra = sorted(set(props) - set(rule.schema()))
                problems.append(f"{source}: {key}.{extra[0]}: {_shown(props[extra[0]])}: unknown property; "
                                f"allowed: {allowed}")
            else:
                problems.append(f"{source}: {path}: {_shown(error.instance)}: {error.message}")
        pattern = props.get("gatewayIdPattern")
        if isinstance(pattern, str):
            try:
                re.compile(pattern.replace("{environment}", "env"))
            except re.error as exc:
                problems.append(f"{source}: {key}.gatewayIdPattern: {_shown(pattern)}: not a regular expression "
                                f"({exc}); {{environment}} stands for the stack's environment")
        given[key] = (level, props)
    if problems:
        raise PolicyConfigError(problems)
    settings: Settings = {}
    for rule in RULES:
        level, props = given.get(rule.id, (None, {}))
        if rule.id == RELAXATIONS_WAIVED:
            level = level or rule.level  # "all" does not lower it (the pack keeps it mandatory too)
        settings[rule.id] = (level or all_level or rule.level, {**rule.defaults(), **props})
    return settings


def load_settings(path: Path | None) -> Settings:
    if path is None:
        return settings_from({}, "(defaults)")
    try:
        text = path.read_text()
    except OSError as exc:
        raise PolicyConfigError([f"{path}: cannot read the policy config: {exc.strerror}"]) from None
    except UnicodeDecodeError as exc:
        problem = f"{path}: not UTF-8 text (byte {exc.start}): a policy config is a JSON file"
        raise PolicyConfigError([problem]) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise PolicyConfigError([f"{path}:{exc.lineno}: not valid JSON: {exc.msg}"]) from None  # type: ignore[attr-defined]
    return settings_from(data, str(path))


# How much a level demands: disabled < advisory < mandatory (remediate is reported as mandatory).
LEVEL_RANK = {"disabled": 0, "advisory": 1, "mandatory": 2, "remediate": 2}


def relaxed_rules(settings: Settings) -> list[tuple[str, str, str]]:
    """(rule, default level, configured level) for every rule disabled or set below its default level."""
    return [(rule.id, rule.level, settings[rule.id][0]) for rule in RULES
            if settings[rule.id][0] == "disabled" or LEVEL_RANK[settings[rule.id][0]] < LEVEL_RANK[rule.level]]


def level_changes(base: Settings, head: Settings) -> list[tuple[str, str, str]]:
    """(rule, base level, head level) for every rule whose enforcement level differs between two configs."""
    return [(rule.id, base[rule.id][0], head[rule.id][0]) for rule in RULES
            if rule.id in base and rule.id in head and base[rule.id][0] != head[rule.id][0]]


def property_changes(base: Settings, head: Settings) -> list[tuple[str, list[str]]]:
    """(rule, the properties whose value differs) for every rule whose properties differ between two configs
    (e.g. productionEnvironments or allowedOtelHosts: a rule can be loosened without changing its level)."""
    out = []
    for rule in RULES:
        if rule.id not in base or rule.id not in head:
            continue
        old, new = base[rule.id][1], head[rule.id][1]
        keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        if keys:
            out.append((rule.id, keys))
    return out
