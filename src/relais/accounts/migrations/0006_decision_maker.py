

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_input_limits'),
    ]

    operations = [
        migrations.AlterField(
            model_name='membership',
            name='function',
            field=models.CharField(choices=[('liaison_nurse', 'Liaison nurse'), ('hospital_social_worker', 'Hospital social worker'), ('ward_nurse', 'Ward nurse'), ('coordinator', 'Coordinator'), ('case_manager', 'Case manager'), ('gp', 'General practitioner'), ('home_nurse', 'Home nurse'), ('home_help', 'Home help'), ('pharmacist', 'Pharmacist'), ('physiotherapist', 'Physiotherapist'), ('social_worker', 'Social worker'), ('care_zone_analyst', 'Care-zone analyst'), ('decision_maker', 'Decision-maker (read only)'), ('manager', 'Manager'), ('administrative', 'Administrative staff')], max_length=30, verbose_name='function'),
        ),
    ]
