"""A route with a percentage split in the plan (`aigw plan --format json` and the table), the diff and the
comparison: a DynamicRoute (aigw/components/route.py) whose props read as an AiGatewayDynamicRouting's, and
whose split reads as where each share goes ("split: 70% openai/gpt-4o, 30% anthropic/claude-sonnet-4-5"),
never as element JSON."""

from __future__ import annotations

import json
import textwrap

from helpers.plan import aigw, copy_project_file
from helpers.spec import stack

from aigw.review.compare import compare
from aigw.review.diff import diff_plans
from aigw.review.render import change_block
from aigw_policy.vocabulary import AI_GATEWAY_DYNAMIC_ROUTING, DYNAMIC_ROUTE

GATEWAY = """
main:
  id: main-gw
  routes:
    canary:
      elements:
        - {{id: start, type: start, outputs: {{next: {{elementId: split}}}}}}
        - {{id: split, type: percentage, outputs: {{"{a}%": {{elementId: a}}, "{b}%": {{elementId: b}}}}}}
        - id: a
          type: model
          properties: {{provider: openai, model: gpt-4o, retries: 1, timeout: 30000}}
          outputs: {{success: {{elementId: end}}, fallback: {{elementId: b}}}}
        - id: b
          type: model
          properties: {{provider: anthropic, model: claude-sonnet-4-5, retries: 0, timeout: 30000}}
          outputs: {{success: {{elementId: end}}, fallback: {{elementId: end}}}}
        - {{id: end, type: end, outputs: {{}}}}
"""


def plan_of(tmp_path, a: int, b: int, *, table: bool = False):
    tmp_path.mkdir(exist_ok=True)
    copy_project_file(tmp_path)
    (tmp_path / "Pulumi.test.yaml").write_text(stack(textwrap.dedent(GATEWAY.format(a=a, b=b))))
    result = aigw("plan", "test", *(() if table else ("--format", "json")), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return " ".join(result.stdout.split()) if table else json.loads(result.stdout)["stacks"][0]


def test_the_plan_shows_the_split_as_a_route(tmp_path):
    plan = plan_of(tmp_path, 70, 30)
    (route,) = [r for r in plan["resources"] if r["type"] == DYNAMIC_ROUTE]
    assert not [r for r in plan["resources"] if r["type"] == AI_GATEWAY_DYNAMIC_ROUTING]
    assert route["name"] == "main-canary"
    assert {k: route["props"][k] for k in ("gatewayId", "name")} == {"gatewayId": "main-gw", "name": "canary"}
    elements = {e["id"]: e for e in route["props"]["elements"]}
    assert elements["split"]["outputs"] == {"70%": {"elementId": "a"}, "30%": {"elementId": "b"}}
    assert elements["a"]["properties"]["aiGatewayDynamicRoutingProvider"] == "openai"
    text = plan_of(tmp_path, 70, 30, table=True)
    assert ("route dynamic/canary of gateway main-gw: split 70% openai/gpt-4o, 30% anthropic/claude-sonnet-4-5; "
            "split to a: fallback anthropic/claude-sonnet-4-5") in text


def test_a_changed_share_reads_as_one_line(tmp_path):
    base = plan_of(tmp_path / "a", 70, 30)
    head = plan_of(tmp_path / "b", 40, 60)
    (change,) = [c for c in diff_plans(base, head) if c.type == DYNAMIC_ROUTE]
    assert change.action == "update" and change.reasons == []
    assert [s[0] for s in change.settings] == ["split"]  # one line: each share's path is keyed by where it goes
    assert ("split", "70% openai/gpt-4o, 30% anthropic/claude-sonnet-4-5",
            "60% anthropic/claude-sonnet-4-5, 40% openai/gpt-4o") in change.settings
    block = change_block(change)
    assert "split: `70% openai/gpt-4o, 30% anthropic/claude-sonnet-4-5` -> " in block
    assert "elementId" not in block and "aiGatewayDynamicRoutingProvider" not in block


def test_a_shares_fallback_reads_under_its_share(tmp_path):
    from aigw.review.words import settings

    plan = plan_of(tmp_path, 70, 30)
    (route,) = [r for r in plan["resources"] if r["type"] == DYNAMIC_ROUTE]
    words = settings(DYNAMIC_ROUTE, route["props"])
    assert words["route"] == "dynamic/canary"
    assert words["split"] == "70% openai/gpt-4o, 30% anthropic/claude-sonnet-4-5"
    assert words["split to a: model"] == "openai/gpt-4o"
    assert words["split to a: fallback"] == "anthropic/claude-sonnet-4-5"
    assert words["split to b: model"] == "anthropic/claude-sonnet-4-5"
    assert words["split to a: model retries/timeout"] == "1 retries, 30,000 ms"


def test_compare_shows_routes_of_either_type(tmp_path):
    left = plan_of(tmp_path / "a", 70, 30)
    right = plan_of(tmp_path / "b", 90, 10)
    rows = [r for r in compare(left, right) if r.section == "route"]
    assert {r.subject for r in rows} == {"main-canary"}
    (split,) = [r for r in rows if r.setting == "split"]
    assert (split.left, split.right, split.differs) == (
        "70% openai/gpt-4o, 30% anthropic/claude-sonnet-4-5", "90% openai/gpt-4o, 10% anthropic/claude-sonnet-4-5",
        True)
    assert not [r for r in rows if r.differs and r.setting != "split"]
