"""Meta-tests over RULES: the list every consumer (the pack, `aigw check`, the docs) relies on."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from aigw_policy import engine
from aigw_policy.rules import RULES, RULES_BY_ID

ROOT = Path(__file__).resolve().parents[2]
POLICY_DIR = ROOT / "policy"

REQUIRED_IDS = [
    "production-payloads-not-stored",
    "production-no-payload-export",
    "production-authentication-required",
    "production-rate-limited",
    "secrets-not-plaintext",
    "no-default-gateway",
    "logpush-complete",
    "tokens-least-privilege",
    "log-retention-keeps-newest",
    "gateway-id-naming",
    "cache-ttl-bounded",
    "production-dlp-enabled",
    "production-spend-limits",
    "production-guardrails",
    "tokens-not-expiring",
    "production-provider-keys-stored",
    "production-routes-allowed-providers",
    "byok-keys-cover-routes",
    # The policy config's own rule: no mandatory rule relaxed by level in production, no broken waiver.
    "relaxations-waived",
]
MANDATORY_IDS = [*REQUIRED_IDS[:8], *REQUIRED_IDS[15:18], "relaxations-waived"]
ADVISORY_IDS = REQUIRED_IDS[8:15]
STACK_RULE_IDS = {"production-payloads-not-stored", "logpush-complete", "production-provider-keys-stored",
                  "byok-keys-cover-routes", "relaxations-waived"}
ids = pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])


def test_ids_are_unique():
    all_ids = [r.id for r in RULES]
    assert len(all_ids) == len(set(all_ids)), all_ids
    assert set(RULES_BY_ID) == set(all_ids)
    assert all(RULES_BY_ID[r.id] is r for r in RULES)


def test_ids_are_exactly_the_required_ones_in_order():
    assert [r.id for r in RULES] == REQUIRED_IDS


@ids
def test_id_is_kebab_case(rule):
    assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)+", rule.id), rule.id


@ids
def test_default_level(rule):
    expected = "mandatory" if rule.id in MANDATORY_IDS else "advisory"
    assert rule.id in MANDATORY_IDS + ADVISORY_IDS
    assert rule.level == expected
    assert rule.level in engine.LEVELS


@ids
def test_scope(rule):
    assert rule.scope == ("stack" if rule.id in STACK_RULE_IDS else "resource")


@ids
def test_description_is_one_sentence_ending_with_a_period(rule):
    text = rule.description
    assert text == text.strip() and text[0].isupper(), text
    assert text.endswith("."), text
    # One sentence: no sentence break inside (a period followed by a space and a capital).
    assert not re.search(r"[.!?]\s+[A-Z]", text[:-1]), text
    assert "\n" not in text


@ids
def test_remediation_is_given(rule):
    assert rule.remediation.strip() and rule.remediation.endswith("."), rule.remediation


@ids
def test_severity_is_known(rule):
    assert rule.severity in engine.SEVERITIES


@ids
def test_resource_rules_list_the_types_they_inspect(rule):
    if rule.scope == "resource":
        assert rule.types, rule.id
        assert all(re.fullmatch(r"[a-z][a-z-]*:[A-Za-z/]+:[A-Za-z]+", t) for t in rule.types), rule.types
    else:
        assert rule.types == ()


def test_production_only_rules_are_the_production_prefixed_ones():
    assert {r.id for r in RULES if r.production_only} == {i for i in REQUIRED_IDS if i.startswith("production-")}


@ids
def test_every_schema_property_has_a_default_and_a_description(rule):
    schema = rule.schema()
    assert "productionEnvironments" in schema
    for name, prop in schema.items():
        assert "default" in prop, f"{rule.id}.{name} has no default"
        assert isinstance(prop.get("description"), str) and prop["description"].strip(), f"{rule.id}.{name}"
        assert prop.get("type") in {"array", "string", "integer", "boolean", "number", "object"}
    assert rule.defaults() == {name: prop["default"] for name, prop in schema.items()}


def test_the_default_production_environments():
    for rule in RULES:
        assert rule.defaults()["productionEnvironments"] == ["prod", "production"]


def test_every_rule_has_its_own_test_file_that_tests_it():
    """One file per rule, as docs/policy.md has one section per rule: tests/policy/test_rule_<id>.py."""
    files = {path.name for path in Path(__file__).parent.glob("test_rule_*.py")} - {"test_rule_list.py"}
    expected = {f"test_rule_{r.id.replace('-', '_')}.py" for r in RULES}
    assert files == expected
    untested = [r.id for r in RULES
                if f'"{r.id}"' not in (Path(__file__).parent / f"test_rule_{r.id.replace('-', '_')}.py").read_text()]
    assert not untested


def _imports(path: Path) -> list[str]:
    modules = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.append(node.module)
    return modules


def test_the_policy_folder_does_not_import_aigw():
    sources = sorted(POLICY_DIR.rglob("*.py"))
    assert {p.name for p in sources} >= {"__main__.py", "engine.py", "rules.py", "values.py", "pack.py"}
    for path in sources:
        text = path.read_text()
        assert not re.search(r"^\s*(import aigw|from aigw)\b", text, re.M), path
        assert not [m for m in _imports(path) if m == "aigw" or m.startswith("aigw.")], path


def _pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if m := re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(.+)", line):
            pins[m.group(1).lower()] = m.group(2).replace(" ", "")
    return pins


def test_the_pack_requirements_pin_the_same_pulumi_ranges_as_the_project():
    project = _pins(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])
    pack = _pins((POLICY_DIR / "requirements.txt").read_text().splitlines())
    for name in ("pulumi", "pulumi-policy"):
        assert name in pack, f"policy/requirements.txt does not pin {name}"
        assert pack[name] == project[name], name


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_has_its_section_in_the_policy_reference(rule):
    # SARIF help links point at docs/policy.md#<id>: the heading must be the id itself.
    headings = [line[3:].strip() for line in (ROOT / "docs" / "policy.md").read_text().splitlines()
                if line.startswith("## ")]
    assert rule.id in headings
