"""Layout rules every page keeps: its own title, numbers grouped by thousands in both
languages where grouping is asked, Chinese unit names in the Chinese pages."""

from pathlib import Path

from django.conf import settings
from django.utils import translation

from portal.templatetags.portal_tags import grouped

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def test_every_page_has_its_own_title():
    missing = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if '{% extends "base.html" %}' in path.read_text()
        and "{% block title %}" not in path.read_text()
        and path.name != "home.html"  # the portal's name is the home page's title
    ]
    assert missing == []


def test_numbers_are_grouped_by_thousands_in_both_languages():
    for language in ("zh-hans", "en"):
        with translation.override(language):
            assert grouped(1234567) == "1,234,567"
            assert grouped("") == ""


def test_floatformat_grouping_shows_commas_in_chinese():
    from django.template import Context, Template

    template = Template('{{ value|floatformat:"2g" }}')
    with translation.override("zh-hans"):
        assert template.render(Context({"value": 68000})) == "68,000.00"


def test_unit_names_are_chinese_in_the_chinese_pages():
    from telemetry.analysis import unit_name

    with translation.override("zh-hans"):
        assert unit_name("tce") == "吨标准煤"


def test_the_portals_filters_do_not_shadow_an_apps_filters():
    from portal.templatetags import portal_tags
    from telemetry.templatetags import analysis_tags

    assert not set(portal_tags.register.filters) & set(analysis_tags.register.filters)
