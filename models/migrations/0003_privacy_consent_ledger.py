from tortoise import migrations
from tortoise.migrations import operations as ops
from models.privacy import ConsentPurpose, ConsentSource
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_payments_retries_and_ordering')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PrivacyPolicy',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('version', fields.CharField(unique=True, max_length=32)),
                ('text', fields.TextField(unique=False)),
                ('effective_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'privacy_policies', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A version of the privacy policy. The one in force is the newest already effective.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Visitor',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('language', fields.CharField(null=True, max_length=16)),
                ('timezone', fields.CharField(null=True, max_length=64)),
                ('currency', fields.CharField(null=True, max_length=3)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'visitors', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A browser without an account, known by the opaque ``mentor_visitor`` cookie, so that an'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConsentRecord',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='consent_records', on_delete=OnDelete.RESTRICT)),
                ('visitor', fields.ForeignKeyField('models.Visitor', source_field='visitor_id', null=True, db_constraint=True, to_field='id', related_name='consent_records', on_delete=OnDelete.RESTRICT)),
                ('purpose', fields.CharEnumField(description='NECESSARY: NECESSARY\nPREFERENCES: PREFERENCES\nANALYTICS: ANALYTICS\nMARKETING_COOKIES: MARKETING_COOKIES\nMARKETING_EMAIL: MARKETING_EMAIL\nADVERTISING_PARTNERS: ADVERTISING_PARTNERS', enum_type=ConsentPurpose, max_length=32)),
                ('granted', fields.BooleanField()),
                ('source', fields.CharEnumField(description='WEB: WEB\nAPI: API\nGPC: GPC\nSIGN_UP: SIGN_UP', enum_type=ConsentSource, max_length=16)),
                ('policy', fields.ForeignKeyField('models.PrivacyPolicy', source_field='policy_id', db_constraint=True, to_field='id', related_name='consent_records', on_delete=OnDelete.RESTRICT)),
                ('decided_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'consent_records', 'app': 'models', 'indexes': [Index(fields=['user_id', 'purpose', 'decided_at']), Index(fields=['visitor_id', 'purpose', 'decided_at'])], 'pk_attr': 'id', 'table_description': 'One grant or withdrawal, never changed afterwards: the current choice of a user or a'},
            bases=['Model'],
        ),
    ]
