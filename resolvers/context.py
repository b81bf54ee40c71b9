"""The typed context every resolver receives: who asks, from where, what they may see, and the
per-request loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from core.runtime import Runtime
from models.privacy import ConsentSource, Visitor
from resolvers.loaders import Loaders
from services.access.decisions import Access, BatchLoad, Load
from services.access.viewer import PartnerCaller, Viewer
from services.budgets import QueryCost
from services.client import ClientInfo
from services.privacy import visitors
from services.privacy.consents import Subject


class SessionCookies(Protocol):
    """How a session reaches the web client: the HTTP edge sets and clears the cookies."""

    def set(self, session_token: str) -> str:
        """Send the session cookie and answer the CSRF token that goes with it."""

    def clear(self) -> None: ...

    def set_visitor(self, visitor_token: str) -> None:
        """Send the cookie that lets an anonymous browser's choices be kept."""


class Connection(Protocol):
    """A long-lived connection (a WebSocket) that operations arrive on."""

    async def close(self, code: int, reason: str) -> None: ...


def batched(batch: BatchLoad) -> Load:
    """Relationship lookups asked for in one tick of the event loop go as one query."""
    loader: DataLoader[int, bool] = DataLoader(batch)
    return loader.load


@dataclass
class RequestContext:
    runtime: Runtime
    viewer: Viewer
    client: ClientInfo
    cookies: SessionCookies
    csrf_verified: bool = False
    connection_params: dict[str, Any] | None = None
    # The WebSocket the operation came on; None over HTTP.
    connection: Connection | None = None
    visitor_token: str | None = None
    # What the operation cost and its client's bucket (resolvers.budgets); HTTP only.
    cost: QueryCost | None = None
    # A query whose database connection broke runs once more (resolvers.extensions
    # RerunQueryOnLostConnection, app.graphql_view); ``rerun`` marks that second attempt.
    lost_connection_under_query: bool = False
    rerun: bool = False
    # The posts whose view this request counted, so that a rerun does not count them again.
    views_counted: set[int] = field(default_factory=set)
    access: Access = field(init=False)
    loaders: Loaders = field(init=False)
    _visitor: Visitor | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.access = Access(self.viewer, batched)
        self.loaders = Loaders(self.access)

    async def visitor(self, *, start: bool) -> Visitor | None:
        """This browser's visitor, from its cookie; with ``start``, a new one (and its cookie)
        when there is none: only for an answer that needs to keep a choice."""
        if self._visitor is None and self.visitor_token:
            self._visitor = await visitors.visitor_for(self.visitor_token)
        if self._visitor is None and start:
            token, self._visitor = await visitors.start_visit(self.runtime, self.client)
            self.cookies.set_visitor(token)
        return self._visitor

    async def consent_subject(self, *, start: bool) -> Subject | None:
        """Whose consents this request acts on: the signed-in account, else the visitor."""
        if self.viewer.user is not None:
            return Subject(user_id=self.viewer.user.id)
        visitor = await self.visitor(start=start)
        return None if visitor is None else Subject(visitor_id=visitor.id)

    @property
    def partner_app(self) -> PartnerCaller | None:
        """The partner app this request speaks for (its key, or its token acting for a user),
        if any: each app has a budget of its own (``partner:<app_id>``)."""
        return self.viewer.partner

    @property
    def consent_source(self) -> ConsentSource:
        """An app with a bearer token speaks for itself over the API; anything else is the web."""
        bearer = self.viewer.is_authenticated and not self.viewer.via_cookie
        return ConsentSource.API if bearer else ConsentSource.WEB

    def start_rerun(self) -> None:
        """The second attempt at a query: the loaders start empty, as they may hold the
        first attempt's errors; the visitor and the charge (resolvers.budgets) are kept."""
        self.lost_connection_under_query = False
        self.rerun = True
        self.__post_init__()

    def start_message(self, viewer: Viewer) -> None:
        """A new message on a long-lived connection: who asks is read again and the loaders
        start empty, so nothing is answered from an earlier message's cache."""
        self.replace_viewer(viewer)

    def replace_viewer(self, viewer: Viewer) -> None:
        """After logIn/logOut the rest of the operation sees the new viewer, with loaders of its
        own; the staff reads made before still get their audit rows, under who made them."""
        earlier_reads = self.access.staff_reads
        self.viewer = viewer
        self.__post_init__()
        self.access.staff_reads |= earlier_reads


Info = StrawberryInfo[RequestContext, None]
