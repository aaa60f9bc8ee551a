"""Opt-in (testing layer 7): the real `pulumi` CLI previews the prod stack with the pack in policy/.

Runs whenever a `pulumi` binary is on PATH (https://www.pulumi.com/docs/install/); without one
the two CLI tests skip and say so (`test_without_a_pulumi_binary_the_cli_tests_skip` checks that).
There is no `pulumi` binary on this project's machines, so they have not been run here.

What they need:
- `pulumi` on PATH, and network access for what it fetches: the `cloudflare` resource plugin
  that pulumi-cloudflare 6.23.1 asks for (unless already under ~/.pulumi/plugins), and PyPI for
  the packages of policy/requirements.txt.
- To be run from the project's virtualenv (`.venv/bin/python -m pytest ...`): the program runs in
  it (the temporary copy's `.venv` links to it), as `pulumi preview` runs it from `.venv`.
- No Pulumi Cloud account: a local file backend in a temporary directory
  (`PULUMI_BACKEND_URL=file://<tmp>`, the same as `pulumi login file://<tmp>` without changing
  your login) and a throwaway `PULUMI_CONFIG_PASSPHRASE`.
- No Cloudflare credentials and no account. Preview makes exactly one Cloudflare API call: the
  permission-group lookup of the stack's tokens (aigw/components/tokens.py). Against Cloudflare
  that needs a real token (`cloudflare:apiToken` or CLOUDFLARE_API_TOKEN) with "Account API
  Tokens Read" on the stack's account; here `cloudflare:baseUrl` sends it to a stand-in on
  127.0.0.1 instead, and CLOUDFLARE_API_TOKEN is a placeholder (the provider only checks a token's
  format when it starts: 40 to 80 of [0-9A-Za-z_-], terraform-provider-cloudflare
  internal/provider.go; creating resources in preview calls no API).

The pack's virtualenv is made the way `pulumi install` makes it (pulumi/pulumi
sdk/python/toolchain/pip.go: `python -m venv venv`, upgrade pip, setuptools and wheel, then
`pip install -r requirements.txt`), because `pulumi preview --policy-pack` never makes it: the
engine only loads a local pack (pkg/engine/update.go, loadPolicyPlugins) and the Python language
host starts it with the interpreter of `venv` (sdk/python/cmd/pulumi-language-python/main.go,
RunPlugin). The second test shows exactly that.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from aigw.permissions import PERMISSIONS

ROOT = Path(__file__).resolve().parents[2]
PROD_ACCOUNT = "9a8b7c6d5e4f30210f1e2d3c4b5a6978"  # aigw:accountId of Pulumi.prod.yaml
PLACEHOLDER_TOKEN = "aigw-e2e-placeholder-token-0123456789abcdef"  # 43 characters, never sent to Cloudflare
NO_PULUMI = "needs a `pulumi` binary on PATH (https://www.pulumi.com/docs/install/)"
NO_VENV = "run it from the project's virtualenv (.venv/bin/python -m pytest): the program runs in it"



def needs_pulumi(test: Callable[..., None]) -> Callable[..., None]:
    test = pytest.mark.skipif(sys.prefix == sys.base_prefix, reason=NO_VENV)(test)
    return pytest.mark.skipif(shutil.which("pulumi") is None, reason=NO_PULUMI)(test)


@dataclass
class PermissionGroupsStandIn:
    """GET /client/v4/accounts/{id}/tokens/permission_groups on 127.0.0.1, answered with a v4
    envelope holding every name of aigw/permissions.py; records every request it gets."""

    requests: list[dict[str, str]] = field(default_factory=list)
    base_url: str = ""

    def groups(self) -> list[dict[str, object]]:
        names = sorted({name for names in PERMISSIONS.values() for name in names})
        return [{"id": f"{i:032x}", "name": name, "scopes": ["com.cloudflare.api.account"]}
                for i, name in enumerate(names, start=1)]


@pytest.fixture
def standin() -> Iterator[PermissionGroupsStandIn]:
    state = PermissionGroupsStandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            url = urlsplit(self.path)
            state.requests.append({"method": "GET", "path": url.path, "query": url.query,
                                   "authorization": self.headers.get("Authorization", "")})
            if url.path == f"/client/v4/accounts/{PROD_ACCOUNT}/tokens/permission_groups":
                self._reply(200, {"success": True, "errors": [], "messages": [], "result": state.groups()})
            else:
                self._reply(404, {"success": False, "errors": [{"code": 7003, "message": "No route for that URI"}],
                                  "messages": [], "result": None})

        def do_POST(self) -> None:  # noqa: N802
            state.requests.append({"method": "POST", "path": self.path, "query": "", "authorization": ""})
            self._reply(405, {"success": False, "errors": [{"code": 10405, "message": "not served"}],
                              "messages": [], "result": None})

        def _reply(self, status: int, body: dict[str, object]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's name)
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}/client/v4"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _pulumi(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["pulumi", *args, "--non-interactive"], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False, timeout=900)


def _run(args: list[str], cwd: Path) -> None:
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False, timeout=900)
    assert proc.returncode == 0, f"{' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"


@dataclass
class RepoCopy:
    dir: Path
    env: dict[str, str]

    @property
    def pack(self) -> Path:
        return self.dir / "policy"

    def install_pack_venv(self) -> None:
        """What `pulumi install` does in policy/ (pulumi/pulumi sdk/python/toolchain/pip.go)."""
        venv_python = self.pack / "venv" / "bin" / "python"
        _run([sys.executable, "-m", "venv", str(self.pack / "venv")], self.pack)
        _run([str(venv_python), "-m", "pip", "install", "--upgrade", "pip", "setuptools", "wheel"], self.pack)
        _run([str(venv_python), "-m", "pip", "install", "-r", "requirements.txt"], self.pack)

    def preview(self) -> subprocess.CompletedProcess[str]:
        return _pulumi(["preview", "-s", "prod", "--policy-pack", str(self.pack)], self.dir, self.env)


@pytest.fixture
def repo_copy(tmp_path: Path, standin: PermissionGroupsStandIn) -> RepoCopy:
    """A copy of the repository whose prod stack stores payloads, on a local backend, with the
    provider pointed at the stand-in; the pack has no virtualenv yet."""
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".venv", "venv", "node_modules", ".git", "__pycache__", "*.egg-info", ".pytest_cache", ".ruff_cache",
        ".hypothesis", "tests", "bench"))
    (copy / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    stack_file = copy / "Pulumi.prod.yaml"
    text = stack_file.read_text()
    before = "    support-bot:\n      cache:\n        ttl: 600\n"
    assert before in text, "Pulumi.prod.yaml changed: update this test's edit"
    text = text.replace(before, before + "      logging:\n        payloads: true\n")
    # The repo's prod file holds placeholder ciphertext: drop it and set the secrets again with
    # this stack's own passphrase, as a team would after `pulumi stack init`.
    for key in ("accessKeyId", "secretAccessKey"):
        text, count = re.subn(rf"( +){key}:\n +secure: .*\n", "", text)
        assert count == 1, f"Pulumi.prod.yaml: no secure {key}: update this test"
    stack_file.write_text(text)

    state = tmp_path / "state"
    state.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CLOUDFLARE_") and k not in ("PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE_FILE")}
    env.update({"PULUMI_BACKEND_URL": f"file://{state}", "PULUMI_CONFIG_PASSPHRASE": "aigw-e2e",
                "PULUMI_SKIP_UPDATE_CHECK": "true", "CLOUDFLARE_API_TOKEN": PLACEHOLDER_TOKEN})
    init = _pulumi(["stack", "init", "prod"], copy, env)
    assert init.returncode == 0, init.stdout + init.stderr
    for key in ("accessKeyId", "secretAccessKey"):
        proc = _pulumi(["config", "set", "-s", "prod", "--secret", "--path",
                        f"aigw:logpush.destination.r2.{key}", f"e2e-{key}"], copy, env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = _pulumi(["config", "set", "-s", "prod", "cloudflare:baseUrl", standin.base_url], copy, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return RepoCopy(copy, env)


@needs_pulumi
def test_preview_with_the_pack_blocks_payloads_in_production(repo_copy: RepoCopy,
                                                             standin: PermissionGroupsStandIn) -> None:
    repo_copy.install_pack_venv()
    proc = repo_copy.preview()
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert "production-payloads-not-stored" in output, output
    assert "support-bot" in output, output
    # The tokens' one lookup reached the stand-in unfiltered, with the provider's credential.
    lookups = [r for r in standin.requests if r["path"].endswith("/tokens/permission_groups")]
    assert lookups, f"no permission-group lookup reached the stand-in:\n{output}"
    assert all(r == {"method": "GET", "path": f"/client/v4/accounts/{PROD_ACCOUNT}/tokens/permission_groups",
                     "query": "", "authorization": f"Bearer {PLACEHOLDER_TOKEN}"} for r in lookups), lookups
    assert standin.requests == lookups, "preview called other Cloudflare APIs: " + repr(standin.requests)


@needs_pulumi
def test_preview_does_not_make_the_packs_virtualenv(repo_copy: RepoCopy) -> None:
    proc = repo_copy.preview()
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert "venv" in output, output
    assert "production-payloads-not-stored" not in output, output
    assert not (repo_copy.pack / "venv").exists()


def test_without_a_pulumi_binary_the_cli_tests_skip(tmp_path: Path) -> None:
    # PATH without `pulumi` (an empty directory): both CLI tests must skip with their reason, not error.
    empty = tmp_path / "bin"
    empty.mkdir()
    this = Path(__file__).relative_to(ROOT)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-p", "no:xdist",
         f"{this}::test_preview_with_the_pack_blocks_payloads_in_production",
         f"{this}::test_preview_does_not_make_the_packs_virtualenv"],
        cwd=ROOT, env={**os.environ, "PATH": str(empty)}, capture_output=True, text=True, check=False, timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert re.search(r"\b2 skipped\b", output) and " error" not in output and "failed" not in output, output
    assert NO_PULUMI in output, output
