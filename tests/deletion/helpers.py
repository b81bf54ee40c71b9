"""Deletion steps the tests share: ask, read the mailed tokens, confirm, erase."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from core import clock
from core.runtime import Runtime
from services.deletion import erasure
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.smtp import Mailbox
from tests.support.users import SignedIn

REQUEST = document("RequestAccountDeletion")
CONFIRM = document("ConfirmAccountDeletion")
CANCEL = document("CancelAccountDeletion")
STATE = document("AccountDeletion")
LOG_IN = document("LogIn")


def tokens_in(message: EmailMessage) -> tuple[str, str]:
    """The confirmation and the cancel token of a deletion mail, in that order."""
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    confirm = re.search(r"confirmAccountDeletion mutation:\s+(\S+)", text)
    cancel = re.search(r"cancelAccountDeletion mutation:\s+(\S+)", text)
    assert confirm and cancel, text
    return confirm.group(1), cancel.group(1)


async def ask(graphql: GraphQLClient, who: SignedIn) -> dict[str, Any]:
    payload: dict[str, Any] = (await graphql.data(REQUEST, token=who.token))[
        "requestAccountDeletion"
    ]
    return payload


async def asked(graphql: GraphQLClient, mailbox: Mailbox, who: SignedIn) -> tuple[str, str]:
    """Ask, with nothing blocking, and answer the tokens of the mail."""
    payload = await ask(graphql, who)
    assert payload["errors"] == [], payload
    mail = await mailbox.wait_for(who.user.email, "Confirm the deletion")
    return tokens_in(mail)


async def confirm(graphql: GraphQLClient, token: str) -> dict[str, Any]:
    data = await graphql.data(CONFIRM, {"input": {"token": token}})
    payload: dict[str, Any] = data["confirmAccountDeletion"]
    return payload


async def cancel(graphql: GraphQLClient, token: str) -> dict[str, Any]:
    payload: dict[str, Any] = (await graphql.data(CANCEL, {"input": {"token": token}}))[
        "cancelAccountDeletion"
    ]
    return payload


async def log_in_codes(graphql: GraphQLClient, email: str, password: str) -> list[str]:
    data = await graphql.data(LOG_IN, {"input": {"email": email, "password": password}})
    return [error["code"] for error in data["logIn"]["errors"]]


async def erase_after(runtime: Runtime, period: timedelta) -> int:
    """Move the clock past ``period`` and run the erasure and purge the sweep runs."""
    with clock.moved_clock(period + timedelta(minutes=1)):
        return await erasure.erase_due(runtime) + await erasure.purge_due(runtime)
