from datetime import UTC, datetime
from pathlib import Path

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.privacy import ConsentSource
from tortoise.fields.base import OnDelete
from tortoise import fields

# Version 1 is the policy the service was published with: a fresh database has it in force
# from the moment it is made. A database that recorded it before versions were published
# keeps its own, given the summary the new column asks for.
FIRST_VERSION = "1"
FIRST_TEXT = Path(__file__).with_name("privacy-policy-v1.txt")
FIRST_SUMMARY = "The policy the service was published with."


async def record_first_version(apps, schema_editor):
    policy = apps.get_model("models", "PrivacyPolicy")
    first = policy.filter(version=FIRST_VERSION).using_db(schema_editor.client)
    if await first.exists():
        await first.filter(summary_of_changes="").update(summary_of_changes=FIRST_SUMMARY)
        return
    now = datetime.now(UTC)
    await policy.create(
        version=FIRST_VERSION,
        text=FIRST_TEXT.read_text(),
        summary_of_changes=FIRST_SUMMARY,
        material=False,
        effective_at=now,
        published_at=now,
        using_db=schema_editor.client,
    )

class Migration(migrations.Migration):
    dependencies = [('models', '0012_security_events')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PolicyAcceptance',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('policy', fields.ForeignKeyField('models.PrivacyPolicy', source_field='policy_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('source', fields.CharEnumField(description='WEB: WEB\nAPI: API\nGPC: GPC\nSIGN_UP: SIGN_UP\nDELETION: DELETION', enum_type=ConsentSource, max_length=16)),
                ('accepted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'privacy_policy_acceptances', 'app': 'models', 'unique_together': (('user_id', 'policy_id'),), 'pk_attr': 'id', 'table_description': "A user's acceptance of one version of the privacy policy, at most one per user and"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PolicyAnnouncement',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('policy', fields.OneToOneField('models.PrivacyPolicy', source_field='policy_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('notified_through', fields.BigIntField(default=0)),
                ('notified_count', fields.IntField(default=0)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'privacy_policy_announcements', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Telling every active user of a material version, in batches in the order of their ids:'},
            bases=['Model'],
        ),
        ops.AlterModelOptions(
            name='PrivacyPolicy',
            options={'table': 'privacy_policies', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A published version of the privacy policy, never changed afterwards. The one in force is'},
        ),
        ops.AddField(
            model_name='PrivacyPolicy',
            name='material',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.RenameField(model_name='PrivacyPolicy', old_name='created_at', new_name='published_at'),
        ops.AlterField(
            model_name='PrivacyPolicy',
            name='published_at',
            field=fields.DatetimeField(auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='PrivacyPolicy',
            name='published_by',
            field=fields.ForeignKeyField('models.User', source_field='published_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='PrivacyPolicy',
            name='summary_of_changes',
            field=fields.TextField(default='', db_default='', unique=False),
        ),
        ops.RunPython(record_first_version, ops.RunPython.noop),
    ]
