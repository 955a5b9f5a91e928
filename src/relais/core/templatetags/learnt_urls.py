"""`{% url %}` as Django's, through `core.reversing.reverse`: a link with whole-number
arguments is written from its learnt shape instead of walking the URL patterns again.
Loaded for every template after Django's own tags (settings: TEMPLATES builtins), so it
takes the place of Django's `url` everywhere, with the same syntax and errors."""

from django import template
from django.template import defaulttags
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape

from relais.core import reversing

register = template.Library()


class LearntURLNode(defaulttags.URLNode):
    def render(self, context):
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        url = ""
        try:
            url = reversing.reverse(view_name, args=args, kwargs=kwargs,
                                    current_app=_current_app(context))
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


def _current_app(context):
    """As Django's tag: the request's current app, else the namespace it was resolved in."""
    try:
        return context.request.current_app
    except AttributeError:
        try:
            return context.request.resolver_match.namespace
        except AttributeError:
            return None


@register.tag
def url(parser, token):
    node = defaulttags.url(parser, token)
    return LearntURLNode(node.view_name, node.args, node.kwargs, node.asvar)
