"""`aigw check` output: text, json, markdown, sarif (2.1.0), junit, github (workflow commands)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aigw_policy import RULES, Finding
from aigw_policy.controls import controls_for
from aigw_policy.engine import STACK_TYPE
from aigw_policy.vocabulary import (
    ACCOUNT_TOKEN,
    AI_GATEWAY,
    API_TOKEN,
    CLOUDFLARE_LOGPUSH_JOB,
    EDGE_WORKER,
    GATEWAY_COMPONENT,
    LOGPUSH_JOB,
    TEAM_WORKER,
    WORKERS_SCRIPT,
)

from ..markdown import cell
from . import ConfigFinding, StackResult
from .config import LEVEL_RANK, Settings, relaxed_rules

FORMATS = ("text", "json", "markdown", "sarif", "junit", "github")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "aigw"
DISTRIBUTION = "aigw-infra"


def tool_driver(rules: list[dict[str, Any]]) -> dict[str, Any]:
    """SARIF's `tool.driver`: the name and the installed version, and `informationUri` only when the
    installed distribution declares a home page (its `Project-URL`/`Home-page` metadata): never a link to
    an example organisation a fork would inherit (SARIF 2.1.0 makes `informationUri` optional)."""
    from importlib import metadata

    driver: dict[str, Any] = {"name": TOOL_NAME}
    try:
        meta = metadata.metadata(DISTRIBUTION)
        driver["version"] = metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        meta = None
    if meta is not None:
        urls = [u.split(",", 1)[1].strip() for u in (meta.get_all("Project-URL") or []) if "," in u]
        home = meta.get("Home-page") or next(iter(urls), None)
        if home:
            driver["informationUri"] = home
    return {**driver, "rules": rules}

# Stack-file sections where a resource of each type is declared (for file:line locations).
_SECTIONS = {
    AI_GATEWAY: ("aigw:gateways",),
    GATEWAY_COMPONENT: ("aigw:gateways",),
    EDGE_WORKER: ("aigw:gateways",),
    WORKERS_SCRIPT: ("aigw:gateways", "aigw:workers"),
    TEAM_WORKER: ("aigw:workers",),
    API_TOKEN: ("aigw:tokens",),
    ACCOUNT_TOKEN: ("aigw:tokens",),
    CLOUDFLARE_LOGPUSH_JOB: ("aigw:logpush",),
    LOGPUSH_JOB: ("aigw:logpush",),
}


class Locator:
    """Line of the stack-file key that declares a resource (1 when it cannot be told)."""

    def __init__(self) -> None:
        self._docs: dict[Path, Any] = {}

    def _config(self, path: Path) -> Any:
        if path not in self._docs:
            from ruamel.yaml import YAML

            try:
                doc = YAML(typ="rt").load(path.read_text())
            except Exception:  # noqa: BLE001 (the plan already validated it; locations are a nicety)
                doc = None
            self._docs[path] = doc.get("config") if hasattr(doc, "get") else None
        return self._docs[path]

    def line(self, path: Path, type_: str, name: str) -> int:
        config = self._config(path)
        if config is None or not hasattr(config, "lc"):
            return 1
        for section in _SECTIONS.get(type_, ()):
            block = config.get(section)
            if section == "aigw:logpush" and section in config:
                return config.lc.key(section)[0] + 1
            if hasattr(block, "lc") and name in block:
                return block.lc.key(name)[0] + 1
        return 1


def _where(locate: Locator, stack_file: Path, finding: Finding) -> tuple[Path, int]:
    """The file and line a finding points at: a config finding's own key (which may be in Pulumi.yaml),
    else the stack-file key that declares its resource."""
    if isinstance(finding, ConfigFinding) and finding.file:
        return Path(finding.file), finding.line or 1
    line = locate.line(stack_file, *finding.resource) if finding.resource[0] != STACK_TYPE else 1
    return stack_file, line


def _rel(path: Path) -> str:
    try:
        return Path(os.path.relpath(path.resolve(), Path.cwd().resolve())).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def _relaxed(settings: Settings | None) -> list[tuple[str, str, str]]:
    return relaxed_rules(settings) if settings is not None else []


def relaxed_words(settings: Settings | None) -> list[str]:
    """One line per rule the policy config disables or sets below its default level (every format says so:
    a rule switched off reports nothing, and a clean result must not hide that)."""
    return [f"policy config: {rule} {level} (default {default})" for rule, default, level in _relaxed(settings)]


def summary(results: Sequence[StackResult], settings: Settings | None = None) -> dict[str, Any]:
    mandatory = sum(len(r.mandatory) for r in results)
    return {"stacks": len(results), "resources": sum(r.resources for r in results), "mandatory": mandatory,
            "advisory": sum(len(r.advisory) for r in results), "passed": mandatory == 0,
            # Rules the policy config disables or lowers below their default level.
            "relaxedRules": [{"policy": rule, "default": default, "level": level}
                             for rule, default, level in _relaxed(settings)],
            # Findings a waiver holds for (each finding's "waived" says which): not in the counts above.
            "waived": sum(len(r.waived) for r in results)}


def to_json(results: Sequence[StackResult], settings: Settings | None = None) -> str:
    return json.dumps({
        "stacks": [{"stack": r.stack, "environment": r.environment, "production": r.production,
                    "file": _rel(r.file), "findings": [{**f.as_json(), "controls": controls_for(f.policy)}
                                                      for f in r.findings]}
                   for r in results],
        "summary": summary(results, settings),
    }, indent=2)


def _counts(r: StackResult) -> str:
    if not r.findings:
        return "clean"
    waived = f", {len(r.waived)} waived" if r.waived else ""
    return f"{len(r.mandatory)} mandatory, {len(r.advisory)} advisory{waived}"


def waiver_words(f: Finding) -> str:
    """Who waived a finding, until when and why (the waiver as the policy config names it)."""
    w = f.waiver
    assert w is not None
    return f"waived by {w.label} (owner {w.owner}, until {w.expires.isoformat()}): {w.reason}"


def _resource(ref: tuple[str, str]) -> str:
    return f"{ref[0].rsplit(':', 1)[-1]} {ref[1]}"


def to_text(results: Sequence[StackResult], settings: Settings | None = None) -> str:
    lines: list[str] = []
    for r in results:
        kind = "production" if r.production else "non-production"
        lines.append(f"{r.stack} ({r.environment}, {kind}; {_rel(r.file)}): {_counts(r)}")
        for f in r.findings:
            level = "WAIVED" if f.waiver else f.level.upper()
            lines.append(f"  {level:9}  {f.policy}  {_resource(f.resource)}")
            lines.append(f"             {f.message}")
            if f.waiver:
                lines.append(f"             {waiver_words(f)}")
    lines += relaxed_words(settings)
    s = summary(results)
    verdict = "FAILED" if s["mandatory"] else "passed"
    waived = f", {s['waived']} waived" if s["waived"] else ""
    lines.append(f"check {verdict}: {s['mandatory']} mandatory, {s['advisory']} advisory{waived} "
                 f"in {s['stacks']} stack(s)")
    return "\n".join(lines)


def to_markdown(results: Sequence[StackResult], settings: Settings | None = None) -> str:
    s = summary(results)
    icon = ":x:" if s["mandatory"] else ":white_check_mark:"
    waived = f", {s['waived']} waived" if s["waived"] else ""
    out = [f"## {icon} aigw check: {s['mandatory']} mandatory, {s['advisory']} advisory{waived}", ""]
    relaxed = _relaxed(settings)
    if relaxed:
        out.append(f"> :warning: **the policy config relaxes {len(relaxed)} rule(s)**: "
                   + "; ".join(f"`{rule}` {level} (default {default})" for rule, default, level in relaxed))
        out.append("")
    for r in results:
        out.append(f"### `{r.stack}` ({r.environment}{', production' if r.production else ''}): {_counts(r)}")
        out.append("")
        if r.findings:
            out += ["| level | policy | resource | message |", "|---|---|---|---|"]
            out += [f"| {f'waived ({f.level})' if f.waiver else f.level} | `{f.policy}` | "
                    f"{cell(_resource(f.resource))} | "
                    f"{cell(f.message + (' ' + waiver_words(f) if f.waiver else ''))} |" for f in r.findings]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


_SARIF_LEVEL = {"mandatory": "error", "remediate": "error", "advisory": "warning", "disabled": "none"}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0"}


def to_sarif(results: Sequence[StackResult], settings: Settings) -> str:
    locate = Locator()
    index = {rule.id: i for i, rule in enumerate(RULES)}
    rules = [{
        "id": rule.id,
        "name": "".join(part.title() for part in rule.id.split("-")),
        "shortDescription": {"text": rule.description},
        "fullDescription": {"text": rule.description},
        "help": {"text": rule.remediation, "markdown": f"{rule.remediation} See docs/policy.md#{rule.id}."},
        "defaultConfiguration": {"level": _SARIF_LEVEL[settings[rule.id][0]]},
        "properties": {"tags": ["ai-gateway", "policy", rule.scope], "severity": rule.severity,
                       "security-severity": _SECURITY_SEVERITY[rule.severity]},
    } for rule in RULES]
    sarif_results = []
    for r in results:
        for f in r.findings:
            file, line = _where(locate, r.file, f)
            uri = quote(_rel(file), safe="/:@!$&'()*+,;=")  # a URI reference: spaces, '#', '%' encoded
            sarif_results.append({**_suppressions(f),
                "ruleId": f.policy,
                "ruleIndex": index[f.policy],
                "level": _SARIF_LEVEL[f.level],
                "message": {"text": f.message},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": line}},
                    "logicalLocations": [{"name": f.resource[1], "kind": "resource",
                                          "fullyQualifiedName": f"{r.stack}::{f.resource[0]}::{f.resource[1]}"}],
                }],
                "partialFingerprints": {"aigwFinding/v1": f"{r.stack}/{f.policy}/{f.resource[0]}/{f.resource[1]}"
                                                          + (f"/{f.path}" if isinstance(f, ConfigFinding) else "")},
            })
    run: dict[str, Any] = {
        "tool": {"driver": tool_driver(rules)},
        "results": sarif_results,
        "columnKind": "unicodeCodePoints",
    }
    relaxed = relaxed_rules(settings)
    if relaxed:
        # SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html; the schema's
        # invocation.ruleConfigurationOverrides, configurationOverride and reportingConfiguration, e.g.
        # @microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json): how a rule was reconfigured at run
        # time, "enabled": false for a disabled one. The same list in run.properties (a property bag, 3.8) for
        # readers that ignore invocations.
        run["invocations"] = [{
            "executionSuccessful": True,  # the checks ran; findings are results, not a failed run
            "ruleConfigurationOverrides": [{
                "descriptor": {"id": rule, "index": index[rule]},
                "configuration": {"enabled": level != "disabled", "level": _SARIF_LEVEL[level]},
            } for rule, _, level in relaxed],
        }]
        run["properties"] = {"aigwRelaxedRules": [{"policy": rule, "default": default, "level": level}
                                                  for rule, default, level in relaxed]}
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2)


def _suppressions(f: Finding) -> dict[str, Any]:
    """A waived finding as a suppressed result: SARIF 2.1.0 result.suppressions (3.27.23) holding one
    suppression object (3.35): kind "external" (kept outside the analysed files, in the policy config),
    status "accepted", the waiver's reason as the justification, its owner and expiry in the property bag.
    GitHub code scanning shows such a result as closed (dismissed) rather than open."""
    if f.waiver is None:
        return {}
    return {"suppressions": [{"kind": "external", "status": "accepted", "justification": f.waiver.reason,
                              "properties": f.waiver.as_json()}]}


def to_junit(results: Sequence[StackResult], settings: Settings) -> str:
    from junitparser import Failure, JUnitXml, Skipped, TestCase, TestSuite

    xml = JUnitXml("aigw check")
    for r in results:
        suite = TestSuite(f"aigw check {r.stack}")
        for rule in RULES:
            case = TestCase(rule.id, classname=f"{r.stack}.{rule.scope}")
            level = settings[rule.id][0]
            found = [f for f in r.findings if f.policy == rule.id and f.waiver is None]
            lines = "\n".join(f"{_resource(f.resource)}: {f.message}" for f in found)
            waived = "\n".join(f"waived: {_resource(f.resource)}: {f.message} {waiver_words(f)}"
                               for f in r.findings if f.policy == rule.id and f.waiver is not None)
            if level == "disabled":
                case.result = [Skipped("disabled by the policy config")]
            elif rule.production_only and not r.production:
                case.result = [Skipped("applies to production stacks only")]
            elif found and found[0].level == "mandatory":
                failure = Failure(f"{len(found)} mandatory violation(s) of {rule.id}", "mandatory")
                failure.text = lines
                case.result = [failure]
            elif found:
                case.system_out = f"advisory:\n{lines}"
            if level != "disabled" and LEVEL_RANK[level] < LEVEL_RANK[rule.level]:
                note = f"level lowered by the policy config: {level} (default {rule.level})"
                case.system_out = f"{note}\n{case.system_out}" if case.system_out else note
            if waived:
                case.system_out = f"{case.system_out}\n{waived}" if case.system_out else waived
            suite.add_testcase(case)
        xml.add_testsuite(suite)
    return xml.tostring().decode() if isinstance(xml.tostring(), bytes) else str(xml.tostring())


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def to_github(results: Sequence[StackResult], settings: Settings | None = None) -> str:
    """GitHub Actions workflow commands: one ::error (mandatory) or ::warning (advisory) per finding, and one
    ::warning per rule the policy config disables or lowers."""
    locate = Locator()
    lines = [f"::warning title={_escape_property('aigw policy config')}::{_escape_data(w)}"
             for w in relaxed_words(settings)]
    for r in results:
        for f in r.findings:
            command = "notice" if f.waiver else "error" if f.level == "mandatory" else "warning"
            file, line = _where(locate, r.file, f)
            uri = _rel(file)
            title = _escape_property(f"{f.policy} ({r.stack}){' waived' if f.waiver else ''}")
            message = f"{f.message} {waiver_words(f)}" if f.waiver else f.message
            lines.append(f"::{command} file={_escape_property(uri)},line={line},title={title}::"
                         f"{_escape_data(message)}")
    s = summary(results)
    waived = f", {s['waived']} waived" if s["waived"] else ""
    lines.append(f"aigw check: {s['mandatory']} mandatory, {s['advisory']} advisory{waived} in {s['stacks']} stack(s)")
    return "\n".join(lines)
