from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0004_heartbeat'),
    ]

    operations = [
        migrations.AddField(
            model_name='clockrun',
            name='starts',
            field=models.PositiveBigIntegerField(default=0),
        ),
    ]
