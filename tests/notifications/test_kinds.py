"""Every kind is declared with its mail rule and words; the words name nobody (P10)."""

from __future__ import annotations

import pytest

from models.marketplace import Job
from models.notifications import NotificationKind
from models.payments import Payment
from services.notifications.emit import notify
from services.notifications.kinds import KINDS, Facts, words

pytestmark = pytest.mark.promise("P10")

CLIENT, MENTOR = 1, 2


def test_every_kind_has_a_rule() -> None:
    """A kind added to the enum without its mail rule and words fails here."""
    assert set(KINDS) == set(NotificationKind)


@pytest.mark.parametrize("kind", list(NotificationKind))
def test_the_words_are_fixed_phrases_for_either_side(kind: NotificationKind) -> None:
    job = Job(id=7, description="Private words")
    job.client_id, job.mentor_id = CLIENT, MENTOR
    payment = Payment(id=8, amount_cents=5000, currency="EUR")
    for recipient in (CLIENT, MENTOR):
        text = words(kind, Facts(recipient, job=job, payment=payment))
        assert 0 < len(text.title) <= 200 and text.body
        assert "Private" not in text.title + text.body
        assert "{" not in text.title + text.body


async def test_a_notification_is_written_in_the_transaction_of_its_change(http: object) -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        await notify(NotificationKind.PAYOUT_READY, [1])
