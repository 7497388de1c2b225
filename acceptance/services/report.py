"""验收报告 (附件2): drafted from the on-site record, signed in the portal by five roles
(password re-confirmed, or the contractor's one-time link), then issued by the institute."""

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portal.models import AuditEvent
from portal.notifications import enterprise_users, reviewers, tell
from portal.queueing import enqueue_on_commit
from portal.roles import is_member
from portal.sentences import Sentence
from portal.workflow import RefusalReason, TransitionRefused, run_transition

from ..choices import (
    REPORT_ITEMS,
    FailureCondition,
    ItemResult,
    OnSiteState,
    PanelRole,
    ReportState,
    SignatureRole,
)
from ..models import (
    PROJECT_NAME,
    AcceptanceReport,
    ContractorLink,
    ReportSignature,
    SigningCode,
)
from ..models.onsite import can_record
from ..models.report import can_record_report
from ..tasks import send_contractor_link, send_signing_code_mail
from .applications import refused

EDITABLE = (
    "contractor_name",
    "place",
    "held_on",
    "content",
    *(f"{key}_{part}" for key, _label in REPORT_ITEMS for part in ("result", "remark")),
    "overall_opinion",
    "result",
    "fail_conditions",
)
LINK_DAYS = 14
# Which panel seat signs for which role; the enterprise and contractor sign for themselves.
SEAT_FOR_ROLE = {
    SignatureRole.INSTITUTE: PanelRole.INSTITUTE,
    SignatureRole.NDRC: PanelRole.NDRC,
    SignatureRole.SAMR: PanelRole.SAMR,
}


def report_link(report) -> str:
    return reverse("acceptance:report_detail", args=[report.pk])


def draft_report(onsite, actor) -> AcceptanceReport:
    """The panel starts the report once the four steps are recorded."""
    if not can_record(onsite, actor):
        raise TransitionRefused(RefusalReason.NOT_PERMITTED)
    with transaction.atomic():
        locked = type(onsite).objects.select_for_update().get(pk=onsite.pk)
        if locked.state != OnSiteState.RECORDED:
            raise refused(_("现场验收四个环节记录完成后才能起草验收报告。"), field="onsite")
        existing = AcceptanceReport.objects.filter(onsite=locked).first()
        if existing is not None:
            return existing
        report = AcceptanceReport.objects.create(
            onsite=locked,
            project_name=PROJECT_NAME,
            owner_name=locked.application.owner_name,
            contractor_name=locked.contractor_company,
            place=locked.place,
            held_on=timezone.localdate(locked.scheduled_for),
            written_by=actor,
        )
        AuditEvent.record(report, actor, "report_drafted", to_state=report.state)
    return report


def check_report_data(data: dict) -> None:
    conditions = data.get("fail_conditions") or {}
    errors = {}
    unknown = set(conditions) - set(FailureCondition.values)
    if unknown:
        errors["fail_conditions"] = _("未知的不合格情形：%(c)s") % {"c": "、".join(sorted(unknown))}
    elif data.get("result") == ItemResult.PASS and conditions:
        errors["fail_conditions"] = _("验收结论为合格时不应选择不合格情形。")
    if errors:
        raise ValidationError(errors)


def update_report(report, actor, data: dict) -> AcceptanceReport:
    """Edit the text; an edit after it went out for signature voids every signature."""
    check_report_data(data)
    with transaction.atomic():
        locked = AcceptanceReport.objects.select_for_update().get(pk=report.pk)
        if not can_record_report(locked, actor):
            raise TransitionRefused(RefusalReason.NOT_PERMITTED)
        if locked.state == ReportState.ISSUED:
            raise TransitionRefused(RefusalReason.WRONG_STATE, state=locked.get_state_display())
        changed = [f for f in EDITABLE if f in data and getattr(locked, f) != data[f]]
        if not changed:
            return locked
        if locked.state != ReportState.DRAFT:
            voided = locked.signatures.count()
            locked = run_transition(
                locked,
                "reopen",
                actor,
                event="report_signatures_voided",
                context={"voided": voided},
            ).obj
            locked.signatures.all().delete()
            locked.links.filter(used_at__isnull=True).update(expires_at=timezone.now())
        for name in changed:
            setattr(locked, name, data[name])
        locked.save()
        AuditEvent.record(locked, actor, "report_updated", context={"fields": changed})
    return locked


def _signers(report):
    seats = report.onsite.seats.filter(role__in=SEAT_FOR_ROLE.values()).select_related("user")
    return [seat.user for seat in seats] + list(enterprise_users(report.enterprise))


def put_for_signature(report, actor) -> AcceptanceReport:
    with transaction.atomic():
        sent = run_transition(
            report,
            "put_for_signature",
            actor,
            event="report_put_for_signature",
            notify=tell(
                lambda r: _signers(r), Sentence(gettext_noop("验收报告待您签字")), report_link
            ),
        ).obj
        issue_contractor_link(sent)
    return sent


def issue_contractor_link(report) -> str:
    """A fresh one-time link for the contractor's representative, e-mailed after commit;
    returns the token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    report.links.filter(used_at__isnull=True).update(expires_at=timezone.now())
    link = ContractorLink.objects.create(
        report=report,
        token_sha256=hashlib.sha256(token.encode()).hexdigest(),
        email=report.onsite.contractor_email,
        expires_at=timezone.now() + timedelta(days=LINK_DAYS),
    )
    enqueue_on_commit(send_contractor_link, link.pk, token)
    return token


def may_sign_as(report, user, role: str) -> str | None:
    """Why `user` may not sign `role` on this report, or None."""
    if role == SignatureRole.CONTRACTOR:
        return _("项目承建方代表通过邮件中的一次性链接签字。")
    if role == SignatureRole.ENTERPRISE:
        return (
            None
            if is_member(user, report.enterprise_id)
            else _("只有用能单位的成员可以代表用能单位签字。")
        )
    seat_role = SEAT_FOR_ROLE.get(role)
    if seat_role and report.onsite.seats.filter(user=user, role=seat_role).exists():
        return None
    return _("您不是验收小组中的“%(r)s”，不能以该身份签字。") % {"r": SignatureRole(role).label}


def _record_signature(report, role, *, user, name, method) -> ReportSignature:
    locked = AcceptanceReport.objects.select_for_update().get(pk=report.pk)
    if locked.state != ReportState.SIGNING:
        raise TransitionRefused(RefusalReason.WRONG_STATE, state=locked.get_state_display())
    if locked.compute_sha256() != locked.content_sha256:
        raise refused(_("报告内容已变更，签字作废，请重新提交签字。"), field="report")
    if locked.signatures.filter(role=role).exists():
        raise refused(_("“%(r)s”已经签字。") % {"r": SignatureRole(role).label}, field="role")
    if user is not None and locked.signatures.filter(user=user).exists():
        raise refused(_("您已以其他身份签过字，同一人不能代表两方。"), field="role")
    signature = ReportSignature.objects.create(
        report=locked,
        role=role,
        user=user,
        signer_name=name,
        method=method,
        content_sha256=locked.content_sha256,
    )
    AuditEvent.record(
        locked, user, "report_signed", context={"role": role, "sha256": locked.content_sha256}
    )
    if locked.signatures.count() == len(SignatureRole):
        run_transition(
            locked,
            "complete_signatures",
            None,
            event="report_fully_signed",
            notify=tell(
                lambda r: reviewers(),
                Sentence(gettext_noop("验收报告五方签字已齐，待出具")),
                report_link,
            ),
        )
    return signature


CODE_MINUTES = 10
CODE_TRIES = 5


def _code_digest(code_row_report_id: int, user_id: int, code: str) -> str:
    return hashlib.sha256(f"{code_row_report_id}:{user_id}:{code}".encode()).hexdigest()


def send_signing_code(report, user, role: str) -> SigningCode:
    """E-mail the signer a six-digit one-time code (DESIGN section 2: the password or a
    one-time code sent to them). Earlier unused codes of this signer are voided."""
    reason = may_sign_as(report, user, role)
    if reason:
        raise PermissionDenied(reason)
    if not user.email:
        raise refused(_("您的账号没有登记电子邮箱，请使用登录密码签字。"), field="code")
    with transaction.atomic():
        locked = AcceptanceReport.objects.select_for_update().get(pk=report.pk)
        if locked.state != ReportState.SIGNING:
            raise TransitionRefused(RefusalReason.WRONG_STATE, state=locked.get_state_display())
        now = timezone.now()
        SigningCode.objects.filter(report=locked, user=user, used_at__isnull=True).update(
            used_at=now
        )
        code = f"{secrets.randbelow(10**6):06d}"
        row = SigningCode.objects.create(
            report=locked,
            user=user,
            code_sha256=_code_digest(locked.pk, user.pk, code),
            expires_at=now + timedelta(minutes=CODE_MINUTES),
        )
        enqueue_on_commit(send_signing_code_mail, row.pk, code)
    return row


def _use_code(report, user, code: str) -> dict | None:
    """Spend the signer's current code, or say why not (wrong, expired, used, too many
    tries): a wrong try is counted even though the caller then writes nothing else."""
    row = (
        SigningCode.objects.select_for_update()
        .filter(report=report, user=user, used_at__isnull=True)
        .order_by("-created_at", "-pk")
        .first()
    )
    if row is None or row.expires_at <= timezone.now():
        return {"code": _("验证码已失效，请重新获取。")}
    if not secrets.compare_digest(
        row.code_sha256, _code_digest(report.pk, user.pk, (code or "").strip())
    ):
        row.attempts += 1
        if row.attempts >= CODE_TRIES:
            row.used_at = timezone.now()
        row.save(update_fields=["attempts", "used_at"])
        return {"code": _("验证码不正确，签字未记录。")}
    row.used_at = timezone.now()
    row.save(update_fields=["used_at"])
    return None


def sign_report(report, user, role: str, password: str = "", code: str = "") -> ReportSignature:
    """A signer re-confirms their password, or gives the one-time code e-mailed to them;
    the signature covers the exact content hash."""
    reason = may_sign_as(report, user, role)
    if reason:
        raise PermissionDenied(reason)
    if code:
        with transaction.atomic():
            problem = _use_code(report, user, code)
            if problem is None:  # a refused signature rolls the code's use back with it
                return _record_signature(
                    report,
                    role,
                    user=user,
                    name=user.get_full_name() or user.username,
                    method="code",
                )
        raise ValidationError(problem)
    if not user.check_password(password or ""):
        raise ValidationError({"password": _("密码不正确，签字未记录。")})
    with transaction.atomic():
        return _record_signature(
            report, role, user=user, name=user.get_full_name() or user.username, method="password"
        )


def link_for(token: str) -> ContractorLink | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    return (
        ContractorLink.objects.select_related("report", "report__onsite")
        .filter(token_sha256=digest, used_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )


def sign_by_link(token: str, name: str) -> ReportSignature:
    if not name.strip():
        raise ValidationError({"name": _("请填写签字人姓名。")})
    with transaction.atomic():
        link = link_for(token)
        if link is None:
            raise PermissionDenied(_("签字链接无效、已使用或已过期，请联系省计量院重新发送。"))
        link = ContractorLink.objects.select_for_update().get(pk=link.pk)
        if link.used_at is not None:
            raise PermissionDenied(_("签字链接已使用。"))
        signature = _record_signature(
            link.report, SignatureRole.CONTRACTOR, user=None, name=name.strip(), method="link"
        )
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
    return signature


def issued_notify(report):
    return tell(
        lambda r: enterprise_users(r.enterprise),
        Sentence(gettext_noop("验收报告已出具")),
        report_link,
    )
