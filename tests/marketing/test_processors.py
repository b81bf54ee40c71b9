"""Processors listed (P18): who processes personal data for the service and why, read off the
configuration; advertising partners are configured, not coded, and refused when malformed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.settings import SHAREABLE_FIELDS, AdvertisingPartner, ConfigurationError, Settings
from services import partners, processors
from tests.support.documents import document
from tests.support.graphql import GraphQLClient

pytestmark = pytest.mark.promise("P18")

PROCESSORS = document("DataProcessors")
ADNET = AdvertisingPartner(
    name="Adnet",
    purpose="Showing our offers on its network",
    country="IE",
    endpoint="https://ads.example/audiences",
    fields=("email_sha256", "language"),
)


async def test_anyone_sees_the_configured_processors_and_partners(
    graphql: GraphQLClient, configure: Callable[..., None]
) -> None:
    configure(advertising_partners=(ADNET,))
    listed = (await graphql.data(PROCESSORS))["dataProcessors"]
    assert listed == [
        {
            "name": "Stripe",
            "role": "SERVICE_PROVIDER",
            "purpose": "Card payments, refunds and mentor payouts.",
            "country": None,
            "data": [
                "card details, entered at Stripe",
                "payment amounts",
                "payout account details",
            ],
        },
        {
            "name": "127.0.0.1",
            "role": "SERVICE_PROVIDER",
            "purpose": "Delivering the email we send you.",
            "country": None,
            "data": ["email address", "the mail's content"],
        },
        {
            "name": "Adnet",
            "role": "ADVERTISING_PARTNER",
            "purpose": "Showing our offers on its network",
            "country": "IE",
            "data": ["email address, SHA-256-hashed", "preferred language"],
        },
    ]


async def test_a_provider_that_is_not_configured_is_not_listed(
    graphql: GraphQLClient, configure: Callable[..., None]
) -> None:
    configure(stripe_secret_key=None, smtp_url=None)
    assert (await graphql.data(PROCESSORS))["dataProcessors"] == []


def test_every_shareable_field_is_computed_and_described() -> None:
    assert set(partners.FIELD_VALUES) == set(SHAREABLE_FIELDS)
    assert set(processors.FIELD_DESCRIPTIONS) == set(SHAREABLE_FIELDS)


def _from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, partners_json: str) -> Settings:
    monkeypatch.setenv("MENTOR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MENTOR_ENV", "development")
    monkeypatch.setenv("ADVERTISING_PARTNERS", partners_json)
    return Settings.from_env()


def _entry(**changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": "Adnet",
        "purpose": "Showing our offers on its network",
        "country": "IE",
        "endpoint": "https://ads.example/audiences",
        "fields": ["email_sha256", "language"],
    }
    return {**entry, **changes}


def test_partners_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert _from_env(monkeypatch, tmp_path, "").advertising_partners == ()
    found = _from_env(monkeypatch, tmp_path, json.dumps([_entry()])).advertising_partners
    assert found == (ADNET,)


@pytest.mark.parametrize(
    "partners_json",
    [
        "not json",
        json.dumps(_entry()),  # an object, not a list
        json.dumps([_entry(fields=["email"])]),  # the clear address is never shareable
        json.dumps([_entry(fields=[])]),
        json.dumps([_entry(endpoint="http://ads.example/audiences")]),
        json.dumps([_entry(endpoint="ads.example")]),
        json.dumps([_entry(country="Ireland")]),
        json.dumps([_entry(name="")]),
        json.dumps([_entry(name="x" * 101)]),
        json.dumps([_entry(token="secret")]),
        json.dumps([_entry(), _entry()]),
    ],
)
def test_a_malformed_partner_stops_the_server_from_starting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, partners_json: str
) -> None:
    with pytest.raises(ConfigurationError, match="ADVERTISING_PARTNERS"):
        _from_env(monkeypatch, tmp_path, partners_json)
