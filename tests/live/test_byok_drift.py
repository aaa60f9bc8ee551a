"""`aigw drift` of a stack whose gateway keeps provider keys in the stack's own Secrets Store (the repo's
staging stack, support-bot): the offline plan knows the store only by its placeholder id, the account by its
real one, and that is not drift; a gateway whose store was removed in the dashboard still is."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers.live import aigw, create_body, repo_plans, seed_plan
from helpers.standin import READ_TOKEN, StandIn

from aigw.live.drift import drift
from aigw_policy.vocabulary import SECRETS_STORE

LIVE_STORE = "7c2e9a4b1d3f5e6a8b9c0d1e2f3a4b5c"


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return repo_plans(tmp_path_factory.mktemp("byok-plans"))


def staging_gateway(plan: dict[str, Any]) -> dict[str, Any]:
    (gw,) = [r for r in plan["resources"] if r["type"].endswith("aiGateway:AiGateway")
             and r["props"]["aiGatewayId"] == "staging-support-bot"]
    return gw


def test_the_stacks_own_store_is_not_drift(standin: StandIn, plans) -> None:
    plan = plans["staging"]
    assert any(r["type"] == SECRETS_STORE for r in plan["resources"])
    seed_plan(standin, plan)
    standin.account(plan["accountId"]).gateways["staging-support-bot"]["store_id"] = LIVE_STORE
    proc = aigw("drift", "staging", "--format", "json", token=READ_TOKEN, api=standin)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["drift"] == []


def test_a_store_removed_by_hand_is_drift(plans) -> None:
    plan = plans["staging"]
    body = {**create_body(staging_gateway(plan)["props"]), "id": "staging-support-bot"}
    assert [d.field for d in drift(plan, [{**body, "store_id": LIVE_STORE}]).drift] == []
    body.pop("store_id", None)
    assert [d.field for d in drift(plan, [body]).drift] == ["storeId"]
    # Another stack's store (not this plan's own) is drift too: only the stack's own placeholder is excused.
    other = {**plan, "resources": [r for r in plan["resources"] if r["type"] != SECRETS_STORE]}
    assert [d.field for d in drift(other, [{**body, "store_id": LIVE_STORE}]).drift] == ["storeId"]
