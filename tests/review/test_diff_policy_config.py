"""`aigw diff` reviews the policy config like code (issue 12, deliverable 2).

Before: the base and the head were both judged with the head's `--policy-config`, so a pull request
adding `policy-config.json` with `{"production-payloads-not-stored": "disabled"}` next to a prod
gateway storing payloads gave a diff with no finding that never named the file. Now the base is
judged with its own version of that file (the default levels when it has none), every rule whose
level changed is a warning in the summary of every stack, and a finding the change of level hides is
listed as hidden (still there, not fixed).

The repository (layer 3, the command line in a subprocess; one worktree per head):

    clean   the project, no policy config
    leaky   clean + prod stores payloads (its base finding: production-payloads-not-stored, mandatory)
    relax   off clean: prod stores payloads and policy-config.json disables the rule
    mute    off leaky: policy-config.json disables the rule (nothing else changes)
    advise  off leaky: policy-config.json sets the rule to advisory
    narrow  off leaky: policy-config.json narrows the rule's productionEnvironments to ["production"]
    strict  off leaky: policy-config.json sets tokens-not-expiring (advisory by default) to mandatory
    unstrict off strict: policy-config.json deleted (the head has no file; the base has the stricter one)
    prodless (tag) leaky with Pulumi.yaml's aigw:productionEnvironments [production]: prod is production
            only by the rules' default productionEnvironments [prod, production]
    unprod  off prodless: policy-config.json narrows the rule's productionEnvironments to ["production"]
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.review import WORKERS_SCRIPT
from test_diff_git import committed_project, diff, git, replace

from aigw.review import DiffResult, StackDiff
from aigw.review.render import to_markdown
from aigw_policy import Finding

RULE = "production-payloads-not-stored"
CHANGE = f"policy config: {RULE} mandatory -> disabled"
PAYLOADS = ("      logpush: true              # every prod gateway exports its logs (aigw:logpush below)\n")


def store_payloads(repo: Path) -> None:
    replace(repo / "Pulumi.prod.yaml", PAYLOADS, "      payloads: true\n" + PAYLOADS)


def branch(repo: Path, name: str, start: str, config: dict | None, payloads: bool) -> Path:
    tree = repo.parent / f"{repo.name}-{name}"
    git(repo, "worktree", "add", "--quiet", "-b", name, str(tree), start)
    if payloads:
        store_payloads(tree)
    if config is not None:
        (tree / "policy-config.json").write_text(json.dumps(config) + "\n")
    git(tree, "add", ".")
    git(tree, "commit", "--quiet", "-m", name)
    return tree


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> dict[str, Path]:
    repo = tmp_path_factory.mktemp("policy-config-repo") / "main"
    repo.mkdir()
    committed_project(repo)
    git(repo, "tag", "clean")
    store_payloads(repo)
    git(repo, "commit", "--quiet", "-am", "prod stores payloads")
    git(repo, "tag", "leaky")
    strict = branch(repo, "strict", "leaky", {"tokens-not-expiring": "mandatory"}, payloads=False)
    unstrict = repo.parent / f"{repo.name}-unstrict"
    git(repo, "worktree", "add", "--quiet", "-b", "unstrict", str(unstrict), "strict")
    git(unstrict, "rm", "--quiet", "policy-config.json")
    git(unstrict, "commit", "--quiet", "-m", "unstrict")
    git(repo, "checkout", "--quiet", "-b", "prodless-base", "leaky")
    replace(repo / "Pulumi.yaml", "    value: [prod, production]\n", "    value: [production]\n")
    git(repo, "commit", "--quiet", "-am", "prod is production only by the policy's default list")
    git(repo, "tag", "prodless")
    git(repo, "checkout", "--quiet", "main")
    return {"main": repo, "strict": strict, "unstrict": unstrict,
            "unprod": branch(repo, "unprod", "prodless", {RULE: {"productionEnvironments": ["production"]}},
                             payloads=False),
            "relax": branch(repo, "relax", "clean", {RULE: "disabled"}, payloads=True),
            "mute": branch(repo, "mute", "leaky", {RULE: "disabled"}, payloads=False),
            "advise": branch(repo, "advise", "leaky", {RULE: {"enforcementLevel": "advisory"}}, payloads=False),
            "narrow": branch(repo, "narrow", "leaky", {RULE: {"productionEnvironments": ["production"]}},
                             payloads=False),
            "waive": branch(repo, "waive", "leaky", {RULE: {"waivers": [WAIVER]}}, payloads=False)}


WAIVER = {"resources": ["support-bot"], "owner": "@acme/platform", "reason": "INC-1: vendor investigation",
          "expires": "2026-12-20"}  # tests/conftest.py: AIGW_TODAY=2026-12-01


def test_a_branch_that_adds_a_waiver_shows_the_waived_finding_as_hidden_not_fixed(repo):
    proc = diff(repo["waive"], "--base", "leaky", "--policy-config", "policy-config.json", "--format", "json",
                "prod")
    assert proc.returncode == 0, proc.stderr
    (prod,) = json.loads(proc.stdout)["stacks"]
    assert prod["policy"]["fixed"] == [] and prod["policy"]["introduced"] == []
    (hidden,) = prod["policy"]["hidden"]
    assert (hidden["policy"], hidden["level"], hidden["headLevel"]) == (RULE, "mandatory", "waived")
    assert hidden["waived"] == {"waiver": f"{RULE}.waivers[0]", "owner": "@acme/platform",
                                "reason": "INC-1: vendor investigation", "expires": "2026-12-20",
                                "resources": ["support-bot"]}
    md = diff(repo["waive"], "--base", "leaky", "--policy-config", "policy-config.json", "prod").stdout
    assert (f"`{RULE}` (mandatory under the base's policy config, waived under this one by {RULE}.waivers[0], "
            "owner @acme/platform, until 2026-12-20: INC-1: vendor investigation) on Worker `support-bot`") in md


def test_acceptance_a_branch_that_disables_the_rule_shows_the_change_and_the_finding_it_hides(repo):
    proc = diff(repo["relax"], "--base", "clean", "--policy-config", "policy-config.json", "prod")
    assert proc.returncode == 0, proc.stderr
    md = proc.stdout
    summary = md.partition("<details>")[0]
    # In markdown text ">" is written &gt; (GitHub shows "->").
    assert f"> :warning: **{CHANGE.replace('>', '&gt;')}**" in summary
    assert "hidden by the policy config change" in summary
    assert summary.splitlines()[1].startswith(":x: **`prod`**")
    assert "**policy findings hidden by the policy config change** (still there; not fixed)" in md
    assert (f"`{RULE}` (mandatory under the base's policy config, disabled under this one) on Worker "
            "`support-bot`: edge Worker 'support-bot' fronts gateway 'support-bot'") in md
    assert "policy findings fixed" not in md


def test_a_finding_the_config_disables_is_hidden_not_fixed(repo):
    proc = diff(repo["mute"], "--base", "leaky", "--policy-config", "policy-config.json", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["policyConfig"] == {"file": "policy-config.json",
                                   "notes": ["policy config: policy-config.json at leaky does not exist; the base "
                                             "is judged with the default levels"],
                                   "levelChanges": [{"policy": RULE, "base": "mandatory", "head": "disabled"}],
                                   "propertyChanges": []}
    by_stack = {s["stack"]: s for s in out["stacks"]}
    # Every stack is judged by the changed config: each one says so.
    assert sorted(by_stack) == ["dev", "prod", "staging"]
    assert all(CHANGE in s["warnings"] for s in by_stack.values())
    prod = by_stack["prod"]["policy"]
    assert prod["fixed"] == []
    assert prod["hidden"] and {h["policy"] for h in prod["hidden"]} == {RULE}
    assert {h["level"] for h in prod["hidden"]} == {"mandatory"}
    assert {h["headLevel"] for h in prod["hidden"]} == {"disabled"}


def test_a_rule_lowered_to_advisory_is_a_change_and_its_findings_hidden_at_the_lower_level(repo):
    proc = diff(repo["advise"], "--base", "leaky", "--policy-config", "policy-config.json", "--format", "json",
                "prod")
    assert proc.returncode == 0, proc.stderr
    (prod,) = json.loads(proc.stdout)["stacks"]
    assert f"policy config: {RULE} mandatory -> advisory" in prod["warnings"]
    assert {h["headLevel"] for h in prod["policy"]["hidden"]} == {"advisory"}
    # Lowering a mandatory rule in production is itself a new mandatory finding (waivers are the way).
    assert prod["policy"]["fixed"] == []
    assert [(f["policy"], f["level"]) for f in prod["policy"]["introduced"]] == [("relaxations-waived", "mandatory")]
    assert f"sets {RULE} to advisory (default mandatory)" in prod["policy"]["introduced"][0]["message"]


def test_a_config_outside_the_project_judges_both_sides(repo, tmp_path):
    """Not part of the change under review: the same file on both sides, no level change listed."""
    outside = tmp_path / "org-policy.json"
    outside.write_text(json.dumps({RULE: "disabled"}))
    proc = diff(repo["relax"], "--base", "clean", "--policy-config", str(outside), "--format", "json", "prod")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["policyConfig"] == {"file": None, "levelChanges": [], "propertyChanges": [], "notes": []}
    (prod,) = out["stacks"]
    assert prod["policy"]["hidden"] == [] and not any(w.startswith("policy config:") for w in prod["warnings"])


def test_a_base_without_the_file_is_judged_with_the_default_levels(repo):
    proc = diff(repo["relax"], "--base", "clean", "--policy-config", "policy-config.json", "--format", "json",
                "prod")
    out = json.loads(proc.stdout)
    assert out["policyConfig"]["notes"] == ["policy config: policy-config.json at clean does not exist; the base is "
                                            "judged with the default levels"]


def test_a_rule_loosened_by_its_properties_is_listed(repo):
    """Same level, other properties: listed by name. (prod stays production for the rule: Pulumi.yaml's
    aigw:productionEnvironments still names it, so nothing is hidden.)"""
    proc = diff(repo["narrow"], "--base", "leaky", "--policy-config", "policy-config.json", "--format", "json",
                "prod")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["policyConfig"]["propertyChanges"] == [{"policy": RULE, "properties": ["productionEnvironments"]}]
    (prod,) = out["stacks"]
    assert f"policy config: {RULE} productionEnvironments changed" in prod["warnings"]
    assert prod["policy"] == {"introduced": [], "fixed": [], "hidden": []}


def test_a_finding_hidden_at_the_same_level_says_its_properties_changed():
    finding = Finding(RULE, "mandatory", (WORKERS_SCRIPT, "support-bot"), "payloads stored")
    md = to_markdown(DiffResult("main", "0" * 40, [StackDiff("prod", "prod", True, hidden=[(finding, "mandatory")])]))
    assert (f"`{RULE}` (mandatory under the base's policy config, not reported under this one: its properties "
            "changed) on Worker `support-bot`: payloads stored") in md


def test_a_deleted_policy_config_judges_the_head_with_the_defaults_and_lists_what_it_relaxes(repo):
    """Before: without the file in the working tree, `--policy-config policy-config.json` was an error (and
    review.yml left the flag out, judging the base with the defaults too), so deleting a stricter config was
    invisible. Now the base is judged with its own file and the head with the default levels."""
    proc = diff(repo["unstrict"], "--base", "strict", "--policy-config", "policy-config.json", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["policyConfig"] == {
        "file": "policy-config.json",
        "notes": ["policy config: policy-config.json is removed (it exists at strict, not in the working tree); the "
                  "head is judged with the default levels, so every rule it set differently is relaxed or changed "
                  "(listed below)"],
        "levelChanges": [{"policy": "tokens-not-expiring", "base": "mandatory", "head": "advisory"}],
        "propertyChanges": []}
    by_stack = {s["stack"]: s for s in out["stacks"]}
    assert sorted(by_stack) == ["dev", "prod", "staging"]
    assert all("policy config: tokens-not-expiring mandatory -> advisory" in s["warnings"] for s in by_stack.values())


def test_a_policy_config_on_neither_side_is_a_typo(repo):
    proc = diff(repo["unstrict"], "--base", "leaky", "--policy-config", "policy-config.json", "prod")
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.splitlines() == ["aigw: policy-config.json: cannot read the policy config: no such file in "
                                        "the working tree, nor at leaky"]


NO_LONGER = (f"Stack prod is no longer production for 1 rule(s) of the policy config: {RULE} (productionEnvironments "
             "[prod, production] -> [production]). The head's policy config (policy-config.json) does not list its "
             "environment prod for them, and aigw:productionEnvironments in Pulumi.yaml does not make it production "
             "either, so these rules judge it as non-production from now on")


def test_a_rule_that_no_longer_judges_a_stack_as_production_is_said_in_settings_words(repo):
    """Before: only the property change was listed ("productionEnvironments changed"); the production-status
    warning read Pulumi.yaml and the stack's environment only."""
    proc = diff(repo["unprod"], "--base", "prodless", "--policy-config", "policy-config.json", "prod")
    assert proc.returncode == 0, proc.stderr
    summary = proc.stdout.partition("<details>")[0]
    # In markdown text ">" is written &gt; (GitHub shows "->").
    assert f"> :warning: **{NO_LONGER.replace('>', '&gt;')}: what they demand of production stacks stops applying " \
           "to it.**" in summary
    # The finding it hides is listed too (same level: its properties changed).
    assert "not reported under this one: its properties changed" in proc.stdout


def test_policy_status_warnings_both_ways():
    from aigw.check.config import settings_from
    from aigw.review.diff import policy_status_warnings

    defaults = settings_from({}, "(defaults)")
    staging = {"stack": "staging", "environment": "staging", "production": False}
    wider = settings_from({"all": "mandatory", RULE: {"productionEnvironments": ["prod", "staging"]},
                           "production-rate-limited": {"productionEnvironments": ["staging"]}}, "x")
    (gained,) = policy_status_warnings("staging", staging, defaults, wider, "policy-config.json")
    assert gained == (f"Stack staging becomes production for 2 rule(s) of the policy config: {RULE} "
                      "(productionEnvironments [prod, production] -> [prod, staging]); production-rate-limited "
                      "(productionEnvironments [prod, production] -> [staging]). The head's policy config "
                      "(policy-config.json) lists its environment staging for them, so these rules judge it as "
                      "production from now on.")
    (lost,) = policy_status_warnings("staging", staging, wider, defaults, None)
    assert lost.startswith("Stack staging is no longer production for 2 rule(s) of the policy config: ")
    # Production by Pulumi.yaml's aigw:productionEnvironments: no rule's list changes that.
    prod = {"stack": "prod", "environment": "prod", "production": True}
    narrow = settings_from({RULE: {"productionEnvironments": ["production"]}}, "x")
    assert policy_status_warnings("prod", prod, defaults, narrow) == []
    # The same config on both sides, or a stack the change deletes: nothing to say.
    assert policy_status_warnings("staging", staging, wider, wider) == []
    assert policy_status_warnings("staging", None, defaults, wider) == []
