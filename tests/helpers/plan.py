"""Running the real `aigw` command line in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AIGW = str(Path(sys.executable).parent / "aigw")


def aigw(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``env``: variables added to (or replacing) the test's own environment."""
    return subprocess.run([AIGW, *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=300,
                          env={**os.environ, **env} if env else None)
