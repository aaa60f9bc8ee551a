"""`make bench`: the live commands against the API stand-in (tests/helpers/standin.py), over real HTTP
on 127.0.0.1 with the official SDK, as `aigw` talks to Cloudflare.

1. audit of an account with 1,000 gateways, every one declared by plan_bench.py's generated
   1,000-gateway stack (imported, not copied) and live exactly as declared: so each gateway is listed,
   matched, compared field by field and judged by the policy's gateway rules (the worst case for the
   comparison; exit 0). Measured: API requests (target: at most 12; pages of 100 make it 10) and
   wall time, (a) the whole `aigw audit` process, which plans the project's stacks offline first
   (`aigw plan FILE --format json` of the same stack is timed alongside, interleaved, to show what
   the API part adds), and (b) in-process: `aigw.live.audit.audit` with the plan given (list + match +
   drift + rules), and the listing alone.
2. drift of a 20-gateway stack (the same generator, 20 gateways): one list request, plus one list of provider
   configs and one of routes per gateway (41); whole `aigw drift` process and in-process (lists + compare).

The stand-in keeps the API's documented rate limit (1,200 requests per 5 minutes per token): the
default runs use about 90 requests.

Usage: python bench/live_bench.py [--gateways 1000] [--drift-gateways 20] [--runs 3] [--inproc-runs 5]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# bench/ is on sys.path when this file runs as a script: the plan benchmark's generator.
from plan_bench import AIGW, ROOT, write_stack

# The stand-in and its helpers live with the tests (the package tests/helpers).
sys.path[:0] = [str(ROOT / "tests")]

from helpers.live import plan_json, seed_plan  # noqa: E402
from helpers.standin import READ_TOKEN, TEST_TOKENS, StandIn  # noqa: E402

from aigw.check.config import load_settings  # noqa: E402
from aigw.live import audit as auditing  # noqa: E402
from aigw.live import byok  # noqa: E402
from aigw.live.client import Client  # noqa: E402
from aigw.live.drift import details_wanted, drift  # noqa: E402

LIST = "/ai-gateway/gateways"


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k != "CLOUDFLARE_BASE_URL"}
    out["CLOUDFLARE_API_TOKEN"] = READ_TOKEN
    return out


def run(cmd: list[str], cwd: Path, ok: tuple[int, ...] = (0,)) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env(), capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return elapsed, proc


def in_process(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def stack_project(directory: Path, n: int) -> tuple[Path, dict[str, Any]]:
    """plan_bench's n-gateway stack in ``directory``, and its plan."""
    directory.mkdir()
    stack = write_stack(directory, n)
    (plan,) = plan_json(str(stack), cwd=directory)
    return stack, plan


def fmt(times: list[float]) -> str:
    return f"{min(times):.2f} s | {statistics.median(times):.2f} s"


def ms(times: list[float]) -> str:
    return f"{min(times) * 1000:.0f} ms | {statistics.median(times) * 1000:.0f} ms"


def bench_audit(tmp: Path, n: int, runs: int, inproc_runs: int) -> dict[str, Any]:
    stack, plan = stack_project(tmp / "audit", n)
    account = plan["accountId"]
    out: dict[str, Any] = {"n": n, "resources": len(plan["resources"])}
    with StandIn(tokens=TEST_TOKENS, account_id=account) as api:
        assert len(seed_plan(api, plan)) == n
        plan_cmd = [str(AIGW), "plan", str(stack), "--format", "json"]
        audit_cmd = [str(AIGW), "-C", str(stack.parent), "audit", "--account", account, "--format", "json",
                     "--api-url", api.base_url]
        plan_times, audit_times, requests = [], [], []
        for i in range(runs):  # interleaved, so load changes hit both alike
            plan_times.append(run(plan_cmd, stack.parent)[0])
            api.clear_requests()
            elapsed, proc = run(audit_cmd, stack.parent)
            audit_times.append(elapsed)
            result = json.loads(proc.stdout)
            assert not result["found"] and result["live"] == n, "the account is live exactly as declared"
            requests.append((result["requests"], len(api.requests_to(LIST))))
            print(f"audit run {i + 1}/{runs}: plan {plan_times[-1]:.2f}s audit {elapsed:.2f}s "
                  f"requests {requests[-1]}", file=sys.stderr)
        settings = load_settings(None)

        def audited() -> auditing.AuditResult:
            with Client(READ_TOKEN, api.base_url, out=io.StringIO()) as client:
                return auditing.audit(client, account, [plan], settings)

        def listed() -> int:
            with Client(READ_TOKEN, api.base_url, out=io.StringIO()) as client:
                assert len(client.gateways(account)) == n
                return client.requests

        audit_inproc, result = in_process(audited, inproc_runs)
        list_inproc, list_requests = in_process(listed, inproc_runs)
        assert not result.found and not api.errors
    out.update(plan=plan_times, audit=audit_times, requests=requests, audit_inproc=audit_inproc,
               inproc_requests=result.requests, list_inproc=list_inproc, list_requests=list_requests)
    return out


def bench_drift(tmp: Path, n: int, runs: int, inproc_runs: int) -> dict[str, Any]:
    stack, plan = stack_project(tmp / "drift", n)
    account = plan["accountId"]
    with StandIn(tokens=TEST_TOKENS, account_id=account) as api:
        seed_plan(api, plan)
        api.seed_default_gateway()  # the account also holds the auto-created gateway: still one page
        cmd = [str(AIGW), "-C", str(stack.parent), "drift", "bench", "--format", "json", "--api-url", api.base_url]
        times, requests = [], []
        for i in range(runs):
            api.clear_requests()
            elapsed, proc = run(cmd, stack.parent)
            times.append(elapsed)
            result = json.loads(proc.stdout)
            assert result["matched"] == n and not result["drift"] and not result["missing"]
            requests.append((result["requests"], len(api.requests)))
            print(f"drift run {i + 1}/{runs}: {elapsed:.2f}s requests {requests[-1]}", file=sys.stderr)

        def drifted() -> tuple[int, bool]:
            with Client(READ_TOKEN, api.base_url, out=io.StringIO()) as client:
                live = client.gateways(account)
                details, _ = byok.read_details(client, account, *details_wanted(plan, live))
                clean = drift(plan, live, details=details).clean
                return client.requests, clean

        inproc, (inproc_requests, clean) = in_process(drifted, inproc_runs)
        assert clean and not api.errors
    return {"n": n, "drift": times, "requests": requests, "inproc": inproc, "inproc_requests": inproc_requests}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gateways", type=int, default=1000)
    parser.add_argument("--drift-gateways", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--inproc-runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        a = bench_audit(Path(tmp), args.gateways, args.runs, args.inproc_runs)
        d = bench_drift(Path(tmp), args.drift_gateways, args.runs, args.inproc_runs)

    (audit_requests,) = {r for r, _ in a["requests"]}
    (served,) = {s for _, s in a["requests"]}
    print(f"Audit: an account of {a['n']:,} gateways, all declared by one stack ({a['resources']:,} plan "
          "resources) and live as declared (exit 0).\n")
    print("| measure | API requests | min | median |")
    print("|---|---:|---:|---:|")
    print(f"| `aigw plan FILE --format json` (reference, {args.runs} runs) | 0 | {fmt(a['plan'])} |")
    print(f"| `aigw audit --account A --format json`, whole process ({args.runs} runs) | {audit_requests} "
          f"(stand-in served {served}) | {fmt(a['audit'])} |")
    print(f"| in-process `audit()` with the plan given ({args.inproc_runs} runs) | {a['inproc_requests']} | "
          f"{ms(a['audit_inproc'])} |")
    print(f"| in-process listing alone ({args.inproc_runs} runs) | {a['list_requests']} | {ms(a['list_inproc'])} |")
    verdict = "met" if audit_requests <= 12 else "NOT met"
    print(f"\ntarget: at most 12 requests for {a['n']:,} gateways: {verdict} ({audit_requests})\n")

    (drift_requests,) = {r for r, _ in d["requests"]}
    print(f"Drift: a stack of {d['n']} gateways (the account also holds `default`).\n")
    print("| measure | API requests | min | median |")
    print("|---|---:|---:|---:|")
    print(f"| `aigw drift STACK --format json`, whole process ({args.runs} runs) | {drift_requests} | "
          f"{fmt(d['drift'])} |")
    print(f"| in-process lists + compare ({args.inproc_runs} runs) | {d['inproc_requests']} | {ms(d['inproc'])} |")
    wanted = 1 + 2 * d["n"]  # the gateways' list, and per gateway its provider configs and its routes
    verdict = "met" if drift_requests == wanted else "NOT met"
    print(f"\ntarget: {wanted} requests for the {d['n']}-gateway stack (1 list of gateways, 2 per gateway): "
          f"{verdict} ({drift_requests})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
