"""The privacy policy in force: the newest version already effective.

A fresh database has none yet; version 1, the policy the product was published with
(``privacy-policy-v1.txt``), is recorded on first need, so every consent names a version.
"""

from __future__ import annotations

from pathlib import Path

from core import clock
from models.privacy import PrivacyPolicy

FIRST_VERSION = "1"
FIRST_TEXT = Path(__file__).with_name("privacy-policy-v1.txt")


async def current_policy() -> PrivacyPolicy:
    found = (
        await PrivacyPolicy.filter(effective_at__lte=clock.now())
        .order_by("-effective_at", "-id")
        .first()
    )
    if found is not None:
        return found
    policy, _ = await PrivacyPolicy.get_or_create(
        version=FIRST_VERSION,
        defaults={"text": FIRST_TEXT.read_text(), "effective_at": clock.now()},
    )
    return policy
