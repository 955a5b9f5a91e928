from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RightsConfig(AppConfig):
    """The person's rights (GDPR): the readable export and the retention policy."""

    name = "relais.rights"
    label = "rights"
    verbose_name = _("The person's rights")

    def ready(self):
        # The retention job and the person page's notice read models, ready only now:
        # why inside: models exist only once apps are ready.
        from relais.rights import retention, sections

        retention.register_job()
        sections.register()
