"""Who is in hospital now, newest first, read in order from an index (the FHIR
`Encounter?status=in-progress` a home-care system polls): PostgreSQL sorted every open
stay at each search. After the squashed migration, which holds 0001-0008; numbered after
the last migration it replaced."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("stays", "0001_squashed"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="stay",
            index=models.Index(
                condition=models.Q(("cancelled_at__isnull", True), ("discharged_at__isnull", True)),
                fields=["-admitted_at", "id"], name="stay_in_progress"),
        ),
    ]
