from tortoise import migrations
from tortoise.migrations import operations as ops
from models.security import SecurityEventKind
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0011_staff_deactivation')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SecurityEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='What was detected: a SecurityEventKind name.', enum_type=SecurityEventKind, max_length=32)),
                ('ip_prefix', fields.CharField(max_length=64)),
                ('window_start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('window_end', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('account_count', fields.IntField()),
                ('detected_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'security_events', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A pattern of abuse detected across accounts. It names no account and no address that'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='AuditEntry',
            name='browser_family',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddIndex(
            model_name='AuditEntry',
            index=Index(fields=['subject_id', 'action', 'created_at']),
        ),
    ]
