"""Proof of erasure (P23): a user who has done everything is deleted, the grace period passes,
and no text, JSON or binary column of any table (read from the database's own catalog), no
file under the data folder, holds anything of theirs; after the financial retention, not even
the pseudonymized records of their payments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tortoise import connections

from core.runtime import Runtime
from models.accounts import StaffPermission, User
from models.marketplace import Job
from models.payments import Payment, StripeCustomer
from models.social import ImportedField, SocialAccount, SocialImport
from services import accounts
from services.client import ClientInfo
from tests.accounts.test_profile import png, upload
from tests.deletion.helpers import asked, confirm, erase_after
from tests.marketplace.helpers import (
    ACCEPT_JOB,
    become_mentor,
    completed_job,
    job_action,
    request_job,
    write_testimonial,
)
from tests.payments.helpers import PAYMENTS, Deal, onboard_mentor, pay
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.smtp import Mailbox
from tests.support.stripe_server import StripeServer
from tests.support.users import SignedIn, UserFactory

NAME = "Zephyrine Quillfeather"
EMAIL = "zephyrine.quillfeather@example.com"
BIO = "Xylophonist and marmalade connoisseur."
ADDRESS = "203.0.113.77"
# Who a third-party login provider says the person is: personal data, erased with them.
PROVIDER_UID = "uid-of-zq-at-acme-88213"
TEXT_TYPES = ("text", "character varying", "json", "jsonb", "bytea")


async def _columns() -> list[tuple[str, str]]:
    """Every text, JSON and binary column of every table, from the database's catalog."""
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        _, rows = await connection.execute_query(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema()"
        )
        return [(r["table_name"], r["column_name"]) for r in rows if r["data_type"] in TEXT_TYPES]
    _, tables = await connection.execute_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    found = []
    for table in tables:
        _, columns = await connection.execute_query(f'PRAGMA table_info("{table["name"]}")')
        for column in columns:
            kind = str(column["type"]).upper()
            if any(word in kind for word in ("CHAR", "TEXT", "JSON", "BLOB", "CLOB")):
                found.append((table["name"], column["name"]))
    return found


async def _database_hits(needles: list[bytes]) -> list[str]:
    connection = connections.get("default")
    hits = []
    for table, column in await _columns():
        _, rows = await connection.execute_query(f'SELECT "{column}" AS value FROM "{table}"')
        for row in rows:
            value = row["value"]
            if value is None:
                continue
            data = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
            hits.extend(f"{table}.{column}" for needle in needles if needle in data.lower())
    return hits


def _file_hits(folder: Path, needles: list[bytes]) -> list[str]:
    return [
        f"{path}: {needle[:40]!r}"
        for path in folder.rglob("*")
        if path.is_file()
        for needle in needles
        if needle in path.read_bytes().lower()
    ]


async def _scan(runtime: Runtime, needles: list[bytes]) -> list[str]:
    lowered = [needle.lower() for needle in needles]
    return await _database_hits(lowered) + _file_hits(runtime.settings.data_dir, lowered)


async def _everything_done_by(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer, runtime: Runtime
) -> tuple[SignedIn, bytes]:
    """A mentor and client at once: profile and photo, a post and a like, jobs both ways, a
    payment refunded in part and disputed, testimonials, consents, interactions, mail, and a
    question to support about the privacy policy."""
    created = await users.create(NAME, email=EMAIL)
    token, _ = await accounts.start_session(runtime, created.user, ClientInfo(ip=ADDRESS))
    person = SignedIn(user=created.user, token=token)
    updated = await graphql.data(
        document("UpdateProfile"), {"input": {"bio": BIO, "timezone": "Europe/Oslo"}}, token=token
    )
    assert updated["updateProfile"]["errors"] == []
    photo = png(3, 7)
    assert (await upload(graphql, photo, token=token))["data"]["uploadProfilePhoto"]["errors"] == []
    person_mentor_id = await become_mentor(graphql, person)
    created_post = await graphql.data(
        document("CreatePost"), {"input": {"title": "Quillfeather notes", "body": BIO}}, token=token
    )
    post_id = created_post["createPost"]["post"]["id"]
    await graphql.data(document("PublishPost"), {"input": {"postId": post_id}}, token=token)
    await graphql.data(
        document("SetConsent"), {"input": {"purpose": "ANALYTICS", "granted": True}}, token=token
    )
    await graphql.data(
        document("RecordInteraction"),
        {"input": {"kind": "POST_VIEW", "postId": post_id}},
        token=token,
        headers={"X-Forwarded-For": ADDRESS},
    )
    asked_support = await graphql.data(
        document("SendPrivacyQuestion"),
        {"input": {"subject": "A Quillfeather question", "message": f"{BIO} Who sees it?"}},
        token=token,
    )
    assert asked_support["sendPrivacyQuestion"]["errors"] == []
    await SocialAccount.create(user_id=person.user.id, provider="acme", uid=PROVIDER_UID)
    await SocialImport.create(user_id=person.user.id, provider="acme", field=ImportedField.NAME)

    # As a client: a job paid through Stripe, refunded in part, disputed and won, completed.
    mentor = await users.create("Mona Mentor")
    mentor_id = await become_mentor(graphql, mentor, payout_ready=False)
    await onboard_mentor(graphql, stripe, mentor)
    other_post = await graphql.data(
        document("CreatePost"), {"input": {"title": "Mona's", "body": "b"}}, token=mentor.token
    )
    other_post_id = other_post["createPost"]["post"]["id"]
    await graphql.data(
        document("PublishPost"), {"input": {"postId": other_post_id}}, token=mentor.token
    )
    await graphql.data(document("LikePost"), {"input": {"postId": other_post_id}}, token=token)
    job_id = await request_job(graphql, person, mentor_id)
    price = {"amountCents": 5000, "currency": "EUR"}
    await graphql.data(ACCEPT_JOB, {"input": {"jobId": job_id, "price": price}}, token=mentor.token)
    deal = Deal(client=person, mentor=mentor, job_id=job_id)
    await pay(graphql, stripe, deal)
    for event in stripe.events_of("payment_intent.succeeded"):
        assert await stripe.deliver(event) == 200
    staff = await users.create("Pat Payments", staff=[StaffPermission.MANAGE_PAYMENTS])
    payment_id = (await graphql.data(PAYMENTS, token=token))["payments"]["edges"][0]["node"]["id"]
    refunded = await graphql.data(
        document("RefundPayment"),
        {
            "input": {
                "paymentId": payment_id,
                "reason": "REQUESTED_BY_CUSTOMER",
                "amount": {"amountCents": 500, "currency": "EUR"},
            }
        },
        token=staff.token,
    )
    assert refunded["refundPayment"]["errors"] == [], refunded
    payment = await Payment.get(job_id=deal.job_row_id)
    dispute = stripe.open_dispute(payment.stripe_payment_intent_id)
    assert await stripe.deliver(dispute) == 200
    assert (
        await stripe.deliver(stripe.settle_dispute(dispute["data"]["object"]["id"], "won")) == 200
    )
    for name, who in (("deliverJob", mentor), ("completeJob", person)):
        body = await job_action(graphql, name, job_id, who)
        assert body["data"][name]["errors"] == [], body
    await write_testimonial(graphql, person, job_id, text=f"{NAME} says thanks")

    # As a mentor: a client's completed job and its testimonial.
    client = await users.create("Carl Client")
    as_mentor = await completed_job(graphql, client, person, person_mentor_id)
    await write_testimonial(graphql, client, as_mentor, text="Helpful")
    return person, photo


@pytest.mark.promise("P23")
async def test_after_erasure_nothing_of_the_person_remains_anywhere_the_service_writes(
    graphql: GraphQLClient,
    users: UserFactory,
    stripe: StripeServer,
    mailbox: Mailbox,
    runtime: Runtime,
) -> None:
    person, photo = await _everything_done_by(graphql, users, stripe, runtime)
    customer = await StripeCustomer.get(user_id=person.user.id)
    session_prefix = "203.0.113.0/24"
    needles: list[bytes] = [
        EMAIL.encode(),
        b"Zephyrine",
        b"Quillfeather",
        b"Xylophonist",
        b"marmalade",
        session_prefix.encode(),
        customer.stripe_customer_id.encode(),
        PROVIDER_UID.encode(),
        photo,
    ]
    assert await _scan(runtime, needles), "the scan must see the person before the erasure"

    confirm_token, _ = await asked(graphql, mailbox, person)
    assert (await confirm(graphql, confirm_token))["errors"] == []
    assert await erase_after(runtime, runtime.settings.account_erasure_grace) == 1

    assert await _scan(runtime, needles) == []
    assert await SocialImport.filter(user_id=person.user.id).count() == 0
    # Only the pseudonymized financial records remain, kept for the law.
    kept = await Payment.filter(client_id=person.user.id)
    assert len(kept) == 1 and kept[0].refunded_cents == 500
    intent_id = kept[0].stripe_payment_intent_id
    assert await Job.filter(client_id=person.user.id).count() == 1
    # The customer is deleted at Stripe too.
    assert customer.stripe_customer_id not in [c.id for c in stripe.objects("customer")]

    # After the financial retention they go too.
    retention = runtime.settings.account_erasure_grace + runtime.settings.financial_retention
    assert await erase_after(runtime, retention) == 1
    assert await Payment.filter(client_id=person.user.id).count() == 0
    assert await _scan(runtime, [intent_id.encode()]) == []
    assert (await User.get(id=person.user.id)).email.startswith("erased:")


async def test_stripe_away_during_erasure_postpones_only_the_stripe_step(
    graphql: GraphQLClient,
    users: UserFactory,
    stripe: StripeServer,
    mailbox: Mailbox,
    runtime: Runtime,
) -> None:
    person = await users.create("Stella Stripe")
    await StripeCustomer.create(user_id=person.user.id, stripe_customer_id="cus_stella")
    confirm_token, _ = await asked(graphql, mailbox, person)
    await confirm(graphql, confirm_token)
    async with stripe.stopped():
        assert await erase_after(runtime, runtime.settings.account_erasure_grace) == 1
    erased: Any = await User.get(id=person.user.id)
    assert erased.email.startswith("erased:") and erased.name == ""
    assert await StripeCustomer.exists(user_id=person.user.id)  # waits for Stripe
    await erase_after(runtime, runtime.settings.account_erasure_grace)
    assert not await StripeCustomer.exists(user_id=person.user.id)
