"""The notifications app was called `followup`; that name goes to the follow-up after
discharge. On a fresh database this creates the tables. On a database that has the old
`followup_*` tables it renames them (their rows stay), moves their content types, points
queued email tasks at the new module, and forgets the `followup` migrations, so that the
future `followup` app starts from its own 0001.

The state below is the old app's last state (`followup` 0002); the next migrations
change it.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.migrations.recorder import MigrationRecorder

OLD_APP = "followup"
OLD_TABLES = {
    "Notification": "followup_notification",
    "EmailDelivery": "followup_emaildelivery",
    "NotificationPreference": "followup_notificationpreference",
}
# What the old app recorded; the new `followup` app's own migrations have other names.
OLD_MIGRATIONS = ("0001_initial", "0002_preferences_and_email_deliveries")
OLD_MODELS = ("notification", "emaildelivery", "notificationpreference")
OLD_TASK = "relais.followup.tasks.send_email"
NEW_TASK = "relais.notifications.tasks.send_email"


def adopt_or_create_tables(apps, schema_editor):
    existing = set(schema_editor.connection.introspection.table_names())
    for name, old_table in OLD_TABLES.items():
        model = apps.get_model("notifications", name)
        if old_table in existing:
            schema_editor.alter_db_table(model, old_table, model._meta.db_table)
        elif model._meta.db_table not in existing:
            schema_editor.create_model(model)
    if OLD_TABLES["Notification"] in existing:
        _complete_followup_0001(apps, schema_editor, existing)
        _move_content_types(apps)
        _point_tasks_at_new_module(apps)
        MigrationRecorder(schema_editor.connection).migration_qs.filter(
            app=OLD_APP, name__in=OLD_MIGRATIONS).delete()


def _complete_followup_0001(apps, schema_editor, existing):
    """A database that stopped at `followup` 0001 has no digest column yet."""
    if OLD_TABLES["EmailDelivery"] in existing:
        return
    model = apps.get_model("notifications", "Notification")
    schema_editor.add_field(model, model._meta.get_field("in_digest"))
    for index in model._meta.indexes:
        if index.name == "notification_digest_due":
            schema_editor.add_index(model, index)


def _move_content_types(apps):
    content_types = apps.get_model("contenttypes", "ContentType")
    for old in content_types.objects.filter(app_label=OLD_APP, model__in=OLD_MODELS):
        if content_types.objects.filter(app_label="notifications", model=old.model).exists():
            old.delete()
        else:
            old.app_label = "notifications"
            old.save(update_fields=["app_label"])


def _point_tasks_at_new_module(apps):
    """Emails queued (or waiting for a retry) when the app was renamed still go out."""
    tasks = apps.get_model("django_tasks_database", "DBTaskResult")
    tasks.objects.filter(task_path=OLD_TASK).update(task_path=NEW_TASK)


def drop_tables(apps, schema_editor):
    for name in OLD_TABLES:
        schema_editor.delete_model(apps.get_model("notifications", name))


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('network', '0005_person_niss_index'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('django_tasks_database', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name='Notification',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('kind', models.CharField(max_length=40, verbose_name='kind')),
                    ('message', models.TextField(verbose_name='message')),
                    ('link', models.CharField(blank=True, max_length=300, verbose_name='link')),
                    ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                    ('read_at', models.DateTimeField(blank=True, null=True, verbose_name='read at')),
                    ('in_digest', models.BooleanField(default=False, verbose_name='in the next digest')),
                    ('person', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='network.person')),
                    ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    'verbose_name': 'notification',
                    'verbose_name_plural': 'notifications',
                    'ordering': ['-created_at'],
                    'indexes': [
                        models.Index(fields=['recipient', 'read_at'], name='notification_inbox'),
                        models.Index(condition=models.Q(('in_digest', True)), fields=['recipient'], name='notification_digest_due'),
                    ],
                },
            ),
            migrations.CreateModel(
                name='EmailDelivery',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('kind', models.CharField(help_text="The notification's kind, or “digest”.", max_length=40, verbose_name='about')),
                    ('items', models.PositiveIntegerField(default=1, verbose_name='new items')),
                    ('status', models.CharField(choices=[('queued', 'Queued'), ('sent', 'Sent'), ('failed', 'Failed'), ('cancelled', 'Cancelled')], default='queued', max_length=10, verbose_name='status')),
                    ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                    ('last_error', models.TextField(blank=True, verbose_name='last error')),
                    ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                    ('last_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name='last attempt')),
                    ('next_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name='next attempt')),
                    ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent at')),
                    ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='email_deliveries', to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    'verbose_name': 'email delivery',
                    'verbose_name_plural': 'email deliveries',
                    'ordering': ['-created_at'],
                    'indexes': [models.Index(fields=['status', 'next_attempt_at'], name='email_delivery_due')],
                },
            ),
            migrations.CreateModel(
                name='NotificationPreference',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('group', models.CharField(choices=[('alerts', 'Alerts in the booklet'), ('booklet', 'New in the booklet and the emergency sheet'), ('referrals', 'Referrals'), ('stays', 'Hospital stays'), ('consultations', 'Consultations'), ('network', 'Changes in a network')], max_length=20, verbose_name='notifications about')),
                    ('mode', models.CharField(choices=[('immediate', 'Immediately'), ('digest', 'In a daily digest'), ('off', 'No email')], default='immediate', max_length=10, verbose_name='email')),
                    ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notification_preferences', to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    'verbose_name': 'notification preference',
                    'verbose_name_plural': 'notification preferences',
                    'constraints': [models.UniqueConstraint(fields=('user', 'group'), name='one_preference_per_group')],
                },
            ),
        ]),
        migrations.RunPython(adopt_or_create_tables, drop_tables),
    ]
