"""Spec layer for Workers (issue #4): a gateway's `edge:` Worker and a team's `aigw:workers`.

As tests/test_spec.py: each error test writes a small stack file into a project in tmp_path,
loads it as `aigw plan` does, and asserts the exact rendered lines (file:line, key path, value,
what is allowed). Module files are real files in that project, because the spec checks them.
"""

from __future__ import annotations

import textwrap
from datetime import date

import pytest
from helpers.spec import Project, stack

from aigw.spec import EDGE_COMPATIBILITY_DATE, EDGE_MODULE, EdgeSpec, Secret

SCRIPT_NAME_RULE = "must match ^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
BINDING_NAME_RULE = "must match ^[A-Za-z_][A-Za-z0-9_]*$"
MODULE_RULE = "must be an existing ES module file inside the project (a path from its root)"
MODULE_PATTERN_RULE = r"must match ^[^/].*\.(mjs|js)$"
DATE_RULE = "must be a date as YYYY-MM-DD"
EDGE_SCRIPT_RULE = (
    "the edge Worker's script name (<gateway id>-edge) must be at most 63 characters of a-z, 0-9 and "
    "hyphens: give the gateway an id of at most 58 characters without underscores"
)
CLASH_RULE = "binding names must be unique; AI and GATEWAY_ID are set by this project"
SECRET_ONLY_FOR_CREDENTIALS = (
    "a secret is accepted only for credentials (OTel authorization and credential headers, "
    "Stripe authorization, Logpush destination and R2 keys, Worker secrets, provider keys); this value is not one, "
    "set it in plain text"
)

# aigw:tokens of the stacks below: lines 4..20 (extra starts on line 4).
TOKENS = """\
aigw:tokens:
  edge-run:
    purpose: run
    validFrom: 2026-11-23
    expiresInDays: 30
  app-run:
    purpose: run
    validFrom: 2026-11-23
    expiresInDays: 30
  reader:
    purpose: read
    validFrom: 2026-11-23
    expiresInDays: 30
  deployer:
    purpose: deploy
    validFrom: 2026-11-23
    expiresInDays: 30
"""
AFTER_TOKENS = 21  # the first line after TOKENS


@pytest.fixture
def project(tmp_path, monkeypatch) -> Project:
    """A project in tmp_path (the repo's Pulumi.yaml), run from there, with workers/summarise.mjs."""
    monkeypatch.chdir(tmp_path)
    made = Project(tmp_path)
    made.project_file()
    (tmp_path / "workers").mkdir()
    (tmp_path / "workers" / "summarise.mjs").write_text("export default { fetch() {} };\n")
    (tmp_path / "workers" / "legacy.js").write_text("export default { fetch() {} };\n")
    (tmp_path / "workers" / "typed.ts").write_text("export default {};\n")
    return made


def edge_stack(gateways: str, *, environment: str = "prod", extra: str = "") -> str:
    """Tokens (lines 4..20), then ``extra``, then aigw:gateways with ``gateways``."""
    return stack(gateways, environment=environment, extra=TOKENS + textwrap.dedent(extra))


def workers_stack(workers: str, gateways: str = "batch: {}\nchat: {}\n", *, extra: str = "") -> str:
    """``extra`` (from line 4), then `aigw:workers:` with ``workers`` indented under it, then gateways."""
    block = "aigw:workers:\n" + textwrap.indent(textwrap.dedent(workers), "  ")
    return stack(gateways, extra=textwrap.dedent(extra) + block)


SUMMARISE = """\
summarise:
  module: workers/summarise.mjs
  gateway: batch
  compatibilityDate: 2026-11-01
"""


def worker_with(lines: str) -> str:
    """The summarise Worker (name on line 5, its keys on lines 6..8) plus ``lines`` from line 9."""
    return SUMMARISE + textwrap.indent(textwrap.dedent(lines).rstrip("\n") + "\n", "  ")


# --------------------------------------------------------------------------- edge: valid


def test_edge_defaults_and_own_values(project):
    spec = project.load(edge_stack(
        """\
        a:
          edge: {token: edge-run}
        b:
          edge: {token: app-run, app: support, compatibilityDate: 2026-12-01}
        c: {}
        """))
    assert spec.gateway("a").edge == EdgeSpec(token="edge-run")
    assert spec.gateway("a").edge.compatibility_date == EDGE_COMPATIBILITY_DATE == date(2026, 11, 1)
    assert spec.gateway("a").edge.app is None
    b = spec.gateway("b").edge
    assert (b.token, b.app, b.compatibility_date) == ("app-run", "support", date(2026, 12, 1))
    assert spec.gateway("c").edge is None


def test_edge_null_in_a_gateway_turns_off_the_default_edge(project):
    spec = project.load(edge_stack("a: {}\nb:\n  edge: null\n", extra="aigw:defaults:\n  edge: {token: edge-run}\n"))
    assert spec.gateway("a").edge == EdgeSpec(token="edge-run")
    assert spec.gateway("b").edge is None


def test_a_gateway_may_change_one_key_of_the_default_edge(project):
    spec = project.load(edge_stack("a:\n  edge: {app: chat}\n", extra="aigw:defaults:\n  edge: {token: edge-run}\n"))
    assert spec.gateway("a").edge == EdgeSpec(token="edge-run", app="chat")


# --------------------------------------------------------------------------- edge: errors


@pytest.mark.parametrize("token", ["edge-runner", "reader", "deployer"])
def test_edge_token_must_name_a_run_token_of_the_stack(project, token):
    # A missing name, a read token and a deploy token: the message lists the stack's run tokens.
    assert project.errors(edge_stack(f"a:\n  edge: {{token: {token}}}\n")) == [
        f"Pulumi.test.yaml:{AFTER_TOKENS + 2}: aigw:gateways.a.edge.token: {token!r}: "
        "must name an aigw:tokens entry with purpose run (run tokens: app-run, edge-run)",
    ]


def test_edge_token_without_any_run_token_says_none_declared(project):
    assert project.errors(stack("a:\n  edge: {token: edge-run}\n", environment="prod")) == [
        "Pulumi.test.yaml:6: aigw:gateways.a.edge.token: 'edge-run': "
        "must name an aigw:tokens entry with purpose run (run tokens: none declared)",
    ]


def test_edge_token_missing_key(project):
    assert project.errors(edge_stack("a:\n  edge: {app: chat}\n")) == [
        f"Pulumi.test.yaml:{AFTER_TOKENS + 2}: aigw:gateways.a.edge.token: missing: required key is missing",
    ]


def test_invalid_tokens_are_reported_once_not_again_at_every_edge(project):
    text = stack("a:\n  edge: {token: edge-run}\n", environment="prod", extra="""\
        aigw:tokens:
          edge-run:
            purpose: runner
            validFrom: 2026-11-23
            expiresInDays: 30
        """)
    assert project.errors(text) == [
        "Pulumi.test.yaml:6: aigw:tokens.edge-run.purpose: 'runner': allowed: run, read or deploy",
    ]


def test_edge_script_name_must_fit_63_characters(project):
    long_id = "a" * 59  # + "-edge" = 64
    assert project.errors(edge_stack(f"a:\n  id: {long_id}\n  edge: {{token: edge-run}}\n")) == [
        f"Pulumi.test.yaml:{AFTER_TOKENS + 3}: aigw:gateways.a.edge: '{long_id}-edge': {EDGE_SCRIPT_RULE}",
    ]
    longest = "a" * 58
    spec = project.load(edge_stack(f"a:\n  id: {longest}\n  edge: {{token: edge-run}}\n"))
    assert spec.gateway("a").id == longest


def test_edge_script_name_cannot_hold_the_underscores_a_gateway_id_may_have(project):
    assert project.errors(edge_stack("a:\n  id: batch_jobs\n  edge: {token: edge-run}\n")) == [
        f"Pulumi.test.yaml:{AFTER_TOKENS + 3}: aigw:gateways.a.edge: 'batch_jobs-edge': {EDGE_SCRIPT_RULE}",
    ]


@pytest.mark.parametrize(("written", "shown", "allowed"), [
    ("'2026-1-1'", "'2026-1-1'", DATE_RULE),
    ("'2026/11/01'", "'2026/11/01'", DATE_RULE),
    ("'2026-02-30'", "'2026-02-30'", f"{DATE_RULE} (day is out of range for month)"),
    # A number is not read as a Unix timestamp (0 would be 1970-01-01).
    ("0", "0", DATE_RULE),
    ("20261101", "20261101", DATE_RULE),
    ("true", "true", DATE_RULE),
])
def test_edge_compatibility_date_format(project, written, shown, allowed):
    assert project.errors(edge_stack(f"a:\n  edge: {{token: edge-run, compatibilityDate: {written}}}\n")) == [
        f"Pulumi.test.yaml:{AFTER_TOKENS + 2}: aigw:gateways.a.edge.compatibilityDate: {shown}: {allowed}",
    ]


def test_edge_unknown_key_lists_the_edge_keys(project):
    assert project.errors(edge_stack("a:\n  edge: {token: edge-run, route: example.com/*}\n")) == [
        f"Pulumi.test.yaml:{AFTER_TOKENS + 2}: aigw:gateways.a.edge.route: 'example.com/*': "
        "unknown key; allowed keys: token, app, compatibilityDate",
    ]


@pytest.mark.parametrize("subdomain", ["Acme", "acme_corp", "-acme", "acme-", "a" * 64])
def test_workers_dev_subdomain_pattern(project, subdomain):
    assert project.errors(stack(extra=f"aigw:workersDevSubdomain: {subdomain}\n")) == [
        f"Pulumi.test.yaml:4: aigw:workersDevSubdomain: {subdomain!r}: {SCRIPT_NAME_RULE}",
    ]


def test_workers_dev_subdomain_is_kept(project):
    assert project.load(stack(extra="aigw:workersDevSubdomain: acme-2\n")).workers_dev_subdomain == "acme-2"
    assert project.load(stack()).workers_dev_subdomain is None


# --------------------------------------------------------------------------- aigw:workers: valid


def test_a_team_worker_as_declared(project):
    spec = project.load(workers_stack(worker_with("""\
        compatibilityFlags: [nodejs_compat]
        vars: {TEAM: knowledge, MODEL: "@cf/meta/llama-3.1-8b-instruct"}
        secrets:
          API_KEY: {secure: v1:ciphertext}
        """)))
    (worker,) = spec.workers
    assert worker.name == "summarise"
    assert worker.module == "workers/summarise.mjs"
    assert worker.gateway == "batch"
    assert worker.compatibility_date == date(2026, 11, 1)
    assert worker.compatibility_flags == ["nodejs_compat"]
    assert worker.script_name == "test-summarise", "<stack>-<name> unless scriptName is given"
    assert worker.vars == {"TEAM": "knowledge", "MODEL": "@cf/meta/llama-3.1-8b-instruct"}
    assert worker.secrets == {"API_KEY": Secret(None)}
    assert spec.project_dir == str(project.root)


def test_script_name_and_a_js_module_are_accepted(project):
    spec = project.load(workers_stack("""\
        legacy:
          module: workers/legacy.js
          gateway: chat
          compatibilityDate: 2026-11-01
          scriptName: chat-legacy
        """))
    assert [(w.name, w.script_name, w.module) for w in spec.workers] == [("legacy", "chat-legacy", "workers/legacy.js")]


def test_no_workers_is_the_default(project):
    assert project.load(stack("a: {}\n")).workers == ()


# --------------------------------------------------------------------------- aigw:workers: module


@pytest.mark.parametrize("module", ["workers/missing.mjs", "../summarise.mjs", "workers/../../summarise.mjs"])
def test_module_must_be_an_existing_file_inside_the_project(project, module):
    # The parent directory holds a file of that name: leaving the project is refused, not just missing.
    (project.root.parent / "summarise.mjs").write_text("export default {};\n")
    assert project.errors(workers_stack(f"""\
        summarise:
          module: {module}
          gateway: batch
          compatibilityDate: 2026-11-01
        """)) == [f"Pulumi.test.yaml:6: aigw:workers.summarise.module: {module!r}: {MODULE_RULE}"]


def test_module_symlinked_out_of_the_project_is_refused(project, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "secret.mjs"
    outside.write_text("export default {};\n")
    (project.root / "workers" / "link.mjs").symlink_to(outside)
    assert project.errors(workers_stack("""\
        summarise:
          module: workers/link.mjs
          gateway: batch
          compatibilityDate: 2026-11-01
        """)) == [f"Pulumi.test.yaml:6: aigw:workers.summarise.module: 'workers/link.mjs': {MODULE_RULE}"]


@pytest.mark.parametrize("module", ["/etc/summarise.mjs", "workers/typed.ts", "workers/summarise.mjs.map", "workers"])
def test_module_must_be_a_relative_mjs_or_js_path(project, module):
    assert project.errors(workers_stack(f"""\
        summarise:
          module: {module}
          gateway: batch
          compatibilityDate: 2026-11-01
        """)) == [f"Pulumi.test.yaml:6: aigw:workers.summarise.module: {module!r}: {MODULE_PATTERN_RULE}"]


def test_a_directory_named_like_a_module_is_not_a_module(project):
    (project.root / "workers" / "dir.mjs").mkdir()
    assert project.errors(workers_stack("""\
        summarise:
          module: workers/dir.mjs
          gateway: batch
          compatibilityDate: 2026-11-01
        """)) == [f"Pulumi.test.yaml:6: aigw:workers.summarise.module: 'workers/dir.mjs': {MODULE_RULE}"]


# --------------------------------------------------------------------------- aigw:workers: gateway, date


def test_gateway_must_be_declared_and_the_message_lists_the_stacks_gateways(project):
    assert project.errors(workers_stack("""\
        summarise:
          module: workers/summarise.mjs
          gateway: batch-summariser
          compatibilityDate: 2026-11-01
        """)) == [
        "Pulumi.test.yaml:7: aigw:workers.summarise.gateway: 'batch-summariser': "
        "must name a gateway of this stack: batch, chat",
    ]


def test_gateway_in_a_stack_without_gateways(project):
    assert project.errors(workers_stack(SUMMARISE, gateways="")) == [
        "Pulumi.test.yaml:7: aigw:workers.summarise.gateway: 'batch': must name a gateway of this stack: none",
    ]


def test_an_invalid_gateway_is_reported_at_its_own_key_not_again_as_undeclared(project):
    assert project.errors(workers_stack(SUMMARISE, gateways="batch:\n  cache: {ttl: -1}\nchat: {}\n")) == [
        "Pulumi.test.yaml:11: aigw:gateways.batch.cache.ttl: -1: allowed: 0..2,592,000",
    ]


@pytest.mark.parametrize(("written", "shown", "allowed"), [
    ("'2026-11'", "'2026-11'", DATE_RULE),
    ("'2026-13-01'", "'2026-13-01'", f"{DATE_RULE} (month must be in 1..12)"),
    # Unquoted, YAML would make it a date: impossible, it stays the text written.
    ("2026-02-30", "'2026-02-30'", f"{DATE_RULE} (day is out of range for month)"),
    ("1700000000", "1700000000", DATE_RULE),
])
def test_worker_compatibility_date_format(project, written, shown, allowed):
    assert project.errors(workers_stack(f"""\
        summarise:
          module: workers/summarise.mjs
          gateway: batch
          compatibilityDate: {written}
        """)) == [f"Pulumi.test.yaml:8: aigw:workers.summarise.compatibilityDate: {shown}: {allowed}"]


def test_worker_compatibility_date_is_required(project):
    assert project.errors(workers_stack("summarise:\n  module: workers/summarise.mjs\n  gateway: batch\n")) == [
        "Pulumi.test.yaml:5: aigw:workers.summarise.compatibilityDate: missing: required key is missing",
    ]


# --------------------------------------------------------------------------- aigw:workers: bindings


@pytest.mark.parametrize(("lines", "shown"), [
    ("vars: {AI: x}", "'AI'"),
    ("vars: {GATEWAY_ID: other-gateway}", "'GATEWAY_ID'"),
    ("secrets: {AI: {secure: v1:x}}", "'AI'"),
    ("vars: {TEAM: a}\nsecrets: {TEAM: {secure: v1:x}}", "'TEAM'"),
    ("vars: {AI: x, TEAM: a, GATEWAY_ID: y}\nsecrets: {TEAM: {secure: v1:x}}", "'AI, GATEWAY_ID, TEAM'"),
])
def test_binding_names_are_unique_and_ai_and_gateway_id_are_reserved(project, lines, shown):
    assert project.errors(workers_stack(worker_with(lines))) == [
        f"Pulumi.test.yaml:5: aigw:workers.summarise: {shown}: {CLASH_RULE}",
    ]


@pytest.mark.parametrize(("lines", "path", "shown"), [
    ("vars: {1TEAM: a}", "vars.1TEAM", "'1TEAM'"),
    ("vars: {team-name: a}", "vars.team-name", "'team-name'"),
    ("secrets: {api.key: {secure: v1:x}}", "secrets.api.key", "'api.key'"),
])
def test_binding_names_must_be_identifiers(project, lines, path, shown):
    assert project.errors(workers_stack(worker_with(lines))) == [
        f"Pulumi.test.yaml:9: aigw:workers.summarise.{path}: {shown}: {BINDING_NAME_RULE}",
    ]


def test_plaintext_secrets_are_refused_at_their_own_key_without_echoing_them(project):
    lines = project.errors(workers_stack(worker_with("""\
        secrets:
          API_KEY: sk-plaintext-api-key-123
          OK: {secure: v1:ciphertext}
          PIN: 4711
        """)))
    assert lines == [
        "Pulumi.test.yaml:10: aigw:workers.summarise.secrets.API_KEY: [secret]: a credential must be stored as "
        "a secret, not in plain text; set it with "
        "`pulumi config set --secret --path 'aigw:workers.summarise.secrets.API_KEY' <value>`",
        "Pulumi.test.yaml:12: aigw:workers.summarise.secrets.PIN: [secret]: "
        "a credential must be stored as a secret (a `secure:` string value)",
    ]
    assert "sk-plaintext-api-key-123" not in "\n".join(lines)
    assert "4711" not in "\n".join(lines)


def test_a_secret_var_is_refused_vars_are_plain_text(project):
    assert project.errors(workers_stack(worker_with("vars: {TEAM: {secure: v1:x}}"))) == [
        f"Pulumi.test.yaml:9: aigw:workers.summarise.vars.TEAM: [secret]: {SECRET_ONLY_FOR_CREDENTIALS}",
    ]


def test_unknown_worker_key_lists_the_worker_keys(project):
    assert project.errors(workers_stack(worker_with("routes: [example.com/*]"))) == [
        "Pulumi.test.yaml:9: aigw:workers.summarise.routes: [\"example.com/*\"]: unknown key; allowed keys: "
        "module, gateway, compatibilityDate, compatibilityFlags, scriptName, vars, secrets",
    ]


# --------------------------------------------------------------------------- aigw:workers: script names


@pytest.mark.parametrize("script", ["Summarise", "summarise_v2", "-summarise", "summarise-", "s" * 64])
def test_script_name_pattern(project, script):
    assert project.errors(workers_stack(worker_with(f"scriptName: {script}"))) == [
        f"Pulumi.test.yaml:9: aigw:workers.summarise.scriptName: {script!r}: {SCRIPT_NAME_RULE}",
    ]


def test_default_script_name_must_be_a_valid_script_name(project):
    assert project.errors(workers_stack("""\
        Nightly_Summary:
          module: workers/summarise.mjs
          gateway: batch
          compatibilityDate: 2026-11-01
        """)) == [
        "Pulumi.test.yaml:5: aigw:workers.Nightly_Summary: 'test-Nightly_Summary': the Worker's script name "
        "(<stack>-<name>) must be at most 63 characters of a-z, 0-9 and hyphens: set scriptName or rename the Worker",
    ]
    renamed = project.load(workers_stack("""\
        Nightly_Summary:
          module: workers/summarise.mjs
          gateway: batch
          compatibilityDate: 2026-11-01
          scriptName: nightly-summary
        """))
    assert renamed.workers[0].script_name == "nightly-summary"


def test_script_names_are_unique_across_team_and_edge_workers(project):
    # A second script of the same name would replace the first: here, the edge Worker holding the Run token.
    text = stack("batch:\n  edge: {token: edge-run}\n", environment="prod", extra=TOKENS + textwrap.dedent("""\
        aigw:workers:
          summarise:
            module: workers/summarise.mjs
            gateway: batch
            compatibilityDate: 2026-11-01
          copy:
            module: workers/summarise.mjs
            gateway: batch
            compatibilityDate: 2026-11-01
            scriptName: prod-summarise
          impostor:
            module: workers/summarise.mjs
            gateway: batch
            compatibilityDate: 2026-11-01
            scriptName: prod-batch-edge
        """))
    assert project.errors(text, stack="prod") == [
        "Pulumi.prod.yaml:30: aigw:workers.copy.scriptName: 'prod-summarise': script name already used "
        "by aigw:workers.summarise; script names are unique per account (set another scriptName)",
        "Pulumi.prod.yaml:35: aigw:workers.impostor.scriptName: 'prod-batch-edge': script name already used "
        "by aigw:gateways.batch.edge; script names are unique per account (set another scriptName)",
    ]


def test_an_edge_worker_needs_an_authenticated_gateway(project):
    # Without authentication anyone can call the gateway directly and bypass the Worker's policy.
    # (Plain `false` is refused before: new gateways require authentication, changelog 2026-11-03.)
    assert project.errors(edge_stack("a:\n  authentication: imported-off\n  edge: {token: edge-run}\n")) == [
        f"Pulumi.test.yaml:{AFTER_TOKENS + 2}: aigw:gateways.a.authentication: 'imported-off': "
        "an edge Worker needs authentication: true (otherwise any caller can bypass it)",
    ]


def test_the_edge_module_ships_inside_the_installed_package():
    assert EDGE_MODULE.is_absolute() and EDGE_MODULE.is_file()
    assert EDGE_MODULE.parts[-3:] == ("aigw", "workers", "edge.mjs")


def test_an_edge_worker_needs_its_module_in_the_installed_package(project, monkeypatch):
    # An install that lost its package data (a wheel built without aigw/workers/edge.mjs).
    missing = project.root / "site-packages" / "aigw" / "workers" / "edge.mjs"
    monkeypatch.setattr("aigw.spec.workers.EDGE_MODULE", missing)
    (line,) = project.errors(edge_stack("a:\n  edge: {token: edge-run}\n"))
    assert line.startswith(f"Pulumi.test.yaml:{AFTER_TOKENS + 2}: aigw:gateways.a.edge: 'edge-run': ")
    assert line.endswith(f"the edge Worker's module {missing} is missing from the installed aigw package: "
                         "reinstall it (pip install --force-reinstall aigw-infra)")
