"""年度审核 written review: the enterprise withdraws an evidence file before submitting."""

from datetime import date

import pytest
from django.urls import reverse

from acceptance.services.audits import EVIDENCE_KIND, answer, create_plan, submit
from portal.attachments import save_attachment
from portal.models import Attachment, AuditEvent

from ..portal.factories import GovernmentViewerFactory, ReviewerFactory, member_of
from .supervision import evidence
from .test_audits import YEAR, accepted

pytestmark = pytest.mark.django_db


@pytest.fixture
def audit_with_files():
    enterprise, member = accepted(date(2025, 6, 1))
    plan = create_plan(YEAR, ReviewerFactory())
    audit = plan.audits.get(enterprise=enterprise)
    first = plan.checklist.order_by("pk").first()
    answer(
        audit, member, {first.pk: "见附件"}, {first.pk: [evidence("合同.pdf"), evidence("旧.pdf")]}
    )
    return audit, member


def remove_url(audit, f):
    return reverse("acceptance:audit_evidence_remove", args=[audit.pk, f.pk])


def test_a_member_removes_a_file_while_the_audit_is_open(client, audit_with_files):
    audit, member = audit_with_files
    old = Attachment.objects.get(kind=EVIDENCE_KIND, original_name="旧.pdf")
    client.force_login(member)
    page = client.get(reverse("acceptance:audit_detail", args=[audit.pk])).content.decode()
    assert f'form="evidence-remove-{old.pk}"' in page
    assert f'action="{remove_url(audit, old)}"' in page and "data-confirm=" in page
    assert client.get(remove_url(audit, old)).status_code == 405  # POST only
    response = client.post(remove_url(audit, old), follow=True)
    assert response.status_code == 200
    assert "已删除证据文件" in response.content.decode()
    assert list(
        Attachment.objects.filter(kind=EVIDENCE_KIND).values_list("original_name", flat=True)
    ) == ["合同.pdf"]
    event = AuditEvent.objects.for_object(audit).get(event="audit_evidence_removed")
    assert event.comment == "旧.pdf" and event.actor == member


def test_removal_is_refused_once_submitted(client, audit_with_files):
    audit, member = audit_with_files
    for item in audit.plan.checklist.all():
        answer(audit, member, {item.pk: "已执行"})
    submit(audit, member)
    f = Attachment.objects.filter(kind=EVIDENCE_KIND).first()
    client.force_login(member)
    page = client.get(reverse("acceptance:audit_detail", args=[audit.pk])).content.decode()
    assert "evidence-remove-" not in page
    response = client.post(remove_url(audit, f), follow=True)
    assert "不能执行此操作" in response.content.decode()
    assert Attachment.objects.filter(pk=f.pk).exists()
    assert not AuditEvent.objects.filter(event="audit_evidence_removed").exists()


def test_outsiders_get_404_and_other_roles_403(client, audit_with_files, other_enterprise):
    audit, member = audit_with_files
    f = Attachment.objects.filter(kind=EVIDENCE_KIND).first()
    client.force_login(member_of(other_enterprise))
    assert client.post(remove_url(audit, f)).status_code == 404
    # an attachment of another record under this audit's URL is not found either
    other = save_attachment(
        evidence("x.pdf"), actor=member, enterprise=audit.enterprise, owner=audit, kind="other"
    )
    client.force_login(member)
    assert client.post(remove_url(audit, other)).status_code == 404
    # reviewers and government viewers may not remove: refused by role before any lookup
    for user in (ReviewerFactory(), GovernmentViewerFactory(region=audit.enterprise.region)):
        client.force_login(user)
        assert client.post(remove_url(audit, f)).status_code == 403
    assert Attachment.objects.filter(pk=f.pk).exists()
