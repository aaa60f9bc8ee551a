"""Opt-in: `aigw audit` against a real Cloudflare account, read-only.

Runs only when CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID are set (a token with AI Gateway
Read is enough). Nothing is written: the audit lists the account's gateways (pages of 100) and
compares them with this repository's stacks. Whatever the account holds, the audit must run to its
end, exit 0 (nothing found) or 1 (something found) and print well-formed JSON; exit 3 (the API
failed) fails the test with the command's own message.
"""

from __future__ import annotations

import json
import math
import os
import subprocess

import pytest
from helpers.live import AIGW, ROOT

TOKEN = os.environ.get("CLOUDFLARE_API_TOKEN")
ACCOUNT = os.environ.get("CLOUDFLARE_ACCOUNT_ID")

pytestmark = pytest.mark.skipif(not (TOKEN and ACCOUNT),
                                reason="set CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID to audit a real account")


def test_live_audit_runs_read_only_and_prints_well_formed_json() -> None:
    # The environment as given (CLOUDFLARE_BASE_URL, if set, is honoured); no --api-url.
    proc = subprocess.run([AIGW, "audit", "--account", ACCOUNT, "--format", "json", "--no-wait"], cwd=ROOT,
                          capture_output=True, text=True, check=False, timeout=600)
    assert proc.returncode in (0, 1), f"exit {proc.returncode}: {proc.stderr}"
    assert "Traceback" not in proc.stderr
    doc = json.loads(proc.stdout)
    assert set(doc) == {"account", "live", "requests", "unmanaged", "stacks", "findings", "found"}
    assert doc["account"] == ACCOUNT and isinstance(doc["live"], int) and doc["live"] >= 0
    assert doc["found"] is (proc.returncode == 1)
    # Pages of 100: at most one request more than the pages the gateways fill.
    assert 1 <= doc["requests"] <= max(1, math.ceil(doc["live"] / 100)) + 1
    for unmanaged in doc["unmanaged"]:
        assert set(unmanaged) == {"id", "note"}
    for stack in doc["stacks"]:
        assert set(stack) == {"stack", "missing", "drift"}
        for change in stack["drift"]:
            assert set(change) == {"resource", "id", "field", "declared", "live", "hint"}
    for finding in doc["findings"]:
        assert finding["level"] in ("mandatory", "advisory")
    if doc["unmanaged"] or doc["findings"] or any(s["missing"] or s["drift"] for s in doc["stacks"]):
        assert doc["found"] is True
