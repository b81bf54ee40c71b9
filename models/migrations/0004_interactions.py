from tortoise import migrations
from tortoise.migrations import operations as ops
from models.interactions import InteractionKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_privacy_consent_ledger')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DailyInteractionCount',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('day', fields.DateField(db_index=True)),
                ('kind', fields.CharEnumField(description='PAGE_VIEW: PAGE_VIEW\nPOST_VIEW: POST_VIEW\nTIME_ON_PAGE: TIME_ON_PAGE', enum_type=InteractionKind, max_length=16)),
                ('path', fields.CharField(null=True, max_length=512)),
                ('post', fields.ForeignKeyField('models.Post', source_field='post_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('browser_family', fields.CharField(null=True, max_length=64)),
                ('count', fields.BigIntField()),
            ],
            options={'table': 'interaction_daily_counts', 'app': 'models', 'pk_attr': 'id', 'table_description': 'How many interactions of one kind one day brought, per path pattern (ids replaced by a'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Interaction',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='interactions', on_delete=OnDelete.CASCADE)),
                ('visitor', fields.ForeignKeyField('models.Visitor', source_field='visitor_id', null=True, db_constraint=True, to_field='id', related_name='interactions', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='PAGE_VIEW: PAGE_VIEW\nPOST_VIEW: POST_VIEW\nTIME_ON_PAGE: TIME_ON_PAGE', enum_type=InteractionKind, max_length=16)),
                ('path', fields.CharField(null=True, max_length=512)),
                ('post', fields.ForeignKeyField('models.Post', source_field='post_id', null=True, db_constraint=True, to_field='id', related_name='interactions', on_delete=OnDelete.SET_NULL)),
                ('duration_ms', fields.IntField(null=True)),
                ('occurred_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('day', fields.DateField()),
                ('ip_prefix', fields.CharField(null=True, max_length=64)),
                ('browser_family', fields.CharField(null=True, max_length=64)),
                ('os_family', fields.CharField(null=True, max_length=64)),
            ],
            options={'table': 'interactions', 'app': 'models', 'indexes': [Index(fields=['user_id', 'kind', 'occurred_at']), Index(fields=['visitor_id', 'kind', 'occurred_at'])], 'pk_attr': 'id', 'table_description': 'One page view, post view or time spent on a page, by an account or a visitor who'},
            bases=['Model'],
        ),
    ]
