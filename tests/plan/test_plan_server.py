"""The plan fork server (aigw/plan/server.py, AIGW_PLAN_SERVER) is the runner, imported once:
the same stdout, stderr and exit status as a fresh `python -m aigw.plan.runner` for every repo
stack (with and without --check), from any working directory, and an unreachable server is an
error naming the variable and the socket. Its `aigw` requests (how the suite runs the command line:
helpers.plan_server.run_aigw) are the console script in a fresh process: the same stdout, stderr and
exit status, usage errors naming the program `aigw`, and refused when they could differ."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.plan import ROOT, aigw
from helpers.plan_server import AIGW, PLAN_SERVER_ENV, run_aigw, suite_server

from aigw.plan.server import CliRefused, request, request_cli

STACKS = sorted(p.name for p in ROOT.glob("Pulumi.*.yaml"))


@pytest.fixture
def server() -> str:
    """The suite's plan server of this test process (tests/conftest.py), also for real_runner tests."""
    return suite_server()


def fresh(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-m", "aigw.plan.runner", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def plan_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != PLAN_SERVER_ENV}
    return {**env, "PYTHONWARNINGS": "ignore", **extra}


def test_the_repo_has_stacks_to_compare():
    assert STACKS == ["Pulumi.dev.yaml", "Pulumi.prod.yaml", "Pulumi.staging.yaml"]


@pytest.mark.parametrize("check", [False, True], ids=["plan", "check"])
@pytest.mark.parametrize("stack", STACKS)
def test_every_repo_stack_plans_byte_for_byte_as_a_fresh_runner(server: str, stack: str, check: bool):
    args = [stack, *(["--check"] if check else [])]
    expected = fresh(args, ROOT, plan_env())
    assert expected[0] == 0, expected[2]
    assert request(server, args, str(ROOT), plan_env()) == expected


def test_the_request_working_directory_and_invalid_input_are_those_of_a_fresh_runner(server: str, tmp_path: Path):
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "workers", tmp_path / "workers")
    (tmp_path / "Pulumi.bad.yaml").write_text("config:\n  aigw:accountId: nope\n  aigw:environment: bad\n")
    for args in (["Pulumi.dev.yaml"], ["Pulumi.bad.yaml"], ["Pulumi.bad.yaml", "--check"], [], ["missing.yaml"]):
        expected = fresh(args, tmp_path, plan_env())
        assert request(server, args, str(tmp_path), plan_env()) == expected, args
    code, out, _ = fresh(["Pulumi.bad.yaml"], tmp_path, plan_env())
    assert code == 2 and '"problems"' in out


def test_the_request_environment_is_the_one_the_runner_sees(server: str):
    # Warning filters are applied at import: a fresh process under other filters could differ, so the
    # server refuses the request rather than approximate it.
    code, out, err = request(server, ["Pulumi.dev.yaml"], str(ROOT), plan_env(PYTHONWARNINGS="error"))
    assert (code, out) == (1, "")
    assert err == ("plan server: PYTHONWARNINGS='error': the server imported the runner under "
                   "PYTHONWARNINGS='ignore' (as `aigw` runs it): plan in a fresh process instead\n")


@pytest.mark.real_runner
def test_aigw_check_through_the_server_is_the_same_as_without_it_and_honours_aigw_today(server: str):
    late = "2027-01-15"  # the repo's tokens are valid 2026-11-23..2026-12-23: expired findings
    real = aigw("check", "--format", "json", env={"AIGW_TODAY": late})
    served = aigw("check", "--format", "json", env={"AIGW_TODAY": late, PLAN_SERVER_ENV: server})
    assert (served.returncode, served.stdout, served.stderr) == (real.returncode, real.stdout, real.stderr)
    on_time = aigw("check", "--format", "json", env={PLAN_SERVER_ENV: server})
    # The tokens' expiry is what AIGW_TODAY changes (advisory findings), so the two outputs differ.
    assert (on_time.returncode, served.returncode) == (0, 0)
    assert json.loads(on_time.stdout)["summary"]["advisory"] < json.loads(served.stdout)["summary"]["advisory"]


@pytest.mark.real_runner
def test_an_unreachable_server_is_an_error_naming_the_variable_and_the_socket(tmp_path: Path):
    socket_path = str(tmp_path / "none.sock")
    proc = aigw("plan", "dev", env={PLAN_SERVER_ENV: socket_path})
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        f"aigw: AIGW_PLAN_SERVER={socket_path}: the plan server cannot be reached (cannot connect: No such file or "
        f"directory): start it with `python -m aigw.plan.server {socket_path}`, or unset AIGW_PLAN_SERVER to plan "
        "each stack in its own process"]


def console_script(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
    proc = subprocess.run([AIGW, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def cli_env(server: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONWARNINGS", PLAN_SERVER_ENV)}
    return {**env, PLAN_SERVER_ENV: server, **extra}


@pytest.mark.parametrize("args", [
    ["--version"], ["--help"], ["plan", "--help"], ["plan", "dev"], ["plan", "prod", "--format", "json"],
    ["check", "--format", "json"], ["check", "staging", "--format", "sarif"], ["frob"], ["plan", "nosuch"],
    ["plan", "--format", "yaml"], ["diff", "--base", "no-such-revision"], ["drift", "dev"],
], ids=lambda a: " ".join(a))
def test_aigw_in_the_server_is_the_console_script_in_a_fresh_process(server: str, args: list[str]):
    env = cli_env(server, AIGW_TODAY="2026-12-01")
    expected = console_script(args, ROOT, env)
    assert request_cli(server, AIGW, args, str(ROOT), env) == expected


def test_aigw_in_the_server_runs_in_the_request_directory_and_environment(server: str, tmp_path: Path):
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "Pulumi.bad.yaml").write_text("config:\n  aigw:accountId: nope\n  aigw:environment: bad\n")
    late = cli_env(server, AIGW_TODAY="2027-01-15", NO_COLOR="1")
    for args, env in ((["plan"], cli_env(server)), (["check", "--format", "json"], late),
                      (["check", "bad"], cli_env(server)), (["audit", "--account", "0" * 32], cli_env(server))):
        expected = console_script(args, tmp_path, env)
        assert request_cli(server, AIGW, args, str(tmp_path), env) == expected, args
    code, _, err = console_script(["check", "bad"], tmp_path, cli_env(server))
    assert code == 2 and "Pulumi.bad.yaml" in err


def test_aigw_with_pythonwarnings_is_refused_and_the_helper_runs_a_fresh_process(server: str):
    # The server imported the command line under the default filters: with others, a fresh process could
    # print what the server's child would not, so the request is refused and the suite's helper falls back.
    env = cli_env(server, PYTHONWARNINGS="error")
    with pytest.raises(CliRefused, match="PYTHONWARNINGS is set"):
        request_cli(server, AIGW, ["--version"], str(ROOT), env)
    proc = run_aigw(["plan", "dev"], ROOT, env)
    assert (proc.returncode, proc.stdout, proc.stderr) == console_script(["plan", "dev"], ROOT, env)
