"""The server as processes: one web process, several on one port, or the background worker.

Several web processes share one port through ``SO_REUSEPORT`` (the kernel spreads new
connections over their sockets), started by a parent that hands SIGTERM and SIGINT on and ends
with them: no extra server package, and one code path for one process or many. With Redis no
web process consumes the task queue; ``mentor-api worker`` does, and sweeps.

Stopping (SIGTERM or SIGINT) is graceful everywhere: a web process stops listening, closes its
WebSockets, lets requests in flight finish for up to ``SHUTDOWN_TIMEOUT_SECONDS``, then lets its
running background jobs finish for up to ``app.tasks.STOP_GRACE_SECONDS``, and exits 0.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import signal
from collections.abc import Callable
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess

from aiohttp import web

from app.access_log import PrivateAccessLogger
from app.server import create_app, running_runtime
from core.settings import ConfigurationError, Settings

# How long a stopping web process waits for the requests in flight.
SHUTDOWN_TIMEOUT_SECONDS = 30.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


async def until_stopped() -> None:
    """Return at the first SIGTERM or SIGINT; later ones change nothing (a terminal's Ctrl-C
    reaches every process of the group, and the parent hands it on too)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    # Left in place while the process drains (closing the loop removes them), so a second
    # signal cannot cut the drain short.
    for number in STOP_SIGNALS:
        loop.add_signal_handler(number, stop.set)
    await stop.wait()


async def serve_app(app: web.Application, host: str, port: int, *, reuse_port: bool) -> None:
    """Serve ``app`` until stopped, then drain it (see the module's docstring)."""
    runner = web.AppRunner(
        app, access_log_class=PrivateAccessLogger, shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS
    )
    stopped = asyncio.ensure_future(until_stopped())
    try:
        await runner.setup()
        await web.TCPSite(runner, host, port, reuse_port=reuse_port).start()
        collect_only_what_requests_make()
        await stopped
    finally:
        stopped.cancel()
        await runner.cleanup()


def collect_only_what_requests_make() -> None:
    """Leave what the start built (modules, the schema, the app) out of garbage collection.

    A full collection walks every tracked object and holds the event loop meanwhile: over the
    start's ~200 000 objects it took ~140 ms, and a heavy operation's garbage set one off every
    couple of operations, stalling every other request. What the start built lives as long as
    the process, so collecting it finds nothing."""
    gc.collect()
    gc.freeze()


def web_app(settings: Settings) -> web.Application:
    """A web process's app: it consumes the queue only on the embedded default, whose
    in-process queue no other process can reach."""
    return create_app(settings, consume_background=settings.embedded)


def check_several(settings: Settings, workers: int) -> None:
    """Several web processes need what they share to live outside each of them."""
    if workers < 1:
        raise ConfigurationError("--workers must be at least 1")
    if workers == 1:
        return
    if settings.embedded:
        raise ConfigurationError(
            "--workers above 1 needs REDIS_URL: the embedded default's throttles, task queue "
            "and notification bus live in one process and cannot be shared"
        )
    if settings.database_url.startswith("sqlite"):
        raise ConfigurationError(
            "--workers above 1 needs PostgreSQL: SQLite ignores the row locks that let "
            "processes take turns"
        )


def _web_process(host: str, port: int, public_url: str, prepare: Callable[[], None]) -> None:
    """One of several web processes (started by ``run_web_processes``). ``prepare`` sets up
    what each process needs its own of before the app is built: logging, and a per-process
    setting such as Prometheus' multiprocess mode (PROMETHEUS_MULTIPROC_DIR, inherited from
    the parent's environment)."""
    prepare()
    settings = Settings.from_env(public_url=public_url)
    asyncio.run(serve_app(web_app(settings), host, port, reuse_port=True))


def run_web_processes(
    workers: int, host: str, port: int, public_url: str, prepare: Callable[[], None]
) -> int:
    """Run ``workers`` web processes on one port until a signal stops them (status 0) or
    one of them ends by itself (the others are stopped, status 1, so the service manager
    restarts the set)."""
    context = multiprocessing.get_context("spawn")
    children: list[BaseProcess] = [
        context.Process(
            target=_web_process,
            args=(host, port, public_url, prepare),
            name=f"mentor-api web {n}",
        )
        for n in range(workers)
    ]
    signalled = False

    def stop_all(number: int = signal.SIGTERM, _frame: object = None) -> None:
        nonlocal signalled
        signalled = signalled or number in STOP_SIGNALS
        for child in children:
            if child.is_alive():
                child.terminate()  # SIGTERM: each drains its requests

    previous = {number: signal.signal(number, stop_all) for number in STOP_SIGNALS}
    try:
        for child in children:
            child.start()
        while running := [child for child in children if child.exitcode is None]:
            wait([child.sentinel for child in running])
            if not signalled and any(child.exitcode is not None for child in children):
                stop_all(0)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    clean = signalled and all(child.exitcode == 0 for child in children)
    return 0 if clean else 1


async def run_worker(settings: Settings) -> None:
    """``mentor-api worker``: consume the task queue and sweep until stopped, then let the
    running jobs finish (``STOP_GRACE_SECONDS``)."""
    if settings.embedded:
        raise ConfigurationError(
            "mentor-api worker needs REDIS_URL: without it the queue is in-process, and "
            "`mentor-api serve` runs the background work itself"
        )
    async with running_runtime(settings, run_migrations=False, consume_background=True):
        print("mentor-api worker consuming the task queue and sweeping", flush=True)
        await until_stopped()
