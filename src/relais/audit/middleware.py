"""One request, one write of its reads: the reads of person data a request makes are
gathered (`audit.reads_gathered`) and written in one INSERT when the view is done,
whether it succeeded or failed (what was read before an error was read). Changes are not
gathered here: services write them inside their own transaction."""

from relais.audit import log as audit


class GatherReadsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit.reads_gathered():
            return self.get_response(request)
