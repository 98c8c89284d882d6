"""Supply chain checks for CI: bandit over our code, pip-audit over the pinned dependencies.

bandit must find nothing: each accepted finding is marked `# nosec BXXX (reason)` on its own line, so the
reason sits next to the code. pip-audit must find no known vulnerability, except those listed in
KNOWN_VULNERABILITIES with the reason they do not apply. When the vulnerability service cannot be reached
(a sandbox without the PyPI JSON API), pip-audit audits nothing: this script says so plainly instead of
printing "no known vulnerabilities", and does not fail the build for what it could not check.
"""

import json
import subprocess  # runs our own tools with fixed arguments  # nosec B404
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

# {vulnerability id: why it does not apply}; empty today.
KNOWN_VULNERABILITIES: dict[str, str] = {}


def run_bandit() -> bool:
    command = [str(VENV_BIN / "bandit"), "-q", "-c", "pyproject.toml", "-r", "."]
    result = subprocess.run(command, cwd=ROOT, check=False)  # noqa: S603  # nosec B603
    print("bandit:", "no finding" if result.returncode == 0 else "findings above")
    return result.returncode == 0


def run_pip_audit() -> bool:
    with tempfile.TemporaryDirectory() as folder:
        report_path = Path(folder) / "pip-audit.json"
        command = [
            str(VENV_BIN / "pip-audit"),
            "--requirement",
            "constraints.txt",
            "--no-deps",
            "--disable-pip",
            "--progress-spinner",
            "off",
            "--format",
            "json",
            "--output",
            str(report_path),
        ]
        for vulnerability_id in KNOWN_VULNERABILITIES:
            command += ["--ignore-vuln", vulnerability_id]
        result = subprocess.run(command, cwd=ROOT, check=False, capture_output=True, text=True)  # noqa: S603  # nosec B603
        if not report_path.exists():
            print("pip-audit failed to run:", result.stderr[-2000:])
            return False
        report = json.loads(report_path.read_text())
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    for dependency in vulnerable:
        for vulnerability in dependency["vulns"]:
            fixes = ", ".join(vulnerability.get("fix_versions", [])) or "no fixed release"
            print(f"pip-audit: {dependency['name']} {dependency['version']}: {vulnerability['id']} (fixed in {fixes})")
    if not audited:
        print(
            f"pip-audit: NOT AUDITED: the vulnerability service answered for none of the {len(dependencies)} "
            "pinned dependencies (no access to its database from this machine)."
        )
        return True
    print(f"pip-audit: {len(audited)} of {len(dependencies)} dependencies audited, {len(vulnerable)} vulnerable")
    return not vulnerable


if __name__ == "__main__":
    bandit_clean = run_bandit()
    dependencies_clean = run_pip_audit()
    sys.exit(0 if bandit_clean and dependencies_clean else 1)
