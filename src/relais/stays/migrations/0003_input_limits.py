import django.core.validators
import django.db.models.functions.text
import django.db.models.lookups
import django.utils.timezone
import relais.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    # Only the app's own last migration: the limits change no other app's tables.
    dependencies = [
        ('stays', '0002_one_open_referral_per_service'),
    ]

    operations = [
        migrations.AlterField(
            model_name='admissionbrief',
            name='text',
            field=models.TextField(max_length=4000, validators=[django.core.validators.MaxLengthValidator(4000)], verbose_name='what the hospital should know'),
        ),
        migrations.AlterField(
            model_name='adtmessage',
            name='raw',
            field=models.TextField(max_length=1048576, validators=[django.core.validators.MaxLengthValidator(1048576)]),
        ),
        migrations.AlterField(
            model_name='referral',
            name='decline_note',
            field=models.TextField(blank=True, max_length=1000, validators=[django.core.validators.MaxLengthValidator(1000)], verbose_name='explanation'),
        ),
        migrations.AlterField(
            model_name='referral',
            name='help_needed',
            field=models.TextField(max_length=2000, validators=[django.core.validators.MaxLengthValidator(2000)], verbose_name='what help is needed'),
        ),
        migrations.AlterField(
            model_name='referral',
            name='person_wishes',
            field=models.TextField(max_length=2000, validators=[django.core.validators.MaxLengthValidator(2000)], verbose_name='what the person wants'),
        ),
        migrations.AlterField(
            model_name='referral',
            name='reason',
            field=models.TextField(max_length=2000, validators=[django.core.validators.MaxLengthValidator(2000)], verbose_name='why'),
        ),
        migrations.AlterField(
            model_name='referral',
            name='start_on',
            field=models.DateField(validators=[relais.core.validators.validate_planning_date], verbose_name='from when'),
        ),
        migrations.AlterField(
            model_name='referralevent',
            name='note',
            field=models.TextField(blank=True, max_length=1000, validators=[django.core.validators.MaxLengthValidator(1000)]),
        ),
        migrations.AlterField(
            model_name='screening',
            name='done_on',
            field=models.DateField(default=django.utils.timezone.localdate, validators=[relais.core.validators.validate_past_date], verbose_name='done on'),
        ),
        migrations.AlterField(
            model_name='stay',
            name='admitted_at',
            field=models.DateTimeField(default=django.utils.timezone.now, validators=[relais.core.validators.validate_planning_date], verbose_name='admitted at'),
        ),
        migrations.AlterField(
            model_name='stay',
            name='appointments',
            field=models.TextField(blank=True, max_length=2000, validators=[django.core.validators.MaxLengthValidator(2000)], verbose_name='next appointments'),
        ),
        migrations.AlterField(
            model_name='stay',
            name='discharge_reason',
            field=models.TextField(blank=True, max_length=1000, validators=[django.core.validators.MaxLengthValidator(1000)], verbose_name='why discharge with open items'),
        ),
        migrations.AlterField(
            model_name='stay',
            name='discharged_at',
            field=models.DateTimeField(blank=True, null=True, validators=[relais.core.validators.validate_planning_date], verbose_name='discharged at'),
        ),
        migrations.AlterField(
            model_name='stay',
            name='expected_discharge_on',
            field=models.DateField(blank=True, null=True, validators=[relais.core.validators.validate_planning_date], verbose_name='expected discharge date'),
        ),
        migrations.AlterField(
            model_name='stay',
            name='followup_needs',
            field=models.TextField(blank=True, max_length=2000, validators=[django.core.validators.MaxLengthValidator(2000)], verbose_name='what follow-up needs'),
        ),
        migrations.AlterField(
            model_name='stay',
            name='watch_for',
            field=models.TextField(blank=True, max_length=2000, validators=[django.core.validators.MaxLengthValidator(2000)], verbose_name='what to watch for, and when to call the GP'),
        ),
        migrations.AddConstraint(
            model_name='admissionbrief',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('text'), 4000), name='stays_admissionbrief_text_length'),
        ),
        migrations.AddConstraint(
            model_name='adtmessage',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('raw'), 1048576), name='stays_adtmessage_raw_length'),
        ),
        migrations.AddConstraint(
            model_name='referral',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('help_needed'), 2000), name='stays_referral_help_needed_length'),
        ),
        migrations.AddConstraint(
            model_name='referral',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('reason'), 2000), name='stays_referral_reason_length'),
        ),
        migrations.AddConstraint(
            model_name='referral',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('person_wishes'), 2000), name='stays_referral_person_wishes_length'),
        ),
        migrations.AddConstraint(
            model_name='referral',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('decline_note'), 1000), name='stays_referral_decline_note_length'),
        ),
        migrations.AddConstraint(
            model_name='referralevent',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('note'), 1000), name='stays_referralevent_note_length'),
        ),
        migrations.AddConstraint(
            model_name='stay',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('discharge_reason'), 1000), name='stays_stay_discharge_reason_length'),
        ),
        migrations.AddConstraint(
            model_name='stay',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('followup_needs'), 2000), name='stays_stay_followup_needs_length'),
        ),
        migrations.AddConstraint(
            model_name='stay',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('watch_for'), 2000), name='stays_stay_watch_for_length'),
        ),
        migrations.AddConstraint(
            model_name='stay',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('appointments'), 2000), name='stays_stay_appointments_length'),
        ),
    ]
