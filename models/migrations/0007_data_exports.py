from tortoise import migrations
from tortoise.migrations import operations as ops
from models.audit import AuditAction
from models.exports import ExportStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_notifications')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DataExport',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(default=ExportStatus.PENDING, description='PENDING: PENDING\nBUILDING: BUILDING\nREADY: READY\nFAILED: FAILED\nEXPIRED: EXPIRED', enum_type=ExportStatus, max_length=16)),
                ('requested_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ready_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('file_key', fields.CharField(null=True, max_length=255)),
                ('size_bytes', fields.BigIntField(null=True)),
            ],
            options={'table': 'data_exports', 'app': 'models', 'indexes': [Index(fields=['user_id', 'requested_at']), Index(fields=['status', 'expires_at'])], 'pk_attr': 'id', 'table_description': "One request for a copy of a user's data. The archive lives in the file store under"},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='AuditEntry',
            name='action',
            field=fields.CharEnumField(description='What was done: an AuditAction name.', enum_type=AuditAction, max_length=32),
        ),
    ]
