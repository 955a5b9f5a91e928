

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
    ]

    operations = [
        migrations.CreateModel(
            name='Computation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('started_at', models.DateTimeField(verbose_name='started at')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished at')),
                ('status', models.CharField(choices=[('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='running', max_length=10, verbose_name='status')),
                ('since', models.DateField(blank=True, null=True, verbose_name='recomputed from')),
                ('zone', models.CharField(blank=True, max_length=20, verbose_name='care zone recomputed')),
                ('rows', models.PositiveIntegerField(default=0, verbose_name='figures')),
                ('error', models.CharField(blank=True, max_length=500, verbose_name='error')),
            ],
            options={
                'verbose_name': 'computation',
                'verbose_name_plural': 'computations',
                'ordering': ['-started_at'],
                'indexes': [models.Index(fields=['status', '-finished_at'], name='obs_run_done')],
            },
        ),
        migrations.CreateModel(
            name='Figure',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('indicator', models.CharField(max_length=40, verbose_name='indicator')),
                ('zone', models.CharField(blank=True, max_length=20, verbose_name='care zone')),
                ('municipality', models.CharField(blank=True, max_length=10, verbose_name='municipality')),
                ('period', models.CharField(choices=[('month', 'Month'), ('quarter', 'Quarter'), ('year', 'Year')], max_length=8, verbose_name='period')),
                ('period_start', models.DateField(verbose_name='period start')),
                ('dimension', models.CharField(blank=True, max_length=30, verbose_name='breakdown')),
                ('key', models.CharField(blank=True, max_length=60, verbose_name='value of the breakdown')),
                ('count', models.BigIntegerField(verbose_name='count')),
                ('value', models.FloatField(blank=True, null=True, verbose_name='value')),
                ('computation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='figures', to='observatory.computation')),
            ],
            options={
                'verbose_name': 'figure',
                'verbose_name_plural': 'figures',
                'constraints': [models.UniqueConstraint(fields=('computation', 'indicator', 'zone', 'municipality', 'period', 'period_start', 'dimension', 'key'), name='obs_figure_cell')],
            },
        ),
    ]
