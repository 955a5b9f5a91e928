from django.db import migrations


class Migration(migrations.Migration):
    """The sentence is written when read, in the reader's language: the stored one goes."""

    dependencies = [
        ('notifications', '0003_events_from_messages'),
    ]

    operations = [
        migrations.RemoveField(model_name='notification', name='link'),
        migrations.RemoveField(model_name='notification', name='message'),
    ]
