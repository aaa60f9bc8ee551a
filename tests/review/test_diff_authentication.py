"""`aigw diff` calls out authentication changes loudly (issue 11, point 3).

Since 2026-11-03 new AI Gateways require authentication (AI Gateway changelog, "New AI Gateways
require authentication"): a create with authentication false, or turning it off, gets HTTP 400.
A pull request that turns a gateway's authentication off (true -> false), or creates or replaces a
gateway without it, must say so where a reviewer cannot miss it: the change's warning and the
comment's summary. Turning it on is said too: clients need a Run token from then on, for good.
"""

from __future__ import annotations

import copy
import json

from helpers.review import GATEWAY, aigw, edited
from test_diff_git import branch_repo, replace

from aigw.review import DiffResult, StackDiff
from aigw.review.diff import diff_plans
from aigw.review.render import to_json, to_markdown


def only(changes):
    assert len(changes) == 1, [(c.action, c.type, c.name) for c in changes]
    return changes[0]


def head_of(change, production=True) -> str:
    d = StackDiff("prod", "prod", production, [change])
    return to_markdown(DiffResult("main", "0" * 40, [d])).partition("<details>")[0]


def test_turning_authentication_off_is_a_loud_warning(prod_plan):
    change = only(diff_plans(prod_plan, edited(prod_plan, authentication=False)))
    assert (change.action, change.name) == ("update", "batch-summariser")
    assert ("authentication", "on", "off") in change.settings
    assert change.warning == (
        "Turns authentication off on gateway prod-batch-summariser: Cloudflare refuses this with HTTP 400 since "
        "2026-11-03 (AI Gateway changelog, \"New AI Gateways require authentication\"), so `pulumi up` fails. "
        "Without authentication anyone who knows the account id and gateway id can send traffic through it.")


def test_a_removed_authentication_prop_is_off_too(prod_plan):
    change = only(diff_plans(prod_plan, edited(prod_plan, authentication=None)))
    assert change.warning is not None and change.warning.startswith("Turns authentication off on gateway")


def test_the_authentication_warning_is_in_the_comments_summary(prod_plan):
    change = only(diff_plans(prod_plan, edited(prod_plan, authentication=False)))
    head = head_of(change)
    assert f"> :warning: **{change.warning}**" in head
    assert head.splitlines()[1].startswith(":warning: ") or head.splitlines()[1].startswith(":x: ")


def test_the_authentication_warning_is_in_the_json(prod_plan):
    change = only(diff_plans(prod_plan, edited(prod_plan, authentication=False)))
    d = StackDiff("prod", "prod", True, [change])
    (stack,) = json.loads(to_json(DiffResult("main", "0" * 40, [d])))["stacks"]
    assert stack["changes"][0]["warning"] == change.warning
    assert change.warning in stack["markdown"]


def test_turning_authentication_on_says_clients_need_a_token_for_good(prod_plan):
    base = edited(prod_plan, authentication=False)
    change = only(diff_plans(base, prod_plan))
    assert ("authentication", "off", "on") in change.settings
    assert change.warning == (
        "Turns authentication on for gateway prod-batch-summariser: every client must send a Cloudflare API token "
        "with AI Gateway Run (cf-aig-authorization) from then on, and Cloudflare does not let it be turned off "
        "again (changelog 2026-11-03).")
    assert f"> :warning: **{change.warning}**" in head_of(change)


def test_an_unchanged_authentication_says_nothing(prod_plan):
    change = only(diff_plans(prod_plan, edited(prod_plan, cacheTtl=60)))
    assert change.warning is None


def test_a_gateway_created_without_authentication_is_called_out(prod_plan):
    head = copy.deepcopy(prod_plan)
    new = copy.deepcopy([r for r in head["resources"] if r["type"] == GATEWAY and r["name"] == "batch-summariser"][0])
    new["name"], new["props"]["aiGatewayId"] = "legacy", "prod-legacy"
    new["props"]["authentication"] = False
    head["resources"].append(new)
    change = only(diff_plans(prod_plan, head))
    assert change.action == "create"
    assert change.warning == (
        "Creates gateway prod-legacy without authentication: Cloudflare refuses to create one (HTTP 400 since "
        "2026-11-03). This works only for a gateway that exists with authentication already off and is imported "
        "first (`pulumi import`, see `aigw import`).")
    assert f"> :warning: **{change.warning}**" in head_of(change)


def test_a_replacement_without_authentication_says_the_new_gateway_is_refused(prod_plan):
    change = only(diff_plans(prod_plan, edited(prod_plan, aiGatewayId="prod-batch", authentication=False)))
    assert change.action == "replace"
    assert "the old gateway is deleted with all its stored logs" in (change.warning or "")
    assert change.warning.endswith(
        " The new gateway would be created without authentication, which Cloudflare refuses (HTTP 400 since "
        "2026-11-03).")


def test_aigw_diff_on_a_branch_that_turns_authentication_off(tmp_path):
    """End to end: the stack file says `imported-off` where it said nothing (the org default, true)."""
    repo = branch_repo(tmp_path, lambda repo: replace(
        repo / "Pulumi.staging.yaml", "    docs-search:\n", "    docs-search:\n      authentication: imported-off\n"))
    proc = aigw("diff", "--base", "main", "staging", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    head = proc.stdout.partition("<details>")[0]
    assert ("> :warning: **Turns authentication off on gateway staging-docs-search: Cloudflare refuses this with "
            "HTTP 400 since 2026-11-03") in head
    assert "  - authentication: `on` -> `off`" in proc.stdout
