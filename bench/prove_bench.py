"""`make bench`: `aigw prove` of a 20-gateway stack with `--sample 100` against the API stand-in
(tests/helpers/standin.py, real HTTP on 127.0.0.1, the official SDK).

The stack is plan_bench.py's generated one (20 gateways); the stand-in holds it as declared, 30 stored logs
without bodies per gateway and the account's tokens. Measured: API requests (target: at most 150, well inside
the token's 1,200 per 5 minutes; expected 1 gateway list + 20 log pages + 100 log details + 1 token page = 122)
and the wall time of the whole `aigw prove` process. Read-only (no --canary), so its exit is 1: the canary check
did not run; the bench checks that the other two ran and passed.

Usage: python bench/prove_bench.py [--gateways 20] [--sample 100] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

# bench/ is on sys.path when this file runs as a script: the live and plan benchmarks' helpers.
from live_bench import run, stack_project
from plan_bench import AIGW, ROOT

sys.path[:0] = [str(ROOT / "tests")]

from helpers.live import seed_plan  # noqa: E402
from helpers.standin import READ_TOKEN, TEST_TOKENS, TOKENS_READ, StandIn  # noqa: E402

TARGET = 150


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gateways", type=int, default=20)
    parser.add_argument("--sample", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="prove-bench-") as tmp:
        stack, plan = stack_project(Path(tmp) / "prove", args.gateways)
        account = plan["accountId"]
        tokens = {**TEST_TOKENS, READ_TOKEN: TEST_TOKENS[READ_TOKEN] | {TOKENS_READ}}
        with StandIn(tokens=tokens, account_id=account) as api:
            ids = seed_plan(api, plan)
            for gid in ids:
                api.seed_logs(gid, 30, metadata={"environment": "bench"})
            api.seed_account_token("aigw-bench-deploy", ["AI Gateway Write"])
            cmd = [str(AIGW), "-C", str(stack.parent), "prove", "bench", "--sample", str(args.sample),
                   "--format", "json", "--api-url", api.base_url]
            plan_cmd = [str(AIGW), "plan", str(stack), "--format", "json"]
            times, plan_times, requests = [], [], []
            for i in range(args.runs):  # interleaved with the plan alone, to show what the API part adds
                plan_times.append(run(plan_cmd, stack.parent)[0])
                api.clear_requests()
                elapsed, proc = run(cmd, stack.parent, ok=(1,))
                result = json.loads(proc.stdout)
                checks = {c["id"]: c for c in result["checks"]}
                assert checks["prove-sample"]["passed"] and checks["prove-sample"]["counts"]["read"] == args.sample
                assert checks["prove-entry-paths"]["passed"] and not checks["prove-canary"]["ran"]
                assert result["requests"] == len(api.requests), (result["requests"], len(api.requests))
                times.append(elapsed)
                requests.append(result["requests"])
                print(f"prove run {i + 1}/{args.runs}: {elapsed:.2f}s (plan alone {plan_times[-1]:.2f}s), "
                      f"{requests[-1]} API requests", file=sys.stderr)
            assert not api.errors, api.errors
    worst = max(requests)
    print(f"aigw prove bench --sample {args.sample}, {args.gateways} gateways: {worst} API requests "
          f"(target <= {TARGET}: {'met' if worst <= TARGET else 'MISSED'}); wall time min {min(times):.2f} s, "
          f"median {statistics.median(times):.2f} s over {args.runs} runs (`aigw plan` of the same stack alone: "
          f"min {min(plan_times):.2f} s, median {statistics.median(plan_times):.2f} s)")
    if worst > TARGET:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
