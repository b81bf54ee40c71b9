"""The declared state tables agree with each other: a payment's status comes from its facts in
every case, the job follows its payment only along the job table's own SYSTEM moves, and every
testimonial action is declared."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from models.marketplace import JobStatus
from models.payments import DisputeStatus, Payment, PaymentStatus
from services import testimonials
from services.jobs import RESTORE, TRANSITIONS, JobRole
from services.payments.states import (
    ALLOWED_IN,
    JOB_FOLLOWS_PAYMENT,
    STATUS_FROM_FACTS,
    PaymentAction,
    status_of,
)

PAID = datetime(2026, 1, 1, tzinfo=UTC)


def _payment(*, paid: bool, refunded: int, dispute: DisputeStatus | None, failed: bool) -> Payment:
    return Payment(
        amount_cents=100,
        currency="EUR",
        paid_at=PAID if paid else None,
        refunded_cents=refunded if paid else 0,
        dispute_status=dispute,
        failure_code="card_declined" if failed else None,
    )


FACTS = [
    _payment(paid=paid, refunded=refunded, dispute=dispute, failed=failed)
    for paid, refunded, dispute, failed in itertools.product(
        (False, True), (0, 40, 100), (None, *DisputeStatus), (False, True)
    )
]


def test_every_status_is_read_off_some_facts_and_every_facts_give_one() -> None:
    assert {status_of(payment) for payment in FACTS} == set(PaymentStatus)
    assert STATUS_FROM_FACTS[-1][0](FACTS[0]), "the last row must hold for any payment"


@pytest.mark.parametrize(
    ("facts", "status"),
    [
        ({"paid": False, "refunded": 0, "dispute": None, "failed": False}, "PENDING"),
        ({"paid": False, "refunded": 0, "dispute": None, "failed": True}, "FAILED"),
        ({"paid": True, "refunded": 0, "dispute": None, "failed": True}, "SUCCEEDED"),
        (
            {"paid": True, "refunded": 40, "dispute": DisputeStatus.WON, "failed": False},
            "PARTIALLY_REFUNDED",
        ),
        ({"paid": True, "refunded": 100, "dispute": None, "failed": False}, "REFUNDED"),
        (
            {"paid": True, "refunded": 100, "dispute": DisputeStatus.OPEN, "failed": False},
            "DISPUTED",
        ),
        (
            {"paid": True, "refunded": 0, "dispute": DisputeStatus.LOST, "failed": False},
            "DISPUTE_LOST",
        ),
    ],
)
def test_the_first_fact_that_holds_decides(facts: dict[str, object], status: str) -> None:
    assert status_of(_payment(**facts)) is PaymentStatus(status)  # type: ignore[arg-type]


def test_a_job_follows_its_payment_only_along_its_own_system_moves() -> None:
    for (payment_status, job_status), action in JOB_FOLLOWS_PAYMENT.items():
        assert (job_status, action, JobRole.SYSTEM) in TRANSITIONS, (payment_status, job_status)


def test_following_a_payment_always_comes_to_rest() -> None:
    """From any job status, the job takes a few steps after its payment and stops: the table
    never sends it round in a circle."""
    for payment_status, start in itertools.product(PaymentStatus, JobStatus):
        status, seen = start, {start}
        while (action := JOB_FOLLOWS_PAYMENT.get((payment_status, status))) is not None:
            target = TRANSITIONS[(status, action, JobRole.SYSTEM)]
            status = JobStatus.PAID if target == RESTORE else JobStatus(target)
            assert status not in seen, (payment_status, start, status)
            seen.add(status)


def test_people_act_on_a_payment_only_before_or_after_the_money_moves() -> None:
    unpaid, paid = ALLOWED_IN[PaymentAction.CONFIRM], ALLOWED_IN[PaymentAction.REFUND]
    assert ALLOWED_IN[PaymentAction.CANCEL] == unpaid
    assert not unpaid & paid
    assert set(ALLOWED_IN) == set(PaymentAction)


def test_every_testimonial_action_names_who_takes_it() -> None:
    assert set(testimonials.ACTIONS) == set(testimonials.TestimonialAction)
    by_author = {
        a for a, step in testimonials.ACTIONS.items() if step.by is testimonials.Party.AUTHOR
    }
    assert by_author == {
        testimonials.TestimonialAction.GRANT,
        testimonials.TestimonialAction.REVOKE,
    }
