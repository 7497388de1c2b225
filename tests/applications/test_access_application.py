"""Access application (附表1): fields, materials, guarded transitions, concurrency, pages."""

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from applications.models import (
    AccessApplication,
    ApplicationState,
    Material,
    VpnAccount,
)
from applications.sections import SECTIONS
from applications.services.access import (
    add_material,
    approve_application,
    create_application,
    reject_application,
    return_application,
    start_review,
    submit_application,
    update_application,
)
from portal.attachments import AttachmentRejected, as_bytes_upload
from portal.models import AuditEvent, Notification, Stage
from portal.workflow import TransitionRefused
from telemetry.models import Connection, ConnectionState
from tests.concurrency import at_once
from tests.portal.factories import EnterpriseFactory, ReviewerFactory, member_of

from .factories import (
    AccessApplicationFactory,
    DesignSchemeFactory,
    application_data,
    make_root,
    pdf,
    png,
    section_form,
)

S = ApplicationState


def test_a_uscc_failing_its_check_is_refused_with_the_right_character(
    client_for, enterprise, member, finalised_scheme
):
    data = application_data(enterprise, finalised_scheme)
    bad = enterprise.uscc[:-1] + ("0" if enterprise.uscc[-1] != "0" else "1")
    form = {**section_form(data, SECTIONS[0]), "uscc": bad}
    response = client_for(member).post(reverse("applications:application_create"), form)

    assert response.status_code == 200
    assert "校验位错误" in response.content.decode()
    assert not AccessApplication.objects.exists()


def test_only_finalised_schemes_of_the_own_enterprise_can_be_chosen(
    enterprise, member, other_enterprise
):
    foreign = DesignSchemeFactory(enterprise=other_enterprise, finalised=True)
    draft = DesignSchemeFactory(enterprise=enterprise)
    for scheme in (foreign, draft):
        with pytest.raises(ValidationError) as caught:
            create_application(member, enterprise, application_data(enterprise, scheme))
        assert "已定稿" in caught.value.message_dict["design_scheme"][0]


def test_submission_names_the_missing_materials(enterprise, member, finalised_scheme):
    application = create_application(
        member, enterprise, application_data(enterprise, finalised_scheme)
    )
    add_material(application, member, Material.CONSTRUCTION_CONTRACT, pdf())

    with pytest.raises(TransitionRefused) as caught:
        submit_application(application, member)

    assert caught.value.field == "materials"
    assert "企业数据真实性承诺书" in caught.value.message
    assert "湖北省CA证书申请表" in caught.value.message
    assert "企业端系统建设合同复印件" not in caught.value.message
    assert AccessApplication.objects.get(pk=application.pk).state == S.DRAFT


def test_a_file_of_the_wrong_type_is_refused_and_not_kept(enterprise, member, finalised_scheme):
    application = create_application(
        member, enterprise, application_data(enterprise, finalised_scheme)
    )
    with pytest.raises(AttachmentRejected) as caught:
        add_material(
            application, member, Material.SITE_PHOTOS, as_bytes_upload("x.pdf", b"MZ\x90\x00exe")
        )
    assert "不是可接受的类型" in caught.value.reason
    with pytest.raises(AttachmentRejected):  # photos: images or PDF, not Word
        add_material(
            application,
            member,
            Material.SITE_PHOTOS,
            as_bytes_upload("a.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32),
        )
    assert application.missing_materials() == list(Material)


def test_a_second_open_application_is_refused(enterprise, member, submitted):
    with pytest.raises(TransitionRefused) as caught:
        create_application(
            member, enterprise, application_data(enterprise, submitted.design_scheme)
        )
    assert "已有对接申请" in caught.value.message


TRANSITIONS = [
    # state, operation, allowed for (member | reviewer)
    (S.DRAFT, "submit", "member"),
    (S.RETURNED, "submit", "member"),
    (S.SUBMITTED, "submit", None),
    (S.SUBMITTED, "start_review", "reviewer"),
    (S.DRAFT, "start_review", None),
    (S.UNDER_REVIEW, "return", "reviewer"),
    (S.UNDER_REVIEW, "reject", "reviewer"),
    (S.UNDER_REVIEW, "approve", "reviewer"),
    (S.SUBMITTED, "approve", None),
    (S.RETURNED, "approve", None),
    (S.REJECTED, "submit", None),
    (S.APPROVED, "reject", None),
]
OPERATIONS = {
    "submit": lambda a, u: submit_application(a, u),
    "start_review": lambda a, u: start_review(a, u),
    "return": lambda a, u: return_application(a, u, "请补充"),
    "reject": lambda a, u: reject_application(a, u, "不符合"),
    "approve": lambda a, u: approve_application(a, u, "同意"),
}


@pytest.mark.parametrize(("state", "operation", "allowed"), TRANSITIONS)
def test_transition_table(state, operation, allowed, enterprise, member, reviewer):
    make_root()
    application = AccessApplicationFactory(
        enterprise=enterprise, target_state=state, with_materials=True
    )
    for role, actor in (("member", member), ("reviewer", reviewer)):
        if role == allowed:
            continue
        with pytest.raises(TransitionRefused) as caught:
            OPERATIONS[operation](application, actor)
        expected = "wrong_state" if allowed is None else "not_permitted"
        assert caught.value.reason == expected, (role, caught.value.message)
        assert AccessApplication.objects.get(pk=application.pk).state == state
    if allowed:
        actor = member if allowed == "member" else reviewer
        assert OPERATIONS[operation](application, actor).state != state


def test_a_wrong_state_refusal_names_the_state(submitted, member):
    with pytest.raises(TransitionRefused) as caught:
        submit_application(submitted, member)
    assert "已提交" in caught.value.message


def test_return_and_reject_need_reasons(under_review, reviewer):
    for operation in (return_application, reject_application):
        with pytest.raises(TransitionRefused) as caught:
            operation(under_review, reviewer, "  ")
        assert caught.value.reason == "comment_required"


def test_returned_applications_are_edited_and_resubmitted(enterprise, member, reviewer, root):
    application = AccessApplicationFactory(enterprise=enterprise, under_review=True)
    return_application(application, reviewer, "监测点数量与设计方案不符")
    note = Notification.objects.get(recipient=member, title__contains="退回")
    assert note.body == "监测点数量与设计方案不符"

    application = update_application(application, member, {"monitoring_points": 40})
    application = submit_application(application, member)
    assert application.state == S.SUBMITTED
    assert application.monitoring_points == 40


def test_approval_opens_vpn_connection_stage_and_mails_the_pack(
    enterprise, member, reviewer, root, under_review, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application = approve_application(under_review, reviewer, "材料齐全")

    assert application.state == S.APPROVED
    assert application.review_comment == "材料齐全" and application.reviewer == reviewer
    account = VpnAccount.objects.get(enterprise=enterprise)
    assert account.tunnel_address == "10.88.0.2" and not account.is_usable()
    assert Connection.objects.get(enterprise=enterprise).state == ConnectionState.CREDENTIALS_ISSUED
    enterprise.refresh_from_db()
    assert enterprise.stage == Stage.CONNECTION
    pack = [m for m in mail.outbox if "数据对接资料" in m.subject]
    assert len(pack) == 1 and pack[0].to == [member.email]
    assert pack[0].attachments[0][0] == "ca.pem"
    assert root.certificate_pem.strip() in pack[0].attachments[0][1].decode()
    assert "/api/v1/telemetry/uploads" in pack[0].body and account.tunnel_address in pack[0].body
    events = set(AuditEvent.objects.filter(enterprise=enterprise).values_list("event", flat=True))
    assert {"application_approved", "vpn_account_created", "integration_pack_sent"} <= events


def test_approval_without_a_ca_is_refused_and_changes_nothing(under_review, reviewer):
    with pytest.raises(TransitionRefused) as caught:
        approve_application(under_review, reviewer)
    assert "init_ca" in caught.value.message
    assert AccessApplication.objects.get(pk=under_review.pk).state == S.UNDER_REVIEW
    assert not VpnAccount.objects.exists()


def test_tunnel_addresses_are_unique_per_enterprise(root, reviewer):
    addresses = set()
    for _ in range(3):
        application = AccessApplicationFactory(under_review=True)
        approve_application(application, reviewer)
        addresses.add(application.enterprise.vpn_account.tunnel_address)
    assert addresses == {"10.88.0.2", "10.88.0.3", "10.88.0.4"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql(reason="row locks need PostgreSQL")
def test_two_reviewers_approving_at_once_only_one_succeeds():
    make_root()
    application = AccessApplicationFactory(under_review=True)
    member_of(application.enterprise)
    reviewers = [ReviewerFactory(), ReviewerFactory()]
    outcomes = at_once(
        lambda reviewer: approve_application(application, reviewer, "同意"), reviewers
    )

    assert sorted(outcomes) == ["ok", "wrong_state"]
    assert AuditEvent.objects.filter(event="application_approved").count() == 1
    assert VpnAccount.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql(reason="row locks need PostgreSQL")
def test_two_members_filing_at_once_create_one_application():
    scheme = DesignSchemeFactory(finalised=True)
    enterprise = scheme.enterprise
    members = [member_of(enterprise), member_of(enterprise)]
    outcomes = at_once(
        lambda member: create_application(member, enterprise, application_data(enterprise, scheme)),
        members,
    )

    assert sorted(outcomes) == ["condition_unmet", "ok"]
    assert AccessApplication.objects.filter(enterprise=enterprise).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql(reason="the pool lock needs PostgreSQL")
def test_approvals_at_once_all_get_distinct_tunnel_addresses():
    make_root()
    applications = [AccessApplicationFactory(under_review=True) for _ in range(8)]
    reviewer = ReviewerFactory()
    outcomes = at_once(lambda application: approve_application(application, reviewer), applications)

    assert outcomes == ["ok"] * 8
    addresses = list(VpnAccount.objects.values_list("tunnel_address", flat=True))
    assert sorted(addresses) == [f"10.88.0.{n}" for n in range(2, 10)]


def test_full_path_through_the_pages(
    client_for, enterprise, member, reviewer, root, finalised_scheme
):
    as_member, as_reviewer = client_for(member), client_for(reviewer)
    data = application_data(enterprise, finalised_scheme)
    first, *others = SECTIONS
    response = as_member.post(reverse("applications:application_create"), section_form(data, first))
    application = AccessApplication.objects.get()
    assert response.status_code == 302
    for section in others:
        response = as_member.post(
            reverse("applications:application_section", args=[application.pk, section.key]),
            section_form(data, section),
        )
        assert response.status_code == 302

    detail = reverse("applications:application_detail", args=[application.pk])
    check = reverse("applications:application_check", args=[application.pk])
    assert "尚缺申报材料" in as_member.get(check).content.decode()
    for kind in Material:
        upload = png() if kind == Material.SITE_PHOTOS else pdf(f"{kind}.pdf")
        as_member.post(
            reverse("applications:material_upload", args=[application.pk]),
            {"kind": kind.value, "file": upload},
        )
    # Without the declaration nothing is submitted.
    as_member.post(reverse("applications:application_submit", args=[application.pk]))
    assert AccessApplication.objects.get().state == S.DRAFT
    as_member.post(
        reverse("applications:application_submit", args=[application.pk]), {"declaration": "on"}
    )
    assert AccessApplication.objects.get().state == S.SUBMITTED

    queue = as_reviewer.get(reverse("applications:application_list")).content.decode()
    assert enterprise.name in queue
    page = as_reviewer.get(detail).content.decode()
    assert "开始审核" in page and "湖北省CA证书申请表" in page
    as_reviewer.post(reverse("applications:application_start_review", args=[application.pk]))
    as_reviewer.post(
        reverse("applications:application_approve", args=[application.pk]), {"comment": "同意"}
    )

    assert AccessApplication.objects.get().state == S.APPROVED
    credentials = as_member.get(reverse("applications:credentials", args=[enterprise.pk]))
    assert "10.88.0.2" in credentials.content.decode()


def test_queue_filters_by_region_state_and_age(client_for, reviewer, root):
    from datetime import timedelta

    from django.utils import timezone

    wuhan = AccessApplicationFactory(submitted=True)
    yichang = AccessApplicationFactory(
        submitted=True, enterprise=EnterpriseFactory(region="420500")
    )
    AccessApplication.objects.filter(pk=yichang.pk).update(
        submitted_at=timezone.now() - timedelta(days=10)
    )
    draft = AccessApplicationFactory()
    client = client_for(reviewer)
    url = reverse("applications:application_list")

    def listed(**params):
        page = client.get(url, params).context["page"]
        return {a.pk for a in page}

    assert listed() == {wuhan.pk, yichang.pk}
    assert listed(region="420500") == {yichang.pk}
    assert listed(age="7") == {yichang.pk}
    assert listed(state="draft") == {draft.pk}


def test_queue_has_no_n_plus_one(client_for, reviewer, django_assert_max_num_queries):
    for _ in range(8):
        AccessApplicationFactory(submitted=True)
    client = client_for(reviewer)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("applications:application_list"))
    assert len(response.context["page"]) == 8


def test_the_printable_form_renders_every_field(client_for, member, enterprise, reviewer, root):
    application = AccessApplicationFactory(enterprise=enterprise, under_review=True)
    application = approve_application(application, reviewer, "同意接入")
    page = (
        client_for(member)
        .get(reverse("applications:application_print", args=[application.pk]))
        .content.decode()
    )

    for value in (
        application.applicant_name,
        application.uscc,
        "2026年5月6日",
        application.contact_person,
        application.contact_phone,
        application.contact_email,
        application.design_scheme.number,
        application.builder_name,
        application.builder_manager,
        application.builder_phone,
        application.builder_email,
        "2026年1月10日—2026年4月30日",
        application.device_manufacturer,
        application.device_model,
        application.device_serial,
        "2025年12月1日",
        "电力、天然气",
        "36",
        "2029年4月30日",
        "同意接入",
        str(reviewer),
    ):
        assert value in page, value
    # The six materials the seed's 附表1 prints; the CA form is uploaded, not printed.
    for kind in Material:
        assert (f"☑ {kind.label}" in page) == (kind != Material.CA_APPLICATION_FORM)
    # The print layout is a stylesheet of its own (no inline <style> under the CSP).
    assert "css/paper-form.css" in page
    stylesheet = Path(finders.find("css/paper-form.css")).read_text(encoding="utf-8")
    assert "@media print" in stylesheet
