from tortoise import migrations
from tortoise.migrations import operations as ops
from models.social import ImportedField
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0015_social_login')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='SocialImport',
            name='field',
            field=fields.CharEnumField(description='NAME: NAME\nEMAIL: EMAIL\nPHOTO: PHOTO', enum_type=ImportedField, max_length=16),
        ),
    ]
