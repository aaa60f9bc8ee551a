"""Running the real `aigw` command line in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AIGW = str(Path(sys.executable).parent / "aigw")


def aigw(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``env``: variables added to (or replacing) the test's own environment. Through the suite's plan server
    when the test has one (helpers.plan_server.run_aigw)."""
    from .plan_server import run_aigw

    return run_aigw(list(args), cwd, {**os.environ, **env} if env else None)


def copy_project_file(directory: Path) -> Path:
    """The repo's Pulumi.yaml (`main: infra/`, the org defaults) and its one-line program infra/__main__.py into
    ``directory``, as `aigw init` writes a project: without the program, plan and check warn that `pulumi up`
    would run none (aigw/config.py missing_program_warning). Returns the Pulumi.yaml written."""
    import shutil

    (directory / "infra").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "infra" / "__main__.py", directory / "infra" / "__main__.py")
    return Path(shutil.copy(ROOT / "Pulumi.yaml", directory / "Pulumi.yaml"))
