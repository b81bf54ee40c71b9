"""Every limit of the service, each with the one-line reason for its value.

Code imports the constants; ``documented()`` reads the reasons, and the README's limits table is
generated from it (a test fails when the table is stale). Where two domains once disagreed on
one name (``MAX_TAGS`` was 10 for posts and 20 for profiles), each now has its own limit.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, get_type_hints


@dataclass(frozen=True)
class Why:
    """What a limit bounds, and why it has its value."""

    bounds: str
    reason: str


# The shape of operations (validated before anything runs).
MAX_QUERY_DEPTH: Annotated[
    int,
    Why(
        "levels of nesting in one operation",
        "room for mentors → posts → author → testimonials, no unbounded fan-out",
    ),
] = 10
MAX_ALIASES: Annotated[
    int, Why("aliases in one operation", "one request must not repeat a costly field at will")
] = 30
MAX_TOKENS: Annotated[
    int, Why("tokens in one document", "parsing stays cheap for documents nobody would write")
] = 2000
MAX_PAGE_SIZE: Annotated[
    int, Why("items in one page (`first`, `last`)", "pages fit one screen; `after` goes further")
] = 100
MAX_QUERY_COST: Annotated[
    int,
    Why(
        "points one operation may cost: 1 an object, times `first`/`last` inside a page",
        "a page of 100 mentors with their first posts and testimonials is about 1 700; "
        "a page of default pages (100 by 100) is not",
    ),
] = 5000
MAX_DIRECTIVES_PER_LOCATION: Annotated[
    int,
    Why(
        "directives on one field, fragment or operation",
        "ours take one or two; fifty repeated ones only multiply the work and the errors",
    ),
] = 5

# The work of one operation as it runs (resolvers/pacing.py, app/graphql_view.py).
MAX_LIST_ITEMS_PER_RESPONSE: Annotated[
    int,
    Why(
        "list items one response may hold, all lists counted as they complete",
        "the cost limit's 5 000 objects and their short lists; past it the operation stops",
    ),
] = 20_000
MAX_RESPONSE_BYTES: Annotated[
    int,
    Why(
        "bytes of one encoded GraphQL response",
        "a heaviest page is well under a megabyte; a larger answer is refused, not sent",
    ),
] = 8 * 1024 * 1024
MAX_ERRORS_PER_RESPONSE: Annotated[
    int,
    Why(
        "errors in one response, after equal ones are merged; the last says how many were left",
        "enough to fix a document by; a hundred copies of one mistake say no more than one",
    ),
] = 50
EXECUTION_TIME_SLICE: Annotated[
    timedelta,
    Why(
        "CPU time execution may take before it lets other requests run",
        "a bystander waits about a slice at each of its turns of the loop: this keeps it near 3x "
        "its idle latency beside the heaviest page; shorter costs that page more CPU",
    ),
] = timedelta(microseconds=250)
HEAVY_OPERATION_COST: Annotated[
    int,
    Why(
        "points from which an operation counts as heavy and shares the loop in shorter slices",
        "a page of 50 mentors with their first posts costs a few hundred; heavy is a few times it",
    ),
] = 1000
HEAVY_OPERATION_TIME_SLICE: Annotated[
    timedelta,
    Why(
        "CPU time a heavy operation may take before it lets other requests run",
        "the heavy operation pays for its weight (about 40 % more CPU), its bystanders do not",
    ),
] = timedelta(microseconds=100)
MAX_CACHED_DOCUMENTS: Annotated[
    int,
    Why(
        "documents kept parsed and validated",
        "well above the web client's documents, small enough to stay in memory",
    ),
] = 512
MAX_PERSISTED_QUERIES: Annotated[
    int,
    Why(
        "documents registered by hash (persisted queries) and kept, the least used dropped",
        "only development and staff register; GraphiQL sessions, not an open cache",
    ),
] = 5000
MAX_PERSISTED_QUERY_LENGTH: Annotated[
    int,
    Why(
        "characters of a document kept by hash",
        "ten times our longest document; a longer one still runs, unkept",
    ),
] = 10_000

# Identifiers and cursors that clients send back.
MAX_ROW_ID: Annotated[
    int, Why("a row id inside a global ID", "the largest BIGINT; anything above names no row")
] = 2**63 - 1
MAX_CURSOR_LENGTH: Annotated[
    int,
    Why(
        "characters of a page cursor",
        "a sealed row position (a few sort values) is far shorter; longer was never ours",
    ),
] = 512
MAX_REQUEST_ID_LENGTH: Annotated[
    int, Why("characters of a caller's X-Request-Id", "it lands in logs and audit rows")
] = 64
MAX_JSON_DEPTH: Annotated[
    int,
    Why(
        "levels of nesting of a request's JSON (body, `variables`, `extensions`, multipart)",
        "our deepest input is a handful of levels; deeper JSON only exhausts the stack",
    ),
] = 64
MAX_MEDIA_KEY_LENGTH: Annotated[
    int,
    Why(
        "characters of a `/media/` key",
        "our keys are about 40; a longer one names no file and only reaches the filesystem",
    ),
] = 128

# Text people write.
MAX_EMAIL_LENGTH: Annotated[
    int, Why("characters of an email address", "the longest address SMTP can carry (RFC 5321)")
] = 254
MAX_NAME_LENGTH: Annotated[
    int, Why("characters of a display name", "a full name with room to spare, never a paragraph")
] = 120
MAX_HEADLINE_LENGTH: Annotated[
    int, Why("characters of a mentor's headline", "one line in a list of mentors")
] = 160
MAX_BIO_LENGTH: Annotated[
    int, Why("characters of a bio (user or mentor)", "a page of text about oneself")
] = 4000
MAX_POST_TITLE_LENGTH: Annotated[
    int, Why("characters of a post title", "a headline, not a paragraph")
] = 200
MAX_POST_BODY_LENGTH: Annotated[
    int, Why("characters of a post body", "a long article; longer belongs elsewhere")
] = 20000
MAX_JOB_DESCRIPTION_LENGTH: Annotated[
    int, Why("characters of a request for help", "enough to explain a problem in detail")
] = 5000
MAX_TESTIMONIAL_LENGTH: Annotated[
    int, Why("characters of a testimonial", "a review, read in full on a profile")
] = 4000

# Tags.
MAX_TAG_LENGTH: Annotated[int, Why("characters of one tag", "tags are words, not sentences")] = 40
MAX_POST_TAGS: Annotated[int, Why("tags on one post", "a post is about a few topics")] = 10
MAX_EXPERTISE_TAGS: Annotated[
    int, Why("expertise tags on a profile", "a mentor may list a broad field in detail")
] = 20
MAX_LANGUAGES: Annotated[int, Why("languages on a mentor profile", "what one person speaks")] = 10

# Money.
MAX_AMOUNT_CENTS: Annotated[
    int, Why("minor units of a price or rate", "a sanity bound far above any real job")
] = 100_000_000

# Passwords (P19: "locked and secured by strong passwords").
MIN_PASSWORD_LENGTH: Annotated[
    int, Why("characters of a password, at least", "short passwords fall to guessing")
] = 10
MAX_PASSWORD_LENGTH: Annotated[
    int, Why("characters of a password, at most", "hashing stays cheap for every attempt")
] = 256
MIN_PASSWORD_STRENGTH: Annotated[
    int, Why("zxcvbn score (0-4) of a password, at least", "3 is safely unguessable online")
] = 3

# Uploads.
MAX_UPLOAD_BYTES: Annotated[
    int, Why("bytes of one uploaded file", "a good photo; uploads are held in memory")
] = 5 * 1024 * 1024
MAX_IMAGE_PIXELS: Annotated[
    int,
    Why(
        "pixels of one uploaded image, read from its header before anything is decoded",
        "a 24-megapixel phone photo fits; a small file that decodes to gigabytes does not",
    ),
] = 25_000_000
MULTIPART_OVERHEAD_BYTES: Annotated[
    int, Why("bytes of a multipart request beyond its file", "the operation and part headers")
] = 64 * 1024

# Throttles, counted per window.
THROTTLE_WINDOW: Annotated[
    timedelta, Why("the window every throttle counts in", "long enough to slow a script")
] = timedelta(minutes=15)
MAX_LOGIN_FAILURES_PER_ACCOUNT: Annotated[
    int, Why("failed logins of one account a window", "a person mistypes; a script guesses")
] = 5
MAX_LOGIN_FAILURES_PER_IP: Annotated[
    int, Why("failed logins from one network a window", "people share a NAT; a script does not")
] = 20
MAX_SIGNUPS_PER_IP: Annotated[
    int, Why("sign-ups and reset requests from one network a window", "no mass accounts")
] = 10
MAX_SOCIAL_LOGINS_PER_IP: Annotated[
    int,
    Why(
        "third-party logins one network may start a window",
        "each keeps a row for minutes; people behind one NAT still fit",
    ),
] = 60
MAX_MAILS_PER_ADDRESS: Annotated[
    int, Why("sign-up and reset mails to one address a window", "nobody's inbox is flooded")
] = 3
CREDENTIAL_STUFFING_ACCOUNTS: Annotated[
    int,
    Why(
        "different accounts one network fails to log in to before a security event",
        "half the network's failure budget, so a script is seen before it is stopped",
    ),
] = 10
CREDENTIAL_STUFFING_WINDOW: Annotated[
    timedelta,
    Why("the window those accounts are counted in", "a script's burst; one event a window"),
] = timedelta(minutes=10)
FALLBACK_BUDGET_DIVISOR: Annotated[
    int,
    Why(
        "what each process divides a client's query budget by while Redis is away",
        "a deployment runs a few web processes; together they stay near the shared budget",
    ),
] = 4
MAX_BUDGET_WAIT_MS: Annotated[
    int,
    Why(
        "milliseconds an operation waits for Redis to charge its query budget",
        "a stuck Redis must not hold every answer; the fallback answers instead",
    ),
] = 250
BUDGET_STORE_RETRY_INTERVAL: Annotated[
    timedelta,
    Why(
        "how long query budgets answer from their fallback before trying Redis again",
        "one request in that time waits on a Redis that is down, not every one",
    ),
] = timedelta(seconds=5)
FALLBACK_THROTTLE_DIVISOR: Annotated[
    int,
    Why(
        "what each process divides a throttle's limit by while Redis is away (at least 1 left)",
        "a deployment runs a few web processes; together they stay near the shared limit",
    ),
] = 4
MAX_THROTTLE_WAIT_MS: Annotated[
    int,
    Why(
        "milliseconds a log-in or sign-up waits for Redis to count its attempt",
        "a stuck Redis must not hold the answer; the in-process fallback counts instead",
    ),
] = 250
THROTTLE_STORE_RETRY_INTERVAL: Annotated[
    timedelta,
    Why(
        "how long throttles count in process before trying Redis again",
        "one attempt in that time waits on a Redis that is down, not every one",
    ),
] = timedelta(seconds=2)
REDIS_CONNECT_TIMEOUT_MS: Annotated[
    int,
    Why(
        "milliseconds a connection to Redis may take to open",
        "Redis next to the service connects in a millisecond; a gone one must fail fast",
    ),
] = 500
REDIS_SOCKET_TIMEOUT_MS: Annotated[
    int,
    Why(
        "milliseconds one Redis command may wait for its reply (blocking reads excepted)",
        "commands here answer in a millisecond; a hung server is given up, not waited on",
    ),
] = 1000
REDIS_HEALTH_CHECK_SECONDS: Annotated[
    int,
    Why(
        "seconds a pooled Redis connection may sit idle before it is pinged on its next use",
        "a connection left from before an outage is found dead before a command relies on it",
    ),
] = 2
REDIS_COMMAND_RETRIES: Annotated[
    int,
    Why(
        "times a Redis command is retried on a fresh connection after a connection error",
        "a pooled connection broken by a restart is replaced at once; more would only wait",
    ),
] = 2
REDIS_RETRY_BACKOFF_CAP_MS: Annotated[
    int,
    Why(
        "milliseconds, at most, between those retries (exponential, with jitter)",
        "the retries fit well inside a request; an outage is the fallback's to answer",
    ),
] = 100
MAX_WAKE_WAIT_MS: Annotated[
    int,
    Why(
        "milliseconds an answer waits to wake a worker through the task queue",
        "the work is in the database already and the sweep backs the wake up",
    ),
] = 500
TASK_QUEUE_WAIT_SECONDS: Annotated[
    int,
    Why(
        "seconds a worker's blocking read of the task queue waits before it asks again",
        "under the socket timeout of its own connections, so a dead Redis is noticed",
    ),
] = 5
RECONNECT_FIRST_WAIT_MS: Annotated[
    int,
    Why(
        "milliseconds a reader (notifications, task queue) waits before its first reconnect",
        "a restarted Redis is back within a second or two of answering again",
    ),
] = 200
RECONNECT_LAST_WAIT_MS: Annotated[
    int,
    Why(
        "milliseconds, at most, between reconnects (doubling, with jitter)",
        "a long outage costs a connection attempt a second, and recovery waits at most that",
    ),
] = 1000
MAX_BUDGETS_IN_MEMORY: Annotated[
    int,
    Why(
        "clients whose query budgets one process keeps in memory",
        "the least recently seen is forgotten (its bucket full again); many addresses "
        "cannot grow memory",
    ),
] = 10_000

MAX_NEW_VISITORS_PER_IP: Annotated[
    int, Why("anonymous visitors one network starts a window", "each one is a stored row")
] = 200

# The privacy center.
VISITOR_COOKIE_LIFETIME: Annotated[
    timedelta, Why("how long a visitor's cookie is kept", "13 months, the longest regulators allow")
] = timedelta(days=395)
MAX_INTERACTION_PATH_LENGTH: Annotated[
    int, Why("characters of a page path in an interaction", "a page of our site, never a payload")
] = 512
MAX_TIME_ON_PAGE_MS: Annotated[
    int,
    Why(
        "milliseconds one time-on-page report may claim",
        "a day: more is a tab left open, or forged",
    ),
] = 24 * 60 * 60 * 1000
MAX_INTERACTIONS_PER_VISITOR: Annotated[
    int,
    Why(
        "interactions one account or visitor records a window",
        "a page view and its time every few seconds; a script is slowed",
    ),
] = 600
MAX_INTERACTIONS_PER_IP: Annotated[
    int,
    Why(
        "interactions a network without a visitor cookie sends a window",
        "many browsers share a NAT; nothing of theirs is stored",
    ),
] = 6000
MAX_ROLLUP_BATCH: Annotated[
    int,
    Why(
        "interaction rows rolled into the daily counts in one transaction",
        "each transaction stays short; a backlog takes several",
    ),
] = 1000
MAX_ANALYTICS_DAYS: Annotated[
    int, Why("days in one staff analytics range", "a year, one answer row a day")
] = 366

# Marketing mail and advertising partners (P16, P18).
MAX_CAMPAIGN_SUBJECT_LENGTH: Annotated[
    int, Why("characters of a campaign's subject", "one line that fits the outbox's subject column")
] = 200
MAX_CAMPAIGN_BODY_LENGTH: Annotated[
    int, Why("characters of a campaign's text", "a long newsletter; longer belongs on a page")
] = 20000
MAX_CAMPAIGN_BATCH: Annotated[
    int,
    Why(
        "recipients queued in one transaction of a campaign",
        "a short lock on the campaign; a large audience goes in many",
    ),
] = 500
MAX_PARTNER_NAME_LENGTH: Annotated[
    int,
    Why(
        "characters of an advertising partner's configured name",
        "a company's name, kept with each share",
    ),
] = 100
MAX_PARTNER_BATCH: Annotated[
    int,
    Why("people sent to an advertising partner in one request", "well under ad platforms' caps"),
] = 500
MAX_PARTNER_WAIT_SECONDS: Annotated[
    int,
    Why(
        "seconds to wait for an advertising partner's answer",
        "a slow partner is retried at the next sweep, never waited on",
    ),
] = 10

# Notifications and their subscriptions.
MAX_NOTIFICATIONS_MARKED: Annotated[
    int,
    Why("notification ids in one markNotificationsRead", "what a page shows; `all` marks the rest"),
] = 100
MAX_SUBSCRIPTIONS_PER_CONNECTION: Annotated[
    int,
    Why("subscriptions open on one WebSocket", "a page needs one notification stream, a few tabs"),
] = 10
SUBSCRIPTION_CHECK_INTERVAL: Annotated[
    timedelta,
    Why(
        "how long a revoked session's subscription stays open, at most",
        "each process checks all its subscriptions at once, two queries, this often",
    ),
] = timedelta(seconds=5)
MAX_PUBLISH_WAIT_SECONDS: Annotated[
    int,
    Why(
        "seconds an answer waits to announce its notifications on Redis",
        "they are in the database already; a stuck Redis must not hold the answer",
    ),
] = 2
MAX_SENT_IDS_REMEMBERED: Annotated[
    int,
    Why(
        "notifications a subscription remembers having sent",
        "a late announcement comes within seconds, not hundreds of notifications later",
    ),
] = 512
MAX_IDS_PER_QUERY: Annotated[
    int, Why("ids in one SQL `IN` list", "far below what SQLite and asyncpg bind in one query")
] = 1000

# Data exports (access and portability).
DATA_EXPORT_LIFETIME: Annotated[
    timedelta,
    Why(
        "how long a built data export may be downloaded",
        "a day to fetch it; then the copy of everything is deleted",
    ),
] = timedelta(hours=24)
DATA_EXPORT_INTERVAL: Annotated[
    timedelta,
    Why("how often a user may request a data export", "each one reads all of their rows"),
] = timedelta(days=1)
MAX_EXPORT_BATCH: Annotated[
    int,
    Why(
        "rows of one model read in one query while an export is built",
        "thousands of posts or jobs are read a page at a time, never all at once",
    ),
] = 500

# Privacy questions (P26), which anyone may send and which mail their sender.
MAX_QUESTION_SUBJECT_LENGTH: Annotated[
    int, Why("characters of a privacy question's subject", "one line, like a mail's subject")
] = 200
MAX_QUESTION_MESSAGE_LENGTH: Annotated[
    int,
    Why("characters of a privacy question", "a question told in detail; documents go by mail"),
] = 5000
MAX_PRIVACY_QUESTIONS_PER_IP: Annotated[
    int, Why("privacy questions from one network a window", "people share a NAT; a script does not")
] = 10
MAX_PRIVACY_QUESTIONS_PER_SENDER: Annotated[
    int,
    Why(
        "privacy questions from one account, or answered at one address, a window",
        "a person asks a few; the acknowledgements flood nobody's inbox",
    ),
] = 3
# Security incidents and breach notification (P15).
MAX_INCIDENT_TEXT_LENGTH: Annotated[
    int,
    Why(
        "characters of an incident's summary or delay reason",
        "a few paragraphs in general terms, read by everyone it concerned",
    ),
] = 4000
MAX_INCIDENT_USER_IDS: Annotated[
    int,
    Why(
        "user ids named in one recordSecurityIncident",
        "more people are named by a query (`affectedUsersQuery`), not a list",
    ),
] = 1000
MAX_INCIDENT_NOTICE_BATCH: Annotated[
    int,
    Why(
        "people told of an incident in one transaction",
        "a short lock on the incident; everyone active goes in many",
    ),
] = 200
# Privacy policy versions (P25).
MAX_POLICY_VERSION_LENGTH: Annotated[
    int,
    Why(
        "characters of a privacy-policy version's name",
        "a number or a date, sent in a response header",
    ),
] = 32
MAX_POLICY_TEXT_LENGTH: Annotated[
    int,
    Why("characters of a privacy policy's text", "many times the first version's 4 000"),
] = 100000
MAX_POLICY_SUMMARY_LENGTH: Annotated[
    int,
    Why(
        "characters of a version's summary of changes",
        "a few paragraphs users read before the text",
    ),
] = 4000
MAX_POLICY_NOTICE_BATCH: Annotated[
    int,
    Why(
        "users notified of a material policy version in one transaction",
        "a short lock on its announcement; every user goes in many",
    ),
] = 500
# Legal disclosures (P11).
LEGAL_DISCLOSURE_LIFETIME: Annotated[
    timedelta,
    Why(
        "how long a built legal disclosure waits for its one download",
        "a working week to collect it; then the package is deleted unread",
    ),
] = timedelta(days=7)
MAX_LEGAL_REFERENCE_LENGTH: Annotated[
    int, Why("characters of a legal reference", "a case or order number, not a document")
] = 200
MAX_AUTHORITY_LENGTH: Annotated[
    int, Why("characters of the authority a disclosure goes to", "a court's or agency's name")
] = 200

# Background work and the payment provider.
MAX_OUTBOX_ATTEMPTS: Annotated[
    int, Why("tries to deliver one mail", "backing off from 30 s to 6 h, about two days")
] = 16

# Timeouts: each wait on something else ends with a typed error, never a hang.
REQUEST_TIMEOUT: Annotated[
    timedelta,
    Why(
        "how long one GraphQL query or mutation over HTTP may run (subscriptions are exempt)",
        "longer than a statement and a Stripe call with its retries, so theirs answer first",
    ),
] = timedelta(seconds=30)
REQUEST_HEADER_TIMEOUT: Annotated[
    timedelta,
    Why(
        "how long a connection may sit idle or take to send a request's headers before it is "
        "closed",
        "headers are a few hundred bytes; a connection that dribbles them holds a socket open "
        "for nothing (slowloris); above the 15 s clients such as aiohttp keep idle connections, "
        "so they drop theirs first",
    ),
] = timedelta(seconds=20)
REQUEST_BODY_IDLE_TIMEOUT: Annotated[
    timedelta,
    Why(
        "how long a request's body may go without a byte arriving before it is abandoned (408)",
        "a live client sends every few milliseconds; longer than a turn's wait for admission",
    ),
] = timedelta(seconds=10)
REQUEST_BODY_TIMEOUT: Annotated[
    timedelta,
    Why(
        "how long a request's whole body may take to arrive (408 past it)",
        "the largest upload over a slow mobile link; a trickle of bytes cannot stretch it",
    ),
] = timedelta(seconds=60)
DATABASE_STATEMENT_TIMEOUT: Annotated[
    timedelta,
    Why(
        "how long one SQL statement may run or wait for a lock (SQLite: its busy timeout)",
        "ours take milliseconds; one stuck behind a lock fails rather than piling up",
    ),
] = timedelta(seconds=10)
READINESS_CHECK_TIMEOUT: Annotated[
    timedelta,
    Why(
        "how long /readyz waits for each dependency (the database, Redis) to answer",
        "a load balancer's probe gives up in a few seconds; a dependency out of reach fails first",
    ),
] = timedelta(seconds=2)
STRIPE_TIMEOUT: Annotated[
    timedelta,
    Why(
        "how long one call to Stripe may take, each retry again",
        "Stripe answers in well under a second; a call and two retries fit in a request",
    ),
] = timedelta(seconds=8)
SMTP_TIMEOUT: Annotated[
    timedelta,
    Why(
        "how long delivering one mail may take, from connecting to the relay's last reply",
        "a relay answers in seconds; a stalled one is retried at a later sweep",
    ),
] = timedelta(seconds=20)


@dataclass(frozen=True)
class DocumentedLimit:
    name: str
    value: object
    why: Why


def documented() -> list[DocumentedLimit]:
    """Every limit above with its reason, in the order they are declared."""
    hints = get_type_hints(sys.modules[__name__], include_extras=True)
    found = []
    for name, hint in hints.items():
        reasons = [meta for meta in getattr(hint, "__metadata__", ()) if isinstance(meta, Why)]
        if reasons:
            found.append(DocumentedLimit(name, globals()[name], reasons[0]))
    return found


def _shown(name: str, value: object) -> str:
    if isinstance(value, timedelta):
        if value.days:
            return f"{value.days} day{'s' if value.days > 1 else ''}"
        if value < timedelta(milliseconds=1):
            return f"{value // timedelta(microseconds=1)} µs"
        if value < timedelta(seconds=1):
            return f"{value // timedelta(milliseconds=1)} ms"
        if value < timedelta(minutes=1):
            return f"{int(value.total_seconds())} seconds"
        return f"{int(value.total_seconds() // 60)} minutes"
    if not isinstance(value, int) or value < 10_000:
        return str(value)
    if name.endswith("_BYTES"):
        return f"{value / 1024**2:g} MiB" if value >= 1024**2 else f"{value // 1024} KiB"
    if (value + 1).bit_count() == 1:
        return f"2^{(value + 1).bit_length() - 1} - 1"
    return f"{value:,}".replace(",", " ")


def markdown_table() -> str:
    """The README's limits table."""
    rows = ["| limit | value | bounds | why |", "|---|---|---|---|"]
    for limit in documented():
        value = _shown(limit.name, limit.value)
        rows.append(f"| `{limit.name}` | {value} | {limit.why.bounds} | {limit.why.reason} |")
    return "\n".join(rows) + "\n"


# Third-party login (P8, P9).
SOCIAL_FLOW_LIFETIME: Annotated[
    timedelta,
    Why(
        "how long a third-party login may take between leaving for the provider and coming back",
        "ten minutes to sign in there; a state older than that is refused",
    ),
] = timedelta(minutes=10)
SOCIAL_LOGIN_CODE_LIFETIME: Annotated[
    timedelta,
    Why(
        "how long an app's one-time login code may be exchanged for a session",
        "the app exchanges it at once; two minutes leave little worth stealing",
    ),
] = timedelta(minutes=2)
SOCIAL_PICTURE_TIMEOUT: Annotated[
    timedelta,
    Why(
        "how long fetching a provider's profile picture may take, in all",
        "a picture host answers in well under a second; the log-in waits for it",
    ),
] = timedelta(seconds=5)


# Partner apps.
MAX_PARTNER_APP_NAME_LENGTH: Annotated[
    int, Why("characters of a partner app's name", "a product name, as staff list it")
] = 100
MAX_PARTNER_KEY_OVERLAP: Annotated[
    timedelta,
    Why(
        "how long a rotated-out partner key may keep working",
        "a month to deploy the new key; a rotation cannot keep an old key alive for ever",
    ),
] = timedelta(days=30)
PARTNER_CODE_LIFETIME: Annotated[
    timedelta,
    Why(
        "how long a user's authorization code may be exchanged by the partner app",
        "the app exchanges it at once (OAuth 2.0 advises at most ten minutes)",
    ),
] = timedelta(minutes=5)
PARTNER_TOKEN_LIFETIME: Annotated[
    timedelta,
    Why(
        "how long a partner app's token acts for the user who consented",
        "a month, then the user consents again; they may revoke it sooner",
    ),
] = timedelta(days=30)
SOCIAL_PROVIDER_TIMEOUT: Annotated[
    timedelta,
    Why(
        "how long a login provider may take to connect, or between parts of its answer",
        "the person waits on the login page; the library would wait 5 s unsaid",
    ),
] = timedelta(seconds=10)


# Admission (app/admission.py).
MAX_CONCURRENT_OPERATIONS: Annotated[
    int,
    Why(
        "GraphQL requests one process runs at once; more wait their turn",
        "enough to keep the database and the CPU busy; past it, each request only slows the others",
    ),
] = 32
ADMISSION_WAIT: Annotated[
    timedelta,
    Why(
        "how long a request may wait for its turn before it is told to retry (429)",
        "well inside the request timeout: a client told to come back fares better than one "
        "timed out",
    ),
] = timedelta(seconds=5)
