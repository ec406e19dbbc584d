"""The ``yrdmon`` console script, run as a user runs it (a subprocess with YRDMON_* settings)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

YRDMON = [sys.executable, "-m", "service.cli"]


def run(
    args: list[str], env: dict[str, str], cwd: Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **env}
    result = subprocess.run(YRDMON + args, env=full_env, cwd=cwd, capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"yrdmon {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result
