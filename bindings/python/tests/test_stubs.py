"""The type stubs match the runtime (mypy.stubtest) and type-check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import python_env

HERE = Path(__file__).resolve().parent


def test_stubtest() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "remotedev"],
        capture_output=True, text=True, timeout=300, env=python_env(), cwd=HERE,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_package_is_typed_and_examples_type_check() -> None:
    import remotedev

    pkg = Path(remotedev.__file__).parent
    assert (pkg / "py.typed").is_file() and (pkg / "_remotedev.pyi").is_file()
    for target in (["-p", "remotedev"], [str(HERE.parent / "examples")]):
        r = subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *target],
            capture_output=True, text=True, timeout=300, env=python_env(), cwd=HERE,
        )
        assert r.returncode == 0, r.stdout + r.stderr
