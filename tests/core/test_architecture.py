"""The house plan holds (``lint-imports``, the contracts in ``pyproject.toml``), and the
contracts can fail: a copy of the code with an import that climbs back up is refused."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(where: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(where)}
    return subprocess.run(
        [str(LINT), "--no-cache"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_code_keeps_the_contracts() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_import_that_climbs_back_up_breaks_the_contract(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "niaga", tmp_path / "niaga", ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    clock = tmp_path / "niaga" / "core" / "clock.py"
    clock.write_text(clock.read_text() + "\nfrom niaga.inbox import service as _inbox  # noqa\n")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and "niaga.core.clock -> niaga.inbox" in result.stdout
