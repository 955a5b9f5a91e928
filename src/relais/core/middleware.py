from relais.core import requestcontext


class RequestContextMiddleware:
    """Give every request an id (echoed in X-Request-ID) that audit events carry."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        context = requestcontext.context_for(request)
        request.request_id = context.request_id
        token = requestcontext.activate(context)
        try:
            response = self.get_response(request)
        finally:
            requestcontext.deactivate(token)
        response["X-Request-ID"] = context.request_id
        return response
