"""The base revision's plans: its own program and config, from a temporary git worktree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class GitError(Exception):
    """The base revision cannot be read (exit 2: the message says why)."""


@dataclass
class BaseStack:
    plan: dict[str, Any] | None  # None: the stack does not exist at the base (or could not be planned)
    text: str | None  # the base stack file, for its secrets' ciphertext
    note: str | None = None


@dataclass
class Base:
    commit: str
    stacks: dict[str, BaseStack] = field(default_factory=dict)
    has_project: bool = True
    # The policy config at the base, at the path --policy-config names in the working tree:
    # "same" (no --policy-config, or a file outside the project: both sides judged with it),
    # "missing" (the base has no such file: default levels), else the file's text.
    policy_config: str = "same"


def _git(args: list[str], cwd: Path) -> str:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed (aigw diff reads the base revision with git)") from None
    if proc.returncode != 0:
        raise GitError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"git {' '.join(args)} failed")
    return proc.stdout.strip()


@contextmanager
def worktree(ref: str, project_dir: Path) -> Iterator[tuple[str, Path]]:
    """(commit, path of the project inside a temporary worktree of ``ref``); removed afterwards."""
    try:
        root = Path(_git(["rev-parse", "--show-toplevel"], project_dir))
    except GitError:
        raise GitError(f"{project_dir}: not in a git repository (aigw diff compares with a git revision)") from None
    try:
        commit = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    except GitError:
        raise GitError(f"--base {ref}: not a commit in {root} (fetch it first: `git fetch origin <branch>`)") from None
    rel = project_dir.resolve().relative_to(root.resolve())
    tmp = Path(tempfile.mkdtemp(prefix="aigw-base-"))
    tree = tmp / "tree"
    try:
        _git(["worktree", "add", "--detach", "--quiet", str(tree), commit], root)
        try:
            yield commit, tree / rel
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=root, capture_output=True,
                           check=False)
            subprocess.run(["git", "worktree", "prune"], cwd=root, capture_output=True, check=False)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _files(directory: Path) -> dict[Path, Path]:
    return {p.relative_to(directory): p for p in directory.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


def same_program(project: Path) -> bool:
    """Whether the base's program and rules (``aigw/``, ``policy/aigw_policy/``) are, file for file and byte
    for byte, the installed ones: then the installed runner (or the plan server, AIGW_PLAN_SERVER) plans the
    base exactly as its own copy would, without a Python process of its own."""
    import aigw
    import aigw_policy

    for base_dir, own_dir in ((project / "aigw", Path(aigw.__file__).parent),
                              (project / "policy" / "aigw_policy", Path(aigw_policy.__file__).parent)):
        if not base_dir.is_dir():
            return False
        base_files, own_files = _files(base_dir), _files(own_dir)
        if set(base_files) != set(own_files):
            return False
        if any(base_files[f].read_bytes() != own_files[f].read_bytes() for f in base_files):
            return False
    return True


# The base's own offline plan, by layout: this package (aigw/), or the layout before it was renamed (infra/).
_OWN_RUNNERS = (("aigw", "aigw.plan.runner"), ("infra", "infra.plan.runner"))


def own_runner(project: Path) -> str | None:
    """The module of the base's own offline plan (``python -m MODULE``), or None when the base has no
    program of its own (a project that runs the installed aigw program from its `__main__.py`)."""
    return next((module for folder, module in _OWN_RUNNERS
                 if (project / folder / "plan" / "runner.py").is_file()), None)


def _installed_module_as(plan: dict[str, Any], base_program: Path, head_program: Path) -> None:
    """A base without a program of its own, planned with the installed one, uploads the installed package's
    edge Worker module, by a path from the base worktree's program directory (a temporary directory).
    Rewritten to the path from the working tree's program directory: where the base is deployed from."""
    from ..spec import EDGE_MODULE

    for resource in plan.get("resources", []):
        props = resource.get("props") or {}
        file = props.get("contentFile")
        if isinstance(file, str) and (base_program / file).resolve() == EDGE_MODULE:
            props["contentFile"] = Path(os.path.relpath(EDGE_MODULE, head_program)).as_posix()


def _plan_base(project: Path, path: Path, same: bool = False, head_project: Path | None = None) -> BaseStack:
    """One base stack's plan. ``same``: the base's program is the installed one (:func:`same_program`);
    ``head_project``: the working tree's project, for a base without a program of its own."""
    from ..config import program_dir

    text = path.read_text()
    module = None if same else own_runner(project)
    if module is None:
        from ..plan import _run_runner

        proc = _run_runner([str(path)], cwd=project)
    else:
        env = {**os.environ, "PYTHONWARNINGS": "ignore",
               # The base's own program and rules, ahead of the installed (head) ones.
               "PYTHONPATH": os.pathsep.join([str(project), str(project / "policy")])}
        proc = subprocess.run([sys.executable, "-m", module, str(path)], cwd=project, env=env,
                              capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        try:
            reason = json.loads(proc.stdout)["problems"][0]
        except (ValueError, KeyError, IndexError, TypeError):
            lines = proc.stderr.strip().splitlines()
            reason = lines[-1] if lines else f"exit status {proc.returncode}"
        return BaseStack(None, text, f"the base revision of this stack could not be planned ({reason}); "
                                     "compared as if it did not exist")
    plan = json.loads(proc.stdout)
    if module is None and not same and head_project is not None:
        _installed_module_as(plan, program_dir(project), program_dir(head_project))
    return BaseStack(plan, text)


def config_in_project(policy_config: Path | None, project_dir: Path) -> Path | None:
    """The policy config's path relative to the project, when it is a file of the project (else None)."""
    if policy_config is None:
        return None
    try:
        return policy_config.resolve().relative_to(project_dir.resolve())
    except ValueError:
        return None


def _base_config(project: Path, rel: Path | None) -> str:
    if rel is None:
        return "same"
    path = project / rel
    if not path.is_file():
        return "missing"
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError):
        return ""  # not valid JSON: run_diff notes it and judges the base with the default levels


def base_plans(ref: str, project_dir: Path, stacks: list[str] | None, jobs: int | None = None,
               policy_config: Path | None = None) -> Base:
    """Plans of the base revision's stacks (``stacks``: names; None = every stack file at the base), and
    the base's own version of the policy config ``policy_config`` (a path in the working tree)."""
    from ..config import list_stacks, stack_name_of

    rel = config_in_project(policy_config, project_dir)
    with worktree(ref, project_dir) as (commit, project):
        config = _base_config(project, rel)
        if not (project / "Pulumi.yaml").is_file():
            return Base(commit, has_project=False, policy_config=config)
        files = {stack_name_of(p): p for p in list_stacks(project)}
        wanted = {name: files[name] for name in (stacks if stacks is not None else files) if name in files}
        # A base without a program of its own (a project that runs the installed aigw program) is planned
        # with the installed one, as `pulumi up` at that revision would run it with this aigw installed.
        workers = max(1, min(jobs or os.cpu_count() or 1, len(wanted) or 1))
        same = same_program(project)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = dict(zip(wanted, pool.map(lambda p: _plan_base(project, p, same, project_dir),
                                                wanted.values()), strict=True))
        return Base(commit, results, policy_config=config)
