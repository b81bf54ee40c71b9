from tortoise import migrations
from tortoise.migrations import operations as ops
from models.marketing import CampaignStatus
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_interactions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MarketingCampaign',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subject', fields.CharField(max_length=200)),
                ('body', fields.TextField(unique=False)),
                ('status', fields.CharEnumField(default=CampaignStatus.DRAFT, description='DRAFT: DRAFT\nSENDING: SENDING\nSENT: SENT', enum_type=CampaignStatus, max_length=16)),
                ('recipient_count', fields.IntField(default=0)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'marketing_campaigns', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A promotional mail written by marketing staff, sent only to those who opted in.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CampaignRecipient',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('campaign', fields.ForeignKeyField('models.MarketingCampaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='recipients', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('queued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'marketing_campaign_recipients', 'app': 'models', 'unique_together': (('campaign_id', 'user_id'),), 'pk_attr': 'id', 'table_description': 'One person a campaign was queued for: at most one per campaign and person, which is'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PartnerDisclosure',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('partner', fields.CharField(max_length=100)),
                ('purpose', fields.TextField(unique=False)),
                ('country', fields.CharField(max_length=2)),
                ('fields_sent', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('fingerprint', fields.CharField(null=True, max_length=64)),
                ('disclosed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'partner_disclosures', 'app': 'models', 'indexes': [Index(fields=['user_id', 'partner', 'disclosed_at'])], 'pk_attr': 'id', 'table_description': "One share of a person's data with an advertising partner, kept as proof: who, to whom"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='OutboxEmail',
            name='headers',
            field=fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads),
        ),
    ]
