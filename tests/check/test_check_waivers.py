"""`aigw check` with waivers in the policy config (issue 12): a waiver that holds is listed in every format and
does not count; an expired or malformed one is a mandatory finding naming it, as is a mandatory rule relaxed
by level in production. The rule-level cases are in tests/policy/test_rules.py (relaxations-waived)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.check import WORKERS_SCRIPT, check, findings, gateway, make_project
from junitparser import Failure, JUnitXml

from aigw_policy.engine import STACK_TYPE

RULE = "production-payloads-not-stored"
REASON = "INC-1234: payloads kept for the vendor's investigation"
WAIVER = {"resources": ["support-bot"], "owner": "@acme/platform", "reason": REASON}
# tests/conftest.py pins the review date: AIGW_TODAY=2026-12-01.
HOLDING = {RULE: {"waivers": [{**WAIVER, "expires": "2026-12-20"}]}}
EXPIRED = {RULE: {"waivers": [{**WAIVER, "expires": "2026-11-15"}]}}


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory) -> Path:
    """The prod stack storing payloads on support-bot: one mandatory finding, on its edge Worker."""
    root = tmp_path_factory.mktemp("waivers")
    make_project(root, lambda config: gateway(config, "support-bot").update(logging={"payloads": True}))
    return root


def run(project_dir: Path, config: object, *args: str):
    name = f"pc-{abs(hash(json.dumps(config, sort_keys=True)))}.json"
    (project_dir / name).write_text(json.dumps(config))
    return check("Pulumi.prod.yaml", "--policy-config", name, *args, cwd=project_dir)


def test_acceptance_an_expired_waiver_makes_check_prod_exit_1_naming_the_waiver(project_dir: Path):
    proc = run(project_dir, EXPIRED)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (f"             waiver {RULE}.waivers[0] (owner @acme/platform) expired on 2026-11-15 (today is "
            "2026-12-01) and waives nothing: fix the resources it names, or renew it with a new expiry and "
            "reason.") in proc.stdout.splitlines()
    # ... and the finding it was to waive counts again.
    proc = run(project_dir, EXPIRED, "--format", "json")
    assert findings(proc.stdout) == [("prod", RULE, "mandatory", WORKERS_SCRIPT, "support-bot"),
                                     ("prod", "relaxations-waived", "mandatory", STACK_TYPE, "prod")]


def test_a_holding_waiver_passes_the_check_and_says_so(project_dir: Path):
    proc = run(project_dir, HOLDING)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "prod (prod, production; Pulumi.prod.yaml): 0 mandatory, 0 advisory, 1 waived"
    assert lines[1] == f"  WAIVED     {RULE}  WorkersScript support-bot"
    assert lines[3] == (f"             waived by {RULE}.waivers[0] (owner @acme/platform, until 2026-12-20): "
                        f"{REASON}")
    assert lines[-1] == "check passed: 0 mandatory, 0 advisory, 1 waived in 1 stack(s)"


def test_json_marks_the_waived_finding_and_counts_it_apart(project_dir: Path):
    doc = json.loads(run(project_dir, HOLDING, "--format", "json").stdout)
    (finding,) = doc["stacks"][0]["findings"]
    assert (finding["policy"], finding["level"]) == (RULE, "mandatory")
    assert finding["waived"] == {"waiver": f"{RULE}.waivers[0]", "owner": "@acme/platform", "reason": REASON,
                                 "expires": "2026-12-20", "resources": ["support-bot"]}
    assert (doc["summary"]["mandatory"], doc["summary"]["waived"], doc["summary"]["passed"]) == (0, 1, True)


def test_sarif_carries_the_waived_result_as_a_suppression_with_the_justification(project_dir: Path, sarif_validator):
    doc = json.loads(run(project_dir, HOLDING, "--format", "sarif").stdout)
    assert list(sarif_validator.iter_errors(doc)) == []
    (result,) = doc["runs"][0]["results"]
    assert result["ruleId"] == RULE and result["level"] == "error"
    assert result["suppressions"] == [{
        "kind": "external", "status": "accepted", "justification": REASON,
        "properties": {"waiver": f"{RULE}.waivers[0]", "owner": "@acme/platform", "reason": REASON,
                       "expires": "2026-12-20", "resources": ["support-bot"]}}]
    expired = json.loads(run(project_dir, EXPIRED, "--format", "sarif").stdout)
    assert all("suppressions" not in r for r in expired["runs"][0]["results"])


def test_junit_markdown_and_github_list_the_waiver(project_dir: Path):
    xml = JUnitXml.fromstring(run(project_dir, HOLDING, "--format", "junit").stdout)
    (suite,) = list(xml)
    case = next(c for c in suite if c.name == RULE)
    assert not any(isinstance(r, Failure) for r in case.result)
    assert case.system_out.startswith("waived: WorkersScript support-bot: ")
    assert f"waived by {RULE}.waivers[0] (owner @acme/platform, until 2026-12-20)" in case.system_out
    markdown = run(project_dir, HOLDING, "--format", "markdown").stdout
    assert markdown.startswith("## :white_check_mark: aigw check: 0 mandatory, 0 advisory, 1 waived")
    assert f"| waived (mandatory) | `{RULE}` | WorkersScript support-bot |" in markdown
    github = run(project_dir, HOLDING, "--format", "github").stdout.splitlines()
    assert github[0].startswith("::notice file=Pulumi.prod.yaml,line=") and f"title={RULE} (prod) waived::" in (
        github[0])
    assert github[-1] == "aigw check: 0 mandatory, 0 advisory, 1 waived in 1 stack(s)"


def test_a_malformed_waiver_is_a_mandatory_finding_and_waives_nothing(project_dir: Path):
    config = {RULE: {"waivers": [{**WAIVER, "expiry": "2026-12-20"}]}}
    proc = run(project_dir, config, "--format", "json")
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    guard = [f["message"] for f in doc["stacks"][0]["findings"] if f["policy"] == "relaxations-waived"]
    assert guard == [f"waiver {RULE}.waivers[0] (owner @acme/platform) is malformed and waives nothing: expiry: "
                     "unknown field (allowed: resources, owner, reason, expires, stacks); expires missing (a "
                     "waiver names resources, owner, reason, expires)."]
    assert doc["summary"]["waived"] == 0


def test_disabling_the_rule_in_production_is_a_finding_a_waiver_is_not(project_dir: Path):
    proc = run(project_dir, {RULE: "disabled"}, "--format", "json")
    assert proc.returncode == 1
    assert findings(proc.stdout) == [("prod", "relaxations-waived", "mandatory", STACK_TYPE, "prod")]


def test_outside_production_a_level_still_relaxes_a_rule(tmp_path: Path):
    make_project(tmp_path, stack="dev", edit=lambda config: config.update({"aigw:environment": "dev"}))
    (tmp_path / "pc.json").write_text(json.dumps({"tokens-least-privilege": "advisory"}))
    proc = check("Pulumi.dev.yaml", "--policy-config", "pc.json", "--format", "json", cwd=tmp_path)
    assert [f for s in json.loads(proc.stdout)["stacks"] for f in s["findings"]
            if f["policy"] == "relaxations-waived"] == []


@pytest.mark.parametrize("level", ["disabled", "advisory"])
def test_relaxations_waived_cannot_be_relaxed(tmp_path: Path, level: str):
    (tmp_path / "pc.json").write_text(json.dumps({"relaxations-waived": level}))
    proc = check("nostack", "--policy-config", "pc.json", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f'aigw: pc.json: relaxations-waived: "{level}": relaxations-waived cannot be relaxed (it is what makes a '
        "relaxation visible); allowed: mandatory, remediate"]


def test_relaxations_waived_findings_point_at_the_policy_config_line_of_their_rule(project_dir: Path, sarif_validator):
    text = ('{\n  "production-rate-limited": {\n    "waivers": [{"resources": ["x"], "owner": "@a", "reason": "r",'
            ' "expires": "2026-11-01"}]\n  },\n  "production-payloads-not-stored": "disabled"\n}\n')
    (project_dir / "located.json").write_text(text)
    proc = check("Pulumi.prod.yaml", "--policy-config", "located.json", "--format", "sarif", cwd=project_dir)
    doc = json.loads(proc.stdout)
    assert list(sarif_validator.iter_errors(doc)) == []
    located = {r["message"]["text"].split(" (")[0][:60]: r["locations"][0]["physicalLocation"]
               for r in doc["runs"][0]["results"] if r["ruleId"] == "relaxations-waived"}
    assert sorted((loc["artifactLocation"]["uri"], loc["region"]["startLine"]) for loc in located.values()) == [
        ("located.json", 2), ("located.json", 5)]
    fingerprints = {r["partialFingerprints"]["aigwFinding/v1"] for r in doc["runs"][0]["results"]
                    if r["ruleId"] == "relaxations-waived"}
    assert fingerprints == {"prod/relaxations-waived/pulumi:pulumi:Stack/prod/production-rate-limited.waivers[0]",
                            "prod/relaxations-waived/pulumi:pulumi:Stack/prod/production-payloads-not-stored"}
    findings_json = json.loads(check("Pulumi.prod.yaml", "--policy-config", "located.json", "--format", "json",
                                     cwd=project_dir).stdout)["stacks"][0]["findings"]
    assert {f["location"]["path"] for f in findings_json if f["policy"] == "relaxations-waived"} == {
        "production-rate-limited.waivers[0]", "production-payloads-not-stored"}
