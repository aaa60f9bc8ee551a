"""The edge Worker (aigw/workers/edge.mjs) running in workerd, in front of a capture server.

One workerd process per test module serves the Worker under five configurations, each on its own
socket: `prod` (payloads off, ZDR on), `dev` (payloads on, no ZDR binding, Workers AI through a fake
AI binding), `mistyped` (PAYLOADS is neither "true" nor "false", ZDR neither "true" nor "false", no
APP), `down` (the gateway URL points at a closed port) and `broken` (no token binding). The capture
server stands in for the gateway: it records what reached it, keyed by the `x-test-id` header each
test sends, and answers with JSON, an SSE stream written in timed chunks, a redirect or an error, as
the `x-test-respond` header asks.

workerd comes from npm (`npm ci`, run by `make test`); without it these tests fail, never skip.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EDGE_WORKER = ROOT / "aigw" / "workers" / "edge.mjs"
WORKERD = ROOT / "node_modules" / ".bin" / "workerd"
LOOPBACK = "127.0.0.1"
COMPATIBILITY_DATE = "2026-11-01"
GATEWAY_PATH = "/v1/acct/gw"
SSE_EVENTS = 3
SSE_GAP_SECONDS = 0.3
HTTP_TIMEOUT_SECONDS = 10.0
STARTUP_DEADLINE_SECONDS = 15.0
MAX_CHUNKS = 100_000

# The fake AI binding: returns what it was called with, so the test sees the gateway options.
MOCK_AI_MODULE = """
export default function makeAi(env) {
  return {
    async run(model, inputs, options) {
      if (inputs && inputs.stream) {
        const enc = new TextEncoder();
        return new ReadableStream({
          start(controller) {
            controller.enqueue(enc.encode('data: {"response":"hel"}\\n\\n'));
            controller.enqueue(enc.encode('data: {"response":"lo"}\\n\\n'));
            controller.enqueue(enc.encode("data: [DONE]\\n\\n"));
            controller.close();
          },
        });
      }
      return { fake: "workers-ai-binding", model, inputs, options };
    },
  };
}
"""


@dataclass
class Captured:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name.lower()]

    def metadata(self) -> dict[str, Any]:
        (raw,) = self.header("cf-aig-metadata")
        return json.loads(raw)


@dataclass
class CaptureServer:
    """Records requests by test id; remembers when each SSE event was written."""

    requests: dict[str, list[Captured]] = field(default_factory=dict)
    sse_sent_at: dict[str, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    def seen(self, test_id: str) -> list[Captured]:
        with self.lock:
            return list(self.requests.get(test_id, []))

    def only(self, test_id: str) -> Captured:
        seen = self.seen(test_id)
        assert len(seen) == 1, f"expected one upstream request for {test_id}, got {len(seen)}"
        return seen[0]


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if "chunked" in handler.headers.get("transfer-encoding", "").lower():
        chunks = []
        for _ in range(MAX_CHUNKS):
            size = int(handler.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                for _ in range(100):  # trailers, up to the blank line
                    if handler.rfile.readline(65536) in (b"\r\n", b"\n", b""):
                        break
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline(16)
        raise AssertionError("chunked body has too many chunks")
    return handler.rfile.read(int(handler.headers.get("content-length") or 0))


def _handler_for(capture: CaptureServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def handle_any(self) -> None:
            body = _read_body(self)
            test_id = self.headers.get("x-test-id", "")
            record = Captured(self.command, self.path, [(k.lower(), v) for k, v in self.headers.items()], body)
            with capture.lock:
                capture.requests.setdefault(test_id, []).append(record)
            mode = self.headers.get("x-test-respond", "json")
            if mode == "sse":
                self._sse(test_id)
            elif mode == "redirect":
                self._send(302, b"", {"location": f"http://{LOOPBACK}:{capture.port}/elsewhere"})
            elif mode == "rate-limited":
                self._send(429, b'{"error":"slow down"}', {"content-type": "application/json", "retry-after": "7"})
            else:
                reply = {"upstream": "capture", "path": self.path, "bytes": len(body)}
                self._send(200, json.dumps(reply).encode(), {"content-type": "application/json"})

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for key, value in {**headers, "x-upstream": "capture", "content-length": str(len(body))}.items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _sse(self, test_id: str) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("cache-control", "no-cache")
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            for n in range(SSE_EVENTS):
                if n:
                    time.sleep(SSE_GAP_SECONDS)
                event = f"data: {json.dumps({'n': n})}\n\n".encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                self.wfile.flush()
                with capture.lock:
                    capture.sse_sent_at.setdefault(test_id, []).append(time.monotonic())
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_any

    return Handler


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def error_code(self) -> str:
        assert self.headers.get("content-type") == "application/json", self.headers.get("content-type")
        return self.json()["error"]["code"]


@dataclass
class Edge:
    """The running Worker: one port per configuration, plus the capture server behind them."""

    ports: dict[str, int]
    capture: CaptureServer

    def connect(self, config: str) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(LOOPBACK, self.ports[config], timeout=HTTP_TIMEOUT_SECONDS)

    def request(self, config: str, method: str, path: str, headers: list[tuple[str, str]] | None = None,
                body: bytes | None = None, *, test_id: str | None = None) -> Response:
        conn = self.connect(config)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for key, value in [("x-test-id", test_id or "none"), *(headers or [])]:
                conn.putheader(key, value)
            if body is not None:
                conn.putheader("content-length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            return Response(resp.status, resp.headers, resp.read())
        finally:
            conn.close()


def _capnp_string(value: str) -> str:
    return json.dumps(value)  # capnp text strings take the same escapes for plain ASCII


def _worker(bindings: dict[str, str], *, gateway_url: str, ai: bool, config_dir: Path) -> str:
    entries = [f"(name = {_capnp_string(k)}, text = {_capnp_string(v)})" for k, v in bindings.items()]
    entries.insert(0, f'(name = "GATEWAY_URL", text = {_capnp_string(gateway_url)})')
    if ai:
        entries.append('(name = "AI", wrapped = (moduleName = "aigw-test:fake-ai"))')
    # `embed` paths are relative to the config file: the real edge.mjs, not a copy.
    edge = _capnp_string(os.path.relpath(EDGE_WORKER, config_dir))
    return f"""(
    modules = [(name = "edge.mjs", esModule = embed {edge})],
    compatibilityDate = "{COMPATIBILITY_DATE}",
    bindings = [{", ".join(entries)}],
    globalOutbound = "loopback",
  )"""


CONFIGS: dict[str, tuple[dict[str, str], bool]] = {
    "prod": ({"GATEWAY_ID": "prod-support-bot", "GATEWAY_NAME": "support-bot", "ENVIRONMENT": "prod",
              "APP": "support", "PAYLOADS": "false", "ZDR": "true", "AIG_TOKEN": "run-token-prod"}, True),
    "dev": ({"GATEWAY_ID": "dev-support-bot", "GATEWAY_NAME": "support-bot", "ENVIRONMENT": "dev",
             "APP": "support", "PAYLOADS": "true", "AIG_TOKEN": "run-token-dev"}, True),
    "mistyped": ({"GATEWAY_ID": "staging-support-bot", "GATEWAY_NAME": "support-bot", "ENVIRONMENT": "staging",
                  "PAYLOADS": "TRUE", "ZDR": "yes", "AIG_TOKEN": "run-token-staging"}, False),
    "down": ({"GATEWAY_ID": "prod-down", "GATEWAY_NAME": "down", "ENVIRONMENT": "prod", "PAYLOADS": "false",
              "AIG_TOKEN": "run-token-down"}, False),
    "broken": ({"GATEWAY_ID": "prod-broken", "GATEWAY_NAME": "broken", "ENVIRONMENT": "prod",
                "PAYLOADS": "false"}, False),
}


def _config_text(config_dir: Path, capture_port: int, closed_port: int) -> str:
    services, sockets, consts = [], [], []
    for name, (bindings, ai) in CONFIGS.items():
        port = closed_port if name == "down" else capture_port
        services.append(f'(name = "edge-{name}", worker = .{name}Worker)')
        sockets.append(f'(name = "{name}", service = "edge-{name}")')
        worker = _worker(bindings, gateway_url=f"http://{LOOPBACK}:{port}{GATEWAY_PATH}", ai=ai,
                         config_dir=config_dir)
        consts.append(f"const {name}Worker :Workerd.Worker = {worker};")
    services.append('(name = "loopback", network = (allow = ["local"]))')
    return f"""using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [{", ".join(services)}],
  sockets = [{", ".join(sockets)}],
  extensions = [(modules = [(name = "aigw-test:fake-ai", internal = true, esModule = embed "fake-ai.mjs")])],
);

{chr(10).join(consts)}
"""


def _wait_ready(proc: subprocess.Popen[bytes], port: int, stderr_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"workerd exited with {proc.returncode}:\n{stderr_path.read_text()[-4000:]}")
        conn = http.client.HTTPConnection(LOOPBACK, port, timeout=1)
        try:
            conn.request("GET", "/")
            if conn.getresponse().getheader("x-aigw-edge"):
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.05)
    pytest.fail(f"workerd did not answer within {STARTUP_DEADLINE_SECONDS}s:\n{stderr_path.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    if not WORKERD.exists():
        pytest.fail(f"workerd is not installed ({WORKERD} is missing): run `npm ci` in {ROOT} "
                    "(`make test` does it)")
    capture = CaptureServer()
    server = ThreadingHTTPServer((LOOPBACK, 0), _handler_for(capture))
    server.daemon_threads = True
    capture.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()

    # Bound but never listening: connecting to it is refused, with no port to race for.
    closed = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    closed.bind((LOOPBACK, 0))
    listeners = {}
    for name in CONFIGS:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((LOOPBACK, 0))
        sock.listen(64)
        sock.set_inheritable(True)
        listeners[name] = sock

    config_dir = tmp_path_factory.mktemp("workerd")
    (config_dir / "fake-ai.mjs").write_text(MOCK_AI_MODULE)
    config_path = config_dir / "edge.capnp"
    config_path.write_text(_config_text(config_dir, capture.port, closed.getsockname()[1]))
    stderr_path = config_dir / "workerd.stderr"
    args = [str(WORKERD), "serve", str(config_path)]
    for name, sock in listeners.items():
        args.append(f"--socket-fd={name}={sock.fileno()}")
    with stderr_path.open("wb") as stderr:
        proc = subprocess.Popen(args, cwd=config_dir, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr,
                                pass_fds=[sock.fileno() for sock in listeners.values()])
    ports = {name: sock.getsockname()[1] for name, sock in listeners.items()}
    for sock in listeners.values():
        sock.close()
    try:
        _wait_ready(proc, ports["prod"], stderr_path)
        yield Edge(ports, capture)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        closed.close()


def new_id() -> str:
    return uuid.uuid4().hex


CHAT = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}).encode()


# --- Acceptance ---------------------------------------------------------------------------------


def test_prod_forces_payload_off_token_and_environment_whatever_the_client_asks(edge: Edge) -> None:
    test_id = new_id()
    resp = edge.request("prod", "POST", "/openai/v1/chat/completions", [
        ("content-type", "application/json"),
        ("authorization", "Bearer sk-client"),
        ("cf-aig-collect-log-payload", "true"),
        ("cf-aig-collect-log", "true"),
        ("cf-aig-authorization", "Bearer client-run-token"),
    ], CHAT, test_id=test_id)

    assert resp.status == 200, resp.body
    assert resp.headers["x-aigw-edge"] == "prod-support-bot"
    assert resp.json() == {"upstream": "capture", "path": f"{GATEWAY_PATH}/openai/v1/chat/completions",
                           "bytes": len(CHAT)}
    seen = edge.capture.only(test_id)
    assert (seen.method, seen.path, seen.body) == ("POST", f"{GATEWAY_PATH}/openai/v1/chat/completions", CHAT)
    assert seen.header("cf-aig-collect-log-payload") == ["false"]
    assert seen.header("cf-aig-collect-log") == []
    assert seen.header("cf-aig-authorization") == ["Bearer run-token-prod"]
    assert seen.header("authorization") == ["Bearer sk-client"]  # the caller's provider credentials
    assert seen.metadata()["environment"] == "prod"


def test_sse_response_arrives_in_chunks_before_the_upstream_has_finished(edge: Edge) -> None:
    test_id = new_id()
    conn = edge.connect("prod")
    try:
        conn.putrequest("POST", "/openai/v1/chat/completions", skip_accept_encoding=True)
        for key, value in [("x-test-id", test_id), ("x-test-respond", "sse"),
                           ("content-type", "application/json"), ("content-length", str(len(CHAT)))]:
            conn.putheader(key, value)
        started = time.monotonic()
        conn.endheaders(CHAT)
        resp = conn.getresponse()
        assert resp.status == 200
        assert resp.getheader("content-type") == "text/event-stream"
        assert resp.getheader("x-aigw-edge") == "prod-support-bot"
        events: list[tuple[float, bytes]] = []
        for _ in range(SSE_EVENTS * 4):  # each event is a data line and a blank line
            line = resp.readline()
            if not line:
                break
            if line.startswith(b"data: "):
                events.append((time.monotonic(), line))
    finally:
        conn.close()

    assert [line for _, line in events] == [f"data: {json.dumps({'n': n})}\n".encode() for n in range(SSE_EVENTS)]
    sent = edge.capture.sse_sent_at[test_id]
    assert len(sent) == SSE_EVENTS
    # The first event was in the caller's hands before the upstream wrote the last one.
    assert events[0][0] < sent[-1], (events[0][0] - started, sent[-1] - started)
    assert events[-1][0] - events[0][0] >= SSE_GAP_SECONDS  # and nothing was held back to the end


# --- Headers ------------------------------------------------------------------------------------


def test_prod_strips_every_spelling_and_repetition_of_the_payload_overrides(edge: Edge) -> None:
    test_id = new_id()
    resp = edge.request("prod", "POST", "/anthropic/v1/messages", [
        ("CF-AIG-Collect-Log-Payload", "true"),
        ("cf-aig-collect-log-payload", "TRUE"),
        ("Cf-Aig-Collect-Log", "false"),
        ("cf-aig-collect-log", "true"),
    ], b"{}", test_id=test_id)

    assert resp.status == 200
    seen = edge.capture.only(test_id)
    assert seen.header("cf-aig-collect-log-payload") == ["false"]
    assert seen.header("cf-aig-collect-log") == []


def test_headers_are_forwarded_except_hop_by_hop_and_host(edge: Edge) -> None:
    test_id = new_id()
    resp = edge.request("prod", "GET", "/openai/v1/models?limit=2&after=m%201", [
        ("authorization", "Bearer sk-client"),
        ("x-api-key", "provider-key"),
        ("cf-aig-request-timeout", "5000"),
        ("cf-aig-skip-cache", "true"),
        ("proxy-authorization", "Basic c2VjcmV0"),
        ("te", "trailers"),
        ("connection", "x-hop"),
        ("x-hop", "listed in connection"),
    ], test_id=test_id)

    assert resp.status == 200
    seen = edge.capture.only(test_id)
    assert (seen.method, seen.path) == ("GET", f"{GATEWAY_PATH}/openai/v1/models?limit=2&after=m%201")
    assert seen.header("x-api-key") == ["provider-key"]
    assert seen.header("cf-aig-request-timeout") == ["5000"]
    assert seen.header("cf-aig-skip-cache") == ["true"]  # only ever means less caching
    assert seen.header("proxy-authorization") == []
    assert seen.header("te") == []
    assert seen.header("x-hop") == []
    assert seen.header("host") == [f"{LOOPBACK}:{edge.capture.port}"]


CACHE_AND_COST_OVERRIDES = [
    ("cf-aig-cache-ttl", "2592000"),
    ("cf-cache-ttl", "2592000"),  # the old name, which the gateway still reads
    ("cf-aig-cache-key", "shared-answer"),
    ("cf-aig-custom-cost", '{"per_token_in": 0, "per_token_out": 0}'),
]


def test_prod_strips_client_cache_and_cost_overrides_so_the_gateways_settings_hold(edge: Edge) -> None:
    test_id = new_id()
    resp = edge.request("prod", "POST", "/openai/v1/chat/completions", [
        *CACHE_AND_COST_OVERRIDES,
        ("CF-AIG-Cache-TTL", "60"),
        ("cf-aig-skip-cache", "true"),
    ], CHAT, test_id=test_id)

    assert resp.status == 200
    seen = edge.capture.only(test_id)
    for name, _ in CACHE_AND_COST_OVERRIDES:
        assert seen.header(name) == [], name
    assert seen.header("cf-aig-skip-cache") == ["true"]


def test_dev_passes_client_cache_and_cost_headers_through(edge: Edge) -> None:
    test_id = new_id()
    edge.request("dev", "POST", "/openai/v1/chat/completions", CACHE_AND_COST_OVERRIDES, CHAT, test_id=test_id)

    seen = edge.capture.only(test_id)
    for name, value in CACHE_AND_COST_OVERRIDES:
        assert seen.header(name) == [value], name


@pytest.mark.parametrize("config", ["prod", "dev"])
def test_a_client_cannot_name_another_gateway(edge: Edge, config: str) -> None:
    test_id = new_id()
    edge.request(config, "POST", "/openai/v1/chat/completions", [("cf-aig-gateway-id", "default")], CHAT,
                 test_id=test_id)

    assert edge.capture.only(test_id).header("cf-aig-gateway-id") == []


def test_upstream_status_and_headers_pass_through(edge: Edge) -> None:
    resp = edge.request("prod", "POST", "/openai/v1/chat/completions", [("x-test-respond", "rate-limited")],
                        CHAT, test_id=new_id())

    assert resp.status == 429
    assert resp.headers["retry-after"] == "7"
    assert resp.headers["x-upstream"] == "capture"
    assert resp.json() == {"error": "slow down"}


def test_redirects_are_returned_not_followed_so_the_token_goes_nowhere_else(edge: Edge) -> None:
    test_id = new_id()
    resp = edge.request("prod", "GET", "/openai/v1/models", [("x-test-respond", "redirect")], test_id=test_id)

    assert resp.status == 302
    assert resp.headers["location"] == f"http://{LOOPBACK}:{edge.capture.port}/elsewhere"
    assert len(edge.capture.seen(test_id)) == 1


# --- Metadata -----------------------------------------------------------------------------------


def test_metadata_puts_the_workers_entries_first_then_client_entries_in_order_up_to_five(edge: Edge) -> None:
    test_id = new_id()
    client = {"user": "u-1", "tier": 2, "beta": True, "extra": "dropped: no room"}
    edge.request("prod", "POST", "/openai/v1/chat/completions", [("cf-aig-metadata", json.dumps(client))],
                 CHAT, test_id=test_id)

    metadata = edge.capture.only(test_id).metadata()
    assert list(metadata.items()) == [("environment", "prod"), ("gateway", "support-bot"), ("app", "support"),
                                      ("user", "u-1"), ("tier", 2)]


def test_metadata_drops_non_scalar_values_before_counting(edge: Edge) -> None:
    test_id = new_id()
    client = {"nested": {"a": 1}, "list": [1], "none": None, "ok": False, "cost": 1.5}
    edge.request("prod", "POST", "/openai/v1/chat/completions", [("cf-aig-metadata", json.dumps(client))],
                 CHAT, test_id=test_id)

    metadata = edge.capture.only(test_id).metadata()
    assert list(metadata.items())[3:] == [("ok", False), ("cost", 1.5)]


def test_metadata_drops_reserved_cf_keys_before_counting(edge: Edge) -> None:
    test_id = new_id()
    client = {"cf.user_id": "spoofed", "CF.team": "x", "cf.": 1, "user": "u-1", "tier": 2}
    edge.request("prod", "POST", "/openai/v1/chat/completions", [("cf-aig-metadata", json.dumps(client))],
                 CHAT, test_id=test_id)

    metadata = edge.capture.only(test_id).metadata()
    assert list(metadata.items()) == [("environment", "prod"), ("gateway", "support-bot"), ("app", "support"),
                                      ("user", "u-1"), ("tier", 2)]


def test_reserved_cf_keys_never_reach_the_ai_binding_either(edge: Edge) -> None:
    resp = edge.request("dev", "POST", f"/workers-ai/{LLAMA}", [
        ("cf-aig-metadata", json.dumps({"cf.user_id": "spoofed", "user": "u-4"})),
    ], json.dumps(PROMPT).encode(), test_id=new_id())

    assert resp.json()["options"]["gateway"]["metadata"] == {
        "environment": "dev", "gateway": "support-bot", "app": "support", "user": "u-4"}


def test_client_cannot_override_environment_gateway_or_app(edge: Edge) -> None:
    test_id = new_id()
    client = {"environment": "dev", "gateway": "other", "app": "spoofed", "user": "u-2"}
    edge.request("prod", "POST", "/openai/v1/chat/completions", [("cf-aig-metadata", json.dumps(client))],
                 CHAT, test_id=test_id)

    assert edge.capture.only(test_id).metadata() == {"environment": "prod", "gateway": "support-bot",
                                                     "app": "support", "user": "u-2"}


def test_metadata_without_client_entries_is_the_workers_own(edge: Edge) -> None:
    test_id = new_id()
    edge.request("prod", "GET", "/openai/v1/models", test_id=test_id)

    assert edge.capture.only(test_id).metadata() == {"environment": "prod", "gateway": "support-bot",
                                                     "app": "support"}


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '"a string"', "null", "42", '{"a": 1'])
def test_invalid_metadata_is_a_400_json_error_and_nothing_is_forwarded(edge: Edge, raw: str) -> None:
    test_id = new_id()
    resp = edge.request("prod", "POST", "/openai/v1/chat/completions", [("cf-aig-metadata", raw)],
                        CHAT, test_id=test_id)

    assert resp.status == 400
    assert resp.error_code() == "bad_metadata"
    assert resp.headers["x-aigw-edge"] == "prod-support-bot"
    assert edge.capture.seen(test_id) == []


# --- Bad requests and failures ------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "status", "code"), [
    ("GET", "/", 404, "no_provider"),
    ("POST", "/", 404, "no_provider"),
    ("GET", "/OpenAI/v1/models", 404, "unknown_route"),
    ("GET", "/open_ai/v1/models", 404, "unknown_route"),
    ("GET", "/openai", 404, "no_path"),
    ("GET", "/openai/", 404, "no_path"),
    ("GET", "/openai/%2e%2e/%2E%2E/other-gw/openai/v1/models", 400, "bad_path"),
    ("GET", "/openai/.%2e/x", 400, "bad_path"),
    ("GET", "/openai/v1%2f..%2fx", 400, "bad_path"),
    ("GET", "/openai/%zz", 400, "bad_path"),
    ("TRACE", "/openai/v1/models", 405, "method_not_allowed"),
])
def test_bad_requests_get_a_json_error_and_are_not_forwarded(edge: Edge, method: str, path: str, status: int,
                                                             code: str) -> None:
    test_id = new_id()
    resp = edge.request("prod", method, path, test_id=test_id)

    assert (resp.status, resp.error_code()) == (status, code)
    assert resp.json()["error"]["message"]
    assert edge.capture.seen(test_id) == []


def test_literal_dot_segments_are_rejected_before_any_normalisation(edge: Edge) -> None:
    test_id = new_id()
    resp = edge.request("prod", "GET", "/openai/../../other-gw/openai/v1/models", test_id=test_id)

    assert (resp.status, resp.error_code()) == (400, "bad_path")
    assert edge.capture.seen(test_id) == []


def test_upstream_down_is_a_502_json_error(edge: Edge) -> None:
    resp = edge.request("down", "POST", "/openai/v1/chat/completions", body=CHAT, test_id=new_id())

    assert (resp.status, resp.error_code()) == (502, "upstream_unreachable")
    assert resp.headers["x-aigw-edge"] == "prod-down"


def test_missing_token_binding_is_a_500_json_error_and_nothing_is_forwarded(edge: Edge) -> None:
    test_id = new_id()
    resp = edge.request("broken", "POST", "/openai/v1/chat/completions", body=CHAT, test_id=test_id)

    assert (resp.status, resp.error_code()) == (500, "misconfigured")
    assert "AIG_TOKEN" in resp.json()["error"]["message"]
    assert edge.capture.seen(test_id) == []


# --- Request bodies -----------------------------------------------------------------------------


def test_a_one_megabyte_body_reaches_the_upstream_intact(edge: Edge) -> None:
    test_id = new_id()
    body = os.urandom(1 << 20)
    resp = edge.request("prod", "POST", "/openai/v1/audio/transcriptions",
                        [("content-type", "application/octet-stream")], body, test_id=test_id)

    assert resp.status == 200
    assert resp.json()["bytes"] == len(body)
    assert hashlib.sha256(edge.capture.only(test_id).body).digest() == hashlib.sha256(body).digest()


def test_a_chunked_upload_reaches_the_upstream_intact(edge: Edge) -> None:
    test_id = new_id()
    parts = [os.urandom(64 * 1024) for _ in range(8)]
    conn = edge.connect("prod")
    try:
        conn.request("PUT", "/openai/v1/files", body=iter(parts), encode_chunked=True,
                     headers={"x-test-id": test_id, "content-type": "application/octet-stream"})
        resp = conn.getresponse()
        resp.read()
    finally:
        conn.close()

    assert resp.status == 200
    assert edge.capture.only(test_id).body == b"".join(parts)


# --- Policies -----------------------------------------------------------------------------------


def test_dev_policy_keeps_the_clients_payload_headers(edge: Edge) -> None:
    test_id = new_id()
    resp = edge.request("dev", "POST", "/openai/v1/chat/completions", [
        ("cf-aig-collect-log-payload", "true"),
        ("cf-aig-collect-log", "true"),
        ("cf-aig-authorization", "Bearer client-run-token"),
    ], CHAT, test_id=test_id)

    assert resp.status == 200
    assert resp.headers["x-aigw-edge"] == "dev-support-bot"
    seen = edge.capture.only(test_id)
    assert seen.header("cf-aig-collect-log-payload") == ["true"]
    assert seen.header("cf-aig-collect-log") == ["true"]
    assert seen.header("cf-aig-authorization") == ["Bearer run-token-dev"]
    assert seen.metadata()["environment"] == "dev"


def test_dev_policy_adds_no_payload_header_of_its_own(edge: Edge) -> None:
    test_id = new_id()
    edge.request("dev", "POST", "/openai/v1/chat/completions", body=CHAT, test_id=test_id)

    assert edge.capture.only(test_id).header("cf-aig-collect-log-payload") == []


def test_a_mistyped_payloads_binding_fails_closed_and_app_defaults_to_the_gateway_name(edge: Edge) -> None:
    test_id = new_id()
    edge.request("mistyped", "POST", "/openai/v1/chat/completions", [("cf-aig-collect-log-payload", "true")],
                 CHAT, test_id=test_id)

    seen = edge.capture.only(test_id)
    assert seen.header("cf-aig-collect-log-payload") == ["false"]
    assert seen.metadata() == {"environment": "staging", "gateway": "support-bot", "app": "support-bot"}


def test_zdr_binding_forces_zdr_on_every_request_whatever_the_client_sends(edge: Edge) -> None:
    test_id = new_id()
    edge.request("prod", "POST", "/openai/v1/chat/completions", [
        ("cf-aig-zdr", "false"),
        ("CF-AIG-ZDR", "0"),
    ], CHAT, test_id=test_id)
    quiet_id = new_id()
    edge.request("prod", "POST", "/anthropic/v1/messages", body=b"{}", test_id=quiet_id)

    assert edge.capture.only(test_id).header("cf-aig-zdr") == ["true"]
    assert edge.capture.only(quiet_id).header("cf-aig-zdr") == ["true"]


def test_a_mistyped_zdr_binding_fails_closed(edge: Edge) -> None:
    test_id = new_id()
    edge.request("mistyped", "POST", "/openai/v1/chat/completions", [("cf-aig-zdr", "false")], CHAT,
                 test_id=test_id)

    assert edge.capture.only(test_id).header("cf-aig-zdr") == ["true"]


def test_without_a_zdr_binding_zdr_is_the_clients_choice(edge: Edge) -> None:
    asked, silent = new_id(), new_id()
    edge.request("dev", "POST", "/openai/v1/chat/completions", [("cf-aig-zdr", "true")], CHAT, test_id=asked)
    edge.request("dev", "POST", "/openai/v1/chat/completions", body=CHAT, test_id=silent)

    assert edge.capture.only(asked).header("cf-aig-zdr") == ["true"]
    assert edge.capture.only(silent).header("cf-aig-zdr") == []


# --- Workers AI ---------------------------------------------------------------------------------

LLAMA = "@cf/meta/llama-3.1-8b-instruct"
PROMPT = {"messages": [{"role": "user", "content": "hi"}]}


def test_workers_ai_with_payloads_off_goes_over_http_with_the_enforced_headers(edge: Edge) -> None:
    test_id = new_id()
    body = json.dumps(PROMPT).encode()
    resp = edge.request("prod", "POST", f"/workers-ai/{LLAMA}", [
        ("authorization", "Bearer cf-api-token"),
        ("cf-aig-collect-log-payload", "true"),
    ], body, test_id=test_id)

    assert resp.status == 200
    seen = edge.capture.only(test_id)
    assert (seen.path, seen.body) == (f"{GATEWAY_PATH}/workers-ai/{LLAMA}", body)
    assert seen.header("cf-aig-collect-log-payload") == ["false"]
    assert seen.header("cf-aig-authorization") == ["Bearer run-token-prod"]
    assert seen.header("authorization") == ["Bearer cf-api-token"]


def test_workers_ai_with_payloads_on_calls_the_binding_with_the_gateway_options(edge: Edge) -> None:
    test_id = new_id()
    resp = edge.request("dev", "POST", f"/workers-ai/{LLAMA}", [
        ("content-type", "application/json"),
        ("cf-aig-metadata", json.dumps({"user": "u-3", "environment": "prod"})),
    ], json.dumps(PROMPT).encode(), test_id=test_id)

    assert resp.status == 200, resp.body
    assert resp.headers["x-aigw-edge"] == "dev-support-bot"
    assert resp.json() == {
        "fake": "workers-ai-binding",
        "model": LLAMA,
        "inputs": PROMPT,
        "options": {"gateway": {"id": "dev-support-bot", "metadata": {
            "environment": "dev", "gateway": "support-bot", "app": "support", "user": "u-3"}}},
    }
    assert edge.capture.seen(test_id) == []


def test_workers_ai_binding_streams_are_returned_as_sse(edge: Edge) -> None:
    resp = edge.request("dev", "POST", f"/workers-ai/{LLAMA}", body=json.dumps({**PROMPT, "stream": True}).encode(),
                        test_id=new_id())

    assert resp.status == 200
    assert resp.headers["content-type"] == "text/event-stream"
    assert resp.body.split(b"\n\n")[:3] == [b'data: {"response":"hel"}', b'data: {"response":"lo"}', b"data: [DONE]"]


@pytest.mark.parametrize(("method", "body", "status", "code"), [
    ("GET", None, 405, "method_not_allowed"),
    ("POST", b"not json", 400, "bad_body"),
    ("POST", b"[1]", 400, "bad_body"),
])
def test_workers_ai_binding_rejects_what_it_cannot_run(edge: Edge, method: str, body: bytes | None, status: int,
                                                       code: str) -> None:
    resp = edge.request("dev", method, f"/workers-ai/{LLAMA}", body=body, test_id=new_id())

    assert (resp.status, resp.error_code()) == (status, code)


@pytest.mark.parametrize("endpoint", ["v1/chat/completions", "v1/embeddings"])
def test_workers_ai_openai_compatible_paths_go_over_http_with_payloads_on(edge: Edge, endpoint: str) -> None:
    test_id = new_id()
    body = json.dumps({"model": LLAMA, **PROMPT}).encode()
    resp = edge.request("dev", "POST", f"/workers-ai/{endpoint}", [
        ("authorization", "Bearer cf-api-token"),
        ("content-type", "application/json"),
    ], body, test_id=test_id)

    assert resp.status == 200, resp.body
    assert resp.json()["upstream"] == "capture"  # not the AI binding, which takes a model, not an endpoint
    seen = edge.capture.only(test_id)
    assert (seen.method, seen.path, seen.body) == ("POST", f"{GATEWAY_PATH}/workers-ai/{endpoint}", body)
    assert seen.header("authorization") == ["Bearer cf-api-token"]
    assert seen.header("cf-aig-authorization") == ["Bearer run-token-dev"]
    assert seen.metadata()["environment"] == "dev"


# --- WebSockets ---------------------------------------------------------------------------------

WEBSOCKET_HANDSHAKE = [
    ("connection", "Upgrade"),
    ("upgrade", "websocket"),
    ("sec-websocket-version", "13"),
    ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ("sec-websocket-protocol", "cf-aig-authorization.client-token"),
]


@pytest.mark.parametrize(("config", "path"), [
    ("prod", "/openai/v1/realtime?model=gpt-4o-realtime-preview"),
    ("prod", "/"),  # the non-realtime WebSockets API lives at the gateway's root
    ("dev", "/openai/v1/realtime?model=gpt-4o-realtime-preview"),
])
def test_websocket_upgrades_get_a_501_that_says_why_and_nothing_is_forwarded(edge: Edge, config: str,
                                                                             path: str) -> None:
    test_id = new_id()
    resp = edge.request(config, "GET", path, WEBSOCKET_HANDSHAKE, test_id=test_id)

    assert (resp.status, resp.error_code()) == (501, "websocket_not_supported")
    assert "every message" in resp.json()["error"]["message"]
    assert resp.headers["x-aigw-edge"] == f"{config}-support-bot"
    assert edge.capture.seen(test_id) == []
