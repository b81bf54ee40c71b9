from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_account_deletion_and_legal_holds')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PrivacyQuestion',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('reply_to', fields.CharField(max_length=254)),
                ('subject', fields.CharField(max_length=200)),
                ('message', fields.TextField(unique=False)),
                ('support_mail', fields.ForeignKeyField('models.OutboxEmail', source_field='support_mail_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('acknowledgement', fields.ForeignKeyField('models.OutboxEmail', source_field='acknowledgement_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'privacy_questions', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A question about the privacy policy (P26), from anyone, mailed to support.'},
            bases=['Model'],
        ),
    ]
