"""No log line holds personal data: known personal values (an email, a name, a password,
session and mail tokens, an IP address, free text) go through every mutation of graphql/,
sign-up, log-in, failed log-ins and a masked INTERNAL error, with the process logging at DEBUG
through our own JSON formatter; then every captured line is searched for each value."""

from __future__ import annotations

import io
import ipaddress
import json
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    OperationDefinitionNode,
    OperationType,
    parse,
    type_from_ast,
)
from strawberry.relay import to_base64

from app.logs import QUIET_LOGGERS, configure_logging
from core.runtime import Runtime
from core.settings import LogSettings
from models.accounts import StaffPermission, User
from models.marketplace import Job, Post
from resolvers.schema import build_schema
from services import accounts, profiles
from services.client import ClientInfo
from tests.support.documents import DOCUMENTS_DIR, document
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.users import UserFactory

EMAIL = "olga.pii-kowalska@example.org"
SECOND_EMAIL = "new.pii-member@example.org"
NAME = "Olga Piinamed Kowalska"
PASSWORD = "Pii-Passw0rd-never-logged-7731"
WRONG_PASSWORD = "Pii-Wrong-Guess-4410"
TOKEN = "pii-mailed-token-5c1e9a77"
IP = "203.0.113.77"
FREE_TEXT = "Pii free text: my divorce and my diagnosis 93721"

# Input fields whose text must be of a form (a zone, a language) to get past the first check.
FORMED_TEXT = {
    "timezone": "Europe/Warsaw",
    "language": "pl",
    "currency": "EUR",
    "version": "1",
    "expertise": "pii-tag",
    "tags": "pii-tag",
    "languages": "pl",
    "path": "/mentors/olga-pii-kowalska",
}
EMAIL_FIELDS = {"email", "replyTo"}
PASSWORD_FIELDS = {"password", "currentPassword", "newPassword"}
TOKEN_FIELDS = {"token", "code"}
NAME_FIELDS = {"name"}
# The servers the tests stand up in this process as the world outside it: the SMTP server
# logs each address it is sent mail for, as a real relay does in its own logs.
PEER_LOGGERS = ("mail.log",)


# Run after the others: each removes what some other mutation works on.
RUN_LAST = ("DeletePost", "CloseMentorProfile")


def _mutations() -> list[str]:
    """Every mutation document, those of RUN_LAST at the end."""
    names = []
    for path in sorted(DOCUMENTS_DIR.glob("*.graphql")):
        operation = parse(path.read_text()).definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        if operation.operation is OperationType.MUTATION:
            names.append(path.stem)
    return sorted(names, key=lambda name: name in RUN_LAST)


class Values:
    """Variables for any input type, every text a personal value, every ID a row we made."""

    def __init__(self, ids: dict[str, str]) -> None:
        self.ids = ids

    def of(self, kind: GraphQLInputType, field: str) -> Any:
        if isinstance(kind, GraphQLNonNull):
            return self.of(kind.of_type, field)
        if isinstance(kind, GraphQLList):
            return [self.of(kind.of_type, field)]
        if isinstance(kind, GraphQLInputObjectType):
            if kind.name == "MoneyInput":
                return {"amountCents": 5000, "currency": "EUR"}
            return {name: self.of(inner.type, name) for name, inner in kind.fields.items()}
        if isinstance(kind, GraphQLEnumType):
            return next(iter(kind.values))
        assert isinstance(kind, GraphQLScalarType)
        return self._scalar(kind.name, field)

    def _scalar(self, scalar: str, field: str) -> Any:
        if scalar == "ID":
            return self.ids.get(field) or to_base64(field.removesuffix("Id").capitalize(), 1)
        if scalar == "Int":
            return 5 if field == "rating" else 1000
        if scalar == "Boolean":
            return True
        if scalar == "DateTime":
            return datetime.now(UTC).isoformat()
        if field in EMAIL_FIELDS:
            return EMAIL
        if field in PASSWORD_FIELDS:
            return PASSWORD
        if field in TOKEN_FIELDS:
            return TOKEN
        if field in NAME_FIELDS:
            return NAME
        return FORMED_TEXT.get(field, FREE_TEXT)

    def for_document(self, text: str) -> dict[str, Any]:
        schema = build_schema()._schema
        operation = parse(text).definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        variables = {}
        for definition in operation.variable_definitions or ():
            kind = type_from_ast(schema, definition.type)
            assert kind is not None
            variables[definition.variable.name.value] = self.of(
                kind, definition.variable.name.value
            )  # type: ignore[arg-type]
        return variables


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The process's logging as production configures it, at DEBUG, into a buffer."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    buffer = io.StringIO()
    configure_logging(LogSettings(format="json", level="DEBUG"), stream=buffer)
    try:
        yield buffer
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
        for name, quiet_level in quiet.items():
            logging.getLogger(name).setLevel(quiet_level)


@pytest.fixture
async def graphql(
    http: TestClient[Any, Any], captured: io.StringIO
) -> AsyncIterator[GraphQLClient]:
    """A client on connections of its own, opened once logging is at DEBUG: aiohttp decides when
    a connection opens whether it writes access lines, and the suite's pooled connections may
    have opened under another level. (Closing only this session leaves the shared server up.)"""
    client: TestClient[Any, Any] = TestClient(http.server)
    await client.start_server()
    yield GraphQLClient(client)
    await client.session.close()


@pytest.fixture
def from_a_known_address(runtime: Runtime) -> Iterator[None]:
    """Requests come through our proxy on loopback, so the caller's address is ``IP``."""
    original = runtime.settings
    proxies = (ipaddress.ip_network("127.0.0.1/32"),)
    runtime.settings = original.with_overrides(trusted_proxies=proxies)
    yield
    runtime.settings = original


async def _actor(runtime: Runtime) -> User:
    return await User.create(
        email=EMAIL,
        name=NAME,
        password_hash=await runtime.passwords.hash(PASSWORD),
        email_verified=True,
        staff_permissions=[permission.value for permission in StaffPermission],
    )


async def test_no_personal_value_reaches_a_log_line(
    graphql: GraphQLClient,
    runtime: Runtime,
    users: UserFactory,
    captured: io.StringIO,
    from_a_known_address: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers = {"X-Forwarded-For": IP, "User-Agent": "pii-agent"}
    actor = await _actor(runtime)
    other = await users.create("Other member")
    job = await Job.create(client=other.user, mentor=actor, description=FREE_TEXT)
    post = await Post.create(author=actor, title=FREE_TEXT, body=FREE_TEXT, tags=[])
    values = Values(
        {
            "jobId": to_base64("Job", job.id),
            "postId": to_base64("Post", post.id),
            "userId": to_base64("User", other.user.id),
            "mentorId": to_base64("Mentor", other.user.id),
            "affectedUserIds": to_base64("User", actor.id),
        }
    )
    tokens: list[str] = []

    async def session() -> str:
        token, _ = await accounts.start_session(runtime, actor, ClientInfo(ip=IP))
        tokens.append(token)
        return token

    # Sign-up (a new address, and one taken), log-in, and failed log-ins.
    for email in (SECOND_EMAIL, EMAIL):
        signup = {"email": email, "password": PASSWORD, "name": NAME, "consents": []}
        await graphql(document("SignUp"), {"input": signup}, headers=headers)
    logged_in = await graphql(
        document("LogIn"),
        {"input": {"email": EMAIL, "password": PASSWORD, "session": "TOKEN"}},
        headers=headers,
    )
    tokens.append(logged_in["data"]["logIn"]["token"])
    for email in (EMAIL, SECOND_EMAIL, "nobody.pii@example.org"):
        failed = {"input": {"email": email, "password": WRONG_PASSWORD}}
        await graphql(document("LogIn"), failed, headers=headers)

    # Every mutation a client sends, each on a fresh session of the staff member.
    mutations = _mutations()
    assert len(mutations) > 50
    for name in mutations:
        text = document(name)
        if name == "UploadProfilePhoto":
            form = FormData()
            form.add_field("operations", json.dumps({"query": text, "variables": {"photo": None}}))
            form.add_field("map", json.dumps({"0": ["variables.photo"]}))
            form.add_field("0", FREE_TEXT.encode(), filename=f"{NAME}.png")
            bearer = {"Authorization": f"Bearer {await session()}"}
            await graphql.http.post("/graphql", data=form, headers={**headers, **bearer})
            continue
        await graphql(text, values.for_document(text), token=await session(), headers=headers)

    # An unexpected failure quoting personal data in its message: masked, and logged.
    def failing(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"could not update {EMAIL} ({NAME}) with {PASSWORD}")

    monkeypatch.setattr(profiles, "update_profile", failing)
    masked = await graphql(
        document("UpdateProfile"),
        {"input": {"name": NAME, "bio": FREE_TEXT}},
        token=await session(),
        headers=headers,
    )
    assert error_codes(masked) == ["INTERNAL"]

    # What the requests left to the background runs too (mail to the addresses above).
    await runtime.outbox.deliver_outbox()

    lines = [orjson.loads(line) for line in captured.getvalue().splitlines()]
    # The access log line of each request carries its id and its operation.
    access = [line for line in lines if line["logger"] == "aiohttp.access"]
    assert {"LogIn", "UpdateProfile", "SignUp"} <= {line.get("operation") for line in access}
    assert all(len(line["request_id"]) >= 16 for line in access)
    internal = [line for line in lines if "unexpected RuntimeError" in line["message"]]
    assert len(internal) == 1
    assert internal[0]["level"] == "ERROR"
    assert internal[0]["operation"] == "UpdateProfile"
    assert internal[0]["request_id"] == masked["errors"][0]["extensions"]["requestId"]
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)

    personal = [EMAIL, SECOND_EMAIL, NAME, PASSWORD, WRONG_PASSWORD, TOKEN, IP, FREE_TEXT]
    personal += tokens
    leaks = {
        (value, line["logger"], line["message"])
        for value in personal
        for line in lines
        if value in json.dumps(line, ensure_ascii=False)
        and not line["logger"].startswith(PEER_LOGGERS)
    }
    assert sorted(leaks) == []
