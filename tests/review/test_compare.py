"""`aigw compare STACK STACK` (aigw/review/compare.py): effective settings side by side.

In process on the prod plan and a copy of it relabelled as another environment (so only what a
test changes differs), then the command line on the repo's staging and prod stacks.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from helpers.review import EDGE_WORKER, GATEWAY, aigw, props, stray_html, without

from aigw.review.compare import ABSENT, Row, compare, to_json, to_markdown

OTHER_ACCOUNT = "0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f6"
TEAM_WORKER = "aigw:index:TeamWorker"


def as_environment(plan: dict[str, Any], environment: str) -> dict[str, Any]:
    """``plan`` as the same stack in another environment and account: ids, names and URLs relabelled."""
    text = json.dumps(plan).replace(plan["accountId"], OTHER_ACCOUNT).replace("prod-", f"{environment}-")
    out = json.loads(text)
    out.update(stack=environment, environment=environment, production=False)
    return out


def with_team_worker(plan: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(plan)
    out["resources"].append({"type": TEAM_WORKER, "name": "summarise", "props": {
        "gateway": f"{plan['environment']}-batch-summariser", "module": "workers/summarise.mjs"}})
    return out


def differing(rows: list[Row]) -> list[tuple[str, str, str, str, str]]:
    return [(r.section, r.subject, r.setting, r.left, r.right) for r in rows if r.differs]


def row(rows: list[Row], section: str, subject: str, setting: str) -> Row:
    (found,) = [r for r in rows if (r.section, r.subject, r.setting) == (section, subject, setting)]
    return found


STACK_ROWS = [("stack", "", "environment", "staging", "prod"), ("stack", "", "production", "no", "yes")]


def test_a_stack_compared_with_itself_has_no_differences(prod_plan):
    rows = compare(prod_plan, copy.deepcopy(prod_plan))
    assert differing(rows) == []
    assert json.loads(to_json(prod_plan, prod_plan, rows))["differences"] == 0


def test_environment_prefixed_ids_and_the_account_are_not_differences(prod_plan):
    staging = as_environment(prod_plan, "staging")
    rows = compare(with_team_worker(staging), with_team_worker(prod_plan))
    assert differing(rows) == STACK_ROWS
    assert row(rows, "gateway", "support-bot", "id").left == "<env>-support-bot"
    assert row(rows, "team Worker", "summarise", "gateway").differs is False
    assert row(rows, "edge Worker", "support-bot", "token").differs is False
    assert not [r for r in rows if r.setting == "account"]


def test_a_changed_setting_is_marked(prod_plan):
    staging = as_environment(prod_plan, "staging")
    props(staging, GATEWAY, "batch-summariser").update(rateLimitingLimit=1200)
    rows = compare(staging, prod_plan)
    assert differing(rows) == [*STACK_ROWS, ("gateway", "batch-summariser", "rate limit", "1,200/60s fixed",
                                            "60/60s fixed")]


def test_a_resource_on_one_side_only_is_declared_absent(prod_plan):
    staging = without(without(as_environment(prod_plan, "staging"), GATEWAY, "docs-search"), EDGE_WORKER,
                      "docs-search")
    rows = compare(staging, prod_plan)
    assert differing(rows) == [*STACK_ROWS, ("gateway", "docs-search", "declared", ABSENT, "yes"),
                               ("edge Worker", "docs-search", "declared", ABSENT, "yes")]


def test_a_setting_on_one_side_only_reads_absent_and_secrets_read_the_mark(prod_plan):
    staging = as_environment(prod_plan, "staging")
    props(staging, GATEWAY, "support-bot")["otels"] = [
        {"url": "https://otlp.eu01.nr-data.net/v1/traces", "contentType": "json", "headers": {"api-key": "[secret]"}}]
    rows = compare(staging, prod_plan)
    assert differing(rows) == [*STACK_ROWS,
                               ("gateway", "support-bot", "otel[0]", "https://otlp.eu01.nr-data.net/v1/traces (json)",
                                ABSENT),
                               ("gateway", "support-bot", "otel[0] header api-key", "[secret]", ABSENT)]


def test_json_shape(prod_plan):
    staging = as_environment(prod_plan, "staging")
    rows = compare(staging, prod_plan)
    out = json.loads(to_json(staging, prod_plan, rows))
    assert set(out) == {"left", "right", "differences", "rows"}
    assert (out["left"], out["right"], out["differences"]) == ("staging", "prod", 2)
    assert out["rows"][0] == {"section": "stack", "subject": "", "setting": "environment", "left": "staging",
                              "right": "prod", "differs": True}
    assert len(out["rows"]) == len(rows)


def test_markdown_marks_differences_and_escapes_cells(prod_plan):
    staging = as_environment(prod_plan, "staging")
    props(staging, GATEWAY, "batch-summariser")["zdr"] = "a|b"
    md = to_markdown(staging, prod_plan, compare(staging, prod_plan))
    lines = md.splitlines()
    assert lines[0] == "## `staging` vs `prod`: 3 difference(s)"
    assert lines[2:4] == ["| | what | setting | staging | prod |", "|---|---|---|---|---|"]
    assert "| **≠** | gateway batch-summariser | zdr | a\\|b | off |" in lines
    assert "|  | gateway batch-summariser | rate limit | 60/60s fixed | 60/60s fixed |" in lines
    # Five columns on every row: the pipe inside a value does not open a sixth.
    assert {len(re.split(r"(?<!\\)\|", line)) for line in lines[2:]} == {7}


def test_markdown_placeholders_survive_github_rendering(prod_plan):
    staging = as_environment(prod_plan, "staging")
    assert stray_html(to_markdown(staging, prod_plan, compare(staging, prod_plan))) == []


# --- the command line on the repo's stacks ---------------------------------------------------------


def compare_cli(*args: str):
    proc = aigw("compare", *args)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_cli_json_staging_vs_prod():
    proc = compare_cli("staging", "prod", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    rows = {(r["section"], r["subject"], r["setting"]): r for r in out["rows"]}
    assert out["differences"] == sum(r["differs"] for r in out["rows"]) > 0
    for name in ("support-bot", "docs-search", "batch-summariser"):
        assert rows[("gateway", name, "id")]["left"] == rows[("gateway", name, "id")]["right"] == f"<env>-{name}"
        assert rows[("gateway", name, "id")]["differs"] is False
        declared = rows[("edge Worker", name, "declared")]
        assert (declared["left"], declared["right"], declared["differs"]) == (ABSENT, "yes", True)
    assert rows[("gateway", "batch-summariser", "rate limit")] == {
        "section": "gateway", "subject": "batch-summariser", "setting": "rate limit", "left": "1,200/60s fixed",
        "right": "60/60s fixed", "differs": True}
    assert rows[("gateway", "support-bot", "otel[0] header api-key")]["left"] == "[secret]"
    assert rows[("gateway", "support-bot", "otel[0] header api-key")]["right"] == ABSENT
    assert rows[("team Worker", "summarise", "declared")]["left"] == "yes"
    assert rows[("token", "edge-run", "declared")]["left"] == ABSENT
    assert rows[("log export", "logpush-job", "declared")]["right"] == "yes"
    assert "stagingPlaceholder" not in proc.stdout


def test_cli_markdown_staging_vs_prod():
    proc = compare_cli("staging", "prod", "--format", "markdown")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    count = int(re.fullmatch(r"## `staging` vs `prod`: (\d+) difference\(s\)", lines[0]).group(1))
    assert count == sum(line.startswith("| **≠** |") for line in lines) > 0
    assert "| **≠** | gateway batch-summariser | rate limit | 1,200/60s fixed | 60/60s fixed |" in lines
    assert "| **≠** | gateway support-bot | otel[0] header api-key | [secret] | (absent) |" in lines
    assert "| **≠** | edge Worker support-bot | declared | (absent) | yes |" in lines


def test_cli_table_staging_vs_prod():
    proc = compare_cli("staging", "prod")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert re.search(r"staging vs prod: \d+ difference\(s\)", out)
    lines = out.splitlines()
    rate = [line for line in lines if "batch-summariser" in line and "rate limit" in line]
    assert len(rate) == 1 and "≠" in rate[0] and "1,200/60s fixed" in rate[0] and "60/60s fixed" in rate[0]
    ids = [line for line in lines if "gateway support-bot" in line and re.search(r"│ id\s+│", line)]
    assert len(ids) == 1 and "≠" not in ids[0]
    # rich prints "[secret]" as is (Text, not markup).
    (secret,) = [line for line in lines if "otel[0] header api-key" in line]
    assert "[secret]" in secret and "(absent)" in secret and "≠" in secret


def test_cli_unknown_stack_is_exit_2():
    proc = compare_cli("staging", "nope")
    assert (proc.returncode, proc.stdout) == (2, "")
    assert "nope: no such stack" in proc.stderr
