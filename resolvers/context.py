"""The typed context every resolver receives: who asks, from where, what they may see, and the
per-request loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from core.runtime import Runtime
from resolvers.loaders import Loaders
from services.access.decisions import Access, BatchLoad, Load
from services.access.viewer import Viewer
from services.client import ClientInfo


class SessionCookies(Protocol):
    """How a session reaches the web client: the HTTP edge sets and clears the cookies."""

    def set(self, session_token: str) -> str:
        """Send the session cookie and answer the CSRF token that goes with it."""

    def clear(self) -> None: ...


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
    access: Access = field(init=False)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.access = Access(self.viewer, batched)
        self.loaders = Loaders(self.access)

    def replace_viewer(self, viewer: Viewer) -> None:
        """After logIn/logOut the rest of the operation sees the new viewer, with loaders of its
        own; the staff reads made before still get their audit rows, under who made them."""
        earlier_reads = self.access.staff_reads
        self.viewer = viewer
        self.__post_init__()
        self.access.staff_reads |= earlier_reads


Info = StrawberryInfo[RequestContext, None]
