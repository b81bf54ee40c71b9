from tortoise import migrations
from tortoise.migrations import operations as ops
from models.accounts import EmailTokenPurpose
from models.deletion import DeletionStatus
from models.privacy import ConsentSource
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0007_data_exports')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccountDeletion',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='deletions', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(description='AWAITING_CONFIRMATION: AWAITING_CONFIRMATION\nSCHEDULED: SCHEDULED\nCANCELLED: CANCELLED\nERASED: ERASED\nPURGED: PURGED', enum_type=DeletionStatus, max_length=24)),
                ('requested_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('scheduled_erasure_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('erased_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('purged_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('pseudonym', fields.CharField(unique=True, max_length=32)),
                ('steps_done', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={'table': 'account_deletions', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One request to delete an account, from the confirmation mail to the last purge.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LegalHold',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='legal_holds', on_delete=OnDelete.CASCADE)),
                ('reference', fields.CharField(max_length=200)),
                ('reason', fields.TextField(unique=False)),
                ('placed_by', fields.ForeignKeyField('models.User', source_field='placed_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('placed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('released_by', fields.ForeignKeyField('models.User', source_field='released_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('released_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('release_reference', fields.CharField(null=True, max_length=200)),
            ],
            options={'table': 'legal_holds', 'app': 'models', 'pk_attr': 'id', 'table_description': "A hold the law places on a user's data: while it is in force the account cannot be"},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='ConsentRecord',
            name='source',
            field=fields.CharEnumField(description='WEB: WEB\nAPI: API\nGPC: GPC\nSIGN_UP: SIGN_UP\nDELETION: DELETION', enum_type=ConsentSource, max_length=16),
        ),
        ops.AlterField(
            model_name='EmailToken',
            name='purpose',
            field=fields.CharEnumField(description='VERIFY_EMAIL: VERIFY_EMAIL\nRESET_PASSWORD: RESET_PASSWORD\nCONFIRM_DELETION: CONFIRM_DELETION\nCANCEL_DELETION: CANCEL_DELETION', enum_type=EmailTokenPurpose, max_length=32),
        ),
        ops.AddField(
            model_name='Payment',
            name='refund_asked_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
