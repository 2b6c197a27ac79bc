"""`{% numbered label number=… %}`: a label translated once per page, numbered per use.

The issue page repeats a few labels hundreds of times ("Report item 3.14"); `blocktranslate`
looked each one up in the catalogue again (a third of a 300-item page's rendering time).
"""

from django import template

register = template.Library()


@register.simple_tag
def numbered(label: str, **numbers: object) -> str:
    """`label` (a translated "… %(number)s …") with its numbers in; escaped as any tag output."""
    return label % numbers
