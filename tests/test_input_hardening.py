"""Input hardening for every command that reads YAML (issue 12, deliverables 4 and 5).

Each test runs the real command line in a subprocess on a small project in tmp_path, the way a
user (or an attacker's pull request) would: duplicate keys, bytes that are not UTF-8, a "billion
laughs" file, a FIFO or a symlink loop beside the stacks, nesting, integers and files out of
bounds, and one broken sibling among good stacks. Every refusal is exit 2 naming the file (and the
line where there is one) with no traceback; nothing hangs (each run has a deadline); the good
stacks are still planned and shown.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.plan_server import run_aigw
from helpers.spec import ACCOUNT_ID, MINIMAL_PROJECT, REPO, stack

# Long enough for a few plan subprocesses on a loaded 2-core machine; a hang is what fails.
DEADLINE = 120


def aigw(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`aigw ARGS` in ``cwd``, the code under test first on the path (so a worktree can run these tests)."""
    run_env = {k: v for k, v in os.environ.items() if k != "AIGW_DEBUG"}
    run_env.update({"PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "policy")]), **(env or {})})
    try:
        # Through the suite's plan server when the test has one (helpers.plan_server.run_aigw), else a process.
        return run_aigw(list(args), cwd, run_env, DEADLINE)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`aigw {' '.join(args)}` hung (no answer within {DEADLINE} s)")


def no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr


GOOD = stack("""\
    docs-search:
      cache: {ttl: 60}
""", environment="good")


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(MINIMAL_PROJECT)
    (tmp_path / "Pulumi.good.yaml").write_text(GOOD)
    return tmp_path


def planned_stacks(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [s["stack"] for s in json.loads(proc.stdout)["stacks"]]


# --------------------------------------------------------------------------- duplicate keys

DUPLICATE_GATEWAY = stack("""\
    support-bot:
      cache: {ttl: 60}
    docs-search:
      cache: {ttl: 60}
    support-bot:
      cache: {ttl: 120}
""")


@pytest.mark.parametrize("command", [["plan"], ["check"]])
def test_a_second_gateway_key_is_refused_naming_both_lines(project_dir: Path, command: list[str]):
    # YAML's last-wins would keep the second support-bot and silently drop the first one's settings.
    (project_dir / "Pulumi.test.yaml").write_text(DUPLICATE_GATEWAY)
    proc = aigw(*command, "test", cwd=project_dir)
    assert proc.returncode == 2, proc.stderr
    no_traceback(proc)
    assert ("aigw: Pulumi.test.yaml:9: aigw:gateways.support-bot: 'support-bot': given twice in one mapping, "
            "on Pulumi.test.yaml:5 and Pulumi.test.yaml:9: a key may appear once per mapping (YAML would keep only "
            "the last and silently drop the first); remove or rename one") in proc.stderr.splitlines()


def test_a_later_authentication_false_does_not_override_an_earlier_true(project_dir: Path):
    (project_dir / "Pulumi.test.yaml").write_text(stack("""\
        support-bot:
          authentication: true
          cache: {ttl: 60}
          authentication: false
    """))
    proc = aigw("check", "test", cwd=project_dir)
    assert proc.returncode == 2, proc.stderr
    no_traceback(proc)
    assert ("Pulumi.test.yaml:8: aigw:gateways.support-bot.authentication: 'authentication': given twice in one "
            "mapping, on Pulumi.test.yaml:6 and Pulumi.test.yaml:8") in proc.stderr


def test_a_duplicate_key_in_pulumi_yaml_is_refused_too(project_dir: Path):
    (project_dir / "Pulumi.yaml").write_text(MINIMAL_PROJECT + "name: other\n")
    proc = aigw("plan", "good", cwd=project_dir)
    assert proc.returncode == 2, proc.stderr
    assert "Pulumi.yaml:4: name: 'name': given twice in one mapping, on Pulumi.yaml:1 and Pulumi.yaml:4" in proc.stderr


# --------------------------------------------------------------------------- encodings

def test_a_latin1_byte_is_exit_2_naming_file_and_line(project_dir: Path):
    text = stack("""\
        support-bot:
          cache: {ttl: 60}
    """).replace("support-bot:", "support-bot:  # caf\xe9").encode("latin-1")
    (project_dir / "Pulumi.test.yaml").write_bytes(text)
    for command in ("plan", "check"):
        proc = aigw(command, "test", cwd=project_dir)
        assert proc.returncode == 2, (command, proc.stderr)
        no_traceback(proc)
        assert ("aigw: Pulumi.test.yaml:5: (file): 'not UTF-8': byte 0xe9 at column 24 is not UTF-8 (Latin-1 or "
                "another encoding?): allowed: UTF-8 (save the file as UTF-8)") in proc.stderr.splitlines()


def test_utf16_is_exit_2(project_dir: Path):
    (project_dir / "Pulumi.test.yaml").write_bytes(GOOD.encode("utf-16"))
    proc = aigw("plan", "test", cwd=project_dir)
    assert proc.returncode == 2, proc.stderr
    no_traceback(proc)
    assert ("aigw: Pulumi.test.yaml: (file): 'not UTF-8': UTF-16 or UTF-32 text: allowed: UTF-8 (save the file as "
            "UTF-8)") in proc.stderr.splitlines()


def test_a_utf8_byte_order_mark_is_accepted(project_dir: Path):
    (project_dir / "Pulumi.test.yaml").write_bytes(b"\xef\xbb\xbf" + GOOD.replace("good", "bom").encode())
    proc = aigw("plan", "test", "--format", "json", cwd=project_dir)
    assert proc.returncode == 0, proc.stderr
    assert planned_stacks(proc) == ["test"]


# --------------------------------------------------------------------------- bounds

def billion_laughs() -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [{', '.join([f'*{previous}'] * 9)}]")
    return "config:\n  aigw:accountId: " + ACCOUNT_ID + "\n  aigw:environment: dev\n  aigw:gateways:\n" + \
        textwrap.indent("x:\n  " + "\n  ".join(lines) + "\n", "    ")


def test_a_billion_laughs_stack_is_refused_not_expanded(project_dir: Path):
    (project_dir / "Pulumi.lol.yaml").write_text(billion_laughs())
    proc = aigw("plan", "lol", cwd=project_dir)
    assert proc.returncode == 2, proc.stderr
    no_traceback(proc)
    assert ("aigw: Pulumi.lol.yaml:11: (yaml): 'alias expansion': alias *e expands the document beyond 100,000 "
            "values (a 'billion laughs' file?): allowed: at most 100,000 values after expansion"
            ) in proc.stderr.splitlines()


def test_a_billion_laughs_sibling_neither_hangs_nor_stops_the_other_stacks(project_dir: Path):
    (project_dir / "Pulumi.lol.yaml").write_text(billion_laughs())
    named = aigw("plan", "good", "--format", "json", cwd=project_dir)  # the sibling is read for cross-stack limits
    assert named.returncode == 0, named.stderr
    assert planned_stacks(named) == ["good"]
    every = aigw("plan", "--format", "json", cwd=project_dir)
    assert every.returncode == 2
    no_traceback(every)
    assert planned_stacks(every) == ["good"]
    assert "aigw: Pulumi.lol.yaml:11: (yaml): 'alias expansion'" in every.stderr


def test_a_few_aliases_are_fine(project_dir: Path):
    (project_dir / "Pulumi.test.yaml").write_text(stack("""\
        support-bot:
          cache: &cache {ttl: 60}
        docs-search:
          cache: *cache
    """))
    proc = aigw("plan", "test", "--format", "json", cwd=project_dir)
    assert proc.returncode == 0, proc.stderr


def test_nesting_deeper_than_64_is_refused(project_dir: Path):
    (project_dir / "Pulumi.test.yaml").write_text(stack(extra="aigw:deep: " + "[" * 65 + "]" * 65 + "\n"))
    proc = aigw("plan", "test", cwd=project_dir)
    assert proc.returncode == 2, proc.stderr
    no_traceback(proc)
    assert ("aigw: Pulumi.test.yaml:4: (yaml): 'nesting too deep': nesting deeper than 64 levels: allowed: at "
            "most 64") in proc.stderr.splitlines()


def test_an_integer_beyond_64_bits_is_refused(project_dir: Path):
    (project_dir / "Pulumi.test.yaml").write_text(stack("""\
        support-bot:
          cache: {ttl: 99999999999999999999}
    """))
    proc = aigw("plan", "test", cwd=project_dir)
    assert proc.returncode == 2, proc.stderr
    no_traceback(proc)
    assert ("aigw: Pulumi.test.yaml:6: (yaml): 'integer out of range': integer 99999999999999999999 is out of "
            "range: allowed: -2**63..2**63-1 (64-bit)") in proc.stderr.splitlines()


def test_an_integer_of_5000_digits_is_refused_without_a_traceback(project_dir: Path):
    (project_dir / "Pulumi.test.yaml").write_text(stack(f"""\
        support-bot:
          cache: {{ttl: {"9" * 5000}}}
    """))
    proc = aigw("plan", "test", cwd=project_dir)
    assert proc.returncode == 2, proc.stderr
    no_traceback(proc)
    assert "integer 99999999999999999999...(5000 characters) is out of range" in proc.stderr


def test_a_file_over_4_mib_is_refused(project_dir: Path):
    (project_dir / "Pulumi.test.yaml").write_text(GOOD + "# " + "x" * (4 * 1024 * 1024) + "\n")
    proc = aigw("plan", "test", cwd=project_dir)
    assert proc.returncode == 2, proc.stderr
    assert ("aigw: Pulumi.test.yaml: (file): 'file too large': larger than 4 MiB: allowed: at most 4,194,304 bytes"
            ) in proc.stderr.splitlines()


# --------------------------------------------------------------------------- files that are not files

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_beside_the_stacks_is_never_opened(project_dir: Path):
    os.mkfifo(project_dir / "Pulumi.pipe.yaml")
    named = aigw("plan", "good", "--format", "json", cwd=project_dir)
    assert named.returncode == 0, named.stderr
    assert planned_stacks(named) == ["good"]
    for command in (["plan", "--format", "json"], ["check", "--format", "json"]):
        proc = aigw(*command, cwd=project_dir)
        assert proc.returncode == 2, proc.stderr
        no_traceback(proc)
        assert ("aigw: Pulumi.pipe.yaml: (file): 'not a regular file': a FIFO (named pipe), not a regular file: "
                "never opened; allowed: a regular file") in proc.stderr.splitlines()
        assert "Pulumi.good.yaml" in proc.stdout or '"good"' in proc.stdout, proc.stdout
        assert "pipe" not in proc.stdout
    explicit = aigw("plan", "pipe", cwd=project_dir)
    assert explicit.returncode == 2
    assert "a FIFO (named pipe), not a regular file: never opened" in explicit.stderr


def test_a_symlink_loop_is_named_without_a_traceback(project_dir: Path):
    os.symlink("Pulumi.loop.yaml", project_dir / "Pulumi.loop.yaml")
    proc = aigw("plan", "--format", "json", cwd=project_dir)
    assert proc.returncode == 2, proc.stderr
    no_traceback(proc)
    assert ("aigw: Pulumi.loop.yaml: (file): 'not a regular file': a symlink loop (too many levels of symbolic "
            "links): allowed: a regular file") in proc.stderr.splitlines()
    assert planned_stacks(proc) == ["good"]
    named = aigw("plan", "good", cwd=project_dir)
    assert named.returncode == 0, named.stderr


def test_a_symlink_to_a_regular_stack_file_is_read(project_dir: Path):
    os.symlink("Pulumi.good.yaml", project_dir / "Pulumi.alias.yaml")
    proc = aigw("plan", "alias", "--format", "json", cwd=project_dir)
    assert proc.returncode == 0, proc.stderr


# --------------------------------------------------------------------------- one bad sibling

def test_a_broken_sibling_is_its_own_error_and_the_others_are_planned(project_dir: Path):
    (project_dir / "Pulumi.bad.yaml").write_text(stack("""\
        support-bot:
          retry: {maxAttempts: 10}
    """))
    proc = aigw("plan", "--format", "json", cwd=project_dir)
    assert proc.returncode == 2, proc.stderr
    no_traceback(proc)
    assert planned_stacks(proc) == ["good"]
    assert "aigw: Pulumi.bad.yaml:6: aigw:gateways.support-bot.retry.maxAttempts: 10: allowed: 1..5" in proc.stderr
    check = aigw("check", "--format", "json", cwd=project_dir)
    assert check.returncode == 2, check.stderr
    assert "aigw: Pulumi.bad.yaml:6: aigw:gateways.support-bot.retry.maxAttempts" in check.stderr
    assert "good" in check.stdout
    table = aigw("plan", cwd=project_dir)
    assert table.returncode == 2
    assert "good-docs-search" in table.stdout


def test_a_latin1_sibling_does_not_stop_a_named_stack(project_dir: Path):
    (project_dir / "Pulumi.bad.yaml").write_bytes(GOOD.replace("docs-search:", "docs-search: # \xe9").encode("latin-1"))
    proc = aigw("check", "good", cwd=project_dir)
    assert proc.returncode == 0, proc.stderr
    no_traceback(proc)


# --------------------------------------------------------------------------- the top-level handler

def _crashing(monkeypatch) -> None:
    import aigw.plan

    def boom(*_args, **_kwargs):
        raise RuntimeError("an unforeseen state")

    monkeypatch.setattr(aigw.plan, "plan_targets", boom, raising=False)
    monkeypatch.setattr(aigw.plan, "run_plans", boom)


def test_an_unexpected_exception_is_exit_4_this_is_a_bug_without_a_traceback(monkeypatch, project_dir: Path):
    from aigw.cli import main

    monkeypatch.chdir(project_dir)
    monkeypatch.delenv("AIGW_DEBUG", raising=False)
    _crashing(monkeypatch)
    result = CliRunner().invoke(main, ["plan", "good"])
    assert result.exit_code == 4, result.output
    assert "Traceback" not in result.output
    (line,) = [x for x in result.output.splitlines() if x.startswith("aigw: internal error")]
    assert line.startswith("aigw: internal error (RuntimeError")
    assert "this is a bug" in line and "AIGW_DEBUG=1" in line


def test_aigw_debug_1_shows_the_traceback(monkeypatch, project_dir: Path):
    from aigw.cli import main

    monkeypatch.chdir(project_dir)
    monkeypatch.setenv("AIGW_DEBUG", "1")
    _crashing(monkeypatch)
    result = CliRunner().invoke(main, ["plan", "good"])
    assert isinstance(result.exception, RuntimeError)  # re-raised: Python prints the traceback


def test_exit_codes_are_named_in_one_module():
    from aigw import exits

    assert (exits.OK, exits.FINDINGS, exits.INVALID, exits.API, exits.BUG) == (0, 1, 2, 3, 4)


def _failing_runner(monkeypatch) -> None:
    """The plan subprocess of one stack dies the way a bug in the program would (a traceback, exit 1)."""
    import aigw.plan

    real = subprocess.run

    def run(cmd, *args, **kwargs):
        if "aigw.plan.runner" in cmd and str(cmd[-1]).endswith("Pulumi.bad.yaml"):
            return subprocess.CompletedProcess(cmd, 1, "", 'Traceback (most recent call last):\n  File "x.py", '
                                               'line 1, in <module>\nZeroDivisionError: division by zero\n')
        return real(cmd, *args, **kwargs)

    monkeypatch.setattr(aigw.plan.subprocess, "run", run)
    # The per-stack process this replaces is the real spawn path, not the suite's plan server.
    monkeypatch.delenv("AIGW_PLAN_SERVER", raising=False)


def test_a_program_failure_is_exit_4_one_line_and_the_other_stacks_still_shown(monkeypatch, project_dir: Path):
    from aigw.cli import main

    (project_dir / "Pulumi.bad.yaml").write_text(GOOD.replace("good", "bad"))
    monkeypatch.chdir(project_dir)
    monkeypatch.delenv("AIGW_DEBUG", raising=False)
    _failing_runner(monkeypatch)
    result = CliRunner().invoke(main, ["plan", "--format", "json"])
    assert result.exit_code == 4, result.output
    assert "Traceback" not in result.output
    assert ("aigw: Pulumi.bad.yaml: internal error while planning stack 'bad': ZeroDivisionError: division by "
            "zero: this is a bug, please report it (AIGW_DEBUG=1 shows the traceback)") in result.output
    assert '"stack": "good"' in result.output
    monkeypatch.setenv("AIGW_DEBUG", "1")
    debug = CliRunner().invoke(main, ["plan", "--format", "json"])
    assert debug.exit_code == 4
    assert "Traceback (most recent call last):" in debug.output
