"""`{% jinja "network/partials/map_text.jinja" %}`: a fragment written once in Jinja2 for both
template engines, rendered with the page's values (core/jinja.py): the chrome of every
page (templates/base.html), the ecomap's text."""

from django import template

from relais.core import jinja as jinja_templates

register = template.Library()


@register.simple_tag(takes_context=True)
def jinja(context, name: str) -> str:
    return jinja_templates.fragment(name, context)


@register.simple_tag(takes_context=True)
def chrome(context, name: str) -> str:
    """A part of the chrome (templates/base.html): the three share one flattening of the
    page's values, made for the first."""
    return jinja_templates.fragment(name, context, page_values=True)


@register.simple_tag(takes_context=True)
def include_any(context, name: str) -> str:
    """`{% include %}` of a template in either language: the sections and notices other
    features register on a person's pages name a `.jinja` or a Django template."""
    if name.endswith(".jinja"):
        return jinja_templates.fragment(name, context)
    return context.template.engine.get_template(name).render(context)
