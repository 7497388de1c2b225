"""附表1 as the clerk fills it: no form offered that cannot succeed, the task list and its
states, save and continue, sense checks with an error summary, check your answers and the
declaration, the material upload row."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import AccessApplication, ApplicationState, Material
from applications.sections import SECTION_KEYS, SECTIONS, submit_blockers, task_list
from portal.attachments import save_attachment

from .factories import (
    AccessApplicationFactory,
    DesignSchemeFactory,
    add_all_materials,
    application_data,
    pdf,
    section_form,
)

CREATE = "applications:application_create"


def section_url(application, key):
    return reverse("applications:application_section", args=[application.pk, key])


def blank_draft(enterprise, scheme):
    """A draft holding only what registration knew (as the start page leaves it)."""
    data = application_data(enterprise, scheme)
    keep = set(SECTIONS[0].fields) | {"design_scheme"}
    return AccessApplication.objects.create(
        enterprise=enterprise, **{k: v for k, v in data.items() if k in keep}
    )


def test_the_sections_hold_every_answer_of_the_form_once():
    from applications.models.application import ANSWERS
    from applications.services.access import APPLICATION_FIELDS

    assert tuple(name for section in SECTIONS for name in section.fields) == ANSWERS
    assert set(ANSWERS) == set(APPLICATION_FIELDS)


# --- no form that cannot succeed -----------------------------------------------------------


def test_a_pending_enterprise_is_told_why_instead_of_getting_the_form(client_for, pending):
    member = pending.memberships.get().user
    response = client_for(member).get(reverse(CREATE))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-reason="registration"' in page and "企业注册尚未通过审核" in page
    assert 'name="applicant_name"' not in page


def test_a_pending_enterprises_dashboard_links_to_no_refusal(client_for, pending):
    client = client_for(pending.memberships.get().user)
    page = client.get(reverse("dashboard")).content.decode()
    links = {
        link
        for link in re.findall(r'href="(/[^"#]*)"', page)
        if not link.startswith("/static/") and link != reverse("logout")
    }
    assert links
    for link in links:
        assert client.get(link).status_code in (200, 302), link


def test_without_a_finalised_scheme_the_clerk_is_told_what_comes_next(
    client_for, enterprise, member
):
    DesignSchemeFactory(enterprise=enterprise, sent=True)
    page = client_for(member).get(reverse(CREATE)).content.decode()

    assert 'data-reason="scheme"' in page and "设计方案尚未定稿" in page
    assert 'name="applicant_name"' not in page


def test_an_open_application_is_linked_instead_of_a_second_form(client_for, enterprise, member):
    application = AccessApplicationFactory(enterprise=enterprise, submitted=True)
    page = client_for(member).get(reverse(CREATE)).content.decode()

    assert 'data-reason="open_application"' in page
    assert reverse("applications:application_detail", args=[application.pk]) in page


def test_after_a_rejection_a_new_application_can_be_started(client_for, enterprise, member):
    AccessApplicationFactory(enterprise=enterprise, target_state=ApplicationState.REJECTED)
    page = client_for(member).get(reverse(CREATE)).content.decode()
    assert 'name="applicant_name"' in page


# --- the task list ---------------------------------------------------------------------------


def test_the_first_section_is_prefilled_and_saving_it_opens_the_draft(
    client_for, enterprise, member, finalised_scheme
):
    client = client_for(member)
    page = client.get(reverse(CREATE)).content.decode()
    assert enterprise.uscc in page and "建设单位与项目" in page  # the sections are announced

    data = application_data(enterprise, finalised_scheme)
    response = client.post(reverse(CREATE), section_form(data, SECTIONS[0]))

    application = AccessApplication.objects.get()
    assert application.design_scheme == finalised_scheme
    assert application.state == ApplicationState.DRAFT
    # Save and continue: on to the next unfinished section.
    assert response["Location"] == section_url(application, "project")


def test_section_states_and_material_count(enterprise, finalised_scheme):
    draft = blank_draft(enterprise, finalised_scheme)
    states = {task.key: task.status for task in task_list(draft)}
    assert states == {
        "applicant": "completed",
        "project": "in_progress",  # the scheme is chosen, the builder not yet
        "device": "not_started",
        "operation": "not_started",
        "materials": "not_started",
    }
    save_attachment(
        pdf(), actor=None, enterprise=enterprise, owner=draft, kind=Material.AUTHENTICITY_PLEDGE
    )
    materials = task_list(draft)[-1]
    assert materials.status == "in_progress" and materials.progress == "已上传 1/7"


def test_the_detail_page_shows_the_task_list_and_why_submit_is_unavailable(
    client_for, enterprise, member, finalised_scheme
):
    draft = blank_draft(enterprise, finalised_scheme)
    page = (
        client_for(member)
        .get(reverse("applications:application_detail", args=[draft.pk]))
        .content.decode()
    )

    assert 'id="task-list"' in page and "已上传 0/7" in page
    assert "“端设备”部分尚未填写完成。" in page and "尚缺申报材料" in page
    assert 'data-status="not_started"' in page and "未开始" in page


def test_save_and_continue_goes_to_the_next_unfinished_task(
    client_for, enterprise, member, finalised_scheme
):
    draft = blank_draft(enterprise, finalised_scheme)
    data = application_data(enterprise, finalised_scheme)
    client = client_for(member)

    response = client.post(section_url(draft, "device"), section_form(data, SECTION_KEYS["device"]))
    assert response["Location"] == section_url(draft, "operation")
    response = client.post(
        section_url(draft, "project"),
        {**section_form(data, SECTION_KEYS["project"]), "return": ""},
    )
    assert response["Location"] == reverse("applications:application_detail", args=[draft.pk])
    response = client.post(
        section_url(draft, "operation"), section_form(data, SECTION_KEYS["operation"])
    )
    # Every section answered: the materials come next.
    assert response["Location"].endswith("#materials")
    draft.refresh_from_db()
    assert draft.device_serial == "HB-DEV-000123" and draft.monitoring_points == 36


def test_a_submitted_application_cannot_be_edited_by_section(client_for, enterprise, member):
    application = AccessApplicationFactory(enterprise=enterprise, submitted=True)
    response = client_for(member).post(section_url(application, "device"), {})
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:application_detail", args=[application.pk])


def test_an_unknown_section_is_not_found(client_for, enterprise, member, finalised_scheme):
    draft = blank_draft(enterprise, finalised_scheme)
    assert client_for(member).get(section_url(draft, "nonsense")).status_code == 404


# --- sense checks and the error summary --------------------------------------------------


@pytest.mark.parametrize(
    ("section", "field", "value", "message"),
    [
        ("device", "device_manufactured_on", "future", "端设备出厂日期不能晚于今天"),
        ("device", "monitoring_points", "0", "监测点数量"),
        ("operation", "om_contract_end", "past", "运维合同已于"),
        ("project", "builder_phone", "12345", "请填写有效的电话号码"),
        ("applicant", "contact_phone", "call me", "请填写有效的电话号码"),
    ],
)
def test_answers_that_make_no_sense_are_refused_in_the_summary(
    client_for, enterprise, member, finalised_scheme, section, field, value, message
):
    draft = blank_draft(enterprise, finalised_scheme)
    data = section_form(application_data(enterprise, finalised_scheme), SECTION_KEYS[section])
    today = timezone.localdate()
    value = {
        "future": (today + timedelta(days=30)).isoformat(),
        "past": (today - timedelta(days=1)).isoformat(),
    }.get(value, value)
    response = client_for(member).post(section_url(draft, section), {**data, field: value})

    page = response.content.decode()
    assert response.status_code == 200
    summary = page[
        page.index('id="error-summary"') : page.index("</ul>", page.index("error-summary"))
    ]
    assert f'href="#id_{field}"' in summary and message in summary
    # What the clerk typed is still there.
    others = [name for name in data if name not in (field, "energy_types", "design_scheme")]
    for other in others:
        assert f'value="{data[other]}"' in page, other


def test_a_project_ending_before_it_starts_is_refused_with_the_saved_start(
    client_for, enterprise, member, finalised_scheme
):
    draft = blank_draft(enterprise, finalised_scheme)
    data = section_form(application_data(enterprise, finalised_scheme), SECTION_KEYS["project"])
    data.update(project_start="2026-03-01", project_end="2026-02-01")
    page = client_for(member).post(section_url(draft, "project"), data).content.decode()
    assert "项目结束日期不能早于开始日期" in page


def test_selects_say_please_choose(client_for, enterprise, member, finalised_scheme):
    draft = blank_draft(enterprise, finalised_scheme)
    draft.design_scheme_id = finalised_scheme.pk
    page = client_for(member).get(section_url(draft, "project")).content.decode()
    assert ">请选择</option>" in page and ">---------<" not in page


# --- check your answers and the declaration ---------------------------------------------------


@pytest.fixture
def complete(enterprise, finalised_scheme):
    application = AccessApplicationFactory(enterprise=enterprise, design_scheme=finalised_scheme)
    add_all_materials(application)
    return application


def test_check_your_answers_shows_every_answer_with_a_change_link(client_for, member, complete):
    page = (
        client_for(member)
        .get(reverse("applications:application_check", args=[complete.pk]))
        .content.decode()
    )

    for section in SECTIONS:
        assert section_url(complete, section.key) in page
    assert "HB-DEV-000123" in page and complete.design_scheme.number in page
    assert 'id="submit-blockers"' not in page
    assert 'id="submit-application" disabled' not in page


def test_check_your_answers_says_why_submit_is_unavailable(
    client_for, member, enterprise, finalised_scheme
):
    draft = blank_draft(enterprise, finalised_scheme)
    page = (
        client_for(member)
        .get(reverse("applications:application_check", args=[draft.pk]))
        .content.decode()
    )
    assert 'id="submit-blockers"' in page and "未填写" in page
    assert submit_blockers(draft)[0] in page


def test_submitting_needs_the_declaration(client_for, member, complete):
    client = client_for(member)
    submit = reverse("applications:application_submit", args=[complete.pk])

    response = client.post(submit)
    assert response["Location"] == reverse("applications:application_check", args=[complete.pk])
    complete.refresh_from_db()
    assert complete.state == ApplicationState.DRAFT

    client.post(submit, {"declaration": "on"})
    complete.refresh_from_db()
    assert complete.state == ApplicationState.SUBMITTED


def test_an_incomplete_draft_is_not_submitted_even_with_the_declaration(
    client_for, member, enterprise, finalised_scheme
):
    draft = blank_draft(enterprise, finalised_scheme)
    add_all_materials(draft)
    client_for(member).post(
        reverse("applications:application_submit", args=[draft.pk]), {"declaration": "on"}
    )
    draft.refresh_from_db()
    assert draft.state == ApplicationState.DRAFT


# --- the material upload row -----------------------------------------------------------------


def test_the_upload_form_offers_the_next_missing_material(
    client_for, member, enterprise, finalised_scheme
):
    draft = blank_draft(enterprise, finalised_scheme)
    save_attachment(
        pdf(), actor=None, enterprise=enterprise, owner=draft, kind=Material.CONSTRUCTION_CONTRACT
    )
    client = client_for(member)
    detail = reverse("applications:application_detail", args=[draft.pk])

    page = client.get(detail).content.decode()
    assert '<option value="device_test_report" selected>' in page
    assert "已上传 1/7" in page
    assert "data-confirm=" in page  # deleting the contract asks first
    page = client.get(detail, {"kind": "site_photos"}).content.decode()
    assert '<option value="site_photos" selected>' in page
