"""The one place Redis connections are configured, so every user of Redis survives a restart
of it the same way.

A connection that sat in the pool through an outage is pinged before its next use once it
was idle a while (``health_check_interval``), and a command that meets a broken connection
is retried on a fresh one at once (``retry``): when Redis is back the next request works,
instead of the first few failing on connections that died with the old server. Connecting
and each reply are bounded, so a Redis that is gone or hung fails fast and the callers'
fallbacks answer.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError, TimeoutError

from core import limits

# The first retry waits about this long; later ones double up to the cap.
FIRST_RETRY_WAIT_SECONDS = 0.01


def connection_options(socket_timeout: float | None = None) -> dict[str, Any]:
    """What every Redis connection pool here is built with; ``socket_timeout`` for a pool
    whose reads block longer than a command's reply takes (the task queue's)."""
    return {
        "socket_connect_timeout": limits.REDIS_CONNECT_TIMEOUT_MS / 1000,
        "socket_timeout": socket_timeout or limits.REDIS_SOCKET_TIMEOUT_MS / 1000,
        "socket_keepalive": True,
        "health_check_interval": limits.REDIS_HEALTH_CHECK_SECONDS,
        "retry": Retry(
            ExponentialWithJitterBackoff(
                cap=limits.REDIS_RETRY_BACKOFF_CAP_MS / 1000, base=FIRST_RETRY_WAIT_SECONDS
            ),
            limits.REDIS_COMMAND_RETRIES,
        ),
        "retry_on_error": [ConnectionError, TimeoutError],
    }


def open_redis(url: str) -> Redis:
    """The process's client (throttles, budgets, notifications, leases, persisted queries)."""
    return Redis.from_url(url, **connection_options())


def task_queue_options() -> dict[str, Any]:
    """The task queue's pool: a worker's read waits up to ``TASK_QUEUE_WAIT_SECONDS`` for a
    message, so its replies may take that long, and a little more, before they count as lost."""
    return connection_options(socket_timeout=limits.TASK_QUEUE_WAIT_SECONDS + 2)
