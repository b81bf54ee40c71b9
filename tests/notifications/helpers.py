"""Reading a user's notifications the way the web client does."""

from __future__ import annotations

from typing import Any

from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.users import SignedIn

NOTIFICATIONS = document("Notifications")
MARK_READ = document("MarkNotificationsRead")
PREFERENCES = document("NotificationPreferences")
UPDATE_PREFERENCES = document("UpdateNotificationPreferences")


async def notifications_of(
    graphql: GraphQLClient, who: SignedIn, **variables: Any
) -> list[dict[str, Any]]:
    """The nodes of ``who``'s notifications, newest first."""
    data = await graphql.data(NOTIFICATIONS, variables, token=who.token)
    return [edge["node"] for edge in data["notifications"]["edges"]]


async def kinds_of(graphql: GraphQLClient, who: SignedIn) -> list[str]:
    """What ``who`` was told, oldest first."""
    return [node["kind"] for node in reversed(await notifications_of(graphql, who))]


async def unread_count(graphql: GraphQLClient, who: SignedIn) -> int:
    data = await graphql.data(NOTIFICATIONS, token=who.token)
    count: int = data["me"]["unreadNotificationCount"]
    return count
