"""Every kind of notification: whether it comes by email, and its words.

The words name nobody and quote nothing (no name, no amount, no description, no testimonial
text; a security notice names a browser family, never a network): they are fixed phrases,
chosen by the kind and by which side of the job the recipient is on. What a notification is
about is reached through its references, each under its own rule, so a name changed or erased
later is never kept in someone else's notifications, and a mail carries no more than the app
shows.

Email defaults: a kind comes by email when someone waits on the recipient or on what it
reports (a request to answer, a job to pay, deliver or complete, a cancellation, a dispute,
payouts opening, a data export to download, their data disclosed to an authority); news that
asks nothing of the recipient (a job completed, a testimonial written) stays in the app
unless they turn its mail on. Receipts of money moving (a job paid, a refund) are mail the
service owes and always come, as do security notices (a sign-in from a new device, a security
incident that concerns the recipient's data, GDPR Art. 34) and the notice of a material change
to the privacy policy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from models.marketplace import Job
from models.notifications import NotificationKind
from models.payments import Payment, PaymentStatus
from services.access.policy import Category


class EmailRule(StrEnum):
    ALWAYS = "ALWAYS"  # mail the service owes (a receipt, a policy notice): never turned off
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
    # The categories of personal data a security incident concerned.
    categories: tuple[Category, ...] = ()
    # The parsed family ("Firefox") of the browser a security notice is about.
    browser_family: str | None = None

    @property
    def to_client(self) -> bool:
        return self.job is not None and self.job.client_id == self.recipient_id


RECEIPT = "This is a receipt: it always comes by email."


@dataclass(frozen=True)
class KindRule:
    email: EmailRule
    about: str  # what the kind is, in the recipient's preferences
    words: Callable[[Facts], Text]
    # Why an ALWAYS kind cannot be turned off, said in its mail.
    always_because: str = RECEIPT


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


# What each category of personal data is, in a security notice's words, and what its holder
# can do when it was exposed. Fixed phrases: a notice quotes nothing of the incident's record.
CATEGORY_WORDS: dict[Category, str] = {
    Category.CONTACT: "your contact details, such as your email address",
    Category.IDENTITY: "your name and profile photo",
    Category.FINANCIAL: "your payment records and the brand and last digits of your saved cards",
    Category.DEVICE_NETWORK: "the networks and browsers you used the service from",
    Category.BEHAVIOUR: "your activity here, such as the pages you viewed and posts you liked",
    Category.CONTENT: "what you wrote here, such as posts, job requests and testimonials",
    Category.PREFERENCES: "your settings and choices, such as language, time zone and consents",
    Category.CREDENTIAL: "your sign-in secrets: a protected form of your password, and sessions",
}
CATEGORY_ADVICE: dict[Category, str] = {
    Category.CREDENTIAL: "Change your password, and wherever else you use it, then log out "
    "everywhere.",
    Category.FINANCIAL: "Check your card statements and tell your bank of any payment you do "
    "not recognise.",
    Category.CONTACT: "Be wary of unexpected mail asking for your password or payment "
    "details: we never ask for them.",
}


def _listed(phrases: list[str]) -> str:
    return phrases[0] if len(phrases) == 1 else f"{'; '.join(phrases[:-1])} and {phrases[-1]}"


def _security_incident(facts: Facts) -> Text:
    concerned = [CATEGORY_WORDS[c] for c in Category if c in facts.categories]
    advice = [CATEGORY_ADVICE[c] for c in CATEGORY_ADVICE if c in facts.categories]
    return Text(
        "A security incident concerns your data",
        "We found a security incident in which someone without permission may have reached "
        f"{_listed(concerned) if concerned else 'some of your data'}. "
        + " ".join(advice)
        + (" " if advice else "")
        + "We are investigating it and working to keep it from happening again; your privacy "
        "settings list this notice, and our support team answers your questions.",
    )


def _new_device(facts: Facts) -> Text:
    return Text(
        "New sign-in to your account",
        f"Your account was just signed in to from {facts.browser_family or 'a browser'} on a "
        "device or network it had not been used from before. If this was you, there is "
        "nothing to do. If it was not, log out everywhere (logOutEverywhere) and change "
        "your password (changePassword) now.",
    )


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
    # GDPR Art. 34: a breach likely to put someone's rights at risk is told to them.
    K.SECURITY_INCIDENT: KindRule(
        E.ALWAYS,
        "A security incident concerns your data",
        _security_incident,
        always_because="We must tell you of a security incident that concerns your data: "
        "this mail always comes.",
    ),
    # Someone else may hold the password: the owner must hear of it wherever they are.
    K.NEW_DEVICE_LOGIN: KindRule(
        E.ALWAYS,
        "A new device signs in to your account (a security notice)",
        _new_device,
        always_because="This is a security notice: it always comes by email.",
    ),
    # P25: "the users are requested to review this page for any updates".
    K.POLICY_UPDATED: KindRule(
        E.ALWAYS,
        "The privacy policy changes in a way you must review (always by email)",
        _fixed(
            "Our privacy policy changed",
            "A new version of our privacy policy is in force, with changes that matter to "
            "you. Read what changed and accept it in your privacy settings.",
        ),
        always_because="The service owes you this notice: it always comes by email.",
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
