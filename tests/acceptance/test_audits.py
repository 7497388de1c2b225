"""年度审核: the plan for exactly the accepted systems, the written review, the grade, the
reproducible sample, and the evidence pack counted in SQL from the roll-ups."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from acceptance.choices import AcceptanceState, AuditState
from acceptance.evidence import evidence_pack
from acceptance.models import AnnualAudit, AuditAnswer, Publication, RectificationNotice
from acceptance.services.audits import (
    EVIDENCE_KIND,
    accepted_before,
    accepted_on,
    add_checklist_item,
    add_spot_comparison,
    answer,
    audited_year,
    create_plan,
    draw,
    draw_sample,
    grade,
    grade_line,
    plan_due,
    record_spot_findings,
    submit,
)
from applications.models import (
    AccessApplication,
    ChangeRecord,
    DesignScheme,
    DeviceCertificate,
    Meter,
)
from portal.attachments import as_bytes_upload
from portal.models import Attachment, Region
from portal.workflow import TransitionRefused
from telemetry.models import DataItem, DataItemRevision, RelayFlag

from ..applications.factories import AccessApplicationFactory, MeterFactory, stored_certificate
from ..portal.factories import (
    EnterpriseFactory,
    GovernmentViewerFactory,
    ReviewerFactory,
    member_of,
)
from ..telemetry.factories import (
    FULL_DAY,
    DataItemFactory,
    full_days,
    rollup,
    stored_readings,
    without,
)
from .factories import AcceptanceApplicationFactory
from .supervision import accepted_enterprise, evidence

pytestmark = pytest.mark.django_db
YEAR = 2026


def accepted(on: date, **kwargs):
    enterprise = accepted_enterprise(on, **kwargs)
    return enterprise, member_of(enterprise)


@pytest.fixture
def plan():
    accepted(date(2025, 6, 1))
    accepted(date(2025, 12, 30))
    accepted(date(2026, 2, 1))  # accepted during the year: audited from next year
    # materials accepted (reviewed_at) in 2025, but the 验收报告 issued in 2026: not yet
    accepted(date(2026, 1, 20), materials_accepted_on=date(2025, 11, 3))
    EnterpriseFactory()  # never accepted
    return create_plan(YEAR, ReviewerFactory())


def answered(audit, member):
    answer(audit, member, {item.pk: "已按要求执行。" for item in audit.plan.checklist.all()})
    return submit(audit, member)


def test_the_plan_covers_exactly_the_systems_accepted_before_the_year(plan):
    assert plan.audits.count() == 2
    assert plan.checklist.count() == 5
    again = create_plan(YEAR)  # idempotent
    assert again.pk == plan.pk and again.audits.count() == 2


def test_accepted_means_the_day_the_acceptance_report_was_issued(db):
    early, _m = accepted(date(2025, 12, 20), materials_accepted_on=date(2025, 10, 9))
    late, _m = accepted(date(2026, 1, 20), materials_accepted_on=date(2025, 11, 3))
    assert accepted_on(early) == date(2025, 12, 20)
    assert accepted_on(late) == date(2026, 1, 20)  # not the materials' 2025-11-03
    assert set(accepted_before(YEAR)) == {early}
    assert set(accepted_before(YEAR + 1)) == {early, late}
    # a passed application whose report was never issued is not accepted
    pending = EnterpriseFactory()
    AcceptanceApplicationFactory(enterprise=pending, state=AcceptanceState.PASSED)
    assert accepted_on(pending) is None and pending not in accepted_before(YEAR + 1)


def test_the_plan_made_in_january_audits_the_completed_year(settings, db):
    settings.AUDIT_PLAN_DATE = (1, 15)
    assert audited_year(date(YEAR + 1, 1, 15)) == YEAR
    assert plan_due(date(YEAR + 1, 1, 14)) is None
    assert plan_due(date(YEAR + 1, 1, 15)) == YEAR
    create_plan(YEAR)
    assert plan_due(date(YEAR + 1, 3, 1)) is None
    assert plan_due(date(YEAR + 2, 1, 15)) == YEAR + 1


def test_the_evidence_window_is_the_whole_audited_year(db, settings):
    enterprise, _m = accepted(date(2024, 5, 1))
    plan = create_plan(2025)
    audit = plan.audits.get(enterprise=enterprise)
    pack = evidence_pack(audit, accepted_on(enterprise))
    assert pack["period"] == {"from": "2025-01-01", "to": "2025-12-31"}


def test_submitting_needs_every_line_answered(plan):
    audit = plan.audits.first()
    member = member_of(audit.enterprise)
    answer(audit, member, {plan.checklist.first().pk: "部分说明"})
    with pytest.raises(TransitionRefused) as refusal:
        submit(audit, member)
    assert "未作答" in refusal.value.message


def test_an_added_line_sends_a_submitted_audit_back_and_graded_ones_keep_theirs(plan):
    reviewer = ReviewerFactory()
    first, _second = list(plan.audits.order_by("pk"))
    answered(first, member_of(first.enterprise))
    add_checklist_item(plan, reviewer, "提供本年度计量器具检定证书")
    first.refresh_from_db()
    assert first.state == AuditState.PLANNED
    assert plan.checklist.order_by("-pk").first().version == 6


def test_a_pass_and_a_fail_with_its_notice_and_announcement(plan):
    reviewer = ReviewerFactory()
    first, second = list(plan.audits.order_by("pk"))
    for audit in (first, second):
        audit = answered(audit, member_of(audit.enterprise))
        for item in plan.checklist.all():
            grade_line(audit, reviewer, item.pk, "符合")
    with pytest.raises(ValidationError):
        grade_line(first, reviewer, plan.checklist.first().pk, "优秀")
    assert grade(first, reviewer, passed=True, opinion="运行正常").state == AuditState.PASSED
    with pytest.raises(TransitionRefused):
        grade(second, reviewer, passed=False, situations={})
    failed = grade(second, reviewer, passed=False, situations={"2": "全年有 40 天无数据"})
    assert failed.state == AuditState.FAILED
    notice = RectificationNotice.objects.get()
    assert notice.audit_year == YEAR and notice.consequence == "年度审核定为不通过等级"
    assert Publication.objects.get().deadline == notice.deadline


def test_the_sample_is_reproducible_from_its_seed(plan, settings):
    settings.AUDIT_SPOT_CHECK_PERCENT = 10
    drawn = draw_sample(plan, ReviewerFactory(), seed="hb-2026")
    ids = list(plan.audits.values_list("enterprise_id", flat=True))
    assert drawn.sample == draw(ids, "hb-2026") and len(drawn.sample) == 1  # at least 1
    with pytest.raises(TransitionRefused) as refusal:
        draw_sample(plan, ReviewerFactory(), seed="another")
    assert "hb-2026" in refusal.value.message


def test_the_evidence_pack_counts_from_the_rollups(db):
    enterprise, _member = accepted(date(2025, 6, 1))
    plan = create_plan(YEAR)
    audit = AnnualAudit.objects.get(plan=plan, enterprise=enterprise)
    item = DataItemFactory(enterprise=enterprise)
    full_days(item, date(YEAR, 3, 1), 10)  # 1-10 March complete
    full_days(item, date(YEAR, 3, 18), 14)  # 11-17 March silent (a week), then complete
    RelayFlag.objects.create(
        enterprise=enterprise,
        source_ip="203.0.113.9",
        first_seen=timezone.make_aware(datetime(YEAR, 3, 5, 9)),
        last_seen=timezone.make_aware(datetime(YEAR, 3, 6, 9)),
        status="explained",
        reason="VPN 线路切换",
    )
    pack = evidence_pack(audit, date(YEAR, 3, 1))
    march = next(row for row in pack["months"] if row["month"] == f"{YEAR}-03")
    assert march["expected"] == 24 * 96 and march["completeness"] == 100.0
    assert {"from": f"{YEAR}-03-11", "to": f"{YEAR}-03-17", "days": 7} in pack["silent_runs"]
    assert pack["relay_flags"][0]["reason"] == "VPN 线路切换"


def test_outsiders_and_other_regions_see_no_audit(client, plan, other_enterprise):
    audit = plan.audits.first()
    viewer = GovernmentViewerFactory(region=Region.YICHANG)
    for user in (member_of(other_enterprise), viewer):
        client.force_login(user)
        assert client.get(reverse("acceptance:audit_detail", args=[audit.pk])).status_code == 404
        assert (
            client.get(reverse("acceptance:audit_evidence_xlsx", args=[audit.pk])).status_code
            == 404
        )
        # Answering is the enterprises': a government viewer is refused by role before any
        # lookup (403); another enterprise's member finds no such audit in its scope (404).
        answer_code = 403 if user == viewer else 404
        response = client.post(reverse("acceptance:audit_answer", args=[audit.pk]))
        assert response.status_code == answer_code
    client.force_login(member_of(audit.enterprise))
    page = client.get(reverse("acceptance:audit_detail", args=[audit.pk]))
    assert page.status_code == 200 and 'id="audit-chart-data"' in page.content.decode()
    assert client.get(reverse("acceptance:audit_evidence_xlsx", args=[audit.pk]))[
        "Content-Type"
    ].startswith("application/vnd.openxmlformats")


def test_evidence_files_per_line_reach_the_reviewer_but_no_outsider(
    client, plan, other_enterprise, django_assert_max_num_queries
):
    audit = plan.audits.order_by("pk").first()
    member = member_of(audit.enterprise)
    first, second = list(plan.checklist.order_by("pk"))[:2]
    client.force_login(member)
    response = client.post(
        reverse("acceptance:audit_answer", args=[audit.pk]),
        {
            f"answer-{first.pk}": "运维合同见附件。",
            f"evidence-{first.pk}": [evidence("运维合同.pdf"), evidence("续签协议.pdf")],
            f"evidence-{second.pk}": evidence("检定证书.pdf"),
        },
    )
    assert response.status_code == 302
    files = Attachment.objects.filter(kind=EVIDENCE_KIND).order_by("pk")
    assert [f.original_name for f in files] == ["运维合同.pdf", "续签协议.pdf", "检定证书.pdf"]
    owners = {f.object_id for f in files}
    assert owners == set(
        AuditAnswer.objects.filter(audit=audit, item__in=[first, second]).values_list(
            "pk", flat=True
        )
    )
    # a refused file writes nothing of the request
    refused_post = client.post(
        reverse("acceptance:audit_answer", args=[audit.pk]),
        {
            f"answer-{first.pk}": "改过的说明",
            f"evidence-{first.pk}": as_bytes_upload("x.exe", b"MZ\x90\x00"),
        },
    )
    assert refused_post.status_code == 302
    assert AuditAnswer.objects.get(audit=audit, item=first).answer == "运维合同见附件。"
    assert files.count() == 3

    client.force_login(ReviewerFactory())
    with django_assert_max_num_queries(40):
        page = client.get(reverse("acceptance:audit_detail", args=[audit.pk])).content.decode()
    assert "运维合同.pdf" in page and "检定证书.pdf" in page
    assert f'id="evidence-{first.pk}"' in page
    download = reverse("attachment_download", args=[files[0].pk])
    assert client.get(download).status_code == 200

    same_region = GovernmentViewerFactory(region=audit.enterprise.region)
    for user in (member_of(other_enterprise), same_region):
        client.force_login(user)
        assert client.get(download).status_code == 404
    client.force_login(same_region)
    page = client.get(reverse("acceptance:audit_detail", args=[audit.pk]))
    assert page.status_code == 200 and "运维合同.pdf" not in page.content.decode()


def test_evidence_for_a_line_of_another_year_is_refused(plan):
    audit = plan.audits.order_by("pk").first()
    other_plan = create_plan(YEAR - 1)
    foreign = other_plan.checklist.first()
    with pytest.raises(ValidationError):
        answer(audit, member_of(audit.enterprise), {}, {foreign.pk: [evidence()]})
    assert not Attachment.objects.filter(kind=EVIDENCE_KIND).exists()


def test_spot_findings_are_structured_with_comparison_readings(client, plan, settings):
    settings.AUDIT_SPOT_CHECK_PERCENT = 100
    reviewer = ReviewerFactory()
    plan = draw_sample(plan, reviewer, seed="spot")
    audit = plan.audits.order_by("pk").first()
    with pytest.raises(ValidationError) as missing:
        record_spot_findings(audit, reviewer, layout="布点一致", devices="", collection="")
    assert set(missing.value.message_dict) == {"spot_devices", "spot_collection"}
    with pytest.raises(TransitionRefused):
        record_spot_findings(
            audit, member_of(audit.enterprise), layout="a", devices="b", collection="c"
        )
    client.force_login(reviewer)
    client.post(
        reverse("acceptance:audit_spot", args=[audit.pk]),
        {"layout": "布点与方案一致", "devices": "端设备正常", "collection": "采集连续"},
    )
    audit.refresh_from_db()
    assert (audit.spot_layout, audit.spot_devices, audit.spot_collection) == (
        "布点与方案一致",
        "端设备正常",
        "采集连续",
    )
    assert audit.spot_checked_by == reviewer and audit.spot_checked_at is not None

    item = DataItem.objects.create(
        enterprise=audit.enterprise, data_code="000012340233000001", name="1#变压器", unit="kWh"
    )
    read_at = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=2)
    slot = read_at.replace(minute=read_at.minute - read_at.minute % 15)
    stored_readings(item, {slot: Decimal("100")})
    close = add_spot_comparison(
        audit, reviewer, item_id=item.pk, meter="", read_at=read_at, site_value=Decimal("101")
    )
    assert close.platform_value == Decimal("100") and close.deviation_percent == Decimal("1.000")
    assert close.within is (Decimal("1") <= settings.ACCEPTANCE_COMPARISON_TOLERANCE_PERCENT)
    stranger = DataItem.objects.create(
        enterprise=EnterpriseFactory(), data_code="000099990233000000", name="x", unit="kWh"
    )
    with pytest.raises(ValidationError):
        add_spot_comparison(
            audit, reviewer, item_id=stranger.pk, meter="", read_at=read_at, site_value=1
        )
    response = client.post(
        reverse("acceptance:audit_spot_comparison", args=[audit.pk]),
        {
            "item": item.pk,
            "meter": "2#表",
            "read_at": timezone.localtime(read_at).strftime("%Y-%m-%dT%H:%M"),
            "site_value": "130",
        },
    )
    assert response.status_code == 302
    far = audit.comparisons.get(meter="2#表")
    assert far.deviation_percent == Decimal("30.000") and not far.within
    page = client.get(reverse("acceptance:audit_detail", args=[audit.pk])).content.decode()
    assert 'id="spot-comparison-table"' in page and "2#表" in page


def test_spot_findings_only_for_sampled_enterprises(plan, settings):
    reviewer = ReviewerFactory()
    audit = plan.audits.order_by("pk").first()
    with pytest.raises(TransitionRefused) as refusal:
        record_spot_findings(audit, reviewer, layout="a", devices="b", collection="c")
    assert "抽查名单" in refusal.value.message


def test_the_evidence_pack_against_hand_counts(db):
    """The audited year 2025 of a system accepted in 2024, every figure counted by hand."""
    enterprise, _member = accepted(date(2024, 5, 1))
    audit = create_plan(2025).audits.get(enterprise=enterprise)
    item = DataItemFactory(enterprise=enterprise)
    # 1-10 Jan complete (960 of 960 on time); 11 Jan: 16 slots late, 8 of them backfilled,
    # 4 on-time slots suspect. Expected 1056, on time 1040, received 1048, good 1044.
    full_days(item, date(2025, 1, 1), 10)
    rollup(
        item,
        date(2025, 1, 11),
        on_time=without(FULL_DAY, *range(16)),
        backfilled=sum(1 << i for i in range(8)),
        suspect=sum(1 << i for i in range(20, 24)),
    )
    access = AccessApplicationFactory(
        enterprise=enterprise, approved=True, om_contract_end=date(2025, 10, 31)
    )
    scheme = DesignScheme.objects.filter(enterprise=enterprise).first()
    for on, content in ((date(2024, 3, 1), "验收前的变更"), (date(2025, 4, 1), "增加二级计量点")):
        ChangeRecord.objects.create(
            scheme=scheme, changed_on=on, content=content, reason="扩建", unit="能源科"
        )
    year_cert = {
        "revoked in 2025": {"revoked_at": timezone.make_aware(datetime(2025, 3, 1, 9))},
        "expired in 2025": {"not_after": timezone.make_aware(datetime(2025, 8, 1, 9))},
        "valid": {"not_after": timezone.make_aware(datetime(2027, 1, 1, 9))},
        "revoked in 2024": {
            "revoked_at": timezone.make_aware(datetime(2024, 3, 1, 9)),
            "not_after": timezone.make_aware(datetime(2024, 12, 1, 9)),
        },
    }
    for n, (_label, fields) in enumerate(year_cert.items()):
        cert = stored_certificate(access, f"{n + 1:02x}")
        DeviceCertificate.objects.filter(pk=cert.pk).update(**fields)
    # items: one registered in 2025, one retired in 2025, one retired in 2024, one
    # changed in 2025 while already retired (not a retirement in 2025)
    added = DataItemFactory(enterprise=enterprise)
    DataItem.objects.filter(pk=added.pk).update(
        created_at=timezone.make_aware(datetime(2025, 2, 1, 9))
    )
    DataItem.objects.filter(pk__in=[item.pk]).update(
        created_at=timezone.make_aware(datetime(2024, 1, 1, 9))
    )
    for retired_on in (date(2025, 6, 1), date(2024, 6, 1)):
        old = DataItemFactory(enterprise=enterprise)
        DataItem.objects.filter(pk=old.pk).update(
            created_at=timezone.make_aware(datetime(2023, 1, 1, 9))
        )
        DataItemRevision.record(old, date(2023, 1, 1))
        old.is_active = False
        old.save(revision={"valid_from": retired_on})
        if retired_on.year == 2024:
            old.value_max = Decimal("999")
            old.save(revision={"valid_from": date(2025, 7, 1)})
    ledger = Meter.objects.filter(enterprise=enterprise)
    scheme_meters = ledger.count()  # the scheme's level-1 meters, valid a year from today
    assert not ledger.filter(valid_until__lt=date(2025, 12, 31)).exists()
    MeterFactory(enterprise=enterprise, valid_until=date(2025, 9, 30))
    MeterFactory(enterprise=enterprise, valid_until=date(2026, 3, 1))

    pack = evidence_pack(audit, accepted_on(enterprise))
    assert pack["period"] == {"from": "2025-01-01", "to": "2025-12-31"}
    assert pack["totals"] == {
        "expected": 1056,
        "completeness": 99.24,  # 1048 / 1056
        "success": 98.86,  # (1048 - 4) / 1056
        "on_time_rate": 98.48,  # 1040 / 1056
    }
    [january] = [row for row in pack["months"] if row["item"] == item.data_code]
    assert (january["received"], january["on_time"]) == (1048, 1040)
    assert pack["silent_days"] == 365 - 11
    assert sorted(c["serial"] for c in pack["certificates"]) == ["01", "02"]
    assert [c["content"] for c in pack["changes"]] == ["增加二级计量点"]
    assert pack["items_added"] == 1
    assert pack["items_inactive"] == 1
    assert pack["om_contract_end"] == "2025-10-31" and pack["om_contract_valid"] is False
    assert pack["meters"]["count"] == scheme_meters + 2
    assert [m["valid_until"] for m in pack["meters"]["expired"]] == ["2025-09-30"]
    AccessApplication.objects.filter(pk=access.pk).update(om_contract_end=date(2026, 6, 30))
    assert evidence_pack(audit, accepted_on(enterprise))["om_contract_valid"] is True
