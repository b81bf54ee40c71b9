"""The trusted documents as a client build and an operator meet them: `mentor-api documents`
lists every document of graphql/ by the SHA-256 of its text, and a server whose documents do
not fit its schema does not start."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.server import create_app
from core.settings import Settings
from services.documents import DOCUMENTS_DIR, DocumentError

ROOT = DOCUMENTS_DIR.parent


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def expected_listing() -> list[tuple[str, str, str]]:
    """Each document's hash, operation type and name, worked out here from the files."""
    rows = []
    for path in sorted(DOCUMENTS_DIR.glob("*.graphql")):
        text = path.read_text()
        operation = next(
            word for word in ("query", "mutation", "subscription") if f"\n{word} " in f"\n{text}"
        )
        rows.append((hashlib.sha256(text.encode()).hexdigest(), operation, path.stem))
    return rows


def test_documents_lists_every_hash_type_and_name() -> None:
    listed = run_cli("documents")
    assert listed.returncode == 0, listed.stderr
    rows = [tuple(line.split()) for line in listed.stdout.splitlines()]
    assert rows == expected_listing()
    assert len(rows) > 90


def test_documents_json_is_the_persisted_query_manifest_client_builds_read() -> None:
    listed = run_cli("documents", "--json")
    assert listed.returncode == 0, listed.stderr
    manifest = json.loads(listed.stdout)
    assert (manifest["format"], manifest["version"]) == ("apollo-persisted-query-manifest", 1)
    operations = manifest["operations"]
    assert [(op["id"], op["type"], op["name"]) for op in operations] == expected_listing()
    for op in operations:
        assert op["body"] == (DOCUMENTS_DIR / f"{op['name']}.graphql").read_text()


def test_documents_reads_another_folder(tmp_path: Path) -> None:
    (tmp_path / "Hello.graphql").write_text("query Hello { __typename }\n")
    listed = run_cli("documents", "--dir", str(tmp_path))
    digest = hashlib.sha256(b"query Hello { __typename }\n").hexdigest()
    assert (listed.returncode, listed.stdout.split()) == (0, [digest, "query", "Hello"])


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("Stale", "query Stale { noLongerThere }\n", "Stale.graphql does not fit the schema"),
        ("Named", "query Other { __typename }\n", "Named.graphql holds Other, not Named"),
        ("Two", "query Two { __typename }\nquery Three { __typename }\n", "exactly one"),
        ("Broken", "query Broken {\n", "Broken.graphql: Syntax Error"),
    ],
)
def test_a_document_that_does_not_fit_stops_the_server_from_starting(
    settings: Settings, tmp_path: Path, name: str, text: str, message: str
) -> None:
    (tmp_path / f"{name}.graphql").write_text(text)
    with pytest.raises(DocumentError, match=message):
        create_app(settings.with_overrides(trusted_documents_dir=tmp_path))


def test_trusted_documents_only_without_documents_stops_the_server(
    settings: Settings, tmp_path: Path
) -> None:
    changed = settings.with_overrides(trusted_documents_dir=tmp_path, trusted_documents_only=True)
    with pytest.raises(DocumentError, match="holds no documents"):
        create_app(changed)


def test_serve_with_a_stale_document_stops_with_one_line_and_status_2(tmp_path: Path) -> None:
    (tmp_path / "Stale.graphql").write_text("query Stale { noLongerThere }\n")
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL"}}
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--port", "1"],
        env={
            **environment,
            "PYTHONPATH": str(ROOT),
            "MENTOR_DATA_DIR": str(tmp_path),
            "MENTOR_ENV": "development",
            "TRUSTED_DOCUMENTS_DIR": str(tmp_path),
        },
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("mentor-api: Stale.graphql does not fit the schema: ")
    assert result.stderr.count("\n") == 1


def test_the_setting_is_read_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("MENTOR_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TRUSTED_DOCUMENTS_ONLY", raising=False)
    assert Settings.from_env().trusted_documents_only is False
    for value, on in (("1", True), ("yes", True), ("0", False), ("off", False), ("", False)):
        monkeypatch.setenv("TRUSTED_DOCUMENTS_ONLY", value)
        assert Settings.from_env().trusted_documents_only is on
