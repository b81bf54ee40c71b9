#!/usr/bin/env python3
"""Set everything up and run: `python3 dev.py serve` or `python3 dev.py test`.

Needs only Python 3.11+ (and, for the PostgreSQL run of the tests, the PostgreSQL and Redis
servers on 127.0.0.1). Creates `.venv`, installs the project into it when pyproject.toml
changed, then runs the server on the embedded default or the test suite on both backends.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
BACKENDS = ("postgres", "embedded")


def ensure_environment() -> None:
    """Create the virtualenv and install the project (with test tools) when needed."""
    if not (BIN / "python").exists():
        print("creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / ".installed"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    print("installing mentor-api and its dependencies into .venv", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[test]"], check=True)
    stamp.write_text(wanted)


def ensure_graphiql_assets() -> None:
    """GraphiQL's pinned files, fetched and checked by the server's own command."""
    if run([str(BIN / "mentor-api"), "fetch-graphiql"]) != 0:
        print("GraphiQL's page will say how to fetch its files; the API works without", flush=True)


def run(command: list[str], **env: str) -> int:
    return subprocess.run(command, cwd=ROOT, env={**os.environ, **env}).returncode


def serve(args: argparse.Namespace) -> int:
    if args.demo and run([str(BIN / "mentor-api"), "seed-demo"]) != 0:
        return 1
    return run([str(BIN / "mentor-api"), "serve", "--host", args.host, "--port", str(args.port)])


def test(args: argparse.Namespace) -> int:
    """Run the suite on each backend; any failure or skipped test fails the command."""
    backends = BACKENDS if args.backend == "all" else (args.backend,)
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
        "--demo", action="store_true", help="fill the database with demo data first"
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
    ensure_environment()
    if args.command == "setup" or not (ROOT / "app" / "graphiql" / "vendor").is_dir():
        ensure_graphiql_assets()
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
