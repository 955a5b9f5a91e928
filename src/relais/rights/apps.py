from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RightsConfig(AppConfig):
    """The person's rights (GDPR): the readable export and the retention policy."""

    name = "relais.rights"
    label = "rights"
    verbose_name = _("The person's rights")

    def ready(self):
        # why inside: the retention job and the page's notice use models, ready only now.
        from relais.rights import sections, tasks

        tasks.register_job()
        sections.register()
