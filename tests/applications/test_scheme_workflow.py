"""Design scheme: numbering, the 7.1 feedback round trip, three confirmations, changes."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from applications.models import (
    ChangeState,
    DesignScheme,
    Party,
    SchemeState,
)
from applications.services.schemes import (
    add_change_record,
    answer_scheme,
    confirm_scheme,
    create_scheme,
    decide_change_record,
    send_scheme,
    update_scheme,
)
from portal.models import AuditEvent, DocumentCounter, Notification, Stage
from portal.workflow import TransitionRefused
from tests.concurrency import results_at_once
from tests.portal.factories import OperatorFactory, ReviewerFactory

from .factories import BUDGET, ENERGY, INSTRUMENTS, DesignSchemeFactory, complete_parts, pdf

CONTENT = {
    "energy_types": ENERGY,
    "instruments": INSTRUMENTS,
    "budget_items": BUDGET,
    "project_plan": "计划",
}
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
    "contact_position": "能源管理员",
    "contact_email": "li@example.cn",
    "feedback_text": "",
}


def test_numbers_follow_the_year_and_have_no_gaps(enterprise, reviewer):
    year = timezone.localdate().year
    first = create_scheme(reviewer, enterprise, CONTENT, pdf())
    with pytest.raises(ValidationError):
        create_scheme(reviewer, enterprise, {**CONTENT, "energy_types": [{}]})
    second = create_scheme(reviewer, enterprise, CONTENT)

    assert first.number == f"NY{year}-0001"
    assert second.number == f"NY{year}-0002"


def test_a_bad_row_is_named_and_nothing_is_written(enterprise, reviewer):
    bad = {
        **CONTENT,
        "instruments": [{**INSTRUMENTS[0], "model": ""}, {**INSTRUMENTS[0], "energy_type": "0900"}],
    }
    with pytest.raises(ValidationError) as caught:
        create_scheme(reviewer, enterprise, bad)

    assert "instruments[0].model" in caught.value.message_dict
    assert "不在方案的能源种类中" in caught.value.message_dict["instruments[1].energy_type"][0]
    assert not DesignScheme.objects.exists()
    assert not DocumentCounter.objects.filter(last__gt=0).exists()


def test_only_institute_reviewers_draft_schemes(enterprise, member):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        create_scheme(member, enterprise, CONTENT)


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql(reason="row locks need PostgreSQL")
def test_concurrent_creation_gives_distinct_consecutive_numbers():
    from tests.portal.factories import EnterpriseFactory

    enterprise, reviewer = EnterpriseFactory(), ReviewerFactory()
    numbers = results_at_once(
        lambda _: create_scheme(reviewer, enterprise, CONTENT).number, range(6)
    )

    year = timezone.localdate().year
    assert sorted(numbers) == [f"NY{year}-{n:04d}" for n in range(1, 7)]


def test_a_scheme_without_a_document_cannot_be_sent(enterprise, reviewer):
    scheme = DesignSchemeFactory(enterprise=enterprise, document=False)

    with pytest.raises(TransitionRefused) as caught:
        send_scheme(scheme, reviewer)
    assert "方案文件" in caught.value.message


def test_confirming_with_a_no_answer_is_refused(enterprise, member):
    scheme = DesignSchemeFactory(enterprise=enterprise, sent=True)

    with pytest.raises(ValidationError) as caught:
        answer_scheme(scheme, member, {**YES, "instruments_correct": False})
    assert "一级计量对应的计量器具是否正确" in caught.value.message_dict["can_finalise"][0]
    assert DesignScheme.objects.get(pk=scheme.pk).state == SchemeState.SENT


def test_asking_for_changes_needs_a_reason(enterprise, member):
    scheme = DesignSchemeFactory(enterprise=enterprise, sent=True)

    with pytest.raises(ValidationError) as caught:
        answer_scheme(scheme, member, {**YES, "can_finalise": False})
    assert "feedback_text" in caught.value.message_dict


def test_the_round_trip_ends_finalised_after_three_confirmations(enterprise, member, reviewer):
    developer = OperatorFactory()
    scheme = complete_parts(create_scheme(reviewer, enterprise, CONTENT, pdf()))
    scheme = send_scheme(scheme, reviewer)
    scheme = answer_scheme(
        scheme, member, {**YES, "can_finalise": False, "feedback_text": "缺少蒸汽计量"}
    )
    assert scheme.state == SchemeState.CHANGES_REQUESTED

    scheme = update_scheme(scheme, reviewer, {**CONTENT, "project_plan": "修订"})
    scheme = send_scheme(scheme, reviewer)
    assert scheme.revision == 2
    scheme = answer_scheme(scheme, member, YES)
    assert scheme.state == SchemeState.ENTERPRISE_CONFIRMED

    scheme = confirm_scheme(scheme, reviewer)
    assert scheme.state == SchemeState.ENTERPRISE_CONFIRMED
    with pytest.raises(TransitionRefused):
        confirm_scheme(scheme, ReviewerFactory())  # the institute already confirmed
    scheme = confirm_scheme(scheme, developer)

    assert scheme.state == SchemeState.FINALISED
    assert scheme.finalised_at is not None
    parties = {(c.party, c.confirmed_by_id) for c in scheme.confirmations.filter(revision=2)}
    assert parties == {
        (Party.ENTERPRISE, member.pk),
        (Party.INSTITUTE, reviewer.pk),
        (Party.DEVELOPER, developer.pk),
    }
    assert [f.revision for f in scheme.feedback.order_by("pk")] == [1, 2]
    enterprise.refresh_from_db()
    assert enterprise.stage == Stage.BUILD
    events = list(AuditEvent.objects.for_object(scheme).values_list("event", flat=True))
    assert "scheme_finalised" in events and "scheme_changes_requested" in events
    assert Notification.objects.filter(recipient=member, title__contains="已定稿").exists()


def test_an_enterprise_member_cannot_confirm_for_the_institute(enterprise, member):
    scheme = DesignSchemeFactory(enterprise=enterprise, sent=True)
    scheme = answer_scheme(scheme, member, YES)

    with pytest.raises(TransitionRefused) as caught:
        confirm_scheme(scheme, member)
    assert caught.value.reason == "not_permitted"


def test_after_finalisation_changes_are_records_the_institute_confirms(
    enterprise, member, reviewer
):
    scheme = DesignSchemeFactory(enterprise=enterprise, finalised=True)
    with pytest.raises(TransitionRefused):
        update_scheme(scheme, reviewer, CONTENT)

    record = add_change_record(
        scheme,
        member,
        {
            "changed_on": date(2026, 3, 2),
            "content": "蒸汽流量计改为涡街流量计",
            "reason": "原型号停产",
            "unit": "武汉某某自动化有限公司",
        },
        pdf("签章.pdf"),
    )
    with pytest.raises(TransitionRefused):
        decide_change_record(record, member, confirm=True)
    with pytest.raises(TransitionRefused) as caught:
        decide_change_record(record, reviewer, confirm=False, comment="")
    assert caught.value.reason == "comment_required"
    record = decide_change_record(record, reviewer, confirm=True, comment="同意")

    assert record.state == ChangeState.CONFIRMED
    assert record.decided_by == reviewer


def test_change_records_before_finalisation_are_refused(enterprise, member):
    scheme = DesignSchemeFactory(enterprise=enterprise, sent=True)
    with pytest.raises(TransitionRefused) as caught:
        add_change_record(
            scheme,
            member,
            {"changed_on": date(2026, 3, 2), "content": "x", "reason": "y", "unit": "z"},
        )
    assert "尚未定稿" in caught.value.message


def test_the_whole_scheme_path_through_the_pages(client_for, enterprise, member, reviewer):
    as_reviewer, as_member = client_for(reviewer), client_for(member)
    data = {
        "enterprise": enterprise.pk,
        "project_plan": "2026 年完成",
        "construction_period": "自方案定稿起 3 个月",
        "document": pdf("方案.pdf"),
        "part_energy_flow": pdf("能源流向图.pdf"),
        "part_metering_network": pdf("计量网络图.pdf"),
        "part_network_topology": pdf("拓扑图.pdf"),
        "part_hw_sw_list": pdf("软硬件清单.pdf"),
        "energy_types-TOTAL_FORMS": "2",
        "energy_types-INITIAL_FORMS": "0",
        "energy_types-0-energy_type": "3300",
        "energy_types-0-collection_method": "meter",
        "energy_types-1-energy_type": "",
        "energy_types-1-collection_method": "",
        "instruments-TOTAL_FORMS": "1",
        "instruments-INITIAL_FORMS": "0",
        "instruments-0-energy_type": "3300",
        "instruments-0-instrument": "电能表",
        "instruments-0-model": "DTZ341",
        "instruments-0-accuracy_class": "0.5S",
        "instruments-0-location": "总降",
        "budget_items-TOTAL_FORMS": "1",
        "budget_items-INITIAL_FORMS": "0",
        "budget_items-0-item": "端设备",
        "budget_items-0-amount": "50000",
        "budget_items-0-note": "",
    }
    response = as_reviewer.post(reverse("applications:scheme_create"), data)
    scheme = DesignScheme.objects.get()
    assert response.status_code == 302
    assert scheme.energy_types == [{"energy_type": "3300", "collection_method": "meter"}]
    assert scheme.budget_items[0]["amount"] == "50000.00"

    # A draft is the institute's own; the enterprise does not see it yet.
    assert as_member.get(reverse("applications:scheme_detail", args=[scheme.pk])).status_code == 404
    # Sending is refused while the survey and the ledger are missing, and says so.
    response = as_reviewer.post(reverse("applications:scheme_send", args=[scheme.pk]), follow=True)
    page = response.content.decode()
    assert "现场调研记录" in page and "计量器具配备一览表" in page
    assert DesignScheme.objects.get().state == SchemeState.DRAFT
    response = as_reviewer.post(
        reverse("applications:site_survey", args=[scheme.pk]),
        {"surveyed_on": "2026-01-10", "surveyors": "张工、王工", "findings": "具备接入条件"},
    )
    assert response.status_code == 302
    response = as_member.post(
        reverse("applications:meter_create", args=[enterprise.pk]),
        {
            "name": "三相电能表",
            "management_number": "DB-001",
            "model": "DTZ341",
            "accuracy_class": "0.5S",
            "energy_type": "3300",
            "metering_level": "1",
            "location": "总降",
            "interface": "RS-485",
            "certificate_number": "JD-1",
            "valid_until": "2099-01-01",
        },
    )
    assert response.status_code == 302
    page = as_reviewer.get(reverse("applications:scheme_detail", args=[scheme.pk])).content
    assert "已完成 10/10".encode() in page
    as_reviewer.post(reverse("applications:scheme_send", args=[scheme.pk]))

    page = as_member.get(reverse("applications:scheme_detail", args=[scheme.pk]))
    assert "填写反馈意见确认表" in page.content.decode()
    feedback = {
        "can_finalise": "True",
        "energy_types_correct": "True",
        "collection_methods_correct": "True",
        "instruments_correct": "True",
        "construction_understood": "True",
        "budget_understood": "True",
        "planned_completion": "2026-06",
        "contact_person": "李四",
        "contact_phone": "13800000000",
        "contact_position": "能源部长",
        "contact_email": "li@example.cn",
        "feedback_text": "无意见",
    }
    response = as_member.post(reverse("applications:scheme_feedback", args=[scheme.pk]), feedback)
    assert response.status_code == 302
    as_reviewer.post(reverse("applications:scheme_confirm", args=[scheme.pk]))
    client_for(OperatorFactory()).post(reverse("applications:scheme_confirm", args=[scheme.pk]))

    scheme = DesignScheme.objects.get()
    assert scheme.state == SchemeState.FINALISED
    page = as_member.get(reverse("applications:scheme_detail", args=[scheme.pk])).content.decode()
    assert "能源部长" in page and "2026年6月" in page and "登记变更" in page


def test_feedback_form_errors_are_shown_on_the_page(client_for, enterprise, member):
    scheme = DesignSchemeFactory(enterprise=enterprise, sent=True)
    response = client_for(member).post(
        reverse("applications:scheme_feedback", args=[scheme.pk]),
        {"can_finalise": "False", "planned_completion": "六月"},
    )

    assert response.status_code == 200
    assert "请按“年-月”填写" in response.content.decode()
    assert DesignScheme.objects.get(pk=scheme.pk).state == SchemeState.SENT


def test_a_document_of_the_wrong_type_is_a_form_error_and_nothing_is_written(
    client_for, enterprise, member, reviewer
):
    from portal.attachments import as_bytes_upload
    from portal.models import Attachment

    empty_rows = {
        f"{name}-{part}": "0"
        for name in ("energy_types", "instruments", "budget_items")
        for part in ("TOTAL_FORMS", "INITIAL_FORMS")
    }
    response = client_for(reviewer).post(
        reverse("applications:scheme_create"),
        {
            "enterprise": enterprise.pk,
            "project_plan": "计划",
            "document": as_bytes_upload("方案.txt", b"plain text, not a document"),
            **empty_rows,
        },
    )
    assert response.status_code == 200
    assert "不是可接受的类型" in str(response.context["form"].errors["document"])

    scheme = DesignSchemeFactory(enterprise=enterprise, finalised=True)
    response = client_for(member).post(
        reverse("applications:change_create", args=[scheme.pk]),
        {
            "changed_on": "2026-03-02",
            "content": "更换流量计",
            "reason": "停产",
            "unit": "承建方",
            "document": as_bytes_upload("变更.txt", b"plain text, not a document"),
        },
    )
    assert response.status_code == 200
    assert "不是可接受的类型" in str(response.context["form"].errors["document"])
    assert not DesignScheme.objects.exclude(pk=scheme.pk).exists()
    assert not scheme.change_records.exists()
    assert not Attachment.objects.filter(original_name__endswith=".txt").exists()
