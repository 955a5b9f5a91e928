from django.db import migrations

# The model behind each target type, as (app label, model name).
TARGETS = {
    "booklet.consultation": ("booklet", "Consultation"),
    "booklet.entry": ("booklet", "Entry"),
    "stays.stay": ("stays", "Stay"),
    "stays.referral": ("stays", "Referral"),
}


def person_from_target(apps, schema_editor):
    """Every notification names its person, so that the gate can decide, when it is read,
    whether the reader still sees that person: rows carried over from the old app whose
    person was only in the link get it from their target."""
    notifications = apps.get_model("notifications", "Notification")
    for label, (app, name) in TARGETS.items():
        model = apps.get_model(app, name)
        rows = notifications.objects.filter(person__isnull=True, target_type=label)
        for row in rows.only("pk", "target_id"):
            person_id = model.objects.filter(pk=row.target_id).values_list(
                "person_id", flat=True).first()
            if person_id is not None:
                notifications.objects.filter(pk=row.pk).update(person_id=person_id)


class Migration(migrations.Migration):
    dependencies = [
        ('notifications', '0004_drop_message_and_link'),
        ('booklet', '0001_initial'),
        ('stays', '0001_initial'),
    ]

    operations = [migrations.RunPython(person_from_target, migrations.RunPython.noop)]
