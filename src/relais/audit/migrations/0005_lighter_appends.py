"""Less to write per audit event (issue 15): no foreign-key checks on the actor and the
organisation (each locked the user's and the organisation's rows at every append), and
one index on `action` where there were two on PostgreSQL (docs/audit.md, "Appending").

On PostgreSQL the constraints are dropped from the partitioned table and so from every
partition; the index is made on the partitioned table, which makes it on each partition.
On SQLite Django copies the table once without the constraints.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_squashed'),
        ('audit', '0004_partition_by_month'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(max_length=60, verbose_name='action'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='actor',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='actor'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='organisation',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.organisation', verbose_name='acting organisation'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['action'], name='audit_action', opclasses=['varchar_pattern_ops']),
        ),
    ]
