"""Starting and stopping the plan fork server (aigw/plan/server.py) for tests (tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

PLAN_SERVER_ENV = "AIGW_PLAN_SERVER"
ROOT = Path(__file__).resolve().parents[2]
def start_plan_server(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A running `python -m aigw.plan.server` on a socket in ``directory``: (process, socket path)."""
    path = str(directory / "plan.sock")
    env = {k: v for k, v in os.environ.items() if k != PLAN_SERVER_ENV}
    log = directory / "server.log"
    with open(log, "wb") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "aigw.plan.server", path], cwd=ROOT,
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


def plan_runner(args: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """`python -m aigw.plan.runner ARGS` in ``cwd``: through the suite's plan server when the test has one
    (AIGW_PLAN_SERVER: the same stdout, stderr and exit status, tests/plan/test_plan_server.py), else a
    fresh process. As `aigw` runs it: PYTHONWARNINGS=ignore."""
    from aigw.plan.server import request

    env = {k: v for k, v in os.environ.items() if k != PLAN_SERVER_ENV}
    env["PYTHONWARNINGS"] = "ignore"
    server = os.environ.get(PLAN_SERVER_ENV)
    if server:
        code, out, err = request(server, list(args), str(cwd), env)
        return subprocess.CompletedProcess(args, code, out, err)
    return subprocess.run([sys.executable, "-m", "aigw.plan.runner", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False, timeout=300)


AIGW = str(Path(sys.executable).parent / "aigw")


def run_aigw(argv: list[str], cwd: Path, env: dict[str, str] | None = None,
             timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`aigw ARGV` in ``cwd`` with ``env`` (default: this process's environment), as a user runs it: in the plan
    server of the environment's AIGW_PLAN_SERVER (a forked child that runs the console script's `main`: the same
    stdout, stderr and exit status, tests/plan/test_plan_server.py), else, or when the server refuses, a fresh
    process. Tests marked `real_runner` have no server: theirs is always a fresh process."""
    from aigw.plan.server import CliRefused, ServerUnreachable, request_cli

    env = dict(os.environ if env is None else env)
    server = env.get(PLAN_SERVER_ENV)
    if server:
        try:
            code, out, err = request_cli(server, AIGW, list(argv), str(cwd), env, timeout)
        except (CliRefused, ServerUnreachable):
            pass  # the fresh process says what it makes of the server
        except TimeoutError:
            raise subprocess.TimeoutExpired([AIGW, *argv], timeout) from None
        else:
            return subprocess.CompletedProcess([AIGW, *argv], code, out, err)
    return subprocess.run([AIGW, *argv], cwd=cwd, capture_output=True, text=True, check=False, timeout=timeout,
                          env=env)


_suite: dict[str, object] = {}


def suite_server() -> str:
    """The socket of this test process's plan server, started on first use (tests/conftest.py stops it).
    A pytest started by a test (tests/policy/test_pulumi_cli_optin.py) uses its parent's."""
    if "path" not in _suite:
        inherited = os.environ.get(PLAN_SERVER_ENV)
        if inherited and os.path.exists(inherited):
            _suite["path"] = inherited
        else:
            import tempfile

            # A short directory: a Unix socket path is limited to ~100 bytes.
            directory = Path(tempfile.mkdtemp(prefix="aigw-plan-"))
            _suite["dir"] = directory
            _suite["proc"], _suite["path"] = start_plan_server(directory)
    return str(_suite["path"])


def stop_suite_server() -> None:
    if "proc" in _suite:
        import shutil

        stop_plan_server(_suite.pop("proc"))  # type: ignore[arg-type]
        shutil.rmtree(_suite.pop("dir"), ignore_errors=True)  # type: ignore[arg-type]
    _suite.pop("path", None)
