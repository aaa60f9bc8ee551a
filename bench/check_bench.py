"""`make bench`: what `aigw check` costs on 1,000 gateways, and what the rules alone cost.

The stack is plan_bench.py's generated stack (imported, not copied): N gateways in environment
`bench`, stack defaults plus a per-gateway cache TTL. Two policy settings:
- default: `bench` is not production, so only the rules that apply everywhere run (clean, exit 0);
- production: a policy config lists `bench` in every rule's productionEnvironments, so all 14
  rules run; the stack has no edge Workers, DLP, spend limits or guardrails, so every gateway gets
  one mandatory and three advisory findings (exit 1): the worst case for the rules and the output.

Measured:
1. whole process, from outside: `aigw plan FILE --format json` and `aigw check FILE --format json
   [--policy-config FILE]`, interleaved, min and median of --runs each. check = plan + rules + output.
2. the rules alone, in this process: `aigw.check.check_plan` (plan JSON -> rule values, every
   enabled rule, sorting) on the plan JSON made once, min and median of --rule-runs, and per resource.

Usage: python bench/check_bench.py [--gateways 1000] [--runs 5] [--rule-runs 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# bench/ is on sys.path when this file runs as a script: the plan benchmark's generator and timer.
from plan_bench import AIGW, timed, write_stack

from aigw.check import check_plan
from aigw.check.config import Settings, load_settings, settings_from
from aigw_policy import RULES


def timed_check(cmd: list[str], cwd: Path) -> float:
    """Like plan_bench.timed, but exit 1 (mandatory findings) is a normal outcome of `aigw check`."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1) or not proc.stdout.lstrip().startswith("{"):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return elapsed


def production_config(environment: str) -> dict[str, dict[str, list[str]]]:
    return {rule.id: {"productionEnvironments": [environment]} for rule in RULES}


def in_process(fn: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gateways", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rule-runs", type=int, default=20)
    args = parser.parse_args()
    n = args.gateways
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        stack = write_stack(directory, n)
        policy_file = directory / "production-policy.json"
        policy_file.write_text(json.dumps(production_config("bench"), indent=2))
        variants: list[tuple[str, Settings, list[str]]] = [
            ("default", load_settings(None), []),
            ("production", settings_from(production_config("bench"), str(policy_file)),
             ["--policy-config", str(policy_file)]),
        ]

        # 1. Whole processes, interleaved so load changes hit all alike.
        plan_cmd = [str(AIGW), "plan", str(stack), "--format", "json"]
        check_cmds = {name: [str(AIGW), "check", str(stack), "--format", "json", *extra]
                      for name, _, extra in variants}
        whole: dict[str, list[float]] = {"plan": [], **{name: [] for name in check_cmds}}
        for run in range(args.runs):
            whole["plan"].append(timed(plan_cmd, directory))
            for name, cmd in check_cmds.items():
                whole[name].append(timed_check(cmd, directory))
            print(f"run {run + 1}/{args.runs}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in whole.items()),
                  file=sys.stderr)

        # 2. The rules alone, on the plan JSON made once.
        proc = subprocess.run(plan_cmd, cwd=directory, capture_output=True, text=True, check=True)
        plan = json.loads(proc.stdout)["stacks"][0]
        rule_rows = []
        for name, settings, _ in variants:
            result = check_plan(plan, stack, settings)
            times = in_process(lambda s=settings: check_plan(plan, stack, s), args.rule_runs)
            rule_rows.append((name, result, times))
            print(f"rules ({name}): median {statistics.median(times) * 1000:.1f} ms", file=sys.stderr)

    resources = len(plan["resources"])
    print(f"{n:,} gateways ({resources:,} plan resources), environment `bench`.\n")
    print(f"Whole process ({args.runs} runs each, interleaved):\n")
    print("| command | policy | min | median |")
    print("|---|---|---:|---:|")
    print(f"| `aigw plan FILE --format json` | | {min(whole['plan']):.2f} s | "
          f"{statistics.median(whole['plan']):.2f} s |")
    for name, _, extra in variants:
        policy = "`bench` is production (`--policy-config`)" if extra else "defaults (`bench` not production)"
        print(f"| `aigw check FILE --format json{' --policy-config P' if extra else ''}` | {policy} | "
              f"{min(whole[name]):.2f} s | {statistics.median(whole[name]):.2f} s |")
    print(f"\nRules alone (`aigw.check.check_plan` on the plan JSON, {args.rule_runs} runs each):\n")
    print("| policy | rules run | findings (mandatory / advisory) | min | median | median per resource |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, result, times in rule_rows:
        applied = sum(1 for rule in RULES if result.production or not rule.production_only)
        median = statistics.median(times)
        print(f"| {name} | {applied} | {len(result.mandatory):,} / {len(result.advisory):,} | "
              f"{min(times) * 1000:.1f} ms | {median * 1000:.1f} ms | {median / resources * 1e6:.1f} µs |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
