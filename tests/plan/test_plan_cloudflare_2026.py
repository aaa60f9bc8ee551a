"""`aigw plan FILE` against what Cloudflare accepts as of December 2026 (issue 11, points 3 and 6).

Acceptance: a dev stack with `authentication: false` exits 2 naming the key and the 2026-11-03 change;
`delayMs: 6000` exits 2; two spend rules without ids plan with two distinct ids. The plan's words say
that maxLogs/onFull apply to Legacy Logs only (accounts created on or after 2026-09-24 store logs in
Workers Observability).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers.plan import aigw, copy_project_file

AI_GATEWAY = "cloudflare:index/aiGateway:AiGateway"
HEAD = """\
config:
  aigw:accountId: 0123456789abcdef0123456789abcdef
  aigw:environment: dev
  aigw:gateways:
"""
LEGACY_NOTE = ("maxLogs/onFull (logManagement) apply to Legacy Logs only: accounts created on or after "
               "2026-09-24 store logs in Workers Observability, which ignores them")


@pytest.fixture()
def project_dir(tmp_path: Path) -> Path:
    copy_project_file(tmp_path)  # org defaults: maxLogs, onFull, retry
    return tmp_path


def dev_stack(project_dir: Path, gateways: str) -> Path:
    path = project_dir / "Pulumi.dev.yaml"
    path.write_text(HEAD + gateways)
    return path


def test_authentication_false_exits_2_naming_the_key_and_the_change(project_dir):
    path = dev_stack(project_dir, "    support-bot:\n      authentication: false\n")
    proc = aigw("plan", str(path))
    assert proc.returncode == 2, proc.stdout
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith(f"aigw: {path}:6: aigw:gateways.support-bot.authentication: false: ")
    assert "new AI Gateways require authentication (Cloudflare AI Gateway changelog, 2026-11-03)" in line
    assert "HTTP 400" in line and "authentication: imported-off" in line


def test_retry_delay_of_6000_ms_exits_2(project_dir):
    path = dev_stack(project_dir, "    support-bot:\n      retry: {maxAttempts: 3, delayMs: 6000}\n")
    proc = aigw("plan", str(path))
    assert proc.returncode == 2, proc.stdout
    assert proc.stderr.strip().splitlines() == [
        f"aigw: {path}:6: aigw:gateways.support-bot.retry.delayMs: 6000: allowed: 0..5,000"]


TWO_RULES = """\
    budgets:
      spendLimits:
        rules:
          - {limit: 100.0, window: 86400}
          - {limit: 10.0, window: 3600}
"""


def test_two_spend_rules_without_ids_plan_with_two_distinct_ids(project_dir):
    proc = aigw("plan", str(dev_stack(project_dir, TWO_RULES)), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    (stack,) = json.loads(proc.stdout)["stacks"]
    (gw,) = [r for r in stack["resources"] if r["type"] == AI_GATEWAY]
    ids = [rule["id"] for rule in gw["props"]["spendLimits"]["rules"]]
    assert len(ids) == 2 and len(set(ids)) == 2
    assert all(re.fullmatch(r"[0-9a-f]{8}", i) for i in ids) and "6fb25042" not in ids
    again = aigw("plan", str(project_dir / "Pulumi.dev.yaml"), "--format", "json")
    (stack_again,) = json.loads(again.stdout)["stacks"]
    (gw_again,) = [r for r in stack_again["resources"] if r["type"] == AI_GATEWAY]
    assert [r["id"] for r in gw_again["props"]["spendLimits"]["rules"]] == ids, "the same ids on every run"
    table = aigw("plan", str(project_dir / "Pulumi.dev.yaml")).stdout
    assert f"spend $100/86,400s sliding id {ids[0]}" in table and f"spend $10/3,600s sliding id {ids[1]}" in table


def test_an_imported_gateway_without_authentication_reads_so_in_the_table(project_dir):
    path = dev_stack(project_dir, "    legacy:\n      authentication: imported-off\n    fresh: {}\n")
    proc = aigw("plan", str(path), "--format", "markdown")
    assert proc.returncode == 0, proc.stderr
    rows = {line.split(" | ")[0].lstrip("| "): line for line in proc.stdout.splitlines() if line.startswith("| dev-")}
    assert " | off (imported-off) | " in rows["dev-legacy"]
    assert " | on | " in rows["dev-fresh"]


def test_the_table_says_retention_applies_to_legacy_logs_only(project_dir):
    path = dev_stack(project_dir, "    support-bot: {}\n")  # the org defaults set maxLogs and onFull
    for fmt in ("table", "markdown"):
        out = aigw("plan", str(path), "--format", fmt).stdout
        assert "keep 1,000,000, when full delete oldest *" in out, out
        assert LEGACY_NOTE in " ".join(out.split()), out


def test_no_legacy_note_where_no_gateway_sets_retention(project_dir):
    text = ("    support-bot:\n      logging: {maxLogs: null, onFull: null}\n")
    path = dev_stack(project_dir, text)
    out = aigw("plan", str(path)).stdout
    assert "Legacy Logs" not in out and " *" not in out


def test_production_policy_still_reports_an_imported_gateway_without_authentication(project_dir):
    path = project_dir / "Pulumi.prod.yaml"
    path.write_text(HEAD.replace("environment: dev", "environment: prod")
                    + "    legacy:\n      authentication: imported-off\n      rateLimit: {limit: 60, interval: 60}\n")
    proc = aigw("check", str(path), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    (stack,) = json.loads(proc.stdout)["stacks"]
    mandatory = {(f["policy"], f["resource"]["name"]) for f in stack["findings"] if f["level"] == "mandatory"}
    assert ("production-authentication-required", "legacy") in mandatory
