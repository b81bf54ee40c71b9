#!/usr/bin/env python3
"""Set everything up and run: `python3 dev.py serve` or `python3 dev.py test`.

Needs only Python 3.11+ (and, for the PostgreSQL run of the tests, the PostgreSQL and Redis
servers on 127.0.0.1). Creates `.venv`, installs the project into it when pyproject.toml
changed, then runs the server on the embedded default or the test suite on both backends.
`serve --demo` seeds a demo marketplace and starts a local test stand-in for Stripe beside it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import socket
import subprocess
import sys
import tomllib
import venv
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
BACKENDS = ("postgres", "embedded")


# What the test run needs besides Python, where conftest.py looks for it (the same defaults).
SERVICES = {
    "PostgreSQL": ("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres", 5432),
    "Redis": ("TEST_REDIS_URL", "redis://127.0.0.1:6379/0", 6379),
}

# pip's own lines, read as they come: each package fetched is a progress line of ours, and the
# rest is kept to be shown if pip fails. An extra index that lacks a package (this machine's
# pip configuration names local ones) warns once per package and index: noise, not a problem.
PIP_FETCHING = re.compile(r"(?:Collecting|Processing) (?:\S*/)?([A-Za-z0-9][A-Za-z0-9._-]*)")
PIP_INSTALLING = re.compile(r"Installing collected packages: (.*)")
PIP_NOISE = re.compile(r"WARNING: Location '[^']*' is ignored: ")
PIP_SHOWN = re.compile(r"\s*(ERROR|WARNING)\b")


def pip_install(python: Path, what: str, *requirements: str) -> None:
    """Install with one line per package pip fetches; pip's errors and real warnings stay
    visible, and everything it said is shown when it fails."""
    print(f"  {what}", flush=True)
    command = [str(python), "-m", "pip", "install", "--disable-pip-version-check"]
    command += ["--progress-bar", "off", *requirements]
    said = []
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    ) as pip:
        assert pip.stdout is not None
        for line in pip.stdout:
            line = line.rstrip()
            if PIP_NOISE.match(line):
                continue
            said.append(line)
            if fetching := PIP_FETCHING.match(line):
                package = fetching.group(1)  # a local wheel: its file name begins with it
                name = package.split("-")[0] if package.endswith(".whl") else package
                print(f"    fetching {name}", flush=True)
            elif installing := PIP_INSTALLING.match(line):
                count = len(installing.group(1).split(", "))
                print(f"    installing {count} package{'s' * (count != 1)}", flush=True)
            elif PIP_SHOWN.match(line):
                print(line, flush=True)
    if pip.returncode != 0:
        print("\n".join(said), file=sys.stderr)
        raise SystemExit(f"dev.py: pip failed while {what} (exit {pip.returncode})")


def _names(requirements: list[str]) -> str:
    return ", ".join(
        re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0] for requirement in requirements
    )


def install_summary() -> str:
    """What installing the project brings, read from pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, tools = project["dependencies"], project["optional-dependencies"]["test"]
    return (
        f"installing mentor-api with its {len(runtime)} dependencies ({_names(runtime)}) "
        f"and {len(tools)} test tools ({_names(tools)})"
    )


def ensure_environment() -> None:
    """Create the virtualenv and install the project (with test tools) when needed."""
    if not (BIN / "python").exists():
        print("[setup] creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / ".installed"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    print("[setup] installing into .venv (once, and again when pyproject.toml changes)", flush=True)
    pip_install(BIN / "python", "upgrading pip", "--upgrade", "pip")
    pip_install(BIN / "python", install_summary(), "-e", f"{ROOT}[test]")
    stamp.write_text(wanted)
    print("[setup] done", flush=True)


def missing_service(backends: tuple[str, ...]) -> str | None:
    """The one line to print when a server the chosen backends need does not answer."""
    if "postgres" not in backends:
        return None
    for name, (variable, default, default_port) in SERVICES.items():
        url = os.environ.get(variable, default)
        address = urlsplit(url)
        host, port = address.hostname or "127.0.0.1", address.port or default_port
        try:
            with socket.create_connection((host, port), timeout=3):
                pass
        except OSError as error:
            where = f"{address.scheme}://{host}:{port}"  # no credentials on the screen
            return (
                f"dev.py: {name} does not answer at {where} ({variable}; "
                f"{error.strerror or error}): start it, or run `python3 dev.py test --backend "
                "embedded`, which needs neither PostgreSQL nor Redis"
            )
    return None


def ensure_graphiql_assets() -> None:
    """GraphiQL's pinned files, fetched and checked by the server's own command."""
    if run([str(BIN / "mentor-api"), "fetch-graphiql"]) != 0:
        print("GraphiQL's page will say how to fetch its files; the API works without", flush=True)


def run(command: list[str], **env: str) -> int:
    return subprocess.run(command, cwd=ROOT, env={**os.environ, **env}).returncode


def serve(args: argparse.Namespace) -> int:
    if args.demo and run([str(BIN / "mentor-api"), "seed-demo"]) != 0:
        return 1
    # The demo can pay: a local test stand-in for Stripe runs beside the server.
    demo = ["--stripe-standin"] if args.demo else []
    address = ["--host", args.host, "--port", str(args.port)]
    return run([str(BIN / "mentor-api"), "serve", *address, *demo])


def _backends(args: argparse.Namespace) -> tuple[str, ...]:
    return BACKENDS if args.backend == "all" else (args.backend,)


def test(args: argparse.Namespace) -> int:
    """Run the suite on each backend; any failure or skipped test fails the command."""
    backends = _backends(args)
    results = {}
    for backend in backends:
        print(f"\n=== tests on the {backend} backend ===", flush=True)
        results[backend] = run(
            [str(BIN / "pytest"), *args.pytest_args],
            MENTOR_TEST_BACKEND=backend,
            MENTOR_FORBID_SKIPS="1",
        )
    for backend, code in results.items():
        print(f"{backend}: {'passed' if code == 0 else f'FAILED (exit {code})'}")
    return 0 if all(code == 0 for code in results.values()) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="run the server on the embedded default")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=8000)
    serve_parser.add_argument(
        "--demo",
        action="store_true",
        help="fill the database with demo data first, and start a local Stripe stand-in",
    )
    serve_parser.set_defaults(run=serve)
    commands.add_parser("setup", help="only create .venv and install").set_defaults(
        run=lambda args: 0
    )
    test_parser = commands.add_parser(
        "test", help="run the tests on PostgreSQL + Redis and embedded"
    )
    test_parser.add_argument("--backend", choices=[*BACKENDS, "all"], default="all")
    test_parser.set_defaults(run=test)
    args, extra = parser.parse_known_args()
    if extra and args.command != "test":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.pytest_args = extra  # anything else goes to pytest
    if args.command == "test" and (missing := missing_service(_backends(args))):
        print(missing, file=sys.stderr)
        return 2
    ensure_environment()
    if args.command == "setup" or not (ROOT / "app" / "graphiql" / "vendor").is_dir():
        ensure_graphiql_assets()
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
