"""Every kind of notification: whether it comes by email, and its words.

The words name nobody and quote nothing (no name, no amount, no description, no testimonial
text): they are fixed phrases, chosen by the kind and by which side of the job the recipient
is on. What a notification is about is reached through its references, each under its own
rule, so a name changed or erased later is never kept in someone else's notifications, and a
mail carries no more than the app shows.

Email defaults: a kind comes by email when someone waits on the recipient or on what it
reports (a request to answer, a job to pay, deliver or complete, a cancellation, a dispute,
payouts opening, a data export to download, their data disclosed to an authority); news that
asks nothing of the recipient (a job completed, a testimonial written) stays in the app
unless they turn its mail on. Receipts of money moving (a job paid, a refund) are mail the
service owes and always come.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from models.marketplace import Job
from models.notifications import NotificationKind
from models.payments import Payment, PaymentStatus


class EmailRule(StrEnum):
    ALWAYS = "ALWAYS"  # a receipt the service owes: it cannot be turned off
    ON = "ON"  # by email unless the recipient turns it off
    OFF = "OFF"  # in the app only unless the recipient turns its mail on


@dataclass(frozen=True)
class Text:
    title: str
    body: str


@dataclass(frozen=True)
class Facts:
    """What the words may depend on: the recipient and the rows the notification names."""

    recipient_id: int
    job: Job | None = None
    payment: Payment | None = None

    @property
    def to_client(self) -> bool:
        return self.job is not None and self.job.client_id == self.recipient_id


@dataclass(frozen=True)
class KindRule:
    email: EmailRule
    about: str  # what the kind is, in the recipient's preferences
    words: Callable[[Facts], Text]


def _fixed(title: str, body: str) -> Callable[[Facts], Text]:
    return lambda _facts: Text(title, body)


def _paid(facts: Facts) -> Text:
    if facts.to_client:
        return Text("Payment received", "Your payment went through: your mentor can start.")
    return Text("Job paid", "The client paid for this job: you can start the work.")


def _cancelled(facts: Facts) -> Text:
    if facts.job is not None and facts.job.paid_at is not None:
        return Text("Job cancelled", "This job was cancelled and its payment went back.")
    other = "mentor" if facts.to_client else "client"
    return Text("Job cancelled", f"The {other} cancelled this job.")


def _refunded(facts: Facts) -> Text:
    if facts.payment is not None and facts.payment.status is PaymentStatus.REFUNDED:
        return Text("Refund issued", "Your payment was refunded in full.")
    return Text("Refund issued", "Part of your payment was refunded.")


K, E = NotificationKind, EmailRule
KINDS: dict[NotificationKind, KindRule] = {
    K.JOB_REQUESTED: KindRule(
        E.ON,
        "A client asks you for help",
        _fixed(
            "New job request",
            "A client asked for your help: accept it with a price, or decline it.",
        ),
    ),
    K.JOB_ACCEPTED: KindRule(
        E.ON,
        "A mentor accepts your request",
        _fixed(
            "Request accepted",
            "Your mentor accepted the job and set its price: pay to get started.",
        ),
    ),
    K.JOB_DECLINED: KindRule(
        E.ON,
        "A mentor declines your request",
        _fixed("Request declined", "The mentor declined this request."),
    ),
    K.JOB_PAID: KindRule(E.ALWAYS, "A job is paid (a receipt)", _paid),
    K.JOB_DELIVERED: KindRule(
        E.ON,
        "Your mentor delivers the work",
        _fixed(
            "Work delivered",
            "Your mentor marked the job delivered: complete it once you are satisfied.",
        ),
    ),
    K.JOB_COMPLETED: KindRule(
        E.OFF,
        "Your client completes a job",
        _fixed("Job completed", "The client confirmed the job is done."),
    ),
    K.JOB_CANCELLED: KindRule(E.ON, "A job is cancelled", _cancelled),
    K.TESTIMONIAL_WRITTEN: KindRule(
        E.OFF,
        "A client writes you a testimonial",
        _fixed(
            "New testimonial",
            "Your client wrote a testimonial. It stays private until "
            "they allow it to be displayed.",
        ),
    ),
    K.PAYMENT_REFUNDED: KindRule(E.ALWAYS, "A payment is refunded (a receipt)", _refunded),
    K.PAYMENT_DISPUTED: KindRule(
        E.ON,
        "A payment of yours is disputed",
        _fixed(
            "Payment disputed",
            "A dispute was opened on your payment: the job is on hold until it closes.",
        ),
    ),
    K.PAYOUT_READY: KindRule(
        E.ON,
        "Stripe enables your payouts",
        _fixed(
            "Payouts ready", "Stripe enabled payouts on your account: you can accept paid jobs now."
        ),
    ),
    # The user waits on it, and it can be downloaded for a day only.
    K.DATA_EXPORT_READY: KindRule(
        E.ON,
        "A copy of your data you asked for is ready",
        _fixed(
            "Your data export is ready",
            "The copy of your data you asked for is ready: download it from your privacy "
            "settings within 24 hours, after which it is deleted.",
        ),
    ),
    # They may wish to act on it (ask the authority, object): by email unless they turned it
    # off; the app and me.dataDisclosures always show it. The words say only that it happened.
    K.LEGAL_DISCLOSURE: KindRule(
        E.ON,
        "Your data is disclosed to an authority as the law requires",
        _fixed(
            "Your data was disclosed",
            "Some of your data was disclosed to an authority, as the law requires. You can see "
            "which authority and which kinds of data in your privacy settings.",
        ),
    ),
}


def words(kind: NotificationKind, facts: Facts) -> Text:
    return KINDS[kind].words(facts)


def emailed_by_default(kind: NotificationKind) -> bool:
    return KINDS[kind].email is not EmailRule.OFF


def email_required(kind: NotificationKind) -> bool:
    return KINDS[kind].email is EmailRule.ALWAYS
