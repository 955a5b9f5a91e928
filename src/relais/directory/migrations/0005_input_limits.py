import django.core.validators
import django.db.models.functions.text
import django.db.models.lookups
import relais.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    # Only the app's own last migration: the limits change no other app's tables.
    dependencies = [
        ('directory', '0004_service_name_search'),
    ]

    operations = [
        migrations.AlterField(
            model_name='agreement',
            name='description',
            field=models.TextField(blank=True, max_length=4000, validators=[django.core.validators.MaxLengthValidator(4000)], verbose_name='what was agreed'),
        ),
        migrations.AlterField(
            model_name='agreement',
            name='ends_on',
            field=models.DateField(blank=True, null=True, validators=[relais.core.validators.validate_end_date], verbose_name='until'),
        ),
        migrations.AlterField(
            model_name='agreement',
            name='starts_on',
            field=models.DateField(validators=[relais.core.validators.validate_planning_date], verbose_name='since'),
        ),
        migrations.AlterField(
            model_name='service',
            name='capacity_confirmed_on',
            field=models.DateField(blank=True, null=True, validators=[relais.core.validators.validate_past_date], verbose_name='capacity confirmed on'),
        ),
        migrations.AlterField(
            model_name='service',
            name='description_en',
            field=models.TextField(blank=True, max_length=4000, validators=[django.core.validators.MaxLengthValidator(4000)], verbose_name='description (English)'),
        ),
        migrations.AlterField(
            model_name='service',
            name='description_fr',
            field=models.TextField(blank=True, max_length=4000, validators=[django.core.validators.MaxLengthValidator(4000)], verbose_name='description (French)'),
        ),
        migrations.AlterField(
            model_name='service',
            name='description_nl',
            field=models.TextField(blank=True, max_length=4000, validators=[django.core.validators.MaxLengthValidator(4000)], verbose_name='description (Dutch)'),
        ),
        migrations.AlterField(
            model_name='service',
            name='eligibility',
            field=models.TextField(blank=True, max_length=2000, validators=[django.core.validators.MaxLengthValidator(2000)], verbose_name='who can use it'),
        ),
        migrations.AlterField(
            model_name='service',
            name='fees',
            field=models.TextField(blank=True, max_length=2000, validators=[django.core.validators.MaxLengthValidator(2000)], verbose_name='fees'),
        ),
        migrations.AlterField(
            model_name='service',
            name='how_to_refer_en',
            field=models.TextField(blank=True, max_length=2000, validators=[django.core.validators.MaxLengthValidator(2000)], verbose_name='how to refer (English)'),
        ),
        migrations.AlterField(
            model_name='service',
            name='how_to_refer_fr',
            field=models.TextField(blank=True, max_length=2000, validators=[django.core.validators.MaxLengthValidator(2000)], verbose_name='how to refer (French)'),
        ),
        migrations.AlterField(
            model_name='service',
            name='how_to_refer_nl',
            field=models.TextField(blank=True, max_length=2000, validators=[django.core.validators.MaxLengthValidator(2000)], verbose_name='how to refer (Dutch)'),
        ),
        migrations.AlterField(
            model_name='service',
            name='schedule',
            field=models.TextField(blank=True, help_text='E.g. Monday to Friday 8:00–17:00.', max_length=2000, validators=[django.core.validators.MaxLengthValidator(2000)], verbose_name='opening hours'),
        ),
        migrations.AlterField(
            model_name='service',
            name='verified_on',
            field=models.DateField(blank=True, null=True, validators=[relais.core.validators.validate_past_date], verbose_name='verified on'),
        ),
        migrations.AddConstraint(
            model_name='agreement',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('description'), 4000), name='directory_agreement_description_length'),
        ),
        migrations.AddConstraint(
            model_name='service',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('description_nl'), 4000), name='directory_service_description_nl_length'),
        ),
        migrations.AddConstraint(
            model_name='service',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('description_fr'), 4000), name='directory_service_description_fr_length'),
        ),
        migrations.AddConstraint(
            model_name='service',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('description_en'), 4000), name='directory_service_description_en_length'),
        ),
        migrations.AddConstraint(
            model_name='service',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('how_to_refer_nl'), 2000), name='directory_service_how_to_refer_nl_length'),
        ),
        migrations.AddConstraint(
            model_name='service',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('how_to_refer_fr'), 2000), name='directory_service_how_to_refer_fr_length'),
        ),
        migrations.AddConstraint(
            model_name='service',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('how_to_refer_en'), 2000), name='directory_service_how_to_refer_en_length'),
        ),
        migrations.AddConstraint(
            model_name='service',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('eligibility'), 2000), name='directory_service_eligibility_length'),
        ),
        migrations.AddConstraint(
            model_name='service',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('fees'), 2000), name='directory_service_fees_length'),
        ),
        migrations.AddConstraint(
            model_name='service',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('schedule'), 2000), name='directory_service_schedule_length'),
        ),
    ]
