import django.core.validators
import django.db.models.functions.text
import django.db.models.lookups
from django.db import migrations, models


class Migration(migrations.Migration):

    # Only the app's own last migration: the limits change no other app's tables.
    dependencies = [
        ('notifications', '0005_person_from_target'),
    ]

    operations = [
        migrations.AlterField(
            model_name='emaildelivery',
            name='last_error',
            field=models.TextField(blank=True, max_length=2000, validators=[django.core.validators.MaxLengthValidator(2000)], verbose_name='last error'),
        ),
        migrations.AddConstraint(
            model_name='emaildelivery',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('last_error'), 2000), name='notifications_emaildelivery_last_error_length'),
        ),
    ]
