"""Seed 4.1(2)'s parts of a design scheme, the 现场调研 record before sending, the 7.1
completion batches, and stamped scans tied to the record version they stamp."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from applications.forms import FeedbackForm
from applications.models import ChangeRecord, DesignScheme, Meter, SchemeState, SiteSurvey
from applications.services.schemes import (
    add_change_record,
    answer_scheme,
    send_scheme,
    upload_feedback_stamp,
)
from portal.attachments import attachments_of
from portal.workflow import TransitionRefused

from .factories import DesignSchemeFactory, complete_parts, pdf

pytestmark = pytest.mark.django_db

PARTS = (
    "现场调研记录",
    "企业能源流向图",
    "能源计量网络图",
    "计量器具配备一览表",
    "系统网络拓扑图",
    "企业接入端系统实施软硬件清单",
    "建设周期",
)
YES = {
    "can_finalise": True,
    "energy_types_correct": True,
    "collection_methods_correct": True,
    "instruments_correct": True,
    "construction_understood": True,
    "budget_understood": True,
    "planned_completion": date(2026, 6, 1),
    "contact_person": "李四",
    "contact_phone": "13800000000",
    "contact_position": "能源部长",
    "contact_email": "li@example.cn",
    "feedback_text": "",
}


def test_sending_is_refused_naming_every_missing_part(enterprise, reviewer):
    scheme = DesignSchemeFactory(enterprise=enterprise, parts=False, construction_period="")
    with pytest.raises(TransitionRefused) as caught:
        send_scheme(scheme, reviewer)
    for label in PARTS:
        assert label in caught.value.message
    assert "方案文件" not in caught.value.message  # it is there
    assert DesignScheme.objects.get(pk=scheme.pk).state == SchemeState.DRAFT

    complete_parts(scheme)
    assert send_scheme(DesignScheme.objects.get(pk=scheme.pk), reviewer).state == SchemeState.SENT


@pytest.mark.parametrize(
    ("remove", "label"),
    [
        ("survey", "现场调研记录"),
        ("energy_flow", "企业能源流向图"),
        ("hw_sw_list", "企业接入端系统实施软硬件清单"),
        ("gas_meter", "计量器具配备一览表"),
        ("period", "建设周期"),
    ],
)
def test_each_part_alone_stops_the_draft(enterprise, reviewer, remove, label):
    scheme = DesignSchemeFactory(enterprise=enterprise)
    if remove == "survey":
        SiteSurvey.objects.filter(scheme=scheme).delete()
    elif remove == "gas_meter":
        Meter.objects.filter(enterprise=enterprise, energy_type="1500").delete()
    elif remove == "period":
        DesignScheme.objects.filter(pk=scheme.pk).update(construction_period="  ")
    else:
        attachments_of(scheme, remove).delete()
    scheme = DesignScheme.objects.get(pk=scheme.pk)
    assert scheme.missing_parts() == [label]
    with pytest.raises(TransitionRefused) as caught:
        send_scheme(scheme, reviewer)
    assert label in caught.value.message


def test_meters_of_every_level_count_for_the_meter_list(enterprise):
    scheme = DesignSchemeFactory(enterprise=enterprise, parts=False)
    Meter.objects.all().delete()
    from .factories import MeterFactory

    MeterFactory(enterprise=enterprise, energy_type="3300", metering_level=3)
    MeterFactory(enterprise=enterprise, energy_type="1500", metering_level=2)
    part = next(p for p in scheme.parts() if p["key"] == "meter_list")
    assert part["complete"] and "2、3" in str(part["detail"])


def test_the_scheme_page_shows_the_parts_and_their_completeness(client_for, reviewer, enterprise):
    scheme = DesignSchemeFactory(enterprise=enterprise, parts=False)
    client = client_for(reviewer)
    page = client.get(reverse("applications:scheme_detail", args=[scheme.pk])).content.decode()
    # energy types, project plan, 建设周期 and the scheme document are there: 4 of 10.
    assert "已完成 4/10" in page
    assert page.count('data-complete="0"') == 6
    assert 'id="record-survey"' in page

    response = client.post(
        reverse("applications:site_survey", args=[scheme.pk]),
        {"surveyed_on": "2026-01-10", "surveyors": "张工", "findings": "进线柜已具备通信接口"},
    )
    assert response.status_code == 302
    page = client.get(reverse("applications:scheme_detail", args=[scheme.pk])).content.decode()
    assert "已完成 5/10" in page and "进线柜已具备通信接口" in page

    response = client.post(reverse("applications:scheme_send", args=[scheme.pk]), follow=True)
    assert "设计方案尚不能发送，缺少：企业能源流向图" in response.content.decode()


def test_a_survey_dated_in_the_future_is_refused(client_for, reviewer, enterprise):
    scheme = DesignSchemeFactory(enterprise=enterprise, parts=False)
    response = client_for(reviewer).post(
        reverse("applications:site_survey", args=[scheme.pk]),
        {"surveyed_on": "2099-01-10", "surveyors": "张工", "findings": "x"},
    )
    assert response.status_code == 200 and not SiteSurvey.objects.exists()


def test_the_scheme_form_takes_the_part_documents(client_for, reviewer, enterprise):
    scheme = DesignSchemeFactory(enterprise=enterprise, parts=False)
    client = client_for(reviewer)
    form = client.get(reverse("applications:scheme_edit", args=[scheme.pk])).content.decode()
    for label in ("企业能源流向图", "能源计量网络图", "系统网络拓扑图", "建设周期"):
        assert label in form
    data = {
        "project_plan": "计划",
        "construction_period": "4 个月",
        "part_network_topology": pdf("拓扑.pdf"),
        "energy_types-TOTAL_FORMS": "1",
        "energy_types-INITIAL_FORMS": "0",
        "energy_types-0-energy_type": "3300",
        "energy_types-0-collection_method": "meter",
        "instruments-TOTAL_FORMS": "0",
        "instruments-INITIAL_FORMS": "0",
        "budget_items-TOTAL_FORMS": "0",
        "budget_items-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("applications:scheme_edit", args=[scheme.pk]), data)
    assert response.status_code == 302
    scheme.refresh_from_db()
    assert scheme.construction_period == "4 个月"
    assert attachments_of(scheme, "network_topology").count() == 1


# --- 7.1 planned completion ---------------------------------------------------------------


def _feedback_post(**extra):
    return {
        "can_finalise": "True",
        "energy_types_correct": "True",
        "collection_methods_correct": "True",
        "instruments_correct": "True",
        "construction_understood": "True",
        "budget_understood": "True",
        "contact_person": "李四",
        "contact_phone": "13800000000",
        "contact_position": "能源部长",
        "contact_email": "li@example.cn",
        **extra,
    }


def test_the_completion_options_are_the_institutes_batches(settings):
    settings.SCHEME_COMPLETION_BATCHES = ["2027-03", "2027-09"]
    form = FeedbackForm()
    values = [value for value, _label in form.fields["planned_batch"].choices]
    assert values == ["", "2027-03", "2027-09", "other"]
    assert "2027年3月批次" in str(dict(form.fields["planned_batch"].choices)["2027-03"])

    form = FeedbackForm(_feedback_post(planned_batch="2027-09"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["planned_completion"] == date(2027, 9, 1)
    assert "planned_batch" not in form.cleaned_data

    form = FeedbackForm(_feedback_post(planned_batch="other", planned_completion="2027-11"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["planned_completion"] == date(2027, 11, 1)

    assert not FeedbackForm(_feedback_post(planned_batch="2028-01")).is_valid()
    form = FeedbackForm(_feedback_post())
    assert not form.is_valid() and "planned_batch" in form.errors
    form = FeedbackForm(_feedback_post(planned_batch="other", planned_completion="明年"))
    assert not form.is_valid() and "planned_completion" in form.errors


def test_without_batches_the_month_is_entered_freely(settings):
    settings.SCHEME_COMPLETION_BATCHES = []
    form = FeedbackForm(_feedback_post(planned_completion="2027-02"))
    assert "planned_batch" not in form.fields
    assert form.is_valid(), form.errors
    assert form.cleaned_data["planned_completion"] == date(2027, 2, 1)
    assert not FeedbackForm(_feedback_post()).is_valid()


def test_the_feedback_page_offers_the_batches(client_for, member, enterprise, settings):
    settings.SCHEME_COMPLETION_BATCHES = ["2027-03"]
    scheme = DesignSchemeFactory(enterprise=enterprise, sent=True)
    client = client_for(member)
    page = client.get(reverse("applications:scheme_feedback", args=[scheme.pk])).content.decode()
    assert "2027年3月批次" in page and "其他月份" in page
    response = client.post(
        reverse("applications:scheme_feedback", args=[scheme.pk]),
        _feedback_post(planned_batch="2027-03"),
    )
    assert response.status_code == 302
    assert scheme.feedback.get().planned_completion == date(2027, 3, 1)


# --- stamped scans -----------------------------------------------------------------------


def test_the_stamped_7_1_scan_is_tied_to_the_version_it_stamps(
    client_for, member, reviewer, enterprise
):
    scheme = DesignSchemeFactory(enterprise=enterprise, sent=True)
    scheme = answer_scheme(scheme, member, YES)
    feedback = scheme.feedback.get()
    assert feedback.stamp_state() == "missing"
    client = client_for(member)
    response = client.post(
        reverse("applications:feedback_stamp", args=[feedback.pk]), {"scan": pdf("盖章.pdf")}
    )
    assert response.status_code == 302
    feedback.refresh_from_db()
    assert feedback.stamp_sha256 == feedback.version_hash()
    assert feedback.stamp_state() == "current"
    assert attachments_of(feedback, "stamped_scan").count() == 1
    page = client.get(reverse("applications:scheme_detail", args=[scheme.pk])).content.decode()
    assert 'data-stamp="current"' in page and "盖章件与当前记录一致" in page

    # The scheme the sheet answers changes after the stamp: the scan is stale.
    DesignScheme.objects.filter(pk=scheme.pk).update(project_plan="改过的计划")
    feedback = type(feedback).objects.get(pk=feedback.pk)
    assert feedback.stamp_state() == "stale"
    page = client.get(reverse("applications:scheme_detail", args=[scheme.pk])).content.decode()
    assert 'data-stamp="stale"' in page and "盖章件已过期" in page

    # A new scan of the current version makes it current again.
    upload_feedback_stamp(feedback, member, pdf("重新盖章.pdf"))
    assert type(feedback).objects.get(pk=feedback.pk).stamp_state() == "current"


def test_only_the_enterprise_uploads_the_stamp(client_for, member, reviewer, enterprise):
    scheme = answer_scheme(DesignSchemeFactory(enterprise=enterprise, sent=True), member, YES)
    feedback = scheme.feedback.get()
    url = reverse("applications:feedback_stamp", args=[feedback.pk])
    assert client_for(reviewer).post(url, {"scan": pdf()}).status_code == 403
    assert not attachments_of(feedback, "stamped_scan").exists()


def test_the_printed_sheet_carries_the_version_it_will_be_stamped_with(
    client_for, member, enterprise
):
    scheme = answer_scheme(DesignSchemeFactory(enterprise=enterprise, sent=True), member, YES)
    feedback = scheme.feedback.get()
    from django.template.loader import render_to_string

    html = render_to_string(
        "reports/pdf/feedback.html",
        {"feedback": feedback, "scheme": scheme, "version": feedback.version_hash()},
    )
    assert feedback.version_hash() in html


def test_a_change_record_needs_the_signed_file(client_for, member, enterprise):
    scheme = DesignSchemeFactory(enterprise=enterprise, finalised=True)
    data = {
        "changed_on": date(2026, 3, 2),
        "content": "更换表计",
        "reason": "损坏",
        "unit": "施工方",
    }
    with pytest.raises(ValidationError) as caught:
        add_change_record(scheme, member, data)
    assert "document" in caught.value.message_dict
    assert not ChangeRecord.objects.exists()

    client = client_for(member)
    url = reverse("applications:change_create", args=[scheme.pk])
    post = {**data, "changed_on": "2026-03-02"}
    response = client.post(url, post)
    assert response.status_code == 200 and not ChangeRecord.objects.exists()
    assert "变更单位签章文件" in response.content.decode()

    response = client.post(url, {**post, "document": pdf("签章.pdf")})
    assert response.status_code == 302
    record = ChangeRecord.objects.get()
    assert record.stamp_state() == "current"
    assert attachments_of(record, "change_document").count() == 1
    ChangeRecord.objects.filter(pk=record.pk).update(content="另一项变更")
    assert ChangeRecord.objects.get(pk=record.pk).stamp_state() == "stale"
    page = client.get(reverse("applications:scheme_detail", args=[scheme.pk])).content.decode()
    assert "签章后记录已变更" in page


def test_the_change_record_api_requires_the_signed_file(api_client_for, member, enterprise):
    scheme = DesignSchemeFactory(enterprise=enterprise, finalised=True)
    client = api_client_for(member)
    url = f"/api/v1/design-schemes/{scheme.pk}/change-records/"
    data = {"changed_on": "2026-03-02", "content": "c", "reason": "r", "unit": "u"}
    assert client.post(url, data, format="multipart").status_code == 400
    response = client.post(url, {**data, "document": pdf()}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["stamp_state"] == "current"


def test_a_sent_scheme_keeps_the_meter_list_it_was_sent_with(client_for, reviewer, enterprise):
    """The 计量器具配备一览表 is frozen when the scheme is sent: later ledger edits change
    neither the scheme's list nor the hash confirmations and stamps are made against; the
    page shows the frozen list and, beside it, what the live ledger has changed since."""
    from .factories import MeterFactory

    scheme = DesignSchemeFactory(enterprise=enterprise)
    before_send = scheme.version_hash()
    scheme = send_scheme(scheme, reviewer)
    scheme.refresh_from_db()
    frozen = scheme.meter_snapshot
    assert frozen and frozen == scheme.ledger_rows()
    assert scheme.version_hash() != before_send  # the snapshot is part of the hash
    sent_hash = scheme.version_hash()
    first = Meter.objects.get(
        enterprise=enterprise, management_number=frozen[0]["management_number"]
    )
    old_model = first.model

    first.model = "改型-XYZ"
    first.save()
    MeterFactory(enterprise=enterprise, name="新增水表", energy_type="0100", metering_level=2)
    scheme = DesignScheme.objects.get(pk=scheme.pk)
    assert scheme.meter_rows() == frozen and scheme.meter_snapshot == frozen
    assert scheme.version_hash() == sent_hash
    part = next(p for p in scheme.parts() if p["key"] == "meter_list")
    assert f"台账 {len(frozen)} 台" in str(part["detail"])
    diff = scheme.ledger_differences()
    assert [r["name"] for r in diff["added"]] == ["新增水表"]
    assert [c["after"]["model"] for c in diff["changed"]] == ["改型-XYZ"]
    assert not diff["removed"]

    page = client_for(reviewer).get(reverse("applications:scheme_detail", args=[scheme.pk]))
    html = page.content.decode()
    table = html.split('id="meter-list-table"', 1)[1].split("</table>", 1)[0]
    assert old_model in table and "改型-XYZ" not in table and "新增水表" not in table
    assert 'id="meters-frozen"' in html
    differences = html.split('id="ledger-differences"', 1)[1].split("</div>", 1)[0]
    assert "台账新增" in differences and "新增水表" in differences
    assert "台账已修改" in differences and "改型-XYZ" in differences


def test_a_draft_scheme_shows_the_live_ledger(client_for, reviewer, enterprise):
    from .factories import MeterFactory

    scheme = DesignSchemeFactory(enterprise=enterprise)
    MeterFactory(enterprise=enterprise, name="草稿期新增表", energy_type="0100", metering_level=2)
    assert scheme.meter_snapshot == []
    assert "草稿期新增表" in [r["name"] for r in scheme.meter_rows()]
    html = client_for(reviewer).get(reverse("applications:scheme_detail", args=[scheme.pk]))
    html = html.content.decode()
    assert "草稿期新增表" in html and 'id="meters-frozen"' not in html
    assert 'id="ledger-differences"' not in html


def test_saving_the_scheme_form_keeps_the_old_instrument_rows(enterprise, reviewer):
    """The page no longer sends the 一级计量器具 list; saving must not wipe stored rows."""
    from applications.services.schemes import update_scheme

    scheme = DesignSchemeFactory(enterprise=enterprise)
    stored = list(scheme.instruments)
    assert stored
    update_scheme(
        scheme,
        reviewer,
        {"energy_types": scheme.energy_types, "budget_items": [], "project_plan": "改写计划"},
    )
    scheme.refresh_from_db()
    assert scheme.instruments == stored and scheme.project_plan == "改写计划"
    assert scheme.budget_items == []
