from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0009_privacy_questions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SecurityIncident',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('summary', fields.TextField(unique=False)),
                ('detected_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('categories', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('authority_deadline', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('authority_notified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('authority_delay_reason', fields.TextField(null=True, unique=False)),
                ('affected_user_count', fields.IntField(default=0)),
                ('notified_user_count', fields.IntField(default=0)),
                ('notifying_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('users_notified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('recorded_by', fields.ForeignKeyField('models.User', source_field='recorded_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'security_incidents', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A personal data breach as SECURITY staff recorded it (GDPR Art. 33 and 34).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AffectedUser',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('incident', fields.ForeignKeyField('models.SecurityIncident', source_field='incident_id', db_constraint=True, to_field='id', related_name='affected_users', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('notified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'security_incident_affected_users', 'app': 'models', 'unique_together': (('incident_id', 'user_id'),), 'indexes': [Index(fields=['user_id', 'notified_at']), Index(fields=['incident_id', 'notified_at'])], 'pk_attr': 'id', 'table_description': 'One person an incident concerned, and when they were told. At most one per incident'},
            bases=['Model'],
        ),
    ]
