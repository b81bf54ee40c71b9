"""Every model field is classified in the personal-data registry, exactly once (P2).

Export, erasure and GraphQL visibility all read the registry, so a field missing from it would
be a piece of personal data nobody decided how to show, export or erase.
"""

from __future__ import annotations

from typing import Any

import pytest
from tortoise import Tortoise
from tortoise.fields.relational import ManyToManyFieldInstance
from tortoise.models import Model

from services.access.registry import REGISTRY

pytestmark = pytest.mark.promise("P2")


@pytest.fixture
def app_models(http: Any) -> list[type[Model]]:
    assert Tortoise.apps is not None
    return sorted(Tortoise.apps.get_models_iterable(), key=lambda model: model.__name__)


def _column_names(model: type[Model]) -> dict[str, str]:
    """Each field name a registry may use, mapped to the field it names.

    A foreign key ``user`` and its id attribute ``user_id`` are one column: either name counts.
    Relations declared on another model (backward FK/O2O, the far side of a M2M) are that
    model's fields, not this one's.
    """
    meta = model._meta
    backward = meta.backward_fk_fields | meta.backward_o2o_fields
    names: dict[str, str] = {}
    for name, field in meta.fields_map.items():
        if name in backward:
            continue
        if isinstance(field, ManyToManyFieldInstance) and field._generated:
            continue
        names[name] = name
    for relation in meta.fk_fields | meta.o2o_fields:
        names[meta.fields_map[relation].source_field] = relation
    return names


def test_every_model_is_in_the_registry(app_models: list[type[Model]]) -> None:
    missing = [model.__name__ for model in app_models if model not in REGISTRY]
    assert missing == [], f"add these models to services.access.registry.REGISTRY: {missing}"


def test_every_field_is_classified_exactly_once(app_models: list[type[Model]]) -> None:
    problems: list[str] = []
    for model in app_models:
        privacy = REGISTRY.get(model)
        if privacy is None:
            continue
        columns = _column_names(model)
        declared = [*privacy.personal, *privacy.restricted, *privacy.not_personal]
        unknown = sorted(name for name in declared if name not in columns)
        problems += [f"{model.__name__}.{name} is not a field of the model" for name in unknown]
        classified = [columns[name] for name in declared if name in columns]
        for field in sorted(set(columns.values())):
            count = classified.count(field)
            if count == 0:
                problems.append(f"{model.__name__}.{field} is not classified")
            elif count > 1:
                problems.append(f"{model.__name__}.{field} is classified {count} times")
    assert problems == []


def test_the_owner_attribute_of_each_model_exists(app_models: list[type[Model]]) -> None:
    for model in app_models:
        privacy = REGISTRY.get(model)
        if privacy is not None and privacy.owner is not None:
            assert privacy.owner in _column_names(model), model.__name__


def test_each_owner_attribute_holds_a_user_id(app_models: list[type[Model]]) -> None:
    """Export and erasure find a user's rows by it: a column naming anything else (a post)
    would hand them someone else's rows."""
    from models.accounts import User

    wrong = []
    for model in app_models:
        privacy = REGISTRY.get(model)
        if privacy is None or privacy.owner is None:
            continue
        if model is User and privacy.owner == "id":
            continue
        relation = _column_names(model).get(privacy.owner, "")
        field = model._meta.fields_map.get(relation)
        if getattr(field, "related_model", None) is not User:
            wrong.append(f"{model.__name__}.{privacy.owner}")
    assert wrong == []


def test_registry_holds_the_identifying_profile_fields_as_personal() -> None:
    from models.accounts import User

    assert {"name", "photo_key", "email"} <= set(REGISTRY[User].personal)
