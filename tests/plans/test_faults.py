"""A loader that fails makes the plan bail out, and graphql-core's answer is given: the same,
with plans on or off. Each fault replaces one loader of ``resolvers.loaders.Loaders`` for
both runs, in the shape a broken read would take."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

import pytest
from strawberry.dataloader import DataLoader

from resolvers.loaders import Loaders, NestedPages
from services import posts
from services.keyset import Window
from tests.access.conftest import gid
from tests.plans.differential import Case, Differential
from tests.plans.world import PlansWorld
from tests.support.documents import document

pytestmark = pytest.mark.shared_state

ROLES = ("anonymous", "mentor", "all_staff")


async def _raises(keys: Sequence[int]) -> list[Any]:
    raise RuntimeError("the ratings are out of reach")


async def _no_list(keys: Sequence[int]) -> Any:
    return None


async def _text(keys: Sequence[int]) -> list[Any]:
    return ["excellent"] * len(keys)


async def _nulls(keys: Sequence[int]) -> list[Any]:
    return [None] * len(keys)


async def _no_pages(parents: Sequence[int], window: Window) -> list[Any]:
    return [None] * len(parents)


# The fault, the loader it replaces, what replaces it, and the documents that read it.
Fault = tuple[str, Callable[[Loaders], Any], tuple[str, ...]]
FAULTS: dict[str, Fault] = {
    "a rating loader that raises": (
        "mentor_rating",
        lambda loaders: DataLoader(_raises),
        ("Mentor", "Mentors"),
    ),
    "a rating loader that returns None": (
        "mentor_rating",
        lambda loaders: DataLoader(_no_list),
        ("Mentor", "Mentors"),
    ),
    "a rating loader that returns text": (
        "mentor_rating",
        lambda loaders: DataLoader(_text),
        ("Mentor", "Mentors"),
    ),
    "a latest-posts loader that returns no pages": (
        "latest_posts",
        lambda loaders: NestedPages(posts.latest_published_order(), _no_pages),
        ("Mentor", "Mentors"),
    ),
    "a post count loader that returns null for a non-null count": (
        "published_post_count",
        lambda loaders: DataLoader(_nulls),
        ("Mentor",),
    ),
}


def _variables(name: str, world: PlansWorld) -> dict[str, Any]:
    return {"id": gid("Mentor", world.base.mentor_profile)} if name == "Mentor" else {}


def _inject(monkeypatch: pytest.MonkeyPatch, loader: str, make: Callable[[Loaders], Any]) -> None:
    """Every request's ``Loaders`` gets the faulty loader, made once per request as before."""
    faulty = cached_property(make)
    faulty.__set_name__(Loaders, loader)
    monkeypatch.setattr(Loaders, loader, faulty)


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_failing_loader_bails_out_to_the_same_answer(
    fault: str,
    differential: Differential,
    plans_world: PlansWorld,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loader, make, documents = FAULTS[fault]
    _inject(monkeypatch, loader, make)
    problems: list[str] = []
    for name in documents:
        for role in ROLES:
            variables = _variables(name, plans_world)
            case = Case.of(document(name), variables, role, "the defaults", fault=fault)
            found, answer = await differential.compare(case)
            assert "errors" in answer, f"{fault} did not reach {name}'s answer: {answer}"
            problems += found
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)
