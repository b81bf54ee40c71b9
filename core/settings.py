"""One typed settings object, read from the environment once per process.

With no configuration at all the server runs on the *embedded default*: a SQLite file and
in-process stand-ins for Redis under ``MENTOR_DATA_DIR``. No secret has a production default:
the embedded default generates a development secret and keeps it in the data folder.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlencode, urlsplit

from core import limits


class ConfigurationError(RuntimeError):
    """The environment does not describe a runnable server."""


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def _env_minutes(name: str, default: timedelta) -> timedelta:
    minutes = _env_int(name, int(default.total_seconds() // 60))
    if minutes < 1:
        raise ConfigurationError(f"{name} must be a whole number of minutes, at least 1")
    return timedelta(minutes=minutes)


def _env_days(name: str, default: timedelta) -> timedelta:
    days = _env_int(name, default.days)
    if days < 1:
        raise ConfigurationError(f"{name} must be a whole number of days, at least 1")
    return timedelta(days=days)


def _env_seconds(name: str, default: timedelta) -> timedelta:
    """A whole number of seconds, at least one: a check every 0 s would never rest."""
    seconds = _env_int(name, int(default.total_seconds()))
    if seconds < 1:
        raise ConfigurationError(f"{name} must be a whole number of seconds, at least 1")
    return timedelta(seconds=seconds)


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def _env_flag(name: str, default: bool) -> bool:
    """On unless ``0``, ``false``, ``no`` or ``off``; unset or blank is ``default``."""
    raw = _env_text(name)
    return default if raw is None else raw.lower() not in FALSE_WORDS


def _env_networks(name: str) -> tuple[IPNetwork, ...]:
    try:
        return tuple(ipaddress.ip_network(item, strict=False) for item in _env_list(name))
    except ValueError as error:
        raise ConfigurationError(f"{name} must list IP addresses or networks: {error}") from None


def _env_list(name: str) -> tuple[str, ...]:
    raw = os.environ.get(name, "")
    return tuple(item.strip() for item in raw.split(",") if item.strip())


EMAIL_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Where the data is stored when the operator does not say (P20).
DEFAULT_LOCATION = "European Union"


def _env_path(name: str) -> Path | None:
    text = _env_text(name)
    return Path(text).resolve() if text else None


def _env_text(name: str) -> str | None:
    """A line of text, trimmed; unset or blank is None."""
    return os.environ.get(name, "").strip() or None


def _env_address(name: str, default: str) -> str:
    address = _env_text(name) or default
    if not EMAIL_ADDRESS.fullmatch(address):
        raise ConfigurationError(f"{name} must be an email address, such as {default}")
    return address


# What an advertising partner may be configured to receive (services.partners computes each);
# the email only SHA-256-hashed, as ad platforms match it.
SHAREABLE_FIELDS = ("email_sha256", "name", "language")
COUNTRY_CODE = re.compile(r"[A-Z]{2}")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


@dataclass(frozen=True)
class AdvertisingPartner:
    """A partner that receives, with the user's ADVERTISING_PARTNERS consent, the ``fields``
    configured for it, by a JSON POST to ``endpoint``."""

    name: str
    purpose: str
    country: str
    endpoint: str
    fields: tuple[str, ...]


def _partner(entry: Any) -> AdvertisingPartner:
    keys = {"name", "purpose", "country", "endpoint", "fields"}
    if not isinstance(entry, dict) or set(entry) != keys:
        raise ValueError(f"each partner is an object with exactly {sorted(keys)}")
    texts = [entry[key] for key in ("name", "purpose", "country", "endpoint")]
    if not all(isinstance(text, str) and text.strip() for text in texts):
        raise ValueError("name, purpose, country and endpoint are non-empty strings")
    if len(entry["name"].strip()) > limits.MAX_PARTNER_NAME_LENGTH:
        raise ValueError(f"a name has at most {limits.MAX_PARTNER_NAME_LENGTH} characters")
    if not COUNTRY_CODE.fullmatch(entry["country"]):
        raise ValueError(f"{entry['name']}: country is an ISO 3166 code such as DE")
    url = urlsplit(entry["endpoint"])
    if not url.hostname or not (
        url.scheme == "https" or (url.scheme == "http" and url.hostname in LOOPBACK_HOSTS)
    ):
        raise ValueError(f"{entry['name']}: the endpoint is an https:// URL")
    fields = entry["fields"]
    if not isinstance(fields, list) or not fields or not set(fields) <= set(SHAREABLE_FIELDS):
        raise ValueError(f"{entry['name']}: fields is a non-empty list of {SHAREABLE_FIELDS}")
    return AdvertisingPartner(
        name=entry["name"].strip(),
        purpose=entry["purpose"].strip(),
        country=entry["country"],
        endpoint=entry["endpoint"],
        fields=tuple(dict.fromkeys(fields)),
    )


def _env_partners(name: str) -> tuple[AdvertisingPartner, ...]:
    """``ADVERTISING_PARTNERS``: a JSON list of partners; unset or empty shares with nobody."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return ()
    try:
        entries = json.loads(raw)
        if not isinstance(entries, list):
            raise ValueError("it is a JSON list of partners")
        partners = tuple(_partner(entry) for entry in entries)
    except ValueError as error:
        raise ConfigurationError(f"{name}: {error}") from None
    if len({partner.name for partner in partners}) != len(partners):
        raise ConfigurationError(f"{name}: each partner has a name of its own")
    return partners


# Third-party login: the social-auth-core backend of each kind of provider, and the prefix of
# its environment variables (``<PREFIX>_CLIENT_ID``, ``<PREFIX>_CLIENT_SECRET``).
SOCIAL_BACKENDS = {"google-oauth2": "GOOGLE", "github": "GITHUB", "twitter-oauth2": "X"}
OIDC_BACKEND = "openid-connect"
# Endpoint URLs an operator (or a test) may point elsewhere, by the backend's attribute name.
SOCIAL_ENDPOINTS = ("AUTHORIZATION_URL", "ACCESS_TOKEN_URL", "USERINFO_URL", "API_URL")
PROVIDER_NAME = re.compile(r"[a-z][a-z0-9]{0,30}")


@dataclass(frozen=True)
class SocialProvider:
    """A configured third-party login provider. ``name`` is its path segment in
    ``/auth/login/{name}``; ``backend`` a key of SOCIAL_BACKENDS or OIDC_BACKEND, whose
    ``issuer`` is its OpenID Connect issuer URL. ``endpoints`` override the backend's URLs.
    ``picture_hosts`` are where its profile pictures may be fetched from (empty: the backend's
    default, see ``services.social.photos``): a host, ``*.domain`` for its subdomains, or an IP
    address; ``http://`` before one allows plain HTTP to it."""

    name: str
    backend: str
    title: str
    client_id: str
    client_secret: str
    issuer: str | None = None
    endpoints: tuple[tuple[str, str], ...] = ()
    picture_hosts: tuple[str, ...] = ()


def _endpoints(prefix: str) -> tuple[tuple[str, str], ...]:
    return tuple(
        (attribute, url)
        for attribute in SOCIAL_ENDPOINTS
        if (url := _env_text(f"{prefix}_{attribute}"))
    )


def _env_social_providers() -> tuple[SocialProvider, ...]:
    """A provider is offered once its client id and secret are both set; OpenID Connect
    providers are named in ``OIDC_PROVIDERS`` and need ``OIDC_<NAME>_ISSUER`` too."""
    providers = []
    titles = {"google-oauth2": "Google", "github": "GitHub", "twitter-oauth2": "X"}
    for backend, prefix in SOCIAL_BACKENDS.items():
        client_id, secret = _env_text(f"{prefix}_CLIENT_ID"), _env_text(f"{prefix}_CLIENT_SECRET")
        if client_id and secret:
            providers.append(
                SocialProvider(
                    backend,
                    backend,
                    titles[backend],
                    client_id,
                    secret,
                    None,
                    _endpoints(prefix),
                    _env_list(f"{prefix}_PICTURE_HOSTS"),
                )
            )
    for name in _env_list("OIDC_PROVIDERS"):
        if not PROVIDER_NAME.fullmatch(name) or name in SOCIAL_BACKENDS:
            raise ConfigurationError(f"OIDC_PROVIDERS: {name!r} is not a lowercase word of ours")
        prefix = f"OIDC_{name.upper()}"
        values = [_env_text(f"{prefix}_{key}") for key in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET")]
        issuer, client_id, secret = values
        if not (issuer and client_id and secret):
            raise ConfigurationError(f"{prefix}_ISSUER, _CLIENT_ID and _CLIENT_SECRET must be set")
        title = _env_text(f"{prefix}_TITLE") or name
        providers.append(
            SocialProvider(
                name,
                OIDC_BACKEND,
                title,
                client_id,
                secret,
                issuer.rstrip("/"),
                _endpoints(prefix),
                _env_list(f"{prefix}_PICTURE_HOSTS"),
            )
        )
    return tuple(providers)


class ClientClass(StrEnum):
    """Who a query budget belongs to (``resolvers.budgets.budget_holder`` decides)."""

    ANONYMOUS = "anonymous"
    USER = "user"
    STAFF = "staff"
    PARTNER = "partner"


@dataclass(frozen=True)
class QueryBudget:
    """A leaky bucket of query cost: it holds ``capacity`` points, each operation takes its
    cost from it, and ``restore_rate`` points come back each second (Shopify's model)."""

    capacity: int
    restore_rate: int


@dataclass(frozen=True)
class ClientBudgets:
    """The budget of each client class. An anonymous caller (one network, many people behind
    a NAT) gets what one full page of mentors needs; partners, which serve many users, the
    most."""

    anonymous: QueryBudget = QueryBudget(limits.MAX_QUERY_COST, 50)
    user: QueryBudget = QueryBudget(2 * limits.MAX_QUERY_COST, 100)
    staff: QueryBudget = QueryBudget(4 * limits.MAX_QUERY_COST, 200)
    partner: QueryBudget = QueryBudget(4 * limits.MAX_QUERY_COST, 200)

    def of(self, client_class: ClientClass) -> QueryBudget:
        budget: QueryBudget = getattr(self, client_class.value)
        return budget


class WhenRedisDown(StrEnum):
    """What query budgets do while Redis cannot be reached."""

    # Each process keeps a share of every budget in memory (limits.FALLBACK_BUDGET_DIVISOR).
    LOCAL = "local"
    # Every operation runs unbudgeted.
    OPEN = "open"
    # Every operation is refused as RATE_LIMITED.
    CLOSED = "closed"


def _env_budgets() -> ClientBudgets:
    """``QUERY_BUDGET_<CLASS>=capacity,restore_rate``, e.g. ``QUERY_BUDGET_USER=10000,100``."""
    chosen = {}
    for client_class in ClientClass:
        name = f"QUERY_BUDGET_{client_class.name}"
        raw = _env_text(name)
        if raw is None:
            continue
        try:
            capacity, rate = (int(part) for part in raw.split(","))
        except ValueError:
            raise ConfigurationError(f"{name} is capacity,restore_rate: {raw!r}") from None
        if capacity < 1 or rate < 1:
            raise ConfigurationError(f"{name}: capacity and restore rate are at least 1")
        chosen[client_class.value] = QueryBudget(capacity, rate)
    return ClientBudgets(**chosen)


def _env_when_redis_down() -> WhenRedisDown:
    raw = (_env_text("QUERY_BUDGET_WITHOUT_REDIS") or WhenRedisDown.LOCAL.value).lower()
    try:
        return WhenRedisDown(raw)
    except ValueError:
        choices = ", ".join(mode.value for mode in WhenRedisDown)
        raise ConfigurationError(f"QUERY_BUDGET_WITHOUT_REDIS is one of {choices}") from None


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
    # The web client that mail links open (``/verify?token=…``); None: the minimal pages this
    # server serves under ``/app``.
    web_app_url: str | None = None
    development: bool = False
    cookie_secure: bool = True
    # Web clients' origins: CORS with credentials, and the WebSocket origin check (app/cors.py).
    cors_origins: tuple[str, ...] = ()
    # Where GraphiQL's fetched files are (app/graphiql/assets.py); None: beside that module.
    graphiql_assets_dir: Path | None = None
    # Introspection (``__schema``, ``__type``) and the GraphiQL page: a map of every field
    # for whoever asks, so in production each is off unless turned on (from_env).
    graphql_introspection: bool = False
    graphiql: bool = False
    # Clients that are not staff may run only the trusted documents (services.documents),
    # and the folder those are read from (None: graphql/ of this checkout).
    trusted_documents_only: bool = False
    trusted_documents_dir: Path | None = None
    # Trusted queries run as plans compiled at start-up (resolvers.plans); PLANS=0 runs every
    # operation through graphql-core's executor, as the differential suite compares.
    plans: bool = True
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
    # Failed log-ins from one network on this many different accounts within the window raise
    # a CREDENTIAL_STUFFING security event (services.security.stuffing).
    stuffing_accounts: int = limits.CREDENTIAL_STUFFING_ACCOUNTS
    stuffing_window: timedelta = limits.CREDENTIAL_STUFFING_WINDOW
    interactions_per_visitor: int = limits.MAX_INTERACTIONS_PER_VISITOR
    interactions_per_ip: int = limits.MAX_INTERACTIONS_PER_IP
    # Raw interaction records are kept this long, then rolled into daily counts and deleted.
    analytics_retention: timedelta = timedelta(days=90)
    # A confirmed deletion waits this long, while it can be cancelled, before the erasure.
    account_erasure_grace: timedelta = timedelta(days=30)
    # Financial records of an erased account are kept, pseudonymized, this long for the law.
    financial_retention: timedelta = timedelta(days=3650)
    outbox_sweep_interval: timedelta = timedelta(seconds=30)
    subscription_check_interval: timedelta = limits.SUBSCRIPTION_CHECK_INTERVAL
    outbox_max_attempts: int = limits.MAX_OUTBOX_ATTEMPTS
    stripe_api_base: str = "https://api.stripe.com"
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    # Retries reuse the call's idempotency key, so a lost answer never charges twice.
    stripe_max_network_retries: int = 2
    # Each call to Stripe (and each retry) waits this long for the answer.
    stripe_timeout: timedelta = limits.STRIPE_TIMEOUT
    # A GraphQL query or mutation over HTTP running longer is stopped: TIMEOUT, HTTP 504.
    request_timeout: timedelta = limits.REQUEST_TIMEOUT
    # PostgreSQL's statement_timeout; SQLite's busy timeout (a write waiting for another
    # process's lock). Migrations run without it.
    database_statement_timeout: timedelta = limits.DATABASE_STATEMENT_TIMEOUT
    # Slow or lying clients (app/slow_clients.py): headers, then the body, must arrive in time.
    request_header_timeout: timedelta = limits.REQUEST_HEADER_TIMEOUT
    request_body_idle_timeout: timedelta = limits.REQUEST_BODY_IDLE_TIMEOUT
    request_body_timeout: timedelta = limits.REQUEST_BODY_TIMEOUT
    # Delivering one mail, from connecting to the relay's last reply.
    smtp_timeout: timedelta = limits.SMTP_TIMEOUT
    platform_fee_percent: int = 10
    advertising_partners: tuple[AdvertisingPartner, ...] = ()
    campaign_batch_size: int = limits.MAX_CAMPAIGN_BATCH
    partner_batch_size: int = limits.MAX_PARTNER_BATCH
    policy_notice_batch_size: int = limits.MAX_POLICY_NOTICE_BATCH
    # How often each process's sweep shares with advertising partners: each round reads the
    # whole consenting audience, so it runs far less often than the outbox sweep.
    partner_share_interval: timedelta = timedelta(minutes=60)
    data_export_lifetime: timedelta = limits.DATA_EXPORT_LIFETIME
    data_export_interval: timedelta = limits.DATA_EXPORT_INTERVAL
    # P26: "contact our support team": privacy questions are mailed here, and it is the
    # contact the privacy information serves.
    support_email: str = "support@mentor.example"
    # Who answers for the data (the controller), as the privacy information names it.
    controller_name: str = "mentor-api"
    controller_address: str | None = None
    # P20: "store, transfer or use information in the countries we operate": where each
    # store of personal data is, as the operator states it (a country, a region).
    database_location: str = DEFAULT_LOCATION
    file_store_location: str = DEFAULT_LOCATION
    backup_location: str = DEFAULT_LOCATION
    # Privacy questions, and the mail about them, are deleted this long after they came.
    privacy_question_retention: timedelta = timedelta(days=365)
    privacy_questions_per_ip: int = limits.MAX_PRIVACY_QUESTIONS_PER_IP
    privacy_questions_per_sender: int = limits.MAX_PRIVACY_QUESTIONS_PER_SENDER
    incident_notice_batch_size: int = limits.MAX_INCIDENT_NOTICE_BATCH
    legal_disclosure_lifetime: timedelta = limits.LEGAL_DISCLOSURE_LIFETIME
    social_providers: tuple[SocialProvider, ...] = ()
    # A third-party login's browser-side state (state, nonce, PKCE verifier) lives this long.
    social_flow_lifetime: timedelta = limits.SOCIAL_FLOW_LIFETIME
    # An app's one-time login code (exchangeLoginCode) is good for this long.
    social_login_code_lifetime: timedelta = limits.SOCIAL_LOGIN_CODE_LIFETIME
    # The bearer token a Prometheus scraper sends to /metrics; None: open in development,
    # refused in production (app/metrics.py).
    metrics_token: str | None = None
    # Each client's budget of query cost, shared by every process through Redis.
    query_budgets: ClientBudgets = ClientBudgets()
    budgets_without_redis: WhenRedisDown = WhenRedisDown.LOCAL

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

    @property
    def web_app_base(self) -> str:
        return self.web_app_url or f"{self.public_url}/app"

    def web_app_link(self, page: str, **query: str) -> str:
        """A link into the web client, e.g. ``web_app_link("verify", token=raw)``."""
        return (
            f"{self.web_app_base}/{page}?{urlencode(query)}"
            if query
            else f"{self.web_app_base}/{page}"
        )

    def social_provider(self, name: str) -> SocialProvider | None:
        return next((p for p in self.social_providers if p.name == name), None)

    def with_overrides(self, **changes: object) -> Self:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, *, public_url: str | None = None) -> Settings:
        """``public_url`` is where this process is reached when ``PUBLIC_URL`` does not say
        (``mentor-api serve`` passes its own ``--host`` and ``--port``)."""
        return _check_timeouts(cls._read_env(public_url=public_url))

    @classmethod
    def _read_env(cls, *, public_url: str | None) -> Settings:
        data_dir = Path(os.environ.get("MENTOR_DATA_DIR", ".var")).resolve()
        database_url = os.environ.get("DATABASE_URL") or f"sqlite://{data_dir / 'mentor.sqlite3'}"
        development = _env_development(database_url)
        secret_key = os.environ.get("SECRET_KEY") or _development_secret(data_dir, development)
        database_location = _env_text("DATABASE_LOCATION") or DEFAULT_LOCATION
        return cls(
            database_url=database_url,
            secret_key=secret_key,
            data_dir=data_dir,
            redis_url=os.environ.get("REDIS_URL") or None,
            redis_key_prefix=os.environ.get("REDIS_KEY_PREFIX", "mentor:"),
            smtp_url=os.environ.get("SMTP_URL") or None,
            mail_from=os.environ.get("MAIL_FROM", cls.mail_from),
            public_url=(_env_text("PUBLIC_URL") or public_url or cls.public_url).rstrip("/"),
            web_app_url=_env_url("WEB_APP_URL"),
            development=development,
            cookie_secure=os.environ.get("COOKIE_SECURE", "1").strip().lower() not in FALSE_WORDS,
            cors_origins=_env_list("CORS_ORIGINS"),
            graphiql_assets_dir=_env_path("GRAPHIQL_ASSETS_DIR"),
            graphql_introspection=_env_flag("GRAPHQL_INTROSPECTION", development),
            graphiql=_env_flag("GRAPHIQL", development),
            trusted_proxies=_env_networks("TRUSTED_PROXIES"),
            trusted_documents_only=_env_flag("TRUSTED_DOCUMENTS_ONLY", False),
            plans=_env_flag("PLANS", True),
            trusted_documents_dir=_env_path("TRUSTED_DOCUMENTS_DIR"),
            stripe_api_base=os.environ.get("STRIPE_API_BASE", cls.stripe_api_base),
            stripe_secret_key=os.environ.get("STRIPE_SECRET_KEY") or None,
            stripe_webhook_secret=os.environ.get("STRIPE_WEBHOOK_SECRET") or None,
            stripe_max_network_retries=_env_int(
                "STRIPE_MAX_NETWORK_RETRIES", cls.stripe_max_network_retries
            ),
            stripe_timeout=_env_seconds("STRIPE_TIMEOUT_SECONDS", cls.stripe_timeout),
            request_timeout=_env_seconds("REQUEST_TIMEOUT_SECONDS", cls.request_timeout),
            request_header_timeout=_env_seconds(
                "REQUEST_HEADER_TIMEOUT_SECONDS", cls.request_header_timeout
            ),
            request_body_idle_timeout=_env_seconds(
                "REQUEST_BODY_IDLE_TIMEOUT_SECONDS", cls.request_body_idle_timeout
            ),
            request_body_timeout=_env_seconds(
                "REQUEST_BODY_TIMEOUT_SECONDS", cls.request_body_timeout
            ),
            database_statement_timeout=_env_seconds(
                "DATABASE_STATEMENT_TIMEOUT_SECONDS", cls.database_statement_timeout
            ),
            smtp_timeout=_env_seconds("SMTP_TIMEOUT_SECONDS", cls.smtp_timeout),
            platform_fee_percent=_env_int("PLATFORM_FEE_PERCENT", cls.platform_fee_percent),
            analytics_retention=_env_days("ANALYTICS_RETENTION_DAYS", cls.analytics_retention),
            account_erasure_grace=_env_days(
                "ACCOUNT_ERASURE_GRACE_DAYS", cls.account_erasure_grace
            ),
            financial_retention=_env_days("FINANCIAL_RETENTION_DAYS", cls.financial_retention),
            partner_share_interval=_env_minutes(
                "PARTNER_SHARE_INTERVAL_MINUTES", cls.partner_share_interval
            ),
            advertising_partners=_env_partners("ADVERTISING_PARTNERS"),
            subscription_check_interval=_env_seconds(
                "SUBSCRIPTION_CHECK_SECONDS", cls.subscription_check_interval
            ),
            support_email=_env_address("SUPPORT_EMAIL", cls.support_email),
            controller_name=_env_text("CONTROLLER_NAME") or cls.controller_name,
            controller_address=_env_text("CONTROLLER_ADDRESS"),
            database_location=database_location,
            file_store_location=_env_text("FILE_STORE_LOCATION") or database_location,
            backup_location=_env_text("BACKUP_LOCATION") or database_location,
            privacy_question_retention=_env_days(
                "PRIVACY_QUESTION_RETENTION_DAYS", cls.privacy_question_retention
            ),
            stuffing_accounts=_env_stuffing_accounts(),
            stuffing_window=_env_minutes("CREDENTIAL_STUFFING_WINDOW_MINUTES", cls.stuffing_window),
            social_providers=_env_social_providers(),
            metrics_token=_env_text("METRICS_TOKEN"),
            query_budgets=_env_budgets(),
            budgets_without_redis=_env_when_redis_down(),
        )


def _check_timeouts(settings: Settings) -> Settings:
    """The request timeout is the outer bound: a slow statement or an unanswered Stripe call
    (every attempt of it) must fail with its own error first, not as the request's TIMEOUT."""
    stripe_wait = settings.stripe_timeout * (settings.stripe_max_network_retries + 1)
    inner = {
        "DATABASE_STATEMENT_TIMEOUT_SECONDS": settings.database_statement_timeout,
        "STRIPE_TIMEOUT_SECONDS x (STRIPE_MAX_NETWORK_RETRIES + 1)": stripe_wait,
    }
    request = int(settings.request_timeout.total_seconds())
    for name, wait in inner.items():
        if wait >= settings.request_timeout:
            raise ConfigurationError(
                f"REQUEST_TIMEOUT_SECONDS ({request}) must be longer than {name} "
                f"({int(wait.total_seconds())})"
            )
    return settings


def _env_stuffing_accounts() -> int:
    """Two at least: one account's failures are its own throttle's business, not stuffing."""
    accounts = _env_int("CREDENTIAL_STUFFING_ACCOUNTS", limits.CREDENTIAL_STUFFING_ACCOUNTS)
    if accounts < 2:
        raise ConfigurationError("CREDENTIAL_STUFFING_ACCOUNTS must be a whole number, at least 2")
    return accounts


ENVIRONMENTS = ("development", "production")
LOG_FORMATS = ("json", "text")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class LogSettings:
    """How the process logs: read on its own, before any command reads the rest (a command
    such as export-schema needs no SECRET_KEY, and still logs)."""

    format: str = "text"
    level: str = "INFO"

    @classmethod
    def from_env(cls) -> LogSettings:
        """``LOG_FORMAT`` (json in production, text in development) and ``LOG_LEVEL``."""
        database_url = os.environ.get("DATABASE_URL") or "sqlite://"
        default = "text" if _env_development(database_url) else "json"
        chosen = (_env_text("LOG_FORMAT") or default).lower()
        if chosen not in LOG_FORMATS:
            raise ConfigurationError(f"LOG_FORMAT must be json or text, not {chosen!r}")
        level = (_env_text("LOG_LEVEL") or cls.level).upper()
        if level not in LOG_LEVELS:
            raise ConfigurationError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
        return cls(format=chosen, level=level)


def _env_development(database_url: str) -> bool:
    """``MENTOR_ENV`` when set; else a SQLite file is the embedded default's, so development,
    and a database server is production's."""
    chosen = _env_text("MENTOR_ENV")
    if chosen is None:
        return database_url.startswith("sqlite://")
    if chosen not in ENVIRONMENTS:
        raise ConfigurationError(f"MENTOR_ENV must be development or production, not {chosen!r}")
    return chosen == "development"


def _env_url(name: str) -> str | None:
    """An http(s) base URL without its trailing slash; unset or blank is None."""
    url = _env_text(name)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(f"{name} must be an http:// or https:// URL, not {url!r}")
    return url.rstrip("/")


def _development_secret(data_dir: Path, development: bool) -> str:
    """A per-checkout secret for the embedded default; production must set SECRET_KEY."""
    if not development:
        raise ConfigurationError(
            "SECRET_KEY must be set in production (MENTOR_ENV=production, or a DATABASE_URL "
            "naming a database server); for a local server, set MENTOR_ENV=development"
        )
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret
