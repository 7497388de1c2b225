"""`manage.py check --deploy` passes with production values and warns on the demo defaults."""

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]

# Settings the checks read, cleared so the developer's own environment cannot mask a warning
# (DJANGO_ALLOW_ASYNC_UNSAFE is an error under --deploy).
CLEARED = (
    "SECRET_KEY",
    "DEBUG",
    "SECURE",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def run_deploy_check(**values: str) -> subprocess.CompletedProcess:
    environ = {
        name: value
        for name, value in os.environ.items()
        if name not in CLEARED and not (name.endswith("_FILE") and name[:-5] in CLEARED)
    }
    environ.update(values)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_values() -> dict[str, str]:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return {
        "SECRET_KEY": "".join(secrets.choice(alphabet) for _ in range(60)),
        "DEBUG": "false",
        "SECURE": "true",
        "ALLOWED_HOSTS": "portal.example.cn",
        "CSRF_TRUSTED_ORIGINS": "https://portal.example.cn",
    }


def test_it_passes_the_deploy_check_with_production_values():
    result = run_deploy_check(**production_values())

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output
    assert "System check identified no issues" in output


def test_it_warns_about_the_demo_secret_key():
    values = production_values()
    del values["SECRET_KEY"]

    result = run_deploy_check(**values)

    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "security.W009" in output


def test_it_warns_when_https_is_not_configured():
    values = production_values()
    values["SECURE"] = "false"

    result = run_deploy_check(**values)

    output = result.stdout + result.stderr
    assert result.returncode != 0
    for code in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert code in output
