"""`make bench`: whole-process time of `aigw plan` for 1, 100 and 1,000 gateways against the
bare baseline (bench/bare_baseline.py: the same number of AiGateway resources registered
under mocks, no spec, no component), median of 5 runs each, measured in the same run.

Target (issue 2): 1,000 gateways planned in at most 1.3x the bare baseline.
Usage: python bench/plan_bench.py [--runs 5] [--sizes 1,100,1000]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AIGW = Path(sys.executable).parent / "aigw"


def write_stack(directory: Path, n: int) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", directory / "Pulumi.yaml")
    lines = [
        "config:",
        "  aigw:accountId: 0123456789abcdef0123456789abcdef",
        "  aigw:environment: bench",
        "  aigw:defaults:",
        "    rateLimit: {limit: 600, interval: 60, technique: sliding}",
        "  aigw:gateways:",
    ]
    for i in range(n):
        lines.append(f"    gw{i}:")
        lines.append(f"      cache: {{ttl: {60 * (i % 10)}}}")
    path = directory / "Pulumi.bench.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="1,100,1000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            directory = Path(tmp) / f"n{n}"
            directory.mkdir()
            stack = write_stack(directory, n)
            plan_cmd = [str(AIGW), "plan", str(stack), "--format", "json"]
            base_cmd = [sys.executable, str(ROOT / "bench" / "bare_baseline.py"), str(n)]
            tuned_cmd = [*base_cmd, "--gc-tuned"]
            plan_times, base_times, tuned_times = [], [], []
            for _ in range(args.runs):  # interleaved, so load changes hit all alike
                base_times.append(timed(base_cmd, directory))
                tuned_times.append(timed(tuned_cmd, directory))
                plan_times.append(timed(plan_cmd, directory))
            plan, base = statistics.median(plan_times), statistics.median(base_times)
            tuned = statistics.median(tuned_times)
            rows.append((n, plan, base, plan / base, tuned, plan / tuned))
            print(f"n={n}: plan {plan:.2f}s baseline {base:.2f}s ratio {plan / base:.2f}", file=sys.stderr)
    runs = f"median of {args.runs}"
    print(f"| gateways | aigw plan ({runs}) | bare baseline ({runs}) | ratio | "
          f"bare baseline, plan's GC settings ({runs}) | ratio |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n, plan, base, ratio, tuned, tuned_ratio in rows:
        print(f"| {n:,} | {plan:.2f} s | {base:.2f} s | {ratio:.2f}x | {tuned:.2f} s | {tuned_ratio:.2f}x |")
    worst = rows[-1][3]
    verdict = "met" if worst <= 1.3 else "NOT met"
    print(f"\ntarget: {sizes[-1]:,} gateways at most 1.30x the baseline: {verdict} ({worst:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
