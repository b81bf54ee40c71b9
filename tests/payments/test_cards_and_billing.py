"""Saved cards are their owner's alone (P2); staff billing lookups are audited (P13)."""

from __future__ import annotations

from typing import Any

import pytest

from models.accounts import StaffPermission
from models.audit import AuditAction, AuditEntry
from models.payments import PaymentMethod
from tests.payments.helpers import PAYMENTS, paid_job
from tests.support.documents import document
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.stripe_server import StripeServer
from tests.support.users import SignedIn, UserFactory

ADD_CARD = document("AddPaymentMethod")
MY_CARDS = document("PaymentMethods")
REMOVE_CARD = document("RemovePaymentMethod")
CARD_FIELDS = "id brand last4 expMonth expYear"
# No client page asks for another person's cards or payout status: this checks nobody gets them.
ANOTHER_USERS_CARDS = """
query AnotherUsersCards($id: ID!) {
  user(id: $id) { name paymentMethods { totalCount } payoutStatus }
}
"""
CARD_NODE = (
    f"query Node($id: ID!) {{ node(id: $id) {{ ... on PaymentMethod {{ {CARD_FIELDS} }} }} }}"
)
PAYMENT_NODE = (
    "query Node($id: ID!) { node(id: $id) { ... on Payment { status amount { amountCents } } } }"
)


async def save_card(graphql: GraphQLClient, stripe: StripeServer, who: SignedIn) -> str:
    """Add a card the way the web client does; returns its PaymentMethod global ID."""
    added = await graphql.data(ADD_CARD, token=who.token)
    secret = added["addPaymentMethod"]["clientSecret"]
    assert added["addPaymentMethod"]["errors"] == [] and secret.startswith("seti_")
    setup_id = secret.split("_secret_")[0]
    await stripe.api.v1.setup_intents.confirm_async(
        setup_id, params={"payment_method": "pm_card_visa", "client_secret": secret}
    )
    for event in stripe.events_of("payment_method.attached"):
        assert await stripe.deliver(event) == 200
    cards = await graphql.data(MY_CARDS, token=who.token)
    card_id: str = cards["me"]["paymentMethods"]["edges"][0]["node"]["id"]
    return card_id


@pytest.mark.promise("P2")
async def test_card_brand_and_last4_are_visible_to_their_owner_only(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await paid_job(graphql, users, stripe)
    card_id = await save_card(graphql, stripe, deal.client)

    mine = await graphql.data(MY_CARDS, token=deal.client.token)
    assert mine == {
        "me": {
            "id": deal.client.global_id,
            "payoutStatus": "NOT_STARTED",
            "paymentMethods": {
                "totalCount": 1,
                "edges": [
                    {
                        "node": {
                            "id": card_id,
                            "brand": "visa",
                            "last4": "4242",
                            "expMonth": 12,
                            "expYear": 2030,
                        }
                    }
                ],
            },
        }
    }

    # The mentor shares a job with the client and sees her name, but not her cards.
    theirs = await graphql.data(
        ANOTHER_USERS_CARDS, {"id": deal.client.global_id}, token=deal.mentor.token
    )
    assert theirs == {
        "user": {"name": "Carla Client", "paymentMethods": None, "payoutStatus": None}
    }
    staff = await users.create(
        "Sue Staff", staff=[StaffPermission.VIEW_PII, StaffPermission.MANAGE_PAYMENTS]
    )
    by_staff = await graphql.data(
        ANOTHER_USERS_CARDS, {"id": deal.client.global_id}, token=staff.token
    )
    assert by_staff["user"]["paymentMethods"] is None
    for token in (deal.mentor.token, staff.token, None):
        assert await graphql.data(CARD_NODE, {"id": card_id}, token=token) == {"node": None}
    assert (await graphql.data(CARD_NODE, {"id": card_id}, token=deal.client.token))["node"][
        "last4"
    ] == "4242"


@pytest.mark.promise("P2", "P22")
async def test_the_owner_removes_a_card_and_nobody_else_can(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    owner = await users.create("Olive Owner")
    other = await users.create("Otto Other")
    card_id = await save_card(graphql, stripe, owner)

    refused = await graphql.data(
        REMOVE_CARD, {"input": {"paymentMethodId": card_id}}, token=other.token
    )
    assert refused["removePaymentMethod"]["errors"] == [
        {"field": "paymentMethodId", "code": "NOT_FOUND", "message": "No such payment method."}
    ]
    assert await PaymentMethod.all().count() == 1

    removed = await graphql.data(
        REMOVE_CARD, {"input": {"paymentMethodId": card_id}}, token=owner.token
    )
    assert removed["removePaymentMethod"] == {
        "removedPaymentMethodId": card_id,
        "user": {"id": owner.global_id, "paymentMethods": {"totalCount": 0, "edges": []}},
        "errors": [],
    }
    (detached,) = stripe.events_of("payment_method.detached")
    assert detached["data"]["object"]["customer"] is None
    assert await stripe.deliver(detached) == 200
    assert await PaymentMethod.all().count() == 0


async def _audit(action: AuditAction) -> list[tuple[Any, ...]]:
    rows = await AuditEntry.filter(action=action).order_by("id")
    return [(row.actor_id, row.subject_id, row.detail) for row in rows]


@pytest.mark.promise("P13")
async def test_staff_billing_lookups_are_audited(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await paid_job(graphql, users, stripe)
    staff = await users.create("Pat Payments", staff=[StaffPermission.MANAGE_PAYMENTS])

    own = await graphql.data(PAYMENTS, token=deal.client.token)
    assert await _audit(AuditAction.BILLING_LOOKUP) == []

    looked_up = await graphql.data(PAYMENTS, {"userId": deal.client.global_id}, token=staff.token)
    assert looked_up == own
    assert await _audit(AuditAction.BILLING_LOOKUP) == [(staff.user.id, deal.client.user.id, {})]
    (read,) = await _audit(AuditAction.PII_READ)
    assert read[:2] == (staff.user.id, deal.client.user.id)
    assert {"Payment.amount_cents", "Payment.status"} <= set(read[2]["fields"])

    payment_id = own["payments"]["edges"][0]["node"]["id"]
    by_node = await graphql.data(PAYMENT_NODE, {"id": payment_id}, token=staff.token)
    assert by_node == {"node": {"status": "SUCCEEDED", "amount": {"amountCents": 5000}}}
    assert len(await _audit(AuditAction.PII_READ)) == 2


@pytest.mark.promise("P13")
async def test_only_payments_staff_may_look_up_someone_elses_billing(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await paid_job(graphql, users, stripe)
    pii_staff = await users.create("Vic Viewer", staff=[StaffPermission.VIEW_PII])
    for who in (deal.mentor, pii_staff):
        body = await graphql(PAYMENTS, {"userId": deal.client.global_id}, token=who.token)
        assert error_codes(body) == ["FORBIDDEN"]
    payment_id = (await graphql.data(PAYMENTS, token=deal.client.token))["payments"]["edges"][0][
        "node"
    ]["id"]
    for token in (deal.mentor.token, pii_staff.token, None):
        assert await graphql.data(PAYMENT_NODE, {"id": payment_id}, token=token) == {"node": None}
    assert error_codes(await graphql(PAYMENTS)) == ["UNAUTHENTICATED"]
    assert await _audit(AuditAction.BILLING_LOOKUP) == []
    assert await _audit(AuditAction.PII_READ) == []
