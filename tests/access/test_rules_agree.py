"""Each row rule is one rule, whichever way it is asked: the SQL filter that lists rows and the
check that judges a loaded row keep the same rows, for every model and every viewer."""

from __future__ import annotations

import pytest
from tortoise.models import Model

from models.accounts import User
from models.audit import AuditAction, AuditEntry
from models.disclosures import LegalDisclosure
from models.marketplace import Job, Post, Testimonial
from services.access.decisions import Access
from services.access.policy import RowRule
from services.access.registry import LOGIN_HISTORY, REGISTRY, SUCCESS_STORIES, TOLD_SUBJECT
from tests.access.conftest import SIGNED_IN_ROLES, World

pytestmark = pytest.mark.shared_state
ROLES = ("anonymous", "gone", *SIGNED_IN_ROLES)


async def _agreeing(access: Access, model: type[Model], rule: RowRule | None = None) -> set[int]:
    rows = await model.all().select_related(*REGISTRY[model].rows.joins)
    assert rows, f"seed a {model.__name__} row in tests/access/conftest.py"
    checked = {row.pk for row in rows if await access.may_see(row, rule)}
    listed = set(await access.visible(model, rule).values_list("id", flat=True))
    assert listed == checked, (model.__name__, sorted(listed), sorted(checked))
    return checked


@pytest.mark.parametrize("role", ROLES)
async def test_the_list_filter_and_the_row_check_keep_the_same_rows(
    world: World, role: str
) -> None:
    access = Access(world.viewer(role))
    for model in REGISTRY:
        await _agreeing(access, model)
    await _agreeing(access, Testimonial, SUCCESS_STORIES)
    await _agreeing(access, AuditEntry, LOGIN_HISTORY)
    await _agreeing(access, LegalDisclosure, TOLD_SUBJECT)


async def test_an_anonymous_viewer_sees_only_what_is_public(world: World) -> None:
    """The rules agree on something that matters: not everything, not nothing."""
    access = Access(world.viewer("anonymous"))
    mentor = world.people["mentor"].user
    assert await _agreeing(access, User) == {mentor.id}
    assert await _agreeing(access, Post) == {world.published.id, world.former_post.id}
    assert await _agreeing(access, Job) == set()
    displayed = {world.anonymous.id, world.full_name.id, world.former_story.id}
    assert await _agreeing(access, Testimonial) == displayed
    stories = {world.full_name.id, world.former_story.id}
    assert await _agreeing(access, Testimonial, SUCCESS_STORIES) == stories


async def test_parties_and_staff_see_the_private_rows_their_rules_name(world: World) -> None:
    client = world.people["client"].user
    for role in ("client", "mentor", "payments_staff", "moderator"):
        assert world.job.id in await _agreeing(Access(world.viewer(role)), Job), role
    for role in ("client", "mentor", "moderator"):
        seen = await _agreeing(Access(world.viewer(role)), Testimonial)
        assert world.private.id in seen, role
    assert world.private.id not in await _agreeing(
        Access(world.viewer("payments_staff")), Testimonial
    )
    # A client is seen by the mentor they work with and by profile staff, not by a stranger.
    for role, sees in (("mentor", True), ("pii_staff", True), ("stranger", False)):
        assert (client.id in await _agreeing(Access(world.viewer(role)), User)) is sees, role


async def test_a_login_history_is_its_owners_alone(world: World) -> None:
    """The audit row of a log-in is SECURITY's to read in the log, and its owner's alone as
    their login history."""
    login = await AuditEntry.get(action=AuditAction.LOGIN)
    for role, sees in (("client", True), ("security_staff", False), ("stranger", False)):
        seen = await _agreeing(Access(world.viewer(role)), AuditEntry, LOGIN_HISTORY)
        assert (login.id in seen) is sees, role
    assert login.id in await _agreeing(Access(world.viewer("security_staff")), AuditEntry)
