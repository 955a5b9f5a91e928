import django.core.validators
import django.db.models.functions.text
import django.db.models.lookups
import relais.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    # Only the app's own last migration: the limits change no other app's tables.
    dependencies = [
        ('access', '0004_delete_auditevent'),
    ]

    operations = [
        migrations.AlterField(
            model_name='breakglassaccess',
            name='reason',
            field=models.TextField(max_length=1000, validators=[django.core.validators.MaxLengthValidator(1000)], verbose_name='reason'),
        ),
        migrations.AlterField(
            model_name='consent',
            name='given_on',
            field=models.DateField(validators=[relais.core.validators.validate_past_date], verbose_name='given on'),
        ),
        migrations.AddConstraint(
            model_name='breakglassaccess',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('reason'), 1000), name='access_breakglassaccess_reason_length'),
        ),
    ]
