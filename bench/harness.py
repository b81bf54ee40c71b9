"""What every benchmark needs: a fresh deployment of the real app on this machine's PostgreSQL
and Redis (its own database and key prefix, dropped afterwards), servers started as separate
processes and stopped, and the figures' arithmetic."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SERVE = "from app.cli import main; main()"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(latencies: list[float], failures: int, elapsed: float) -> dict[str, float]:
    """The figures a load run reports: count, failures, time, throughput, p50 and p99 (ms)."""
    return {
        "requests": len(latencies),
        "failures": failures,
        "seconds": round(elapsed, 2),
        "throughput": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
    }


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@dataclass
class Deployment:
    name: str
    database_url: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        """The environment of a production server process of this deployment."""
        return {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": REDIS_URL,
            "REDIS_KEY_PREFIX": f"{self.name}:",
            "SECRET_KEY": self.name,
            "MENTOR_ENV": "production",
            "MENTOR_DATA_DIR": tempfile.mkdtemp(prefix="mentor-bench-"),
            "PYTHONPATH": str(ROOT),
        }

    def start(self, command: list[str], **env: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**self.env, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.processes.append(process)
        return process

    async def serve(self, **env: str) -> str:
        """Start `mentor-api serve` on a free port; answer its /graphql address once ready."""
        url, _ = await self.serving(**env)
        return url

    async def serving(self, **env: str) -> tuple[str, subprocess.Popen[bytes]]:
        """``serve``, also answering the process (one web process: it is the one answering)."""
        port = free_port()
        process = self.start([sys.executable, "-c", SERVE, "serve", "--port", str(port)], **env)
        url = f"http://127.0.0.1:{port}/graphql"
        await wait_until_ready(url, process)
        return url, process


async def wait_until_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError(f"{url} exited with {process.returncode}")
            with suppress(aiohttp.ClientError):
                async with session.post(url, json={"query": "{ __typename }"}) as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


@asynccontextmanager
async def deployment() -> AsyncIterator[Deployment]:
    """A database and a Redis key prefix of the benchmark's own, and whatever processes it
    starts, all gone afterwards."""
    name = f"mentor_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(SERVER.replace("postgres://", "postgresql://", 1))
    await admin.execute(f'CREATE DATABASE "{name}"')
    found = Deployment(name, SERVER.rsplit("/", 1)[0] + f"/{name}")
    try:
        yield found
    finally:
        for process in found.processes:
            stop(process)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
        redis = Redis.from_url(REDIS_URL)
        keys = [key async for key in redis.scan_iter(match=f"{name}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
