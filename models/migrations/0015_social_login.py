from tortoise import migrations
from tortoise.migrations import operations as ops
from models.social import ImportedField
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0014_legal_disclosures')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SocialAccount',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='social_accounts', on_delete=OnDelete.CASCADE)),
                ('provider', fields.CharField(max_length=64)),
                ('uid', fields.CharField(max_length=255)),
                ('linked_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'social_accounts', 'app': 'models', 'unique_together': (('provider', 'uid'),), 'pk_attr': 'id', 'table_description': 'A provider identity linked to a user: who the provider says this person is.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SocialAssociation',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('server_url', fields.CharField(max_length=255)),
                ('handle', fields.CharField(max_length=255)),
                ('secret', fields.CharField(max_length=255)),
                ('issued', fields.BigIntField()),
                ('lifetime', fields.BigIntField()),
                ('assoc_type', fields.CharField(max_length=128)),
            ],
            options={'table': 'social_associations', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The library association store, where OpenID Connect keeps its login nonce.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SocialFlow',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key_hash', fields.CharField(unique=True, max_length=64)),
                ('data', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'social_flows', 'app': 'models', 'pk_attr': 'id', 'table_description': "The library's session for one browser's login under way, found by the SHA-256 of a"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SocialImport',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='social_imports', on_delete=OnDelete.CASCADE)),
                ('provider', fields.CharField(max_length=64)),
                ('field', fields.CharEnumField(description='NAME: NAME\nEMAIL: EMAIL', enum_type=ImportedField, max_length=16)),
                ('imported_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'social_imports', 'app': 'models', 'pk_attr': 'id', 'table_description': 'That a profile field of the user came from a provider, and when (P8). A field the'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SocialLoginCode',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='social_login_codes', on_delete=OnDelete.CASCADE)),
                ('code_hash', fields.CharField(unique=True, max_length=64)),
                ('provider', fields.CharField(max_length=64)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'social_login_codes', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A one-time code an app exchanges for the session a third-party login opened, only'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SocialNonce',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('server_url', fields.CharField(max_length=255)),
                ('timestamp', fields.BigIntField()),
                ('salt', fields.CharField(max_length=128)),
            ],
            options={'table': 'social_nonces', 'app': 'models', 'unique_together': (('server_url', 'timestamp', 'salt'),), 'pk_attr': 'id', 'table_description': 'A one-use value of the library (the OAuth 2 state), used at the start and consumed once.'},
            bases=['Model'],
        ),
    ]
