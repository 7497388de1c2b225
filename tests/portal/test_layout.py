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


def test_serials_in_table_cells_wrap():
    """A device serial in a table cell sits in a cell that may break it (.serial,
    .text-break or <code>, which portal.css wraps), so a long one cannot widen the page."""
    import re

    cell = re.compile(r"<td([^>]*)>(?:<a [^>]*>)?\{\{ [\w.]*\.serial(?:_hex)? \}\}")
    unwrapped = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in TEMPLATES.rglob("*.html")
        if "/pdf/" not in str(path)
        for match in cell.finditer(path.read_text())
        if not re.search(r"serial|text-break", match.group(1))
    ]
    assert unwrapped == []


def test_state_labels_read_as_states_in_english():
    """Status labels are states ("Approved"), never the verb of the button ("Approve")."""
    import re

    from django.db import models
    from django.utils import translation

    from acceptance import choices as acceptance_choices
    from acceptance import models as acceptance_models
    from applications import models as applications_models
    from portal import models as portal_models
    from reports import models as reports_models
    from telemetry import models as telemetry_models

    verb = re.compile(r"^(Approve|Reject|Submit|Return|Confirm|Issue|Revoke|Accept|Pass|Fail)\b")
    wrong = []
    for module in (
        portal_models,
        applications_models,
        telemetry_models,
        reports_models,
        acceptance_models,
        acceptance_choices,
    ):
        for name, choices in vars(module).items():
            if not (
                isinstance(choices, type)
                and issubclass(choices, models.Choices)
                and name.endswith(("State", "Status"))
            ):
                continue
            for member in choices:
                with translation.override("en"):
                    text = str(member.label)  # lazy: composed in English, context included
                if verb.match(text):
                    wrong.append(f"{name}.{member.name}: {text}")
    assert wrong == []
