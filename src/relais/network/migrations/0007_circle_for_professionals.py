"""The safeguarding circle is for professionals and organisations only (NetworkMember.clean):
relatives, friends and neighbours put in it before are taken out. The rules never showed
them more than the rest of the network since; this makes the page say so too."""

from django.db import migrations


def take_informal_members_out(apps, schema_editor):
    member = apps.get_model("network", "NetworkMember")
    member.objects.filter(kind="informal", in_safeguarding_circle=True).update(
        in_safeguarding_circle=False)


class Migration(migrations.Migration):
    dependencies = [("network", "0006_input_limits")]

    operations = [migrations.RunPython(take_informal_members_out, migrations.RunPython.noop)]
