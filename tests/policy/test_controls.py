"""The controls each rule and prove check supports (policy/aigw_policy/controls.py): complete, consistent with
docs/policy.md's tables, standard library only, and in `aigw check --format json`."""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

import pytest

from aigw_policy import RULES, Finding
from aigw_policy import controls as c

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "policy.md"
PROVE_CHECKS = {"prove-sample", "prove-canary", "prove-entry-paths"}


def test_every_rule_has_an_entry_and_no_entry_is_for_a_rule_that_does_not_exist():
    assert set(c.RULE_CONTROLS) == {rule.id for rule in RULES}


def test_every_prove_check_has_an_entry():
    assert set(c.PROVE_CONTROLS) == PROVE_CHECKS


def test_every_mapped_control_is_known_and_every_known_control_is_used():
    used = {cid for m in [*c.RULE_CONTROLS.values(), *c.PROVE_CONTROLS.values()] for cid in m.controls}
    assert used <= set(c.CONTROLS)
    assert set(c.CONTROLS) == used
    for m in [*c.RULE_CONTROLS.values(), *c.PROVE_CONTROLS.values()]:
        assert len(set(m.controls)) == len(m.controls) and m.why


def test_the_controls_are_the_ones_asked_for_with_their_titles():
    assert {cid: ctl.title for cid, ctl in c.CONTROLS.items()} == {
        "SOC2-CC6.1": "The entity implements logical access security software, infrastructure, and architectures "
                      "over protected information assets to protect them from security events to meet the "
                      "entity's objectives.",
        "SOC2-CC7.2": "The entity monitors system components and the operation of those components for anomalies "
                      "that are indicative of malicious acts, natural disasters, and errors affecting the entity's "
                      "ability to meet its objectives; anomalies are analyzed to determine whether they represent "
                      "security events.",
        "ISO27001-A.8.10": "Information deletion",
        "ISO27001-A.8.11": "Data masking",
        "ISO27001-A.8.15": "Logging",
        "GDPR-5(1)(c)": "Art. 5(1)(c) Principles relating to processing of personal data: data minimisation",
        "GDPR-25": "Art. 25 Data protection by design and by default",
        "GDPR-32": "Art. 32 Security of processing",
        "AIACT-12": "Art. 12 Record-keeping",
        "AIACT-19": "Art. 19 Automatically generated logs",
    }
    for ctl in c.CONTROLS.values():
        assert ctl.source.startswith("https://")


def test_the_mapping_follows_what_each_rule_does():
    def has(rule: str, *ids: str) -> bool:
        return set(ids) <= set(c.controls_for(rule))

    # Payloads kept out of logs and exports: minimisation, by design, masking.
    for rule in ("production-payloads-not-stored", "production-no-payload-export", "prove-sample", "prove-canary"):
        assert has(rule, "GDPR-5(1)(c)", "GDPR-25", "ISO27001-A.8.11"), rule
    # Logs collected and kept: logging, record-keeping, monitoring.
    for rule in ("logpush-complete", "log-retention-keeps-newest"):
        assert has(rule, "ISO27001-A.8.15", "AIACT-12", "AIACT-19", "SOC2-CC7.2"), rule
    # Deletion: the oldest logs when full, cached responses after their TTL.
    assert has("log-retention-keeps-newest", "ISO27001-A.8.10") and has("cache-ttl-bounded", "ISO27001-A.8.10")
    # Access: tokens and authentication.
    for rule in ("tokens-least-privilege", "tokens-not-expiring", "production-authentication-required",
                 "secrets-not-plaintext", "prove-entry-paths"):
        assert has(rule, "SOC2-CC6.1"), rule
    assert c.controls_for("gateway-id-naming") == []
    with pytest.raises(KeyError):
        c.controls_for("no-such-rule")


def test_controls_py_uses_the_standard_library_only():
    tree = ast.parse((ROOT / "policy" / "aigw_policy" / "controls.py").read_text())
    imported = {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported


def _table(text: str, header: str) -> list[list[str]]:
    block = text.split("<!-- controls-table", 1)[1].split("<!-- /controls-table -->", 1)[0]
    lines = block.splitlines()
    start = lines.index(header)
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


def _ids(cell: str) -> list[str]:
    return [] if cell == "—" else cell.split(", ")


def test_the_docs_tables_equal_controls_py():
    text = DOCS.read_text()
    rules = _table(text, "| rule | controls | why |")
    assert [re.fullmatch(r"\[`([a-z0-9-]+)`\]\(#\1\)", r[0]).group(1) for r in rules] == [r.id for r in RULES]
    for row in rules:
        rule = row[0].split("`")[1]
        assert (_ids(row[1]), row[2]) == (list(c.RULE_CONTROLS[rule].controls), c.RULE_CONTROLS[rule].why), rule
    checks = _table(text, "| prove check | controls | why |")
    assert [r[0].strip("`") for r in checks] == list(c.PROVE_CONTROLS)
    for row in checks:
        m = c.PROVE_CONTROLS[row[0].strip("`")]
        assert (_ids(row[1]), row[2]) == (list(m.controls), m.why)
    titles = _table(text, "| control | framework | title |")
    assert [[r[0], r[1], r[2]] for r in titles] == [[ctl.id, f"[{ctl.framework}]({ctl.source})", ctl.title]
                                                     for ctl in c.CONTROLS.values()]


def test_check_json_gives_each_finding_its_controls(tmp_path: Path):
    from aigw.check import StackResult
    from aigw.check import format as formats

    finding = Finding("production-authentication-required", "mandatory",
                      ("cloudflare:index/aiGateway:AiGateway", "support-bot"), "not authenticated")
    naming = Finding("gateway-id-naming", "advisory", ("cloudflare:index/aiGateway:AiGateway", "x"), "id")
    result = StackResult("prod", "prod", True, tmp_path / "Pulumi.prod.yaml", 2, [finding, naming])
    out = json.loads(formats.to_json([result]))
    first, second = out["stacks"][0]["findings"]
    assert list(first) == ["policy", "level", "resource", "message", "controls"]
    assert first["controls"] == ["SOC2-CC6.1", "GDPR-32"]
    assert second["controls"] == []
