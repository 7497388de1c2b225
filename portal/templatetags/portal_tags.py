from django import template
from django.utils.formats import number_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()

SELECTS = {"select", "selectmultiple"}
# Django's empty choice ("---------") of a select, as the widget renders it.
DASHES = ">---------</option>"


@register.filter
def bootstrap(field):
    """Render a bound field's widget with Bootstrap's classes and its error state.

    A select's empty choice reads 请选择 ("Please choose") instead of Django's dashes, and
    a field with errors points at them for screen readers.
    """
    kind = field.widget_type
    css = "form-select" if kind in SELECTS else "form-control"
    attrs = {"class": css}
    if field.errors:
        attrs["class"] += " is-invalid"
        attrs["aria-invalid"] = "true"
    html = field.as_widget(attrs=attrs)
    if kind == "select" and DASHES in html:
        html = mark_safe(html.replace(DASHES, f">{_('请选择')}</option>", 1))
    return html


@register.filter
def grouped(value):
    """A number with the active language's thousands separators (12,345.6)."""
    if value in (None, ""):
        return value
    return number_format(value, force_grouping=True)
