from tortoise import migrations
from tortoise.migrations import operations as ops
from models.payments import PaymentStatus
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ConnectedAccount',
            name='state_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AlterField(
            model_name='Payment',
            name='status',
            field=fields.CharEnumField(default=PaymentStatus.PENDING, description='PENDING: PENDING\nFAILED: FAILED\nSUCCEEDED: SUCCEEDED\nPARTIALLY_REFUNDED: PARTIALLY_REFUNDED\nREFUNDED: REFUNDED\nDISPUTED: DISPUTED\nDISPUTE_LOST: DISPUTE_LOST\nCANCELED: CANCELED', db_default='PENDING', enum_type=PaymentStatus, max_length=24),
        ),
        ops.AddField(
            model_name='Payment',
            name='refund_requests',
            field=fields.IntField(default=0, db_default=0),
        ),
    ]
