"""System check: the PDFs need a CJK font, or their Chinese prints as empty boxes."""

from django.core.checks import Warning, register

from .rendering import cjk_font_available


@register()
def cjk_font_check(app_configs, **kwargs):
    if cjk_font_available():
        return []
    return [
        Warning(
            "No CJK font found: issued PDFs would print Chinese as empty boxes.",
            hint="Install Noto CJK (Debian/Ubuntu: apt-get install fonts-noto-cjk); "
            "see README, 'Reports and PDFs'.",
            id="reports.W001",
        )
    ]
