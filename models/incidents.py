"""Security incidents (P15): a breach SECURITY staff record, its deadline to the supervisory
authority, and one row per person it concerned, which records that they were told."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class SecurityIncident(Model):
    """A personal data breach as SECURITY staff recorded it (GDPR Art. 33 and 34).

    It names nobody: its summary is written in general terms, and who it concerned is in
    ``AffectedUser`` rows, which go with each person. The counts are the incident's own,
    so the record of how many were concerned and told outlives their erasure.
    """

    id = fields.BigIntField(primary_key=True)
    summary = fields.TextField()
    # When staff became aware of it: the authority's 72 hours run from here.
    detected_at = fields.DatetimeField()
    # The personal-data registry's categories the breach concerned, as Category names.
    categories: fields.Field[list[str]] = fields.JSONField(default=list)
    authority_deadline = fields.DatetimeField()
    authority_notified_at = fields.DatetimeField(null=True)
    # Art. 33(1): a notification after the deadline states the reasons for the delay.
    authority_delay_reason = fields.TextField(null=True)
    affected_user_count = fields.IntField(default=0)
    notified_user_count = fields.IntField(default=0)
    # Set by the first notifyAffectedUsers, so the sweep finishes what a crash left half done.
    notifying_since = fields.DatetimeField(null=True)
    users_notified_at = fields.DatetimeField(null=True)
    recorded_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    recorded_by_id: int | None

    class Meta:
        table = "security_incidents"


class AffectedUser(Model):
    """One person an incident concerned, and when they were told. At most one per incident
    and person, and ``notified_at`` is set in the transaction that writes their notification
    and mail, so notifying again (or after a crash) tells nobody twice."""

    id = fields.BigIntField(primary_key=True)
    incident: fields.ForeignKeyRelation[SecurityIncident] = fields.ForeignKeyField(
        "models.SecurityIncident", related_name="affected_users", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.CASCADE
    )
    notified_at = fields.DatetimeField(null=True)

    incident_id: int
    user_id: int

    class Meta:
        table = "security_incident_affected_users"
        unique_together = (("incident_id", "user_id"),)
        indexes = (("user_id", "notified_at"), ("incident_id", "notified_at"))
