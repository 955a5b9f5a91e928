"""Static files, served by WhiteNoise, found once per process.

Outside production WhiteNoise finds the static files through Django's finders (no
`collectstatic` needed): it lists and stats every file each time the middleware is built.
A server builds it once; the test client builds it for every test that makes a request,
and that listing was 5 % of the suite's CPU. The files found are kept here for the
process, per set of settings that shape them; a change of a file's content is not seen
without a restart (as with WhiteNoise's own index of STATIC_ROOT; `runserver`'s
autorefresh, under DEBUG, does not use this path).
"""

from django.conf import settings
from whitenoise.middleware import WhiteNoiseMiddleware

_found: dict[tuple, dict] = {}


class FoundOnceWhiteNoiseMiddleware(WhiteNoiseMiddleware):
    def add_files_from_finders(self):
        key = (self.static_prefix, self.max_age, self.charset, self.allow_all_origins,
               self.add_headers_function, tuple(settings.STATICFILES_DIRS),
               tuple(settings.INSTALLED_APPS))
        if key not in _found:
            already, self.files = self.files, {}
            super().add_files_from_finders()  # into self.files: only the finders' files
            _found[key], self.files = self.files, already
        self.files.update(_found[key])
