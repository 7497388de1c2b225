"""Records the supervision tests share: a failed audit's notice issued through the services."""

from datetime import date, datetime, timedelta

from django.utils import timezone

from acceptance.choices import AcceptanceState, AuditSituation
from acceptance.demo_supervision import record_pass_on
from acceptance.models import AcceptanceApplication, RectificationNotice
from acceptance.services.audits import answer, create_plan, grade, grade_line, submit
from portal.attachments import as_bytes_upload

from ..portal.factories import EnterpriseFactory, ReviewerFactory, member_of
from .factories import AcceptanceApplicationFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def evidence(name="evidence.pdf"):
    return as_bytes_upload(name, PDF_BYTES)


def at(day: date, hour=10):
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def accepted_enterprise(on=date(2025, 6, 1), materials_accepted_on=None, **kwargs):
    """An enterprise whose 验收报告 (附件2) was issued 合格 ``on``; its materials were accepted
    (``reviewed_at``) earlier, by default 60 days before, as in the real sequence."""
    enterprise = EnterpriseFactory(**kwargs)
    application = AcceptanceApplicationFactory(enterprise=enterprise, state=AcceptanceState.PASSED)
    reviewed = materials_accepted_on or on - timedelta(days=60)
    AcceptanceApplication.objects.filter(pk=application.pk).update(reviewed_at=at(reviewed))
    record_pass_on(application, at(on))
    return enterprise


def failed_audit_notice(year=2026, **enterprise_kwargs):
    """(notice, member, reviewer): an audit of ``year`` graded 不通过 for situation (2)."""
    enterprise = accepted_enterprise(**enterprise_kwargs)
    member, reviewer = member_of(enterprise), ReviewerFactory()
    plan = create_plan(year, reviewer)
    audit = plan.audits.get(enterprise=enterprise)
    answer(audit, member, {item.pk: "已按要求执行。" for item in plan.checklist.all()})
    audit = submit(audit, member)
    for item in plan.checklist.all():
        grade_line(audit, reviewer, item.pk, "不符合")
    grade(
        audit,
        reviewer,
        passed=False,
        opinion="数据中断",
        situations={AuditSituation.NOT_STABLE: "3 月中断 9 天"},
    )
    return RectificationNotice.objects.get(enterprise=enterprise), member, reviewer
