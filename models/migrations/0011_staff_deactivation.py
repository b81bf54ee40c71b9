from tortoise import migrations
from tortoise.migrations import operations as ops
from models.accounts import DeactivationReason
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0010_security_incidents')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='deactivated_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='User',
            name='deactivation_reason',
            field=fields.CharEnumField(null=True, description='Why staff deactivated the account: a DeactivationReason name.', enum_type=DeactivationReason, max_length=32),
        ),
    ]
