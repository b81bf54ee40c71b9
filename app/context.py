"""The typed context every resolver receives: who asks, from where, and per-request loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from strawberry.types import Info as StrawberryInfo

from core.runtime import Runtime
from resolvers.loaders import Loaders
from services.client import ClientInfo
from services.viewer import Viewer
from services.visibility import FieldAccess


@dataclass
class RequestContext:
    runtime: Runtime
    viewer: Viewer
    client: ClientInfo
    request: web.Request | None = None
    response: web.StreamResponse | None = None
    csrf_verified: bool = False
    connection_params: dict[str, Any] | None = None
    loaders: Loaders = field(default_factory=Loaders)
    field_access: FieldAccess = field(init=False)

    def __post_init__(self) -> None:
        self.field_access = FieldAccess(self.viewer)

    def replace_viewer(self, viewer: Viewer) -> None:
        """After logIn/logOut the rest of the operation sees the new viewer; the staff reads
        made before still get their audit rows, under the viewer who made them."""
        earlier_reads = self.field_access.staff_reads
        self.viewer = viewer
        self.field_access = FieldAccess(viewer)
        self.field_access.staff_reads |= earlier_reads


Info = StrawberryInfo[RequestContext, None]
