import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relais.config.settings")
application = get_wsgi_application()

from relais.core import memory  # noqa: E402 - once Django is set up

memory.freeze_as_it_warms()
