"""`EdgeWorker` and `TeamWorker` under Pulumi mocks (testing layer 2, issue #4).

Inputs are asserted as the engine receives them (camelCase, secrets in Pulumi's wire form).
Every spec here is built with its project directory in tmp_path, holding a copy of the edge
Worker's module and the team modules, because the components hash the files they upload.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers.wire import is_secret, plain
from pulumi.runtime import settings as pulumi_settings

from aigw.components.gateway import Gateway, client_contract
from aigw.components.workers import EdgeWorker, TeamWorker
from aigw.program import deploy
from aigw.spec import EDGE_MODULE, RawConfig, Secret, StackSpec, build_stack_spec

ROOT = Path(__file__).resolve().parents[2]
WORKERS_SCRIPT = "cloudflare:index/workersScript:WorkersScript"
WORKERS_SUBDOMAIN = "cloudflare:index/workersScriptSubdomain:WorkersScriptSubdomain"
ACCOUNT_TOKEN = "cloudflare:index/accountToken:AccountToken"
EDGE_COMPONENT = "aigw:index:EdgeWorker"
TEAM_COMPONENT = "aigw:index:TeamWorker"
ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
GATEWAY_HOST = "https://gateway.ai.cloudflare.com/v1"
NO_SUBDOMAIN = "<workers.dev subdomain of the account>"
# The only inputs a Worker here sends: the module goes by path and hash, never as `content`.
SCRIPT_INPUTS = {"accountId", "scriptName", "mainModule", "contentFile", "contentSha256", "compatibilityDate",
                 "bindings"}
TEAM_MODULE = "export default { async fetch(request, env) { return new Response(env.GATEWAY_ID); } };\n"


RUN_TOKEN = {"purpose": "run", "validFrom": "2026-11-23", "expiresInDays": 30}


@pytest.fixture
def project_dir(tmp_path, monkeypatch) -> Path:
    """A project root with two team modules, the program running in <project>/infra as under the Pulumi
    CLI (main: infra/); the edge Worker's module is the installed aigw package's."""
    (tmp_path / "infra").mkdir()
    monkeypatch.chdir(tmp_path / "infra")
    (tmp_path / "workers" / "knowledge").mkdir(parents=True)
    (tmp_path / "workers" / "knowledge" / "summarise.mjs").write_text(TEAM_MODULE)
    (tmp_path / "workers" / "legacy.js").write_text(TEAM_MODULE)
    return tmp_path


@pytest.fixture
def spec_in(project_dir) -> Callable[..., StackSpec]:
    """A validated StackSpec whose project directory is `project_dir` (stack keys camelCase, as written)."""

    def build(gateways: dict[str, Any], environment: str = "prod", *, stack: str | None = None,
              **stack_keys: Any) -> StackSpec:
        stack = stack or environment
        return build_stack_spec(RawConfig(
            project="ai-gateways", stack=stack, project_file="Pulumi.yaml", stack_file=f"Pulumi.{stack}.yaml",
            project_config={}, stack_config={"accountId": ACCOUNT_ID, "environment": environment,
                                             "gateways": gateways, **stack_keys},
            project_dir=str(project_dir)))

    return build


@pytest.fixture
def token_values(engine) -> dict[str, str]:
    """Makes the mocked AccountTokens return a known `value` per token (name -> value), as the provider
    would after creating them; the engine fixture's mocks otherwise leave the output empty."""
    values: dict[str, str] = {}
    mocks = pulumi_settings.get_monitor().mocks
    original = mocks.new_resource

    def new_resource(args):
        resource_id, state = original(args)
        if args.typ == ACCOUNT_TOKEN:
            state = {**state, "value": values.setdefault(args.name, f"cf-token-value-of-{args.name}")}
        return resource_id, state

    mocks.new_resource = new_resource
    return values


def program(engine, spec: StackSpec) -> dict[str, Any]:
    """deploy(spec) on the fixture's mocks (kept, so the fixtures above stay installed)."""
    exports = deploy(spec)
    engine.wait()
    return exports


def scripts(engine) -> dict[str, Any]:
    return engine.of_type(WORKERS_SCRIPT)


def bindings(registration) -> list[dict[str, Any]]:
    return plain(registration.inputs["bindings"])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def edge_stack(spec_in, settings: dict[str, Any] | None = None, *, environment: str = "prod",
               **stack_keys: Any) -> StackSpec:
    """One gateway `support-bot` fronted by the edge Worker holding the run token `edge-run`."""
    stack_keys.setdefault("tokens", {"edge-run": RUN_TOKEN})
    return spec_in({"support-bot": {"edge": {"token": "edge-run"}, **(settings or {})}}, environment, **stack_keys)


# --------------------------------------------------------------------------- EdgeWorker: the script


def test_edge_worker_script_inputs(engine, spec_in, project_dir, token_values):
    spec = edge_stack(spec_in, workersDevSubdomain="acme")
    program(engine, spec)
    script = scripts(engine)["support-bot"]
    inputs = script.inputs
    assert set(inputs) == SCRIPT_INPUTS
    assert "content" not in inputs, "the module source never goes into the inputs (or the state)"
    assert inputs["accountId"] == ACCOUNT_ID
    assert inputs["scriptName"] == "prod-support-bot-edge"
    assert inputs["mainModule"] == "edge.mjs"
    # The package's module, by a path relative to the program's directory (infra/), where the provider reads it.
    assert not Path(inputs["contentFile"]).is_absolute()
    assert (Path.cwd() / inputs["contentFile"]).resolve() == EDGE_MODULE == ROOT / "aigw" / "workers" / "edge.mjs"
    assert inputs["contentSha256"] == sha256(EDGE_MODULE)
    assert inputs["compatibilityDate"] == "2026-11-01"
    assert bindings(script) == [
        {"name": "AI", "type": "ai"},
        {"name": "GATEWAY_URL", "type": "plain_text", "text": f"{GATEWAY_HOST}/{ACCOUNT_ID}/prod-support-bot"},
        {"name": "GATEWAY_ID", "type": "plain_text", "text": "prod-support-bot"},
        {"name": "GATEWAY_NAME", "type": "plain_text", "text": "support-bot"},
        {"name": "ENVIRONMENT", "type": "plain_text", "text": "prod"},
        {"name": "APP", "type": "plain_text", "text": "support-bot"},
        {"name": "PAYLOADS", "type": "plain_text", "text": "false"},
        {"name": "ZDR", "type": "plain_text", "text": "false"},
        {"name": "AIG_TOKEN", "type": "secret_text", "text": token_values["edge-run"]},
    ]


@pytest.mark.parametrize(("zdr", "text"), [(True, "true"), (False, "false")])
def test_the_worker_is_told_the_gateways_zdr_setting(engine, spec_in, zdr, text):
    # The Worker forces cf-aig-zdr to this value and strips callers' overrides (aigw/workers/edge.mjs).
    program(engine, edge_stack(spec_in, {"zdr": zdr}))
    assert {b["name"]: b.get("text") for b in bindings(scripts(engine)["support-bot"])}["ZDR"] == text


def test_the_token_binding_is_a_secret_in_wire_form(engine, spec_in, token_values):
    program(engine, edge_stack(spec_in))
    wire = scripts(engine)["support-bot"].inputs["bindings"]
    # A secret inside a list makes the whole list secret: the engine stores every binding encrypted.
    assert is_secret(wire)
    (token,) = [b for b in wire["value"] if b["name"] == "AIG_TOKEN"]
    assert plain(token["text"]) == token_values["edge-run"] == "cf-token-value-of-edge-run"


def test_the_bound_token_is_the_named_run_tokens_value(engine, spec_in, token_values):
    spec = spec_in(
        {"chat": {"edge": {"token": "chat-run"}}, "search": {"edge": {"token": "search-run"}}},
        tokens={"chat-run": RUN_TOKEN, "search-run": RUN_TOKEN})
    token_values.update({"chat-run": "value-chat-9f2c", "search-run": "value-search-41aa"})
    program(engine, spec)
    bound = {name: {b["name"]: b.get("text") for b in bindings(s)}["AIG_TOKEN"] for name, s in scripts(engine).items()}
    assert bound == {"chat": "value-chat-9f2c", "search": "value-search-41aa"}


def test_the_token_binding_is_wired_to_the_token_output_itself(engine, spec_in):
    # No value from the mocks: the binding carries exactly the AccountToken's `value` output, nothing else.
    program(engine, edge_stack(spec_in))
    (token,) = [b for b in bindings(scripts(engine)["support-bot"]) if b["name"] == "AIG_TOKEN"]
    assert token["text"] is None


@pytest.mark.parametrize(("environment", "payloads", "text"), [
    ("prod", None, "false"),
    ("prod", False, "false"),
    ("prod", True, "true"),
    ("dev", True, "true"),
    ("dev", False, "false"),
])
def test_payloads_binding_follows_the_gateways_logging(engine, spec_in, environment, payloads, text):
    settings = {} if payloads is None else {"logging": {"payloads": payloads}}
    program(engine, edge_stack(spec_in, settings, environment=environment))
    found = {b["name"]: b.get("text") for b in bindings(scripts(engine)["support-bot"])}
    assert found["PAYLOADS"] == text
    assert found["ENVIRONMENT"] == environment
    assert found["GATEWAY_ID"] == f"{environment}-support-bot"
    assert engine.of_type(EDGE_COMPONENT)["support-bot"].inputs["payloads"] == text


def test_edge_app_and_compatibility_date(engine, spec_in):
    program(engine, edge_stack(spec_in, {"id": "support-v2",
                                         "edge": {"token": "edge-run", "app": "helpdesk",
                                                  "compatibilityDate": "2026-12-15"}}))
    script = scripts(engine)["support-bot"]
    found = {b["name"]: b.get("text") for b in bindings(script)}
    assert script.inputs["compatibilityDate"] == "2026-12-15"
    assert script.inputs["scriptName"] == "support-v2-edge"
    assert (found["APP"], found["GATEWAY_NAME"], found["GATEWAY_ID"]) == ("helpdesk", "support-bot", "support-v2")
    assert found["GATEWAY_URL"] == f"{GATEWAY_HOST}/{ACCOUNT_ID}/support-v2"


def test_edge_worker_component_and_its_children(engine, spec_in, dependencies):
    program(engine, edge_stack(spec_in, workersDevSubdomain="acme"))
    component = engine.of_type(EDGE_COMPONENT)["support-bot"]
    assert component.inputs == {"gateway": "prod-support-bot", "scriptName": "prod-support-bot-edge",
                                "payloads": "false", "token": "edge-run"}
    script = scripts(engine)["support-bot"]
    route = engine.of_type(WORKERS_SUBDOMAIN)["support-bot-workers-dev"]
    assert script.parent == route.parent == component.urn
    assert route.inputs == {"accountId": ACCOUNT_ID, "scriptName": "prod-support-bot-edge", "enabled": True}
    # The workers.dev route is switched on only once the script exists.
    assert script.urn in dependencies[(WORKERS_SUBDOMAIN, "support-bot-workers-dev")]


def test_edge_worker_url_and_client_contract(engine, spec_in):
    spec = edge_stack(spec_in, workersDevSubdomain="acme")
    exports = program(engine, spec)
    url = "https://prod-support-bot-edge.acme.workers.dev"
    gateway = exports["gateways"]["support-bot"]
    assert gateway["edgeWorker"] == {"scriptName": "prod-support-bot-edge", "url": url}
    assert gateway["clientContract"] == {
        "url": url,
        "via": "edge-worker",
        "headers": {},
        "paths": "/<provider>/<provider path>, e.g. /openai/chat/completions",
        "authorization": {
            "header": "the provider's own (e.g. authorization, x-api-key)",
            "value": "the caller's own provider credentials, passed through unchanged",
        },
        # payloads off in prod: the Worker sets the header itself
        "enforced": {"cf-aig-collect-log-payload": "false"},
    }
    assert engine.stack_outputs()["gateways"]["support-bot"]["clientContract"]["url"] == url


def test_client_contract_without_a_subdomain_says_where_it_goes(engine, spec_in):
    exports = program(engine, edge_stack(spec_in))
    url = f"https://prod-support-bot-edge.{NO_SUBDOMAIN}.workers.dev"
    assert exports["gateways"]["support-bot"]["clientContract"]["url"] == url
    assert exports["gateways"]["support-bot"]["edgeWorker"]["url"] == url


def test_client_contract_is_the_gateway_itself_without_an_edge(spec_in):
    spec = spec_in({"support-bot": {}}, "prod", workersDevSubdomain="acme")
    contract = client_contract(spec, spec.gateway("support-bot"))
    assert contract["url"] == f"{GATEWAY_HOST}/{ACCOUNT_ID}/prod-support-bot"
    assert contract["headers"]["cf-aig-collect-log-payload"] == "false"
    assert "via" not in contract


def test_gateway_component_exports_the_edge_contract(engine, spec_in):
    spec = edge_stack(spec_in, workersDevSubdomain="acme")
    gateway = Gateway(spec, spec.gateway("support-bot"))
    engine.wait()
    assert gateway.exports()["clientContract"]["url"] == "https://prod-support-bot-edge.acme.workers.dev"


def test_edge_worker_alone_with_a_given_token_output(engine, spec_in, project_dir):
    import pulumi

    spec = edge_stack(spec_in)
    edge = EdgeWorker(spec, spec.gateway("support-bot"), pulumi.Output.from_input("given-token"), project_dir)
    engine.wait()
    assert edge.script_name == "prod-support-bot-edge"
    wire = scripts(engine)["support-bot"].inputs["bindings"]
    assert is_secret(wire), "a plain token Output still arrives as a secret"
    assert {b["name"]: b.get("text") for b in plain(wire)}["AIG_TOKEN"] == "given-token"


# --------------------------------------------------------------------------- EdgeWorker: in the program


def test_one_edge_worker_per_gateway_with_edge_and_none_otherwise(engine, spec_in):
    spec = spec_in({"chat": {"edge": {"token": "edge-run"}}, "search": {"edge": {"token": "edge-run"}},
                    "batch": {}}, tokens={"edge-run": RUN_TOKEN})
    exports = program(engine, spec)
    assert sorted(engine.of_type(EDGE_COMPONENT)) == ["chat", "search"]
    assert sorted(scripts(engine)) == ["chat", "search"]
    assert sorted(engine.of_type(WORKERS_SUBDOMAIN)) == ["chat-workers-dev", "search-workers-dev"]
    assert "edgeWorker" not in exports["gateways"]["batch"]
    assert exports["gateways"]["batch"]["clientContract"]["url"] == f"{GATEWAY_HOST}/{ACCOUNT_ID}/prod-batch"


def test_a_stack_without_edges_or_workers_declares_no_worker_resources(engine, spec_in):
    exports = program(engine, spec_in({"chat": {}, "batch": {}}, "dev"))
    assert not [r for r in engine.registrations if "orker" in r.type]
    assert "workers" not in exports


def test_the_default_edge_fronts_every_gateway_unless_turned_off(engine, spec_in):
    spec = spec_in({"chat": {}, "search": {}, "batch": {"edge": None}},
                   defaults={"edge": {"token": "edge-run"}}, tokens={"edge-run": RUN_TOKEN})
    program(engine, spec)
    assert sorted(scripts(engine)) == ["chat", "search"]


def test_the_repo_prod_stack_fronts_every_gateway_with_an_edge_worker(engine, token_values):
    from aigw.config import load_stack_file

    spec = load_stack_file(ROOT / "Pulumi.prod.yaml")
    exports = program(engine, spec)
    names = sorted(g.name for g in spec.gateways)
    assert sorted(scripts(engine)) == names
    for name in names:
        found = {b["name"]: b.get("text") for b in bindings(scripts(engine)[name])}
        assert found["AIG_TOKEN"] == token_values["edge-run"], "prod's edge Workers hold the edge-run token"
        assert found["PAYLOADS"] == "false"
        assert exports["gateways"][name]["clientContract"]["url"] == f"https://prod-{name}-edge.acme.workers.dev"


# --------------------------------------------------------------------------- TeamWorker


def team_stack(spec_in, worker: dict[str, Any] | None = None, *, environment: str = "dev", **keys: Any) -> StackSpec:
    """Gateways `batch` (id <env>-batch) and `legacy` (id legacy_jobs), and the Worker `summarise`."""
    declared = {"module": "workers/knowledge/summarise.mjs", "gateway": "batch", "compatibilityDate": "2026-11-01",
                **(worker or {})}
    return spec_in({"batch": {}, "legacy": {"id": "legacy_jobs"}}, environment, workers={"summarise": declared},
                   **keys)


def test_team_worker_script_inputs(engine, spec_in, project_dir):
    exports = program(engine, team_stack(spec_in))
    script = scripts(engine)["summarise"]
    inputs = script.inputs
    assert set(inputs) == SCRIPT_INPUTS
    assert inputs["accountId"] == ACCOUNT_ID
    assert inputs["scriptName"] == "dev-summarise", "<stack>-<name> by default"
    assert inputs["mainModule"] == "summarise.mjs", "the module's file name: the part the upload names"
    assert inputs["contentFile"] == "../workers/knowledge/summarise.mjs"
    assert inputs["contentSha256"] == sha256(project_dir / "workers/knowledge/summarise.mjs")
    assert inputs["compatibilityDate"] == "2026-11-01"
    assert not is_secret(inputs["bindings"]), "no secret binding, nothing to encrypt"
    assert inputs["bindings"] == [{"name": "AI", "type": "ai"},
                                  {"name": "GATEWAY_ID", "type": "plain_text", "text": "dev-batch"}]
    assert script.parent == engine.of_type(TEAM_COMPONENT)["summarise"].urn
    assert engine.stack_outputs()["workers"] == {"summarise": {
        "module": "workers/knowledge/summarise.mjs", "sha256": inputs["contentSha256"], "scriptName": "dev-summarise"}}
    assert engine.resolve(exports["workers"]["summarise"]["scriptName"]) == "dev-summarise"


def test_team_worker_component_props(engine, spec_in, project_dir):
    program(engine, team_stack(spec_in))
    assert engine.of_type(TEAM_COMPONENT)["summarise"].inputs == {
        "gateway": "dev-batch", "module": "workers/knowledge/summarise.mjs",
        "sha256": sha256(project_dir / "workers/knowledge/summarise.mjs")}


def test_team_worker_gateway_id_is_the_gateways_id_not_its_name(engine, spec_in):
    program(engine, team_stack(spec_in, {"gateway": "legacy"}))
    assert {b["name"]: b.get("text") for b in bindings(scripts(engine)["summarise"])}["GATEWAY_ID"] == "legacy_jobs"


def test_team_worker_vars_and_secrets(engine, spec_in):
    program(engine, team_stack(spec_in, {"vars": {"TEAM": "knowledge", "MODEL": "@cf/meta/llama-3.1-8b-instruct"},
                                         "secrets": {"API_KEY": Secret("sk-decrypted-1234"),
                                                     "OFFLINE": Secret(None)}}))
    wire = scripts(engine)["summarise"].inputs["bindings"]
    assert is_secret(wire), "a secret binding makes the engine store every binding encrypted"
    assert plain(wire) == [
        {"name": "AI", "type": "ai"},
        {"name": "GATEWAY_ID", "type": "plain_text", "text": "dev-batch"},
        {"name": "TEAM", "type": "plain_text", "text": "knowledge"},
        {"name": "MODEL", "type": "plain_text", "text": "@cf/meta/llama-3.1-8b-instruct"},
        {"name": "API_KEY", "type": "secret_text", "text": "sk-decrypted-1234"},
        # Offline (no Pulumi CLI to decrypt) a secret is a placeholder inside the secret.
        {"name": "OFFLINE", "type": "secret_text", "text": "[secret]"},
    ]


def test_team_worker_script_name_and_a_js_module(engine, spec_in, project_dir):
    program(engine, team_stack(spec_in, {"module": "workers/legacy.js", "scriptName": "knowledge-summariser"}))
    inputs = scripts(engine)["summarise"].inputs
    assert (inputs["scriptName"], inputs["mainModule"], inputs["contentFile"]) == (
        "knowledge-summariser", "legacy.js", "../workers/legacy.js")
    assert inputs["contentSha256"] == sha256(project_dir / "workers/legacy.js")


def test_team_worker_script_name_default_uses_the_stack_name(engine, spec_in):
    program(engine, team_stack(spec_in, environment="staging", stack="staging-eu"))
    assert scripts(engine)["summarise"].inputs["scriptName"] == "staging-eu-summarise"


def test_compatibility_flags_only_when_given(engine, spec_in):
    program(engine, team_stack(spec_in, {"compatibilityFlags": ["nodejs_compat", "no_global_navigator"]}))
    assert scripts(engine)["summarise"].inputs["compatibilityFlags"] == ["nodejs_compat", "no_global_navigator"]


def test_changing_the_module_changes_its_hash_so_up_redeploys(engine, spec_in, project_dir):
    module = project_dir / "workers/knowledge/summarise.mjs"
    program(engine, team_stack(spec_in))
    before = scripts(engine)["summarise"].inputs["contentSha256"]
    module.write_text(TEAM_MODULE.replace("GATEWAY_ID", "TEAM"))
    engine.run(lambda: deploy(team_stack(spec_in)))
    after = scripts(engine)["summarise"].inputs["contentSha256"]
    assert before != after
    assert after == sha256(module)


def test_changing_the_edge_module_changes_the_edge_workers_hash(engine, spec_in, project_dir):
    # The project's own copy of the package's module (as in the repository aigw is developed in) is the one
    # deployed; a change to it changes the hash.
    copy = project_dir / "aigw" / "workers" / "edge.mjs"
    copy.parent.mkdir(parents=True)
    shutil.copy(EDGE_MODULE, copy)
    program(engine, edge_stack(spec_in))
    before = scripts(engine)["support-bot"].inputs["contentSha256"]
    with copy.open("a") as module:
        module.write("// a one-line change\n")
    engine.run(lambda: deploy(edge_stack(spec_in)))
    assert scripts(engine)["support-bot"].inputs["contentSha256"] == sha256(copy) != before


def test_team_worker_alone(engine, spec_in, project_dir):
    spec = team_stack(spec_in)
    worker = TeamWorker(spec, spec.workers[0], project_dir)
    engine.wait()
    assert (worker.module, worker.sha256) == ("workers/knowledge/summarise.mjs",
                                              sha256(project_dir / "workers/knowledge/summarise.mjs"))
    assert engine.resolve(worker.exports()["scriptName"]) == "dev-summarise"


def test_team_workers_and_edge_workers_together(engine, spec_in, token_values):
    spec = spec_in({"batch": {}, "chat": {"edge": {"token": "edge-run"}}}, "staging",
                   tokens={"edge-run": RUN_TOKEN},
                   workers={"summarise": {"module": "workers/knowledge/summarise.mjs", "gateway": "batch",
                                          "compatibilityDate": "2026-11-01"},
                            "triage": {"module": "workers/legacy.js", "gateway": "chat",
                                       "compatibilityDate": "2026-10-01"}})
    exports = program(engine, spec)
    assert sorted(scripts(engine)) == ["chat", "summarise", "triage"]
    assert sorted(engine.of_type(TEAM_COMPONENT)) == ["summarise", "triage"]
    assert sorted(exports["workers"]) == ["summarise", "triage"]
    triage = {b["name"]: b.get("text") for b in bindings(scripts(engine)["triage"])}
    assert triage == {"AI": None, "GATEWAY_ID": "staging-chat"}, "a team Worker never gets the edge's token"


@pytest.mark.parametrize("stack_file", ["Pulumi.dev.yaml", "Pulumi.staging.yaml"])
def test_the_repo_summarise_worker(engine, stack_file, monkeypatch):
    from aigw.config import load_stack_file

    spec = load_stack_file(ROOT / stack_file)
    monkeypatch.chdir(ROOT / "infra")  # where `pulumi up` runs the program (main: infra/)
    program(engine, spec)
    script = scripts(engine)["summarise"]
    assert script.inputs["contentFile"] == "../workers/summarise.mjs"
    assert script.inputs["contentSha256"] == sha256(ROOT / "workers/summarise.mjs")
    assert script.inputs["scriptName"] == f"{spec.stack}-summarise"
    assert bindings(script) == [
        {"name": "AI", "type": "ai"},
        {"name": "GATEWAY_ID", "type": "plain_text", "text": f"{spec.environment}-batch-summariser"},
        {"name": "TEAM", "type": "plain_text", "text": "knowledge"},
    ]
