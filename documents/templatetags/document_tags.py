from django import template
from django_countries import countries

register = template.Library()


@register.filter
def country_name(code: str) -> str:
    """The country's name in the active language ("DE" → "Deutschland"); the code if unknown."""
    return countries.name(code) or code
