"""`aigw prove` (docs/prove.md) against the API stand-in, with the real edge Worker in workerd in front of the
stand-in's gateway endpoint.

One workerd process per module serves aigw/workers/edge.mjs for each of prod's gateways, twice: as shipped
(`good`), and a build with the line that sets `cf-aig-collect-log-payload: false` taken out (`leaky`). Its
GATEWAY_URL is the stand-in's data plane, which stores each call's log, with bodies unless that header says
false. workerd comes from npm (`npm ci`); without it these tests fail, never skip.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.live import aigw, plan_json, seed_plan
from helpers.standin import AIG_READ, AIG_RUN, RUN_TOKEN, TOKENS_READ, StandIn

ROOT = Path(__file__).resolve().parents[2]
EDGE_WORKER = ROOT / "aigw" / "workers" / "edge.mjs"
WORKERD = ROOT / "node_modules" / ".bin" / "workerd"
PAYLOAD_LINE = 'headers.set("cf-aig-collect-log-payload", "false");'
PROVE_TOKEN = "prove-token"  # AI Gateway Read + Account API Tokens Read: read-only
BODY_MARK = "PROMPT-SECRET-7f3a"  # a stored body's content: it must never be printed


@pytest.fixture(scope="module")
def prod() -> dict[str, Any]:
    (plan,) = plan_json("prod")
    return plan


@pytest.fixture(scope="module")
def api() -> Iterator[StandIn]:
    with StandIn(tokens={PROVE_TOKEN: {AIG_READ, TOKENS_READ}, RUN_TOKEN: {AIG_RUN}, "gw-only": {AIG_READ}}) as a:
        yield a
    assert not a.errors, a.errors


def _names(plan: dict[str, Any]) -> dict[str, str]:
    """gateway logical name -> id, of the gateways with an edge Worker."""
    return {r["name"]: r["props"]["gateway"] for r in plan["resources"] if r["type"] == "aigw:index:EdgeWorker"}


def _worker(name: str, gateway_id: str, gateway_url: str, module: str) -> str:
    bindings = {"GATEWAY_URL": gateway_url, "GATEWAY_ID": gateway_id, "GATEWAY_NAME": name, "ENVIRONMENT": "prod",
                "APP": name, "PAYLOADS": "false", "ZDR": "false", "AIG_TOKEN": RUN_TOKEN}
    entries = ", ".join(f"(name = {json.dumps(k)}, text = {json.dumps(v)})" for k, v in bindings.items())
    return (f'(modules = [(name = "edge.mjs", esModule = embed {json.dumps(module)})], '
            f'compatibilityDate = "2026-11-01", bindings = [{entries}], globalOutbound = "loopback")')


@pytest.fixture(scope="module")
def edges(api: StandIn, prod: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """"good:<name>" / "leaky:<name>" -> the Worker's URL."""
    if not WORKERD.exists():
        pytest.fail(f"workerd is not installed ({WORKERD} is missing): run `npm ci` in {ROOT}")
    config_dir = tmp_path_factory.mktemp("prove-workerd")
    source = EDGE_WORKER.read_text()
    assert source.count(PAYLOAD_LINE) == 1, "the edge Worker no longer sets the payload header in one place"
    (config_dir / "leaky.mjs").write_text(source.replace(PAYLOAD_LINE, "/* payload header dropped */"))
    good = os.path.relpath(EDGE_WORKER, config_dir)
    services, sockets, consts, listeners = [], [], [], {}
    for build, module in (("good", good), ("leaky", "leaky.mjs")):
        for i, (name, gid) in enumerate(sorted(_names(prod).items())):
            key = f"{build}{i}"
            services.append(f'(name = "{key}", worker = .{key}Worker)')
            sockets.append(f'(name = "{key}", service = "{key}")')
            worker = _worker(name, gid, api.gateway_url(gid, prod["accountId"]), module)
            consts.append(f"const {key}Worker :Workerd.Worker = {worker};")
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sock.listen(64)
            sock.set_inheritable(True)
            listeners[(f"{build}:{name}", key)] = sock
    services.append('(name = "loopback", network = (allow = ["local"]))')
    config = config_dir / "prove.capnp"
    config.write_text(f'using Workerd = import "/workerd/workerd.capnp";\n\nconst config :Workerd.Config = (\n'
                      f'  services = [{", ".join(services)}],\n  sockets = [{", ".join(sockets)}],\n);\n\n'
                      + "\n".join(consts) + "\n")
    args = [str(WORKERD), "serve", str(config)]
    args += [f"--socket-fd={key}={s.fileno()}" for (_, key), s in listeners.items()]
    stderr = (config_dir / "workerd.stderr").open("wb")
    proc = subprocess.Popen(args, cwd=config_dir, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr,
                            pass_fds=[s.fileno() for s in listeners.values()])
    urls = {label: f"http://127.0.0.1:{s.getsockname()[1]}" for (label, _), s in listeners.items()}
    for s in listeners.values():
        s.close()
    try:
        port = int(next(iter(urls.values())).rsplit(":", 1)[1])
        deadline = time.monotonic() + 15
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("workerd did not start:\n" + (config_dir / "workerd.stderr").read_text()[-3000:])
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", "/")
                if conn.getresponse().getheader("x-aigw-edge"):
                    break
            except OSError:
                time.sleep(0.05)
        yield urls
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
        stderr.close()


@pytest.fixture
def account(api: StandIn, prod: dict[str, Any]) -> dict[str, Any]:
    """prod's account as `pulumi up` left it: its gateways, its edge token, a few logs without bodies."""
    acct = api.account(prod["accountId"])
    acct.gateways.clear()
    acct.logs.clear()
    acct.account_tokens.clear()
    api.clear_requests()
    ids = seed_plan(api, prod)
    for r in prod["resources"]:
        if r["type"] == "cloudflare:index/accountToken:AccountToken":
            groups = [p["id"].removeprefix("pg:") for pol in r["props"]["policies"] for p in pol["permissionGroups"]]
            api.seed_account_token(r["props"]["name"], groups, account_id=prod["accountId"])
    for gid in ids:
        for _ in range(4):
            api.seed_log(gid, account_id=prod["accountId"], metadata={"environment": "prod"})
    api.clear_requests()
    return {"ids": ids, "account": prod["accountId"]}


def _entry_urls(edges: dict[str, str], build: str) -> list[str]:
    out = []
    for label, url in edges.items():
        b, name = label.split(":", 1)
        if b == build:
            out += ["--entry-url", f"{name}={url}"]
    return out


def prove(api: StandIn, *args: str, token: str = PROVE_TOKEN) -> subprocess.CompletedProcess[str]:
    return aigw("prove", "prod", *args, token=token, api=api, timeout=120)


def test_canary_through_the_real_edge_worker_passes(api: StandIn, edges: dict[str, str],
                                                    account: dict[str, Any]) -> None:
    proc = prove(api, "--canary", "--sample", "12", "--canary-wait", "5", *_entry_urls(edges, "good"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for check in ("prove-entry-paths", "prove-sample", "prove-canary"):
        assert f"PASS     {check}" in proc.stdout
    assert "3 canary request(s) sent, 3 found in the logs" in proc.stdout
    for gid in account["ids"]:  # each canary reached its gateway through the Worker: metadata, no bodies
        (log,) = [g for g in api.logs(gid, account["account"]).values() if "aigw-canary" in (g.get("metadata") or "")]
        meta = json.loads(log["metadata"])
        assert meta["environment"] == "prod" and meta["gateway"] and meta["app"]
        assert log["_request"] is None and log["_response"] is None


def test_a_worker_that_drops_the_payload_header_fails_naming_gateway_and_log(
        api: StandIn, edges: dict[str, str], account: dict[str, Any]) -> None:
    proc = prove(api, "--canary", "--sample", "3", "--canary-wait", "5", *_entry_urls(edges, "leaky"),
                 "--format", "json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    (canary,) = [c for c in report["checks"] if c["id"] == "prove-canary"]
    assert not canary["passed"] and len(canary["findings"]) == 3
    for gid in account["ids"]:
        (log,) = [g for g in api.logs(gid, account["account"]).values() if g["_request"] is not None]
        (finding,) = [f for f in canary["findings"] if f["details"]["gateway"] == gid]
        assert finding["details"]["log"] == log["id"]
        assert finding["details"]["stored"] == ["request", "response"]
        assert gid in finding["message"] and log["id"] in finding["message"]
    assert "aigw prove canary" not in proc.stdout  # the canary's prompt (its stored body) is never shown


def test_a_stored_body_among_500_sampled_logs_is_found_and_never_printed(api: StandIn,
                                                                         account: dict[str, Any]) -> None:
    acct = account["account"]
    gid = account["ids"][1]
    for g in account["ids"]:
        api.seed_logs(g, 163, account_id=acct, metadata={"environment": "prod"})
    leaked = list(api.logs(gid, acct).values())[100]
    leaked["_request"] = json.dumps({"messages": [{"role": "user", "content": BODY_MARK}]})
    leaked["metadata"] = json.dumps({"environment": "prod", "user": "u-17"})
    proc = prove(api, "--sample", "500")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "500 stored log(s) read of 500 asked, over 3 gateway(s); 1 with a stored body" in proc.stdout
    assert f"{gid}/{leaked['id']}" in proc.stdout and leaked["created_at"][:19] in proc.stdout.replace(" ", "T")
    assert '"user": "u-17"' in proc.stdout and "openai/chat/completions" in proc.stdout
    assert BODY_MARK not in proc.stdout + proc.stderr
    lists = api.requests_to("/logs", "GET")
    assert len([r for r in lists if r.path.endswith("/logs")]) <= 3 * 4  # pages of 50, not one per log


def test_the_api_failing_is_exit_3(api: StandIn, account: dict[str, Any]) -> None:
    api.inject_response("/logs", "<html>502 Bad Gateway</html>", status=502, content_type="text/html")
    proc = prove(api, "--sample", "5")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "list logs: HTTP 502" in proc.stderr


def test_a_token_without_ai_gateway_read_is_exit_3_naming_the_permission(api: StandIn,
                                                                         account: dict[str, Any]) -> None:
    proc = prove(api, "--sample", "5", token=RUN_TOKEN)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "AI Gateway Read" in proc.stderr


def test_entry_paths_list_each_way_around_the_edge_worker_with_its_fix(api: StandIn, prod: dict[str, Any],
                                                                       account: dict[str, Any]) -> None:
    acct = account["account"]
    api.account(acct).gateways[account["ids"][0]]["authentication"] = False
    api.seed_default_gateway(account_id=acct)
    api.seed_account_token("laptop-run", ["AI Gateway Run"], account_id=acct)
    api.seed_account_token("notebook", ["Workers AI Read"], account_id=acct)
    api.seed_account_token("old-run", ["AI Gateway Run"], account_id=acct)["status"] = "expired"
    proc = prove(api, "--sample", "3")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert "FAIL     prove-entry-paths" in out and "PASS     prove-sample" in out
    assert f"{account['ids'][0]}: authentication is off" in out
    assert "the account has the `default` gateway" in out
    assert "token laptop-run (AI Gateway Run) is not the edge Worker's" in out
    assert "token notebook (Workers AI Read) can use the REST route" in out
    assert "aigw-prod-edge-run" not in out  # the declared edge token is no finding
    assert "old-run" not in out  # an expired token opens nothing
    assert out.count("fix: ") == 4


def test_tokens_that_cannot_be_listed_are_a_finding_not_a_pass(api: StandIn, account: dict[str, Any]) -> None:
    proc = prove(api, "--sample", "3", token="gw-only")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "the account's tokens could not be listed (HTTP 403 on list account tokens)" in proc.stdout
    assert "Account API Tokens Read" in proc.stdout


def test_without_canary_it_is_read_only_and_not_a_pass(api: StandIn, account: dict[str, Any]) -> None:
    proc = prove(api, "--sample", "3")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "NOT RUN  prove-canary: not run (read-only: add --canary)" in proc.stdout
    assert {r.method for r in api.requests} == {"GET"}


def test_no_logs_in_the_window_is_not_a_pass(api: StandIn, account: dict[str, Any]) -> None:
    for gid in account["ids"]:
        for log in api.logs(gid, account["account"]).values():
            log["created_at"] = "2020-01-01T00:00:00.000Z"
    proc = prove(api, "--sample", "10", "--since", "24h")
    assert proc.returncode == 1
    assert "0 stored log(s) read of 10 asked" in proc.stdout and "NOT RUN  prove-sample" in proc.stdout
    (first,) = [r for r in api.requests if r.path.endswith("/logs")][:1]
    assert first.query["start_date"].endswith("Z") and first.query["order_by"] == "created_at"


@pytest.mark.parametrize(("args", "says"), [
    (("--since", "yesterday"), "--since: 'yesterday': a whole number and a unit"),
    (("--entry-url", "nope"), "--entry-url: 'nope': allowed: GATEWAY=URL"),
    (("--entry-url", "unknown=http://127.0.0.1:1"), "--entry-url: unknown: not a gateway of prod"),
    (("--sample", "5000"), "5000 is not in the range 0<=x<=1000"),
])
def test_bad_input_is_exit_2_with_what_is_allowed(api: StandIn, args: tuple[str, ...], says: str) -> None:
    proc = prove(api, *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert says in proc.stderr and "Traceback" not in proc.stderr


def test_no_token_is_exit_2(api: StandIn) -> None:
    proc = aigw("prove", "prod", token=None, api=api)
    assert proc.returncode == 2 and "CLOUDFLARE_API_TOKEN is not set" in proc.stderr


def test_evidence_file_holds_the_results_and_a_one_byte_edit_fails_verify(api: StandIn, account: dict[str, Any],
                                                                          tmp_path: Path) -> None:
    path = tmp_path / "evidence.json"
    proc = prove(api, "--sample", "6", "--evidence", str(path))
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the canary did not run: findings or not run
    assert f"evidence written to {path}" in proc.stderr
    doc = json.loads(path.read_text())
    sections = {s["name"]: s["data"] for s in doc["sections"]}
    assert list(sections) == ["run", "source", "plan", "check", "audit", "drift", "prove"]
    assert sections["audit"]["live"] == 3 and sections["audit"]["found"] is False
    checks = {c["id"]: c for c in sections["prove"]["checks"]}
    assert checks["prove-sample"]["passed"] and checks["prove-sample"]["counts"]["read"] == 6
    assert "SOC2-CC6.1" in checks["prove-entry-paths"]["controls"]
    assert sections["prove"]["exitCode"] == 1 and sections["drift"]["missing"] == []
    ok = aigw("prove", "--verify", str(path), token=None)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "evidence intact: 7 section(s)" in ok.stdout
    raw = path.read_bytes()
    at = raw.index(b'"read": 6')
    path.write_bytes(raw[:at + 8] + b"7" + raw[at + 9:])
    bad = aigw("prove", "--verify", str(path), token=None)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "prove" in bad.stderr and "FAILED verification" in bad.stderr


def test_verify_takes_no_stack(api: StandIn, tmp_path: Path) -> None:
    proc = aigw("prove", "prod", "--verify", str(tmp_path / "e.json"), token=None)
    assert proc.returncode == 2 and "--verify FILE takes no STACK" in proc.stderr


def test_a_canary_whose_log_never_appears_is_a_finding(api: StandIn, edges: dict[str, str],
                                                       account: dict[str, Any]) -> None:
    gid = account["ids"][0]
    api.account(account["account"]).gateways[gid]["collect_logs"] = False  # the canary leaves no log there
    proc = prove(api, "--canary", "--sample", "3", "--canary-wait", "1", *_entry_urls(edges, "good"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "3 canary request(s) sent, 2 found in the logs" in proc.stdout
    assert f"(HTTP 200) has no log in {gid} after 1 s" in proc.stdout


def test_a_declared_gateway_missing_from_the_account_is_a_finding_not_an_api_error(
        api: StandIn, account: dict[str, Any]) -> None:
    gid = account["ids"][2]
    del api.account(account["account"]).gateways[gid]
    proc = prove(api, "--sample", "4")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"{gid}: {gid} is declared but not in the account" in proc.stdout
    assert "4 stored log(s) read of 4 asked, over 2 gateway(s)" in proc.stdout


def test_a_429_on_the_logs_api_is_waited_out_once_as_for_the_other_live_commands(
        api: StandIn, account: dict[str, Any]) -> None:
    api.inject_429("/logs", retry_after=1, block=False)
    proc = prove(api, "--sample", "3", "--max-wait", "5")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # read-only: the canary check did not run
    assert "list logs: rate limited by Cloudflare (HTTP 429); waiting 1 s" in proc.stderr
    assert "PASS     prove-sample" in proc.stdout
    api.inject_429("/logs", retry_after=1, block=False)
    proc = prove(api, "--sample", "3", "--no-wait")
    assert proc.returncode == 3 and "--no-wait" in proc.stderr
