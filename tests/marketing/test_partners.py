"""Advertising partners receive only consenting people, only their configured fields, the
email hashed; every share is a disclosure its person sees (P18: "some data may go to
service providers or advertising partners"; sharing only with consent, GPC honoured)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from app.partners import HttpPartners
from app.tasks import BackgroundWork
from core import clock
from core.runtime import Runtime
from core.settings import AdvertisingPartner, Settings
from models.accounts import User
from models.marketing import PartnerDisclosure
from services import partners
from services.email import FolderMailer
from tests.marketing.conftest import PartnerEndpoint
from tests.marketing.helpers import choose, send_gpc
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.users import SignedIn, UserFactory

pytestmark = pytest.mark.promise("P18")

DISCLOSURES = document("DataDisclosures")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def partner(endpoint: PartnerEndpoint, name: str, *fields: str) -> AdvertisingPartner:
    return AdvertisingPartner(
        name=name,
        purpose="Showing our offers on its network",
        country="IE",
        endpoint=endpoint.url,
        fields=fields,
    )


@pytest.fixture
def one_partner(
    partner_endpoint: PartnerEndpoint, configure: Callable[..., None]
) -> AdvertisingPartner:
    configured = partner(partner_endpoint, "Adnet", "email_sha256", "language")
    configure(advertising_partners=(configured,))
    return configured


async def sharing(graphql: GraphQLClient, users: UserFactory, name: str, **kw: Any) -> SignedIn:
    person = await users.create(name, email=kw.pop("email", f"{name.lower()}@example.com"))
    if kw:
        await User.filter(id=person.user.id).update(**kw)
    await choose(graphql, person, "ADVERTISING_PARTNERS", True)
    return person


async def shared_with(person: SignedIn) -> list[tuple[str, list[str]]]:
    found = PartnerDisclosure.filter(user_id=person.user.id).order_by("disclosed_at", "id")
    return [(d.partner, d.fields_sent) for d in await found]


async def test_only_consenting_people_are_sent_and_only_the_configured_fields(
    graphql: GraphQLClient,
    users: UserFactory,
    runtime: Runtime,
    partner_endpoint: PartnerEndpoint,
    configure: Callable[..., None],
) -> None:
    configure(
        advertising_partners=(
            partner(partner_endpoint, "Adnet", "email_sha256"),
            partner(partner_endpoint, "Reach", "email_sha256", "name", "language"),
        )
    )
    alice = await sharing(graphql, users, "Alice", email=" Alice@Example.COM ", language="de")
    await users.create("Bob")  # never consented
    carl = await sharing(graphql, users, "Carl")
    await send_gpc(graphql, carl)
    dana = await sharing(graphql, users, "Dana")
    await choose(graphql, dana, "ADVERTISING_PARTNERS", False)
    await sharing(graphql, users, "Erin")
    await User.filter(email="erin@example.com").update(email_verified=False)
    await choose(graphql, await users.create("Fay"), "MARKETING_EMAIL", True)

    assert await partners.share(runtime) == 2

    hashed = sha256("alice@example.com")
    assert partner_endpoint.received == [
        {"purpose": "Showing our offers on its network", "people": [{"email_sha256": hashed}]},
        {
            "purpose": "Showing our offers on its network",
            "people": [{"email_sha256": hashed, "name": "Alice", "language": "de"}],
        },
    ]
    assert await shared_with(alice) == [
        ("Adnet", ["email_sha256"]),
        ("Reach", ["email_sha256", "language", "name"]),
    ]
    assert await PartnerDisclosure.all().count() == 2


async def test_the_person_sees_each_share_in_their_disclosures(
    graphql: GraphQLClient,
    users: UserFactory,
    runtime: Runtime,
    one_partner: AdvertisingPartner,
) -> None:
    alice = await sharing(graphql, users, "Alice")  # no language: the field is simply absent
    await partners.share(runtime)
    found = (await graphql.data(DISCLOSURES, token=alice.token))["me"]["dataDisclosures"]
    assert found["totalCount"] == 1
    (edge,) = found["edges"]
    node = edge["node"]
    assert (node["partner"], node["purpose"], node["country"], node["fields"]) == (
        "Adnet",
        "Showing our offers on its network",
        "IE",
        ["email_sha256"],
    )
    assert node["disclosedAt"] is not None
    other = await users.create("Bob")
    theirs = (await graphql.data(DISCLOSURES, token=other.token))["me"]["dataDisclosures"]
    assert theirs == {"totalCount": 0, "edges": []}


async def test_a_person_is_sent_again_only_when_what_is_sent_changed(
    graphql: GraphQLClient,
    users: UserFactory,
    runtime: Runtime,
    partner_endpoint: PartnerEndpoint,
    one_partner: AdvertisingPartner,
) -> None:
    alice = await sharing(graphql, users, "Alice", language="de")
    await sharing(graphql, users, "Bob")
    assert await partners.share(runtime) == 2
    assert await partners.share(runtime) == 0, "nothing changed: nothing sent, nothing recorded"
    await User.filter(id=alice.user.id).update(language="fr")
    assert await partners.share(runtime) == 1
    assert partner_endpoint.people[-1] == {
        "email_sha256": sha256("alice@example.com"),
        "language": "fr",
    }
    assert len(await shared_with(alice)) == 2


async def test_withdrawal_or_gpc_stops_the_next_share_and_a_new_grant_shares_again(
    graphql: GraphQLClient,
    users: UserFactory,
    runtime: Runtime,
    partner_endpoint: PartnerEndpoint,
    one_partner: AdvertisingPartner,
) -> None:
    alice = await sharing(graphql, users, "Alice", language="de")
    bob = await sharing(graphql, users, "Bob", language="de")
    await partners.share(runtime)
    await User.all().update(language="fr")  # both would be due again
    await choose(graphql, alice, "ADVERTISING_PARTNERS", False)
    await send_gpc(graphql, bob)
    sent_before = len(partner_endpoint.people)
    assert await partners.share(runtime) == 0
    assert len(partner_endpoint.people) == sent_before
    with clock.moved_clock(timedelta(minutes=1)):
        await choose(graphql, alice, "ADVERTISING_PARTNERS", True)
        assert await partners.share(runtime) == 1
    assert [name for name, _ in await shared_with(alice)] == ["Adnet", "Adnet"]
    assert len(await shared_with(bob)) == 1


async def test_with_no_partner_configured_nothing_is_shared(
    graphql: GraphQLClient, users: UserFactory, runtime: Runtime
) -> None:
    await sharing(graphql, users, "Alice")
    assert runtime.settings.advertising_partners == ()
    assert await partners.share(runtime) == 0
    assert await PartnerDisclosure.all().count() == 0


@pytest.fixture
async def impatient(runtime: Runtime) -> AsyncIterator[HttpPartners]:
    """The app's partner client, waiting a fifth of a second instead of the real limit."""
    original = runtime.partners
    runtime.partners = quick = HttpPartners(None, "", wait_seconds=0.2)
    yield quick
    runtime.partners = original
    await quick.close()


@pytest.mark.parametrize("failure", ["error", "timeout", "unreachable"])
async def test_a_failing_partner_writes_no_disclosure_and_is_retried_at_the_next_sweep(
    graphql: GraphQLClient,
    users: UserFactory,
    runtime: Runtime,
    partner_endpoint: PartnerEndpoint,
    configure: Callable[..., None],
    impatient: HttpPartners,
    failure: str,
) -> None:
    working = partner(partner_endpoint, "Adnet", "email_sha256")
    partner_endpoint.answer = 503 if failure == "error" else 200
    partner_endpoint.delay = 1.0 if failure == "timeout" else 0.0
    nobody_listens = replace(working, endpoint="http://127.0.0.1:9/audiences")
    configure(advertising_partners=(nobody_listens if failure == "unreachable" else working,))
    alice = await sharing(graphql, users, "Alice")

    assert await partners.share(runtime) == 0
    assert await shared_with(alice) == []
    me = await graphql.data(DISCLOSURES, token=alice.token)
    assert me["me"]["dataDisclosures"]["totalCount"] == 0

    partner_endpoint.answer, partner_endpoint.delay = 200, 0.0
    configure(advertising_partners=(working,))
    assert isinstance(runtime.outbox, BackgroundWork)
    assert await runtime.outbox.share_with_partners() == 1, "the sweep's job shares it now"
    assert await shared_with(alice) == [("Adnet", ["email_sha256"])]


async def test_concurrent_shares_send_each_person_once(
    graphql: GraphQLClient,
    users: UserFactory,
    runtime: Runtime,
    partner_endpoint: PartnerEndpoint,
    one_partner: AdvertisingPartner,
    configure: Callable[..., None],
) -> None:
    configure(advertising_partners=(one_partner,), partner_batch_size=2)
    people = [await sharing(graphql, users, f"Person{number}") for number in range(5)]
    counts = await asyncio.gather(*(partners.share(runtime) for _ in range(3)))
    assert sum(counts) == 5
    expected = sorted(sha256(person.user.email) for person in people)
    assert sorted(sent["email_sha256"] for sent in partner_endpoint.people) == expected
    assert len(partner_endpoint.received) == 3, "in batches of two"
    assert await PartnerDisclosure.all().count() == 5


def test_the_sweep_shares_at_start_then_once_an_interval(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A round reads the whole consenting audience: the sweep runs one far less often than it
    sweeps the outbox."""
    work = BackgroundWork(settings, FolderMailer(settings.mail_drop_dir))
    clock_now = [1000.0]
    monkeypatch.setattr("app.tasks.time.monotonic", lambda: clock_now[0])
    assert work.partner_round_due()
    clock_now[0] += settings.outbox_sweep_interval.total_seconds()
    assert not work.partner_round_due()
    clock_now[0] += settings.partner_share_interval.total_seconds()
    assert work.partner_round_due()
