from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """The identifier a system gave a booklet entry it sent through the FHIR API
    (Communication.identifier), unique per author: a retried POST finds the entry."""

    dependencies = [
        ('booklet', '0002_input_limits'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='entry',
            name='identifier_system',
            field=models.CharField(blank=True, default='', max_length=255),
        ),
        migrations.AddField(
            model_name='entry',
            name='identifier_value',
            field=models.CharField(blank=True, default='', max_length=200),
        ),
        migrations.AddConstraint(
            model_name='entry',
            constraint=models.UniqueConstraint(condition=models.Q(('identifier_value', ''), _negated=True), fields=('author', 'identifier_system', 'identifier_value'), name='booklet_entry_identifier'),
        ),
    ]
