"""The acceptance result (seed 5.5): the institute issues the signed 验收报告 through the
reports engine; a pass moves the enterprise to stage 06 and is published, a fail issues a
rectification notice and publishes the announcement. One transaction."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portal.models import Stage
from portal.notifications import enterprise_users, tell
from portal.sentences import Sentence
from portal.stages import advance_stage
from portal.workflow import run_transition
from reports.models import DocumentKind
from reports.services.documents import issue_signed_off, verify_path

from ..choices import FailureCondition, ItemResult, Occasion, PublicationKind, SignatureRole
from ..models import Publication
from .rectification import issue_notice


def report_content(report) -> dict:
    """What the PDF prints: the signed text, the five signatures and the content hash."""
    signatures = {s.role: s for s in report.signatures.all()}
    return {
        "project_name": report.project_name,
        "owner_name": report.owner_name,
        "contractor_name": report.contractor_name,
        "place": report.place,
        "held_on": report.held_on.isoformat(),
        "content": report.content,
        "items": [
            {
                "label": str(i["label"]),
                "result_label": str(i["result_label"]),
                "remark": i["remark"],
            }
            for i in report.items
        ],
        "overall_opinion": report.overall_opinion,
        "result": report.result,
        "result_label": str(ItemResult(report.result).label),
        "fail_conditions": situations_of(report),
        "signatures": [
            {
                "role_label": str(role.label),
                "signer_name": signatures[role].signer_name,
                "signed_at": timezone.localtime(signatures[role].signed_at).date().isoformat(),
            }
            for role in SignatureRole
            if role in signatures
        ],
        "photos": [
            {
                "caption": photo.caption,
                "sha256": photo.attachment.sha256,
                "uploaded_at": timezone.localtime(photo.attachment.uploaded_at).date().isoformat(),
            }
            for photo in report.onsite.photos.select_related("attachment")
        ],
        "content_sha256": report.content_sha256,
        "institute": settings.ACCEPTANCE_INSTITUTE_NAME,
    }


def situations_of(report) -> list[dict]:
    return [
        {"code": code, "label": str(FailureCondition(code).label), "explanation": text}
        for code, text in sorted(report.fail_conditions.items())
    ]


def publish(kind, enterprise, *, project_name, decided_on, result, document, deadline=None):
    return Publication.objects.create(
        kind=kind,
        enterprise=enterprise,
        enterprise_name=enterprise.name,
        region=enterprise.region,
        project_name=project_name,
        decided_on=decided_on,
        result=result,
        document_number=document.number,
        verify_url=verify_path(document),
        deadline=deadline,
    )


def issue_result(report, actor):
    """Issue the fully signed report and carry out its result."""
    with transaction.atomic():
        document = issue_signed_off(
            DocumentKind.ACCEPTANCE,
            report.enterprise,
            actor,
            title=_("验收报告"),
            content=report_content(report),
        )
        issued = run_transition(
            report,
            "issue",
            actor,
            event="report_issued",
            document_id=document.pk,
            notify=tell(
                lambda r: enterprise_users(r.enterprise),
                Sentence(gettext_noop("验收报告已出具：%(r)s"), r=ItemResult(report.result).label),
                lambda r: reverse("acceptance:report_detail", args=[r.pk]),
            ),
        ).obj
        application = issued.onsite.application
        enterprise = application.enterprise
        if issued.result == ItemResult.PASS:
            run_transition(application, "record_pass", actor, event="acceptance_passed")
            advance_stage(enterprise, Stage.SUPERVISION)
            publish(
                PublicationKind.ACCEPTANCE_RESULT,
                enterprise,
                project_name=issued.project_name,
                decided_on=issued.held_on,
                result=str(ItemResult.PASS.label),
                document=document,
            )
        else:
            run_transition(application, "record_fail", actor, event="acceptance_failed")
            notice = issue_notice(
                actor,
                enterprise,
                occasion=Occasion.ACCEPTANCE,
                occasion_date=issued.held_on,
                situations=situations_of(issued),
                application=application,
            )
            notice_document = type(document).objects.get(pk=notice.document_id)
            publish(
                PublicationKind.RECTIFICATION,
                enterprise,
                project_name=issued.project_name,
                decided_on=issued.held_on,
                result=str(ItemResult.FAIL.label),
                document=notice_document,
                deadline=notice.deadline,
            )
    return issued
