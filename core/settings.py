"""One typed settings object, read from the environment once per process.

With no configuration at all the server runs on the *embedded default*: a SQLite file and
in-process stand-ins for Redis under ``MENTOR_DATA_DIR``. No secret has a production default:
the embedded default generates a development secret and keeps it in the data folder.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Self

from core import limits


class ConfigurationError(RuntimeError):
    """The environment does not describe a runnable server."""


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def _env_seconds(name: str, default: timedelta) -> timedelta:
    """A whole number of seconds, at least one: a check every 0 s would never rest."""
    seconds = _env_int(name, int(default.total_seconds()))
    if seconds < 1:
        raise ConfigurationError(f"{name} must be a whole number of seconds, at least 1")
    return timedelta(seconds=seconds)


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def _env_networks(name: str) -> tuple[IPNetwork, ...]:
    try:
        return tuple(ipaddress.ip_network(item, strict=False) for item in _env_list(name))
    except ValueError as error:
        raise ConfigurationError(f"{name} must list IP addresses or networks: {error}") from None


def _env_list(name: str) -> tuple[str, ...]:
    raw = os.environ.get(name, "")
    return tuple(item.strip() for item in raw.split(",") if item.strip())


@dataclass(frozen=True)
class PasswordHashing:
    """argon2id cost; production uses the library's defaults (~100 ms, 64 MiB)."""

    time_cost: int = 3
    memory_cost_kib: int = 65536
    parallelism: int = 4


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    data_dir: Path
    redis_url: str | None = None
    redis_key_prefix: str = "mentor:"
    smtp_url: str | None = None
    mail_from: str = "mentor-api <no-reply@mentor.example>"
    public_url: str = "http://127.0.0.1:8000"
    development: bool = False
    cookie_secure: bool = True
    cors_origins: tuple[str, ...] = ()
    # Our own reverse proxies, whose X-Forwarded-For names the real caller.
    trusted_proxies: tuple[IPNetwork, ...] = ()
    session_lifetime: timedelta = timedelta(days=30)
    email_token_lifetime: timedelta = timedelta(hours=24)
    password_hashing: PasswordHashing = field(default_factory=PasswordHashing)
    max_upload_bytes: int = limits.MAX_UPLOAD_BYTES
    login_failures_per_account: int = limits.MAX_LOGIN_FAILURES_PER_ACCOUNT
    login_failures_per_ip: int = limits.MAX_LOGIN_FAILURES_PER_IP
    signups_per_ip: int = limits.MAX_SIGNUPS_PER_IP
    # Sign-ups and reset requests naming one address each mail it: at most this many a window.
    mails_per_address: int = limits.MAX_MAILS_PER_ADDRESS
    throttle_window: timedelta = limits.THROTTLE_WINDOW
    outbox_sweep_interval: timedelta = timedelta(seconds=30)
    subscription_check_interval: timedelta = limits.SUBSCRIPTION_CHECK_INTERVAL
    outbox_max_attempts: int = limits.MAX_OUTBOX_ATTEMPTS
    stripe_api_base: str = "https://api.stripe.com"
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    # Retries reuse the call's idempotency key, so a lost answer never charges twice.
    stripe_max_network_retries: int = 2
    platform_fee_percent: int = 10

    @property
    def embedded(self) -> bool:
        """True when running on SQLite with in-process stand-ins for Redis."""
        return self.redis_url is None

    @property
    def file_store_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def mail_drop_dir(self) -> Path:
        return self.data_dir / "mail"

    def with_overrides(self, **changes: object) -> Self:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(os.environ.get("MENTOR_DATA_DIR", ".var")).resolve()
        database_url = os.environ.get("DATABASE_URL") or f"sqlite://{data_dir / 'mentor.sqlite3'}"
        development = (
            os.environ.get(
                "MENTOR_ENV", "production" if os.environ.get("DATABASE_URL") else "development"
            )
            == "development"
        )
        secret_key = os.environ.get("SECRET_KEY") or _development_secret(data_dir, development)
        return cls(
            database_url=database_url,
            secret_key=secret_key,
            data_dir=data_dir,
            redis_url=os.environ.get("REDIS_URL") or None,
            redis_key_prefix=os.environ.get("REDIS_KEY_PREFIX", "mentor:"),
            smtp_url=os.environ.get("SMTP_URL") or None,
            mail_from=os.environ.get("MAIL_FROM", cls.mail_from),
            public_url=os.environ.get("PUBLIC_URL", cls.public_url).rstrip("/"),
            development=development,
            cookie_secure=os.environ.get("COOKIE_SECURE", "1").strip().lower() not in FALSE_WORDS,
            cors_origins=_env_list("CORS_ORIGINS"),
            trusted_proxies=_env_networks("TRUSTED_PROXIES"),
            stripe_api_base=os.environ.get("STRIPE_API_BASE", cls.stripe_api_base),
            stripe_secret_key=os.environ.get("STRIPE_SECRET_KEY") or None,
            stripe_webhook_secret=os.environ.get("STRIPE_WEBHOOK_SECRET") or None,
            stripe_max_network_retries=_env_int(
                "STRIPE_MAX_NETWORK_RETRIES", cls.stripe_max_network_retries
            ),
            platform_fee_percent=_env_int("PLATFORM_FEE_PERCENT", cls.platform_fee_percent),
            subscription_check_interval=_env_seconds(
                "SUBSCRIPTION_CHECK_SECONDS", cls.subscription_check_interval
            ),
        )


def _development_secret(data_dir: Path, development: bool) -> str:
    """A per-checkout secret for the embedded default; production must set SECRET_KEY."""
    if not development:
        raise ConfigurationError("SECRET_KEY must be set outside development")
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret
