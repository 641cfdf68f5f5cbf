"""tools/audit_deps.py, the CI step over requirements.lock: fails on a known vulnerability,
passes and says so plainly when the vulnerability service cannot be reached. pip-audit is
replaced by a stand-in that prints what the real one would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[2] / "tools" / "audit_deps.py"


def _run(tmp_path: Path, stdout: str, code: int = 0) -> tuple[int, str]:
    fake = tmp_path / "pip-audit"
    fake.write_text(f"#!/bin/sh\ncat <<'JSON'\n{stdout}\nJSON\nexit {code}\n")
    fake.chmod(0o755)
    env = {**os.environ, "SOUK_PIP_AUDIT": str(fake)}
    done = subprocess.run(
        [sys.executable, str(TOOL)], capture_output=True, text=True, env=env, timeout=60
    )
    return done.returncode, done.stdout


@pytest.mark.parametrize(
    ("report", "code", "exit_code", "says"),
    [
        (
            {"dependencies": [
                {"name": "jinja2", "version": "2.10", "vulns": [
                    {"id": "PYSEC-2019-217", "fix_versions": ["2.10.1"]}]},
                {"name": "rich", "version": "15.0.0", "vulns": []},
            ]},
            1, 1, "audit: jinja2 2.10: PYSEC-2019-217 (fixed in 2.10.1)",
        ),
        (
            {"dependencies": [{"name": "rich", "version": "15.0.0", "vulns": []}]},
            0, 0, "audit: OK — 1 pinned packages audited",
        ),
        (
            {"dependencies": [{"name": "rich", "skip_reason": "Dependency not found on PyPI"}]},
            0, 0, "audit: NOT RUN — the pypi service answered for none of the 1",
        ),
    ],
    ids=["vulnerable", "clean", "mirror-without-json-api"],
)  # fmt: skip
def test_the_audit_step_fails_only_on_a_known_vulnerability(
    tmp_path: Path, report: dict[str, object], code: int, exit_code: int, says: str
) -> None:
    returned, out = _run(tmp_path, json.dumps(report), code)
    assert returned == exit_code, out
    assert says in out


def test_an_unreachable_service_is_said_plainly_and_does_not_fail(tmp_path: Path) -> None:
    returned, out = _run(tmp_path, "Traceback ... ConnectionError", 1)
    assert returned == 0
    assert "audit: NOT RUN — the pypi vulnerability service is unreachable" in out
