"""Every field of a type backed by a model is accounted for by the registry (P2).

A field either carries the registry's rule for the column it shows, shows a column the
registry calls public or not personal, leads to rows that carry their own rule, or is a
derived field declared below with the reason it needs no rule of its own.
"""

from __future__ import annotations

import pytest
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField
from tortoise.models import Model

from resolvers.permissions import RegistryVisibility, RowsOf
from services.access.policy import Audience
from services.access.registry import privacy_of
from tests.access.test_every_read_path import _model_backed, _rows_reached, served_schema

pytestmark = pytest.mark.promise("P2")

DERIVED = {
    "Mentor.name": "the user's name, read through Access once the mentor's row proved it public",
    "Mentor.rating": "the average of the displayed testimonials, the same for everyone",
    "Mentor.hourly_rate": "a public price, shaped from hourly_rate_cents and currency",
    "Post.viewer_has_liked": "the viewer's own likes, read through PostLike's row rule",
    "Testimonial.author_name": "named as the author chose once displayed, else User.name's rule",
    "Testimonial.featured": "whether featured_at is set, which is not personal",
    "SuccessStory.id": "a keyed hash of the row id that leads nowhere",
    "SuccessStory.author_name": "named as the author chose for marketing",
    "ConsentRecord.policy_version": "the public version of the policy the record names",
    "SecurityIncident.authority_deadline_status": "computed from the incident's own times",
    "SecurityIncident.hours_until_authority_deadline": "computed from authority_deadline",
    "SecurityNotice.summary": "the incident's words, which name nobody, for its owner",
    "SecurityNotice.categories": "the incident's categories, for the notice's owner",
    "SecurityNotice.detected_at": "when the incident was detected, for the notice's owner",
    "LoginEvent.occurred_at": "the entry's created_at, which is not personal",
    "LoginEvent.method": "read from the entry's detail, which is not personal",
    "LoginEvent.succeeded": "whether the entry's action is LOGIN, which is not personal",
    "Session.current": "whether it is the session of this very request",
    "DataDisclosure.kind": "which of its two models the row is",
    "LegalDisclosure.created_at": "requested_at, which is not personal",
    "LegalDisclosure.subject_id": "the user id the row names (user), which is not personal",
    "LegalDisclosure.download_url": "where to fetch the package; the route serves only the "
    "staff member who asked for it, once",
    "AuditLogEntry.partner_app_id": "the ID of the partner app (partner_app), not personal",
    "PartnerApp.client_id": "the app's OAuth client_id, made of its id",
    "PartnerGrant.app_name": "the name of the app the owner granted, which is not personal",
}


def _models_shown(definition: StrawberryObjectDefinition, model: type[Model]) -> set[type[Model]]:
    """The type's model, and those of the rows it also shows (a legal disclosure among the
    shares of a person's data)."""
    also = getattr(definition.origin, "also_shows", ())
    return {model, *(shown.model for shown in also)}


def _definitions() -> dict[str, tuple[StrawberryObjectDefinition, type[Model]]]:
    schema = served_schema()
    found = {}
    for name, model in _model_backed().items():
        definition = schema.get_type_by_name(name)
        assert isinstance(definition, StrawberryObjectDefinition)
        found[name] = (definition, model)
    return found


def _column(field: StrawberryField) -> str:
    """The model column a field is named after; Relay's ``id`` is the row's primary key."""
    return "id" if field.python_name == "_id" else field.python_name


def _rule_of(field: StrawberryField) -> RegistryVisibility | RowsOf | None:
    for extension in field.extensions:
        if isinstance(extension, RegistryVisibility | RowsOf):
            return extension
    return None


def _graphql_type(type_name: str, field: StrawberryField) -> str | None:
    schema = served_schema()
    graphql_field = schema._schema.type_map[type_name].fields[
        schema.config.name_converter.get_graphql_name(field)
    ]  # type: ignore[union-attr]
    return _rows_reached(graphql_field.type)


def test_every_field_of_a_row_type_is_accounted_for() -> None:
    backed = _model_backed()
    unaccounted = []
    for type_name, (definition, model) in _definitions().items():
        privacy = privacy_of(model)
        for field in definition.fields:
            rule = _rule_of(field)
            column = privacy.read_rules.get(_column(field))
            if isinstance(rule, RegistryVisibility):
                shown = _models_shown(definition, model)
                assert rule.model in shown, f"{type_name}.{field.python_name} reads another model"
                continue
            if rule is not None or f"{type_name}.{field.python_name}" in DERIVED:
                continue
            if _graphql_type(type_name, field) in backed:
                continue  # rows of their own, behind their own rule
            public = column is not None and Audience.PUBLIC in column.audience
            if _column(field) in privacy.not_personal or public:
                continue
            unaccounted.append(f"{type_name}.{field.python_name}")
    assert unaccounted == [], "give it registry_field(...), or declare why it needs none"


def test_every_personal_or_restricted_column_a_type_shows_carries_its_rule() -> None:
    """A field named after a governed column shows that column, so it must carry its rule."""
    missing = []
    for type_name, (definition, model) in _definitions().items():
        for shown in _models_shown(definition, model):
            privacy = privacy_of(shown)
            for field in definition.fields:
                column = privacy.read_rules.get(field.python_name)
                if column is None or Audience.PUBLIC in column.audience:
                    continue
                rule = _rule_of(field)
                if not isinstance(rule, RegistryVisibility) or rule.field != field.python_name:
                    missing.append(f"{type_name}.{field.python_name}")
    assert missing == []


def test_the_derived_fields_declared_here_exist() -> None:
    fields = {
        f"{type_name}.{field.python_name}"
        for type_name, (definition, _) in _definitions().items()
        for field in definition.fields
    }
    assert set(DERIVED) <= fields
