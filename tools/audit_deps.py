"""Audit the pinned dependencies (requirements.lock) for known vulnerabilities with pip-audit.

Fails (exit 1) when a pinned version has a known vulnerability. When the vulnerability
service cannot be reached (no network, a package mirror that does not serve PyPI's JSON
API, OSV unreachable), it says so plainly, lists what was not audited, and does not fail
for that reason alone: an offline CI must still be able to land. See docs/security.md.

    python3 tools/audit_deps.py [--service pypi|osv] [--lock requirements.lock]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import venv
from pathlib import Path

PIP_AUDIT = "pip-audit==2.10.1"
ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-audit"


def _pip_audit() -> Path | None:
    """pip-audit in a venv of its own, so that its dependencies never mix with Souk's."""
    given = os.environ.get("SOUK_PIP_AUDIT")  # another pip-audit (the tests' stand-in)
    binary = Path(given) if given else VENV / "bin" / "pip-audit"
    if binary.exists():
        return binary
    venv.create(VENV, with_pip=True)
    done = subprocess.run(
        [str(VENV / "bin" / "pip"), "install", "--quiet", PIP_AUDIT], capture_output=True, text=True
    )
    if done.returncode != 0:
        print(f"audit: could not install {PIP_AUDIT}: {done.stderr.strip()[-300:]}")
        return None
    return binary


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--service", default="pypi", choices=["pypi", "osv"])
    parser.add_argument("--lock", default=str(ROOT / "requirements.lock"))
    args = parser.parse_args()
    binary = _pip_audit()
    if binary is None:
        print("audit: NOT RUN — pip-audit is not installable here (offline?); not failing")
        return 0
    # --no-deps --disable-pip: the lock pins every package already; nothing is installed.
    command = [str(binary), "--disable-pip", "--no-deps", "-r", args.lock, "-s", args.service,
               "-f", "json", "--progress-spinner", "off"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"audit: NOT RUN — the {args.service} vulnerability service is unreachable "
              f"({last[:200]}); not failing for that alone")  # fmt: skip
        return 0
    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = [d for d in dependencies if not d.get("skip_reason")]
    vulnerable = [d for d in audited if d.get("vulns")]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            print(f"audit: {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
    if vulnerable:
        print(f"audit: FAILED — {len(vulnerable)} pinned package(s) with known vulnerabilities")
        return 1
    if not audited:
        print(f"audit: NOT RUN — the {args.service} service answered for none of the "
              f"{len(dependencies)} pinned packages (a mirror without PyPI's JSON API, or "
              "offline); nothing was audited; not failing for that alone")  # fmt: skip
        return 0
    print(f"audit: OK — {len(audited)} pinned packages audited, no known vulnerability")
    if skipped:
        names = ", ".join(d["name"] for d in skipped)
        print(f"audit: {len(skipped)} not audited (unknown to {args.service}): {names}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
