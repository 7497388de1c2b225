"""Records the supervision tests share: a failed audit's notice issued through the services."""

from datetime import date, datetime

from django.utils import timezone

from acceptance.choices import AcceptanceState, AuditSituation
from acceptance.models import AcceptanceApplication, RectificationNotice
from acceptance.services.audits import answer, create_plan, grade, grade_line, submit
from portal.attachments import as_bytes_upload

from ..portal.factories import EnterpriseFactory, ReviewerFactory, member_of
from .factories import AcceptanceApplicationFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def evidence(name="evidence.pdf"):
    return as_bytes_upload(name, PDF_BYTES)


def accepted_enterprise(on=date(2025, 6, 1), **kwargs):
    enterprise = EnterpriseFactory(**kwargs)
    application = AcceptanceApplicationFactory(enterprise=enterprise, state=AcceptanceState.PASSED)
    AcceptanceApplication.objects.filter(pk=application.pk).update(
        reviewed_at=timezone.make_aware(datetime(on.year, on.month, on.day, 10))
    )
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
