import django.core.validators
import django.db.models.functions.text
import django.db.models.lookups
from django.db import migrations, models


class Migration(migrations.Migration):

    # Only the app's own last migration: the limits change no other app's tables.
    dependencies = [
        ('accounts', '0004_ward_code'),
    ]

    operations = [
        migrations.AlterField(
            model_name='organisation',
            name='description',
            field=models.TextField(blank=True, help_text='In plain words: what you do, for whom, and how to reach you.', max_length=4000, validators=[django.core.validators.MaxLengthValidator(4000)], verbose_name='how we work'),
        ),
        migrations.AlterField(
            model_name='ward',
            name='notes',
            field=models.TextField(blank=True, max_length=2000, validators=[django.core.validators.MaxLengthValidator(2000)], verbose_name='notes for professionals'),
        ),
        migrations.AddConstraint(
            model_name='organisation',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('description'), 4000), name='accounts_organisation_description_length'),
        ),
        migrations.AddConstraint(
            model_name='ward',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('notes'), 2000), name='accounts_ward_notes_length'),
        ),
    ]
