"""Questions about the privacy policy (P26: "Contact our support team for any questions about
the Privacy Policy"). Anyone may send one, signed in or not: it is kept, mailed to the support
address with the sender's address to reply to, and acknowledged to the sender.

Anyone can type any address, so the acknowledgement names only the subject, never the
message, and each network, account and answering address has a small budget a window. A
question and its mail go after ``privacy_question_retention`` (unless a legal hold keeps the
asker's data), or with the account that asked when it is erased.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from core import clock, limits
from core.errors import BadUserInput, RateLimited
from core.runtime import Budget, Runtime
from models.accounts import User
from models.deletion import LegalHold
from models.outbox import OutboxEmail
from models.privacy import PrivacyQuestion
from services.accounts import normalize_email
from services.client import ClientInfo
from services.email import enqueue_email_to
from services.tokens import token_digest
from services.transactions import transaction

# Fixed words: an outbox row keeps its subject after delivery, so it names nobody.
SUPPORT_SUBJECT = "Privacy question #{id}"
ACKNOWLEDGEMENT_SUBJECT = "We received your privacy question"


@dataclass(frozen=True)
class Question:
    subject: str
    message: str
    reply_to: str


def _bounded(text: str, limit: int, field: str, empty: str) -> str:
    if not text:
        raise BadUserInput(empty, field=field)
    if len(text) > limit:
        raise BadUserInput(f"Use at most {limit} characters.", field=field)
    return text


def checked(user: User | None, *, subject: str, message: str, reply_to: str | None) -> Question:
    """The question as it will be kept; the answer goes to ``reply_to``, by default the
    signed-in account's address, which someone not signed in must give."""
    if reply_to is not None:
        address = normalize_email(reply_to, field="replyTo")
    elif user is not None:
        address = user.email
    else:
        raise BadUserInput("Give the email address to answer you at.", field="replyTo")
    return Question(
        subject=_bounded(
            " ".join(subject.split()),
            limits.MAX_QUESTION_SUBJECT_LENGTH,
            "subject",
            "Say what the question is about.",
        ),
        message=_bounded(
            message.strip(), limits.MAX_QUESTION_MESSAGE_LENGTH, "message", "Write the question."
        ),
        reply_to=address,
    )


async def _take_budgets(
    runtime: Runtime, user: User | None, question: Question, client: ClientInfo
) -> None:
    """The network's budget, the answering address's (its acknowledgements) and, signed in,
    the account's: RATE_LIMITED once one is spent."""
    settings = runtime.settings
    per_sender = settings.privacy_questions_per_sender
    budgets = [
        (f"privacy-question:ip:{client.ip_prefix or 'unknown'}", settings.privacy_questions_per_ip),
        (f"privacy-question:address:{token_digest(question.reply_to)}", per_sender),
    ]
    if user is not None:
        budgets.append((f"privacy-question:account:{user.id}", per_sender))
    for key, limit in budgets:
        wait = await runtime.throttle.take(key, Budget(limit, settings.throttle_window))
        if wait:
            raise RateLimited(wait)


def _support_body(question: Question, user: User | None) -> str:
    sender = f"the account {user.email}, signed in" if user else "someone not signed in"
    return (
        f"A question about the privacy policy, from {sender}.\n\n"
        f"Subject: {question.subject}\n"
        f"Reply to: {question.reply_to}\n\n"
        f"{question.message}\n"
    )


def _acknowledgement_body(question: Question) -> str:
    return (
        f'Thank you for your question about our privacy policy, "{question.subject}". Our '
        "support team will answer you at this address.\n\n"
        "If you did not send it, you can ignore this message.\n"
    )


async def ask(
    runtime: Runtime,
    user: User | None,
    *,
    subject: str,
    message: str,
    reply_to: str | None,
    client: ClientInfo,
) -> PrivacyQuestion:
    """Keep the question, mail it to support and acknowledge it to the sender."""
    question = checked(user, subject=subject, message=message, reply_to=reply_to)
    await _take_budgets(runtime, user, question, client)
    async with transaction():
        row = await PrivacyQuestion.create(
            user_id=user.id if user else None,
            reply_to=question.reply_to,
            subject=question.subject,
            message=question.message,
            created_at=clock.now(),
        )
        support = await enqueue_email_to(
            runtime.settings.support_email,
            SUPPORT_SUBJECT.format(id=row.id),
            _support_body(question, user),
            headers={"Reply-To": question.reply_to},
        )
        acknowledgement = await enqueue_email_to(
            question.reply_to,
            ACKNOWLEDGEMENT_SUBJECT,
            _acknowledgement_body(question),
            recipient=user,
        )
        row.support_mail_id, row.acknowledgement_id = support.id, acknowledgement.id
        await row.save(update_fields=["support_mail_id", "acknowledgement_id"])
    await runtime.outbox.wake()
    return row


async def _forget_page(questions: QuerySet[PrivacyQuestion]) -> int:
    """Delete the first page of ``questions`` and the mail they caused; answers how many."""
    page = (
        await questions.order_by("id")
        .limit(limits.MAX_IDS_PER_QUERY)
        .values_list("id", "support_mail_id", "acknowledgement_id")
    )
    mail = [mail_id for _, *mail_ids in page for mail_id in mail_ids if mail_id is not None]
    await OutboxEmail.filter(id__in=mail).delete()
    await PrivacyQuestion.filter(id__in=[row[0] for row in page]).delete()
    return len(page)


async def forget(questions: QuerySet[PrivacyQuestion]) -> int:
    """Delete the questions ``questions`` selects and the mail they caused, in the caller's
    transaction (an erasure step); answers how many."""
    forgotten = 0
    while page := await _forget_page(questions):
        forgotten += page
    return forgotten


async def forget_expired(runtime: Runtime) -> int:
    """Questions past their retention go, a page a transaction, except those of an account
    a legal hold keeps; answers how many."""
    cutoff = clock.now() - runtime.settings.privacy_question_retention
    held = Subquery(LegalHold.filter(released_at__isnull=True).values("user_id"))
    expired = PrivacyQuestion.filter(
        Q(user_id__isnull=True) | ~Q(user_id__in=held), created_at__lt=cutoff
    )
    forgotten = 0
    while True:
        async with transaction():
            page = await _forget_page(expired)
        if not page:
            return forgotten
        forgotten += page
