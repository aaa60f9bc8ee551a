"""`make bench`: the CrossGuard pack's cost per resource, driven exactly as the engine drives it.

The 1,000-gateway stack of plan_bench.py (imported) is planned once; its resources then go to the
pack in policy/ over gRPC (tests/policy/pack_driver.py: its own process, Configure, one Analyze
per resource, one AnalyzeStack), once with the default policy and once with the stack's
environment made production (all 14 rules). Measured: pack start (process to port), Analyze per
resource (min/median over all resources of the stack), AnalyzeStack (whole), per run.

Usage: python bench/pack_bench.py [--gateways 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from plan_bench import AIGW, write_stack

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "policy"))
from pack_driver import PackProcess, WireResource, pulumi_config  # noqa: E402

from aigw_policy import RULES  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gateways", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stack = write_stack(Path(tmp), args.gateways)
        proc = subprocess.run([str(AIGW), "plan", str(stack), "--format", "json"], cwd=tmp, capture_output=True,
                              text=True, check=True)
    plan = json.loads(proc.stdout)["stacks"][0]
    resources = [WireResource.from_plan(r) for r in plan["resources"]]
    production = {rule.id: {"productionEnvironments": [plan["environment"]]} for rule in RULES}
    rows = []
    for name, policy_config in (("default", None), ("production", production)):
        starts, per_call, runs_total, stack_times, findings = [], [], [], [], 0
        for _ in range(args.runs):
            start = time.perf_counter()
            with PackProcess(plan["stack"], pulumi_config(plan)) as pack:
                starts.append(time.perf_counter() - start)
                pack.open(policy_config)
                run_start = time.perf_counter()
                for resource in resources:
                    t = time.perf_counter()
                    findings += len(pack.analyze(resource))
                    per_call.append(time.perf_counter() - t)
                runs_total.append(time.perf_counter() - run_start)
                t = time.perf_counter()
                findings += len(pack.analyze_stack(resources))
                stack_times.append(time.perf_counter() - t)
        rows.append((name, starts, per_call, runs_total, stack_times, findings // args.runs))
        print(f"{name}: Analyze median {statistics.median(per_call) * 1000:.2f} ms", file=sys.stderr)
    print(f"{args.gateways:,} gateways ({len(resources):,} resources sent), {args.runs} pack runs per policy.\n")
    print("| policy | findings | pack start (median) | Analyze per resource (min / median) | "
          "all Analyze calls (median run) | AnalyzeStack (median) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, starts, per_call, runs_total, stack_times, findings in rows:
        print(f"| {name} | {findings:,} | {statistics.median(starts) * 1000:.0f} ms | "
              f"{min(per_call) * 1000:.2f} / {statistics.median(per_call) * 1000:.2f} ms | "
              f"{statistics.median(runs_total):.2f} s | {statistics.median(stack_times) * 1000:.0f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
