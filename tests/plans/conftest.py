"""One world per module of the differential suite: its tests only read it (each request's own
writes are undone by the runner), so such a module is marked ``shared_state``."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from core.runtime import Runtime
from tests.conftest import wipe
from tests.plans.differential import Differential
from tests.plans.world import PlansWorld, build_plans_world
from tests.support.backends import Backend
from tests.support.smtp import Mailbox


@pytest.fixture(scope="module")
async def plans_world(backend: Backend, runtime: Runtime, mailbox: Mailbox) -> PlansWorld:
    await wipe(backend, runtime, mailbox)
    return await build_plans_world(runtime)


@pytest.fixture
async def differential(http: TestClient[Any, Any], plans_world: PlansWorld) -> Differential:
    return await Differential.start(http, plans_world)
