"""Running the real `aigw` command line in a subprocess, as a user would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AIGW = str(Path(sys.executable).parent / "aigw")


def aigw(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([AIGW, *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=300)
