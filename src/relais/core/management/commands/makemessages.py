"""Django's `makemessages`, which also reads the Jinja2 templates (`.jinja`).

Django reads a template of any extension it is given with its own template lexer: in a
Jinja2 template, `{{ _("text") }}` is a variable tag starting with a translated constant,
which that lexer extracts as it does in Django's templates (core/jinja.py says how the
templates write it). The Makefile's `make messages` and the catalogue test both run this."""

from django.core.management.commands import makemessages

TEMPLATE_EXTENSIONS = ["html", "txt", "py", "jinja"]


class Command(makemessages.Command):
    def handle(self, *args, **options):
        if options.get("domain", "django") == "django":
            options["extensions"] = sorted({*(options.get("extensions") or []),
                                            *TEMPLATE_EXTENSIONS})
        return super().handle(*args, **options)
