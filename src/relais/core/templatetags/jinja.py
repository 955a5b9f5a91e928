"""`{% jinja "chrome/header.jinja" %}`: a fragment written once in Jinja2 for both
template engines, rendered with the page's values (core/jinja.py): the chrome of every
page (templates/base.html), the ecomap's text."""

from django import template

from relais.core import jinja as jinja_templates

register = template.Library()


@register.simple_tag(takes_context=True)
def jinja(context, name: str) -> str:
    return jinja_templates.fragment(name, context)
