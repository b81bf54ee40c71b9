"""`python3 dev.py`, the first command a newcomer runs: what it says while it installs, and
what it says when the test run lacks a server."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import os
import socket
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fresh_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv of its own, so nothing is installed into the suite's."""
    folder = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(folder)
    return folder / "bin" / "python"


def a_wheel(folder: Path) -> Path:
    """A real, tiny wheel, so the install needs no network."""
    files = {
        "tiny/__init__.py": b"VALUE = 1\n",
        "tiny-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: tiny\nVersion: 1.0\n",
        "tiny-1.0.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = ""
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += f"{name},sha256={digest},{len(data)}\n"
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / "tiny-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr("tiny-1.0.dist-info/RECORD", record + "tiny-1.0.dist-info/RECORD,,\n")
    return wheel


@pytest.fixture
def a_machine_with_a_local_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pip configured like this machine: an index that lacks the package (pip warns once per
    package and index), and the package among local wheels."""
    a_wheel(tmp_path / "wheels")
    monkeypatch.setenv("PIP_INDEX_URL", f"file://{tmp_path / 'local-index'}")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "wheels"))


@pytest.mark.usefixtures("a_machine_with_a_local_index")
def test_an_install_says_what_it_fetches_and_not_which_index_lacked_it(
    dev: ModuleType, fresh_python: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    dev.pip_install(fresh_python, "installing tiny", "tiny")

    out, err = capfd.readouterr()
    assert out.splitlines() == [
        "  installing tiny",
        "    fetching tiny",
        "    installing 1 package",
    ]
    assert err == ""
    imported = subprocess.run(
        [fresh_python, "-c", "import tiny; print(tiny.VALUE)"],
        text=True,
        capture_output=True,
        check=True,
    )
    assert imported.stdout == "1\n"


@pytest.mark.usefixtures("a_machine_with_a_local_index")
def test_a_failed_install_shows_pips_error_and_stops(
    dev: ModuleType, fresh_python: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        dev.pip_install(fresh_python, "installing a package nobody has", "no-such-package-x")

    out, err = capfd.readouterr()
    assert str(stopped.value) == "dev.py: pip failed while installing a package nobody has (exit 1)"
    assert "ERROR: No matching distribution found for no-such-package-x" in out.splitlines()
    assert "is ignored" not in out + err


def test_setup_names_what_it_installs(dev: ModuleType) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    summary = dev.install_summary()
    assert summary.startswith(
        f"installing mentor-api with its {len(project['dependencies'])} dependencies "
        "(strawberry-graphql, aiohttp, tortoise-orm, "
    )
    assert f"and {len(project['optional-dependencies']['test'])} test tools (pytest, " in summary


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("variable", "url", "named"),
    [
        ("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:{port}/postgres", "PostgreSQL"),
        ("TEST_REDIS_URL", "redis://127.0.0.1:{port}/0", "Redis"),
    ],
)
def test_dev_test_names_the_server_it_misses_in_one_line(
    variable: str, url: str, named: str
) -> None:
    port = _closed_port()
    scheme = url.split(":")[0]
    env = {**os.environ, variable: url.format(port=port)}
    result = subprocess.run(
        [sys.executable, str(ROOT / "dev.py"), "test", "--backend", "postgres"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        f"dev.py: {named} does not answer at {scheme}://127.0.0.1:{port} ({variable}; "
        "Connection refused): start it, or run `python3 dev.py test --backend embedded`, which "
        "needs neither PostgreSQL nor Redis\n",
    )
