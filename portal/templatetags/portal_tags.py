from django import template

register = template.Library()

SELECTS = {"select", "selectmultiple"}


@register.filter
def bootstrap(field):
    """Render a bound field's widget with Bootstrap's classes and its error state."""
    kind = field.widget_type
    css = "form-select" if kind in SELECTS else "form-control"
    if field.errors:
        css += " is-invalid"
    return field.as_widget(attrs={"class": css})
