

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('observatory', '0001_figures'),
    ]

    operations = [
        migrations.AddField(
            model_name='computation',
            name='rounding',
            field=models.PositiveSmallIntegerField(default=5, verbose_name='rounding'),
        ),
        migrations.AddField(
            model_name='computation',
            name='threshold',
            field=models.PositiveSmallIntegerField(default=10, verbose_name='threshold'),
        ),
        migrations.AddField(
            model_name='figure',
            name='mark',
            field=models.CharField(default='shown', max_length=8, verbose_name='publication'),
        ),
    ]
