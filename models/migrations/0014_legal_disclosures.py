from tortoise import migrations
from tortoise.migrations import operations as ops
from models.disclosures import DisclosureStatus
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0013_privacy_policy_versions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LegalDisclosure',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('requested_by', fields.ForeignKeyField('models.User', source_field='requested_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('legal_reference', fields.CharField(max_length=200)),
                ('authority', fields.CharField(max_length=200)),
                ('categories', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('notify_subject', fields.BooleanField()),
                ('status', fields.CharEnumField(default=DisclosureStatus.PENDING, description='PENDING: PENDING\nBUILDING: BUILDING\nREADY: READY\nDOWNLOADED: DOWNLOADED\nEXPIRED: EXPIRED\nFAILED: FAILED', enum_type=DisclosureStatus, max_length=16)),
                ('requested_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('built_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('downloaded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('file_key', fields.CharField(null=True, max_length=255)),
                ('size_bytes', fields.BigIntField(null=True)),
            ],
            options={'table': 'legal_disclosures', 'app': 'models', 'indexes': [Index(fields=['user_id', 'downloaded_at']), Index(fields=['status', 'expires_at'])], 'pk_attr': 'id', 'table_description': 'One disclosure the law requires: whose data, under which legal reference, to which'},
            bases=['Model'],
        ),
    ]
