"""The graphql-http conformance audit against our server: MUST, SHOULD and MAY passed of
total, and each failure with its reason.

Installs the pinned ``graphql-http`` and ``graphql@16`` with npm into ``.var/graphql-http-audit``
(once), starts ``mentor-api serve`` on the embedded default (a temporary data directory, a
free port), runs ``serverAudits({url, fetchFn: fetch})`` under Node and prints the figures.
Needs Node 20+ and npm; about 20 seconds. Exits 1 when a MUST or a SHOULD fails.

    .venv/bin/python bench/graphql_http_audit.py
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import ROOT, SERVE, free_port, stop, wait_until_ready

PACKAGES = ("graphql-http@1.23.1", "graphql@16.15.0")
CACHE = ROOT / ".var" / "graphql-http-audit"

# Runs every audit and prints one JSON line per audit: its id, name and failure (if any).
AUDIT = """
import { serverAudits } from 'graphql-http';
for (const audit of serverAudits({ url: process.argv[2], fetchFn: fetch })) {
  const result = await audit.fn();
  console.log(JSON.stringify({
    id: result.id, name: result.name, status: result.status,
    reason: result.status === 'ok' ? null : result.reason,
  }));
}
"""


def install() -> Path:
    """The audit's node_modules, installed once with npm into the cache folder."""
    modules = CACHE / "node_modules"
    if not all((modules / name.rsplit("@", 1)[0]).is_dir() for name in PACKAGES):
        CACHE.mkdir(parents=True, exist_ok=True)
        (CACHE / "package.json").write_text('{"private": true, "type": "module"}\n')
        print(f"installing {', '.join(PACKAGES)} into {CACHE} ...", flush=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent", *PACKAGES],
            cwd=CACHE,
            check=True,
        )
    script = CACHE / "audit.mjs"
    script.write_text(AUDIT)
    return script


def start(data_dir: str) -> tuple[str, subprocess.Popen[bytes]]:
    """``mentor-api serve`` on the embedded default in ``data_dir``, on a free port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, "serve", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "MENTOR_DATA_DIR": data_dir, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return f"http://127.0.0.1:{port}/graphql", process


def audit(script: Path, url: str) -> list[dict[str, str | None]]:
    ran = subprocess.run(
        ["node", str(script), url], cwd=CACHE, check=True, capture_output=True, text=True
    )
    return [json.loads(line) for line in ran.stdout.splitlines() if line.strip()]


def report(results: list[dict[str, str | None]]) -> bool:
    """Print the figures; True when every MUST and SHOULD passed."""
    conforming = True
    for level in ("MUST", "SHOULD", "MAY"):
        of_level = [r for r in results if str(r["name"]).startswith(f"{level} ")]
        passed = [r for r in of_level if r["status"] == "ok"]
        print(f"{level:<6} {len(passed)}/{len(of_level)}")
        if level != "MAY" and len(passed) != len(of_level):
            conforming = False
    for result in results:
        if result["status"] != "ok":
            print(f"  {result['status']} {result['id']} {result['name']}: {result['reason']}")
    return conforming


async def main() -> int:
    if shutil.which("node") is None or shutil.which("npm") is None:
        print("the audit needs Node 20+ and npm on PATH", file=sys.stderr)
        return 2
    script = install()
    with tempfile.TemporaryDirectory(prefix="mentor-audit-") as data_dir:
        url, process = start(data_dir)
        try:
            await wait_until_ready(url, process)
            results = audit(script, url)
        finally:
            stop(process)
    return 0 if report(results) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
