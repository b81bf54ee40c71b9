"""Partner app steps the tests share, taken through the API as staff and partners would."""

from __future__ import annotations

from typing import Any

from models.accounts import StaffPermission
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.users import SignedIn, UserFactory

CREATE_PARTNER_APP = document("CreatePartnerApp")
MENTORS = "query Mentors { mentors(first: 5) { edges { node { id } } } }"


async def partner_manager(users: UserFactory) -> SignedIn:
    return await users.create(
        "Partner Manager", staff=[StaffPermission.MANAGE_PARTNERS, StaffPermission.SECURITY]
    )


async def create_partner_app(
    graphql: GraphQLClient, staff: SignedIn, name: str, scopes: list[str]
) -> dict[str, Any]:
    """The createPartnerApp payload (app and its first key)."""
    data = await graphql.data(
        CREATE_PARTNER_APP, {"input": {"name": name, "scopes": scopes}}, token=staff.token
    )
    payload: dict[str, Any] = data["createPartnerApp"]
    assert payload["errors"] == []
    return payload


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]
