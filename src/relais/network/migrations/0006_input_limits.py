import django.core.validators
import django.db.models.functions.text
import django.db.models.lookups
import relais.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    # Only the app's own last migration: the limits change no other app's tables.
    dependencies = [
        ('network', '0005_person_niss_index'),
    ]

    operations = [
        migrations.AlterField(
            model_name='capacityassessment',
            name='assessed_on',
            field=models.DateField(validators=[relais.core.validators.validate_past_date], verbose_name='assessed on'),
        ),
        migrations.AlterField(
            model_name='capacityassessment',
            name='note',
            field=models.TextField(blank=True, max_length=2000, validators=[django.core.validators.MaxLengthValidator(2000)], verbose_name='note'),
        ),
        migrations.AlterField(
            model_name='capacityassessment',
            name='review_by',
            field=models.DateField(blank=True, null=True, validators=[relais.core.validators.validate_planning_date], verbose_name='review by'),
        ),
        migrations.AlterField(
            model_name='mandate',
            name='ends_on',
            field=models.DateField(blank=True, null=True, validators=[relais.core.validators.validate_end_date], verbose_name='valid until'),
        ),
        migrations.AlterField(
            model_name='mandate',
            name='scope',
            field=models.TextField(help_text='What the representative may decide, as written.', max_length=4000, validators=[django.core.validators.MaxLengthValidator(4000)], verbose_name='scope'),
        ),
        migrations.AlterField(
            model_name='mandate',
            name='signed_on',
            field=models.DateField(validators=[relais.core.validators.validate_past_date], verbose_name='signed on'),
        ),
        migrations.AlterField(
            model_name='mandate',
            name='starts_on',
            field=models.DateField(validators=[relais.core.validators.validate_planning_date], verbose_name='valid from'),
        ),
        migrations.AlterField(
            model_name='person',
            name='birth_date',
            field=models.DateField(blank=True, null=True, validators=[relais.core.validators.validate_birth_date], verbose_name='birth date'),
        ),
        migrations.AddConstraint(
            model_name='capacityassessment',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('note'), 2000), name='network_capacityassessment_note_length'),
        ),
        migrations.AddConstraint(
            model_name='mandate',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('scope'), 4000), name='network_mandate_scope_length'),
        ),
    ]
