"""Starting and stopping the plan fork server (infra/plan/server.py) for tests (tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

PLAN_SERVER_ENV = "AIGW_PLAN_SERVER"
ROOT = Path(__file__).resolve().parents[1]
def start_plan_server(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A running `python -m infra.plan.server` on a socket in ``directory``: (process, socket path)."""
    path = str(directory / "plan.sock")
    env = {k: v for k, v in os.environ.items() if k != PLAN_SERVER_ENV}
    log = directory / "server.log"
    with open(log, "wb") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "infra.plan.server", path], cwd=ROOT,
                                env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.monotonic() + 120
    while not os.path.exists(path):
        if proc.poll() is not None:
            raise RuntimeError(f"the plan server exited {proc.returncode}: {log.read_text()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the plan server did not start within 120 s")
        time.sleep(0.02)
    return proc, path


def stop_plan_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except Exception:  # noqa: BLE001 - it did not stop: make sure it does
        proc.kill()
        proc.wait()
