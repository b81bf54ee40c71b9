"""The `mentor-api` command line, run as an operator would, in its own process."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from app.cli import SCHEMA_PATH, export_schema_sdl
from core.settings import ConfigurationError, Settings

STAFF_PASSWORD = "violet kangaroos whistle at dawn"


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import sys; from app.cli import main; main(sys.argv[1:])", *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_create_staff_makes_a_verified_staff_user_with_the_permissions(tmp_path: Path) -> None:
    database = tmp_path / "staff.sqlite3"
    env = {
        "DATABASE_URL": f"sqlite://{database}",
        "MENTOR_DATA_DIR": str(tmp_path),
        "MENTOR_ENV": "development",
        "MENTOR_STAFF_PASSWORD": STAFF_PASSWORD,
        "PYTHONPATH": str(SCHEMA_PATH.parent),
    }
    env.pop("REDIS_URL", None)
    result = run_cli(
        "create-staff",
        "Root@Example.com",
        "--permission",
        "VIEW_PII",
        "--permission",
        "SECURITY",
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "holds VIEW_PII, SECURITY" in result.stdout

    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT email, email_verified, staff_permissions, password_hash FROM users"
        ).fetchall()
        granted = connection.execute(
            "SELECT actor_id, detail FROM audit_log WHERE action = 'STAFF_PERMISSION_GRANTED'"
        ).fetchall()
    [(email, verified, permissions, password_hash)] = rows
    assert (email, verified) == ("root@example.com", 1)
    assert json.loads(permissions) == ["SECURITY", "VIEW_PII"]
    assert PasswordHasher().verify(password_hash, STAFF_PASSWORD)
    assert STAFF_PASSWORD not in result.stdout + result.stderr
    # Granted by nobody the API knows, from the server's shell: audited all the same.
    assert sorted((actor, json.loads(detail)["permission"]) for actor, detail in granted) == [
        (None, "SECURITY"),
        (None, "VIEW_PII"),
    ]


def test_export_schema_writes_the_sdl(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"
    result = run_cli(
        "export-schema",
        "--output",
        str(target),
        env={"PYTHONPATH": str(SCHEMA_PATH.parent)},
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert target.read_text() == export_schema_sdl()


def test_seed_demo_refuses_a_production_database(tmp_path: Path) -> None:
    database = tmp_path / "production.sqlite3"
    env = {
        "DATABASE_URL": f"sqlite://{database}",
        "SECRET_KEY": "a-production-secret",
        "MENTOR_ENV": "production",
        "MENTOR_DATA_DIR": str(tmp_path),
        "PYTHONPATH": str(SCHEMA_PATH.parent),
    }
    env.pop("REDIS_URL", None)
    seeded = run_cli("seed-demo", env=env, cwd=SCHEMA_PATH.parent)
    assert seeded.returncode != 0
    assert "development databases only" in seeded.stderr
    assert not database.exists()


def test_an_empty_database_url_means_the_embedded_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.delenv("MENTOR_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("MENTOR_DATA_DIR", str(tmp_path))
    settings = Settings.from_env()
    assert settings.development
    assert settings.database_url == f"sqlite://{tmp_path / 'mentor.sqlite3'}"


def test_trusted_proxies_are_read_as_networks_and_nonsense_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("MENTOR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7")
    assert [str(n) for n in Settings.from_env().trusted_proxies] == ["10.0.0.0/8", "192.0.2.7/32"]
    monkeypatch.setenv("TRUSTED_PROXIES", "the load balancer")
    with pytest.raises(ConfigurationError, match="TRUSTED_PROXIES"):
        Settings.from_env()


@pytest.mark.parametrize(
    ("value", "secure"), [("0", False), ("false", False), ("No", False), ("1", True), ("yes", True)]
)
def test_the_session_cookie_is_secure_unless_said_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, secure: bool
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("MENTOR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COOKIE_SECURE", value)
    assert Settings.from_env().cookie_secure is secure


def test_third_party_login_providers_are_read_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("MENTOR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GITHUB_CLIENT_ID", "gh-id")
    monkeypatch.setenv("GITHUB_CLIENT_SECRET", "gh-secret")
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("GOOGLE_CLIENT_ID", "only-an-id")  # no secret: not offered
    monkeypatch.setenv("OIDC_PROVIDERS", "acme")
    monkeypatch.setenv("OIDC_ACME_ISSUER", "https://id.acme.example/")
    monkeypatch.setenv("OIDC_ACME_CLIENT_ID", "acme-id")
    monkeypatch.setenv("OIDC_ACME_CLIENT_SECRET", "acme-secret")
    github, acme = Settings.from_env().social_providers
    assert (github.name, github.backend, github.client_id) == ("github", "github", "gh-id")
    assert github.endpoints == (("API_URL", "http://127.0.0.1:9/"),)
    assert (acme.name, acme.backend, acme.issuer) == (
        "acme",
        "openid-connect",
        "https://id.acme.example",
    )
    monkeypatch.delenv("OIDC_ACME_ISSUER")
    with pytest.raises(ConfigurationError, match="OIDC_ACME_ISSUER"):
        Settings.from_env()
    monkeypatch.setenv("OIDC_PROVIDERS", "Not A Name")
    with pytest.raises(ConfigurationError, match="OIDC_PROVIDERS"):
        Settings.from_env()


def test_a_sqlite_database_url_alone_is_the_embedded_default_in_development(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{tmp_path / 'mine.sqlite3'}")
    monkeypatch.delenv("MENTOR_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("MENTOR_DATA_DIR", str(tmp_path))
    settings = Settings.from_env()
    assert settings.development
    assert settings.database_url == f"sqlite://{tmp_path / 'mine.sqlite3'}"
    monkeypatch.setenv("MENTOR_ENV", "production")
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        Settings.from_env()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DATABASE_URL": "postgres://postgres@127.0.0.1:9/mentor"},
            "mentor-api: SECRET_KEY must be set in production (MENTOR_ENV=production, or a "
            "DATABASE_URL naming a database server); for a local server, set "
            "MENTOR_ENV=development",
        ),
        (
            {"MENTOR_ENV": "staging"},
            "mentor-api: MENTOR_ENV must be development or production, not 'staging'",
        ),
        (
            {"WEB_APP_URL": "app.example"},
            "mentor-api: WEB_APP_URL must be an http:// or https:// URL, not 'app.example'",
        ),
    ],
)
def test_missing_or_wrong_settings_stop_serve_with_one_line_and_status_2(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    base = {"MENTOR_DATA_DIR": str(tmp_path), "PYTHONPATH": str(SCHEMA_PATH.parent)}
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "MENTOR_ENV"}}
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from app.cli import main; main(sys.argv[1:])", "serve"],
        env={**environment, **base, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message + "\n")
