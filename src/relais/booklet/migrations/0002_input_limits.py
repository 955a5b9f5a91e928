import django.core.validators
import django.db.models.functions.text
import django.db.models.lookups
import relais.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    # Only the app's own last migration: the limits change no other app's tables.
    dependencies = [
        ('booklet', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='consultation',
            name='decision',
            field=models.TextField(blank=True, max_length=4000, validators=[django.core.validators.MaxLengthValidator(4000)], verbose_name='decision'),
        ),
        migrations.AlterField(
            model_name='consultation',
            name='question',
            field=models.TextField(max_length=2000, validators=[django.core.validators.MaxLengthValidator(2000)], verbose_name='question'),
        ),
        migrations.AlterField(
            model_name='emergencysheet',
            name='allergies',
            field=models.TextField(blank=True, max_length=2000, validators=[django.core.validators.MaxLengthValidator(2000)], verbose_name='allergies'),
        ),
        migrations.AlterField(
            model_name='emergencysheet',
            name='care_planning',
            field=models.TextField(blank=True, help_text='Which statements exist (e.g. DNR code, euthanasia declaration, negative declaration of will).', max_length=2000, validators=[django.core.validators.MaxLengthValidator(2000)], verbose_name='advance care planning statements'),
        ),
        migrations.AlterField(
            model_name='emergencysheet',
            name='conditions',
            field=models.TextField(blank=True, max_length=2000, validators=[django.core.validators.MaxLengthValidator(2000)], verbose_name='key conditions'),
        ),
        migrations.AlterField(
            model_name='emergencysheet',
            name='medication',
            field=models.TextField(blank=True, help_text='One medicine per line: name, dose, when.', max_length=4000, validators=[django.core.validators.MaxLengthValidator(4000)], verbose_name='current medication'),
        ),
        migrations.AlterField(
            model_name='emergencysheet',
            name='medication_updated_on',
            field=models.DateField(blank=True, null=True, validators=[relais.core.validators.validate_past_date], verbose_name='medication list of'),
        ),
        migrations.AlterField(
            model_name='entry',
            name='body',
            field=models.TextField(max_length=10000, validators=[django.core.validators.MaxLengthValidator(10000)], verbose_name='text'),
        ),
        migrations.AlterField(
            model_name='invitation',
            name='answer',
            field=models.TextField(blank=True, max_length=4000, validators=[django.core.validators.MaxLengthValidator(4000)], verbose_name='your answer'),
        ),
        migrations.AddConstraint(
            model_name='consultation',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('question'), 2000), name='booklet_consultation_question_length'),
        ),
        migrations.AddConstraint(
            model_name='consultation',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('decision'), 4000), name='booklet_consultation_decision_length'),
        ),
        migrations.AddConstraint(
            model_name='emergencysheet',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('conditions'), 2000), name='booklet_emergencysheet_conditions_length'),
        ),
        migrations.AddConstraint(
            model_name='emergencysheet',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('allergies'), 2000), name='booklet_emergencysheet_allergies_length'),
        ),
        migrations.AddConstraint(
            model_name='emergencysheet',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('medication'), 4000), name='booklet_emergencysheet_medication_length'),
        ),
        migrations.AddConstraint(
            model_name='emergencysheet',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('care_planning'), 2000), name='booklet_emergencysheet_care_planning_length'),
        ),
        migrations.AddConstraint(
            model_name='entry',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('body'), 10000), name='booklet_entry_body_length'),
        ),
        migrations.AddConstraint(
            model_name='invitation',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('answer'), 4000), name='booklet_invitation_answer_length'),
        ),
    ]
