"""`aigw check --format sarif|junit|github|markdown`: through the command line on one failing fixture
stack (and the repo's clean prod stack), and the format functions on hand-built results."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import pytest
from helpers.check import AI_GATEWAY, API_TOKEN, ROOT, WORKERS_SCRIPT, check, gateway, key_line, make_project
from jsonschema import Draft4Validator
from junitparser import Failure, JUnitXml, Skipped

from aigw.check import StackResult
from aigw.check.config import settings_from
from aigw.check.format import Locator, _escape_data, _escape_property, to_github, to_junit, to_markdown, to_sarif
from aigw_policy import RULES, Finding
from aigw_policy.engine import STACK_TYPE

# The fixture's directory name has a comma: GitHub workflow-command properties must escape it.
STACK = "ops,team/Pulumi.prod.yaml"
# Disabled: a JUnit skip. The pattern puts a pipe and a percent sign into a finding's message.
POLICY_CONFIG = {"production-dlp-enabled": "disabled",
                 "gateway-id-naming": {"gatewayIdPattern": "{environment}-(support|docs)-[a-z-]+%?"}}
EXPECTED = [  # (policy, level, type, name, the stack-file key under aigw:gateways that declares it)
    ("production-payloads-not-stored", "mandatory", WORKERS_SCRIPT, "support-bot"),
    ("production-rate-limited", "mandatory", AI_GATEWAY, "batch-summariser"),
    ("cache-ttl-bounded", "advisory", AI_GATEWAY, "docs-search"),
    ("gateway-id-naming", "advisory", AI_GATEWAY, "batch-summariser"),
]


def assert_valid_sarif(validator: Draft4Validator, doc: dict) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]
    assert errors == []


@pytest.fixture(scope="module")
def failing(tmp_path_factory) -> Path:
    """The working directory of the runs: the failing stack at STACK, the policy config beside it."""
    cwd = tmp_path_factory.mktemp("formats")
    (cwd / "ops,team").mkdir()

    def edit(config):
        gateway(config, "support-bot")["logging"] = {"payloads": True}
        gateway(config, "batch-summariser")["rateLimit"] = None
        gateway(config, "docs-search")["cache"] = {"ttl": 172800}

    make_project(cwd / "ops,team", edit)
    (cwd / "policy.json").write_text(json.dumps(POLICY_CONFIG))
    return cwd


def run_failing(cwd: Path, fmt: str) -> str:
    proc = check(STACK, "--format", fmt, "--policy-config", "policy.json", cwd=cwd)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == ""
    return proc.stdout


def lines_of(cwd: Path) -> dict[str, int]:
    return {name: key_line(cwd / STACK, "aigw:gateways", name) for _, _, _, name in EXPECTED}


# --- SARIF -----------------------------------------------------------------------------------------


def test_sarif_of_a_clean_run_is_valid_and_lists_every_rule(sarif_validator):
    proc = check("prod", "--format", "sarif")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert_valid_sarif(sarif_validator, doc)
    assert doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    assert run["results"] == []
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [rule.id for rule in RULES] and len(rules) == 19
    levels = {r["id"]: r["defaultConfiguration"]["level"] for r in rules}
    assert levels["production-payloads-not-stored"] == "error"
    assert levels["cache-ttl-bounded"] == "warning"
    # The driver names the installed tool, and links no example organisation a fork would inherit.
    driver = run["tool"]["driver"]
    assert driver["name"] == "aigw" and driver["version"] == importlib.metadata.version("aigw-infra")
    assert "informationUri" not in driver and "acme" not in json.dumps(driver)


def test_sarif_of_a_failing_run_locates_each_finding(failing: Path, sarif_validator):
    doc = json.loads(run_failing(failing, "sarif"))
    assert_valid_sarif(sarif_validator, doc)
    (run,) = doc["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert len(rules) == 19
    assert {r["id"]: r["defaultConfiguration"]["level"] for r in rules}["production-dlp-enabled"] == "none"
    lines = lines_of(failing)
    got = []
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == STACK
        (logical,) = location["logicalLocations"]
        got.append((result["ruleId"], result["level"], logical["fullyQualifiedName"], physical["region"]["startLine"]))
    level = {"mandatory": "error", "advisory": "warning"}
    assert got == [(policy, level[lvl], f"prod::{type_}::{name}", lines[name]) for policy, lvl, type_, name in EXPECTED]
    # The lines are those of the gateway keys, not of the file's top.
    assert lines["support-bot"] > 40 and len(set(lines.values())) == 3


# --- JUnit -----------------------------------------------------------------------------------------


def test_junit_has_one_case_per_rule_failing_for_mandatory_skipped_for_disabled(failing: Path):
    xml = JUnitXml.fromstring(run_failing(failing, "junit"))
    (suite,) = list(xml)
    assert suite.name == "aigw check prod"
    cases = {case.name: case for case in suite}
    assert list(cases) == [rule.id for rule in RULES]
    failures = {name for name, case in cases.items() if case.is_failure}
    assert failures == {"production-payloads-not-stored", "production-rate-limited"}
    (failure,) = cases["production-rate-limited"].result
    assert isinstance(failure, Failure) and failure.type == "mandatory"
    assert failure.text.startswith("AiGateway batch-summariser: gateway 'batch-summariser'")
    assert cases["production-payloads-not-stored"].result[0].text.startswith("WorkersScript support-bot: ")
    (skipped,) = cases["production-dlp-enabled"].result
    assert isinstance(skipped, Skipped)
    assert {name for name, case in cases.items() if case.is_skipped} == {"production-dlp-enabled"}
    assert cases["cache-ttl-bounded"].is_passed, "advisory findings do not fail the case"
    assert cases["cache-ttl-bounded"].system_out.startswith("advisory:\nAiGateway docs-search: ")


# --- GitHub workflow commands --------------------------------------------------------------------


def test_github_prints_an_error_or_warning_command_per_finding(failing: Path):
    out = run_failing(failing, "github").splitlines()
    lines = lines_of(failing)
    # First the rule the policy config disables (test_check_relaxed_rules.py has the rest).
    assert out.pop(0) == ("::warning title=aigw policy config::policy config: production-dlp-enabled disabled "
                          "(default advisory)")
    assert len(out) == len(EXPECTED) + 1
    for text, (policy, level, _, name) in zip(out[:-1], EXPECTED, strict=True):
        command = "error" if level == "mandatory" else "warning"
        assert text.startswith(f"::{command} file=ops%2Cteam/Pulumi.prod.yaml,line={lines[name]},"
                               f"title={policy} (prod)::")
    assert "does not match gatewayIdPattern 'prod-(support|docs)-[a-z-]+%25?'" in out[3], "% is escaped"
    assert out[-1] == "aigw check: 2 mandatory, 2 advisory in 1 stack(s)"


def test_workflow_command_escaping_follows_github():
    # actions/toolkit command.ts: data escapes % CR LF; properties also : and ,.
    assert _escape_data("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext: a, b"
    assert _escape_data("%0A") == "%250A", "% first, so an escape in the text is not taken for one"
    assert _escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"


def test_github_keeps_each_command_on_one_line(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    message = "first line\nsecond, with 50% and a colon: here"
    result = StackResult("x", "dev", False, tmp_path / "a,b:c" / "Pulumi.x.yaml", 1,
                         [Finding("cache-ttl-bounded", "advisory", (AI_GATEWAY, "gw"), message),
                          Finding("logpush-complete", "mandatory", (STACK_TYPE, "x"), "stack-wide")])
    assert to_github([result]).splitlines() == [
        "::warning file=a%2Cb%3Ac/Pulumi.x.yaml,line=1,title=cache-ttl-bounded (x)::"
        "first line%0Asecond, with 50%25 and a colon: here",
        "::error file=a%2Cb%3Ac/Pulumi.x.yaml,line=1,title=logpush-complete (x)::stack-wide",
        "aigw check: 1 mandatory, 1 advisory in 1 stack(s)",
    ]


# --- Markdown --------------------------------------------------------------------------------------


def test_markdown_has_a_heading_per_stack_and_a_row_per_finding(failing: Path):
    out = run_failing(failing, "markdown")
    lines = out.splitlines()
    assert lines[0] == "## :x: aigw check: 2 mandatory, 2 advisory"
    assert "### `prod` (prod, production): 2 mandatory, 2 advisory" in lines
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| level ")]
    assert [row.split(" | ")[:3] for row in rows] == [
        ["| mandatory", "`production-payloads-not-stored`", "WorkersScript support-bot"],
        ["| mandatory", "`production-rate-limited`", "AiGateway batch-summariser"],
        ["| advisory", "`cache-ttl-bounded`", "AiGateway docs-search"],
        ["| advisory", "`gateway-id-naming`", "AiGateway batch-summariser"],
    ]
    assert "'prod-(support\\|docs)-[a-z-]+%?'" in rows[3], "a pipe in a message does not split the cell"
    assert out.endswith("|\n") and not out.endswith("\n\n")


def test_markdown_escapes_cells_and_shows_clean_stacks_without_a_table():
    clean = StackResult("dev", "dev", False, Path("Pulumi.dev.yaml"), 3)
    failed = StackResult("prod", "prod", True, Path("Pulumi.prod.yaml"), 3,
                         [Finding("no-default-gateway", "mandatory", (AI_GATEWAY, "gw"), "a | b\nc")])
    assert to_markdown([clean, failed]) == (
        "## :x: aigw check: 1 mandatory, 0 advisory\n\n"
        "### `dev` (dev): clean\n\n"
        "### `prod` (prod, production): 1 mandatory, 0 advisory\n\n"
        "| level | policy | resource | message |\n|---|---|---|---|\n"
        "| mandatory | `no-default-gateway` | AiGateway gw | a \\| b c |\n")
    assert to_markdown([clean]).startswith("## :white_check_mark: aigw check: 0 mandatory, 0 advisory\n")


# --- in process: hand-built results ------------------------------------------------------------


def test_junit_has_one_suite_per_stack():
    settings = settings_from({"no-default-gateway": "disabled"}, "x.json")
    results = [StackResult("dev", "dev", False, Path("Pulumi.dev.yaml"), 1),
               StackResult("prod", "prod", True, Path("Pulumi.prod.yaml"), 1,
                           [Finding("production-rate-limited", "mandatory", (AI_GATEWAY, "gw"), "no limit")])]
    suites = list(JUnitXml.fromstring(to_junit(results, settings)))
    assert [s.name for s in suites] == ["aigw check dev", "aigw check prod"]
    production_only = [r.id for r in RULES if r.production_only]
    for suite, skipped in zip(suites, [sorted(["no-default-gateway", *production_only]), ["no-default-gateway"]],
                              strict=True):
        assert len(list(suite)) == len(RULES)
        assert sorted(c.name for c in suite if c.is_skipped) == skipped
    assert [c.name for c in suites[0] if c.is_failure] == []
    assert [(c.name, c.result[0].text) for c in suites[1] if c.is_failure] == [
        ("production-rate-limited", "AiGateway gw: no limit")]


def test_sarif_puts_stack_findings_and_unlocatable_resources_on_line_1(tmp_path: Path, monkeypatch,
                                                                      sarif_validator):
    monkeypatch.chdir(tmp_path)
    result = StackResult("x", "dev", False, tmp_path / "Pulumi.x.yaml", 1,
                         [Finding("logpush-complete", "mandatory", (STACK_TYPE, "x"), "m1"),
                          Finding("cache-ttl-bounded", "advisory", (AI_GATEWAY, "gw"), "m2")])
    doc = json.loads(to_sarif([result], settings_from({}, "x")))
    assert_valid_sarif(sarif_validator, doc)
    regions = [r["locations"][0]["physicalLocation"] for r in doc["runs"][0]["results"]]
    assert regions == [{"artifactLocation": {"uri": "Pulumi.x.yaml"}, "region": {"startLine": 1}}] * 2


def test_sarif_uris_are_percent_encoded(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = StackResult("x", "dev", False, tmp_path / "my stacks" / "Pulumi.x.yaml", 1,
                         [Finding("cache-ttl-bounded", "advisory", (AI_GATEWAY, "gw"), "m")])
    doc = json.loads(to_sarif([result], settings_from({}, "x")))
    assert doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "my%20stacks/Pulumi.x.yaml")


def test_locations_are_the_lines_of_the_declaring_keys():
    prod = ROOT / "Pulumi.prod.yaml"
    locate = Locator()
    gateway_line = key_line(prod, "aigw:gateways", "docs-search")
    assert locate.line(prod, AI_GATEWAY, "docs-search") == gateway_line
    assert locate.line(prod, "aigw:index:EdgeWorker", "docs-search") == gateway_line
    assert locate.line(prod, WORKERS_SCRIPT, "docs-search") == gateway_line
    assert locate.line(prod, API_TOKEN, "ci-deploy") == key_line(prod, "aigw:tokens", "ci-deploy")
    logpush = prod.read_text().splitlines().index("  aigw:logpush:") + 1
    assert locate.line(prod, "pulumi-python:dynamic/aigw:LogpushJob", "logpush-job") == logpush
    assert locate.line(prod, AI_GATEWAY, "not-declared") == 1
