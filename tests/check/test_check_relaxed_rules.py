"""`aigw check` says, in every format, which rules the policy config disables or lowers (issue 12).

Before: a policy config with `{"production-payloads-not-stored": "disabled"}` next to a prod gateway
storing payloads gave a clean check whose only trace of the rule was a JUnit skip. Now text, json,
markdown, sarif, junit and github each list every rule disabled or set below its default level, and (the
stack being production) each such mandatory rule is a mandatory finding of relaxations-waived: a waiver is
the only relaxation production accepts (tests/check/test_check_waivers.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.check import check, gateway, make_project
from junitparser import JUnitXml, Skipped

from aigw_policy import RULES

DISABLED = "production-payloads-not-stored"  # default mandatory
LOWERED = "production-rate-limited"  # default mandatory, set to advisory
CONFIG = {DISABLED: "disabled", LOWERED: "advisory"}
INDEX = {rule.id: i for i, rule in enumerate(RULES)}


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory) -> Path:
    """The prod stack storing payloads on support-bot (a mandatory finding the config disables)."""
    root = tmp_path_factory.mktemp("relaxed")
    make_project(root, lambda config: gateway(config, "support-bot").update(logging={"payloads": True}))
    (root / "policy-config.json").write_text(json.dumps(CONFIG))
    return root


def run(project_dir: Path, fmt: str) -> str:
    proc = check("Pulumi.prod.yaml", "--format", fmt, "--policy-config", "policy-config.json", cwd=project_dir)
    # The one violation's rule is disabled; what fails is relaxing two mandatory rules in production.
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr == ""
    return proc.stdout


def test_without_the_config_the_stack_fails_that_rule(project_dir):
    proc = check("Pulumi.prod.yaml", "--format", "json", cwd=project_dir)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert {f["policy"] for s in doc["stacks"] for f in s["findings"] if f["level"] == "mandatory"} == {DISABLED}
    assert doc["summary"]["relaxedRules"] == []


def test_text(project_dir):
    out = run(project_dir, "text")
    assert f"policy config: {DISABLED} disabled (default mandatory)" in out.splitlines()
    assert f"policy config: {LOWERED} advisory (default mandatory)" in out.splitlines()
    assert out.splitlines()[-1] == "check FAILED: 2 mandatory, 0 advisory in 1 stack(s)"


def test_json_summary_relaxed_rules(project_dir):
    doc = json.loads(run(project_dir, "json"))
    assert doc["summary"]["relaxedRules"] == [
        {"policy": rule, "default": "mandatory", "level": level} for rule, level in
        sorted(CONFIG.items(), key=lambda item: INDEX[item[0]])]
    assert not any(f["policy"] == DISABLED for s in doc["stacks"] for f in s["findings"])
    guard = [f["message"] for s in doc["stacks"] for f in s["findings"] if f["policy"] == "relaxations-waived"]
    assert [m.split(" (default")[0] for m in guard] == [
        f"the policy config sets {DISABLED} to disabled", f"the policy config sets {LOWERED} to advisory"]


def test_markdown(project_dir):
    out = run(project_dir, "markdown")
    assert out.startswith("## :x: aigw check: 2 mandatory, 0 advisory")
    warning = out.splitlines()[2]
    assert warning.startswith("> :warning: **the policy config relaxes 2 rule(s)**: ")
    assert f"`{DISABLED}` disabled (default mandatory)" in warning
    assert f"`{LOWERED}` advisory (default mandatory)" in warning


def test_sarif_rule_configuration_overrides(project_dir, sarif_validator):
    doc = json.loads(run(project_dir, "sarif"))
    assert list(sarif_validator.iter_errors(doc)) == []
    (run_,) = doc["runs"]
    (invocation,) = run_["invocations"]
    assert invocation["executionSuccessful"] is True
    overrides = {o["descriptor"]["id"]: o for o in invocation["ruleConfigurationOverrides"]}
    assert overrides[DISABLED] == {"descriptor": {"id": DISABLED, "index": INDEX[DISABLED]},
                                   "configuration": {"enabled": False, "level": "none"}}
    assert overrides[LOWERED]["configuration"] == {"enabled": True, "level": "warning"}
    assert run_["tool"]["driver"]["rules"][INDEX[DISABLED]]["id"] == DISABLED
    assert {r["policy"] for r in run_["properties"]["aigwRelaxedRules"]} == {DISABLED, LOWERED}


def test_sarif_without_a_relaxed_rule_has_no_overrides(tmp_path):
    make_project(tmp_path)
    proc = check("Pulumi.prod.yaml", "--format", "sarif", cwd=tmp_path)
    (run_,) = json.loads(proc.stdout)["runs"]
    assert "invocations" not in run_ and "properties" not in run_


def test_junit(project_dir):
    xml = JUnitXml.fromstring(run(project_dir, "junit"))
    (suite,) = list(xml)
    cases = {case.name: case for case in suite}
    (skipped,) = cases[DISABLED].result
    assert isinstance(skipped, Skipped) and skipped.message == "disabled by the policy config"
    assert cases[LOWERED].system_out.startswith("level lowered by the policy config: advisory (default mandatory)")


def test_github(project_dir):
    lines = run(project_dir, "github").splitlines()
    assert f"::warning title=aigw policy config::policy config: {DISABLED} disabled (default mandatory)" in lines
    assert f"::warning title=aigw policy config::policy config: {LOWERED} advisory (default mandatory)" in lines
