"""Operations of the design scheme, the access application and the credentials.

Plain functions taking the actor and data. They return the changed record or raise:
`TransitionRefused` (wrong state, missing rights, unmet condition; the API answers 409),
`ValidationError` (bad input, naming the field), or `PermissionDenied`. Every state change
goes through `portal.workflow.run_transition`; nothing is half-written, since each
operation runs in one transaction.
"""

import ipaddress
import re
import secrets
import string
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from cryptography import x509
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from portal.attachments import DOCUMENTS, IMAGES, PDF, check_file, save_attachment
from portal.models import AuditEvent, Enterprise, Stage
from portal.notifications import enterprise_users, notify, reviewers
from portal.permissions import can_file_for, is_staff_reviewer
from portal.stages import advance_stage
from portal.workflow import RefusalReason, TransitionRefused, run_transition

from . import pki
from .content import clean_content
from .models import (
    AccessApplication,
    ApplicationState,
    CANotReady,
    CertificateOrigin,
    ChangeRecord,
    DesignScheme,
    DeviceCertificate,
    Material,
    Party,
    RevocationReason,
    RootCertificate,
    SchemeConfirmation,
    SchemeCounter,
    SchemeFeedback,
    SchemeState,
    VpnAccount,
    party_of,
)
from .permissions import can_manage_credentials, is_member


def refused(detail, field="state") -> TransitionRefused:
    return TransitionRefused(RefusalReason.CONDITION_UNMET, field=field, detail=detail)


def _tell(recipients_fn, title, link_fn):
    """A notify callback for run_transition: inbox rows now, e-mails after commit."""

    def send(obj, event):
        notify(recipients_fn(obj), title, body=event.comment, link=link_fn(obj), event=event)

    return send


def scheme_link(scheme) -> str:
    return reverse("applications:scheme_detail", args=[scheme.pk])


def application_link(application) -> str:
    return reverse("applications:application_detail", args=[application.pk])


def credentials_link(enterprise) -> str:
    return reverse("applications:credentials", args=[enterprise.pk])


# --- design scheme -------------------------------------------------------------------------


def allocate_scheme_number(year: int) -> str:
    """The next NY<year>-<seq4>. Call inside the creating transaction: the counter row stays
    locked until it commits, and rolls back with it, so numbers have no gaps or repeats."""
    SchemeCounter.objects.bulk_create([SchemeCounter(year=year)], ignore_conflicts=True)
    counter = SchemeCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"NY{year}-{counter.last:04d}"


def _require_institute(actor):
    if not (actor.is_authenticated and actor.is_reviewer):
        raise PermissionDenied(_("只有省计量院审核人员可以编制设计方案。"))


def create_scheme(actor, enterprise, data: dict, document=None) -> DesignScheme:
    """A reviewer drafts a scheme for an approved enterprise; it gets the next number."""
    _require_institute(actor)
    if not enterprise.is_approved:
        raise ValidationError({"enterprise": _("该企业的注册尚未审核通过。")})
    content = clean_content(data)
    if document is not None:
        check_file(document)
    with transaction.atomic():
        number = allocate_scheme_number(timezone.localdate().year)
        scheme = DesignScheme.objects.create(
            enterprise=enterprise,
            number=number,
            project_plan=data.get("project_plan", ""),
            drafted_by=actor,
            **content,
        )
        if document is not None:
            save_attachment(
                document, actor=actor, enterprise=enterprise, owner=scheme, kind="scheme_document"
            )
        AuditEvent.record(scheme, actor, "scheme_drafted", to_state=scheme.state)
    return scheme


def update_scheme(scheme, actor, data: dict, document=None) -> DesignScheme:
    """The reviewer edits a draft or revises after the enterprise asked for changes."""
    _require_institute(actor)
    content = clean_content(data)
    if document is not None:
        check_file(document)
    with transaction.atomic():
        locked = DesignScheme.objects.select_for_update().get(pk=scheme.pk)
        if not locked.is_editable:
            raise TransitionRefused(RefusalReason.WRONG_STATE, state=locked.get_state_display())
        for name, value in content.items():
            setattr(locked, name, value)
        if "project_plan" in data:
            locked.project_plan = data["project_plan"]
        locked.save()
        if document is not None:
            save_attachment(
                document,
                actor=actor,
                enterprise=locked.enterprise,
                owner=locked,
                kind="scheme_document",
            )
        AuditEvent.record(locked, actor, "scheme_updated", to_state=locked.state)
    return locked


def send_scheme(scheme, actor) -> DesignScheme:
    return run_transition(
        scheme,
        "send",
        actor,
        event="scheme_sent",
        notify=_tell(
            lambda s: enterprise_users(s.enterprise),
            _("设计方案待确认，请填写反馈意见确认表"),
            scheme_link,
        ),
    ).obj


FEEDBACK_FIELDS = (
    *SchemeFeedback.QUESTIONS,
    "planned_completion",
    "contact_person",
    "contact_phone",
    "contact_position",
    "contact_email",
    "feedback_text",
)


def answer_scheme(scheme, actor, feedback: dict) -> DesignScheme:
    """The enterprise's 7.1 form: confirms the scheme when it can be finalised, otherwise
    asks for changes (with the feedback text saying which)."""
    confirms = bool(feedback["can_finalise"])
    if confirms:
        doubts = [q for q in SchemeFeedback.QUESTIONS[1:] if not feedback[q]]
        if doubts:
            labels = "；".join(str(SchemeFeedback._meta.get_field(q).verbose_name) for q in doubts)
            raise ValidationError(
                {
                    "can_finalise": _(
                        "以下项目答“否”，不能确认定稿，请选择“否”并说明修改意见：%(q)s"
                    )
                    % {"q": labels}
                }
            )
    elif not feedback.get("feedback_text", "").strip():
        raise ValidationError(
            {"feedback_text": _("要求修改时请在“单位反馈意见说明”中写明修改意见。")}
        )
    with transaction.atomic():
        outcome = run_transition(
            scheme,
            "confirm" if confirms else "request_changes",
            actor,
            event="scheme_confirmed_by_enterprise" if confirms else "scheme_changes_requested",
            comment=feedback.get("feedback_text", ""),
            notify=_tell(
                lambda s: reviewers(),
                _("%(n)s：企业已确认，待省计量院和平台开发单位确认") % {"n": scheme.number}
                if confirms
                else _("%(n)s：企业要求修改设计方案") % {"n": scheme.number},
                scheme_link,
            ),
        )
        locked = outcome.obj
        SchemeFeedback.objects.create(
            scheme=locked,
            revision=locked.revision,
            submitted_by=actor,
            **{name: feedback.get(name, "") for name in FEEDBACK_FIELDS},
        )
        if confirms:
            SchemeConfirmation.objects.create(
                scheme=locked, revision=locked.revision, party=Party.ENTERPRISE, confirmed_by=actor
            )
    return locked


def confirm_scheme(scheme, actor) -> DesignScheme:
    """The institute (a reviewer) or the platform developer (an operator) confirms; the
    third confirmation finalises the scheme and moves the enterprise to the build stage."""
    party = party_of(actor, scheme)
    if party not in (Party.INSTITUTE, Party.DEVELOPER):
        raise TransitionRefused(RefusalReason.NOT_PERMITTED)
    with transaction.atomic():
        locked = DesignScheme.objects.select_for_update().get(pk=scheme.pk)
        if locked.state != SchemeState.ENTERPRISE_CONFIRMED:
            raise TransitionRefused(RefusalReason.WRONG_STATE, state=locked.get_state_display())
        if locked.confirmations_of_revision().filter(party=party).exists():
            raise refused(_("%(party)s已确认过本版方案。") % {"party": party.label})
        SchemeConfirmation.objects.create(
            scheme=locked, revision=locked.revision, party=party, confirmed_by=actor
        )
        AuditEvent.record(locked, actor, f"scheme_confirmed_by_{party}", to_state=locked.state)
        if locked.has_all_confirmations():
            locked = run_transition(
                locked,
                "finalise",
                actor,
                event="scheme_finalised",
                notify=_tell(
                    lambda s: [*enterprise_users(s.enterprise), *reviewers()],
                    _("设计方案 %(n)s 已定稿") % {"n": locked.number},
                    scheme_link,
                ),
            ).obj
            advance_stage(locked.enterprise, Stage.BUILD)
    return locked


def add_change_record(scheme, actor, data: dict, document=None) -> ChangeRecord:
    """变更记录 of a finalised scheme, by the enterprise or a reviewer; the institute confirms."""
    if not (is_staff_reviewer(actor) or is_member(actor, scheme.enterprise)):
        raise PermissionDenied
    if scheme.state != SchemeState.FINALISED:
        raise refused(_("设计方案定稿后，变更须以变更记录登记；当前方案尚未定稿。"))
    if document is not None:
        check_file(document)
    with transaction.atomic():
        record = ChangeRecord.objects.create(
            scheme=scheme,
            recorded_by=actor,
            **{k: data[k] for k in ("changed_on", "content", "reason", "unit")},
        )
        if document is not None:
            save_attachment(
                document,
                actor=actor,
                enterprise=scheme.enterprise,
                owner=record,
                kind="change_document",
            )
        event = AuditEvent.record(
            record, actor, "change_recorded", to_state=record.state, comment=record.content
        )
        notify(
            reviewers(),
            _("%(n)s 登记了设计方案变更，待确认") % {"n": scheme.number},
            body=record.content,
            link=scheme_link(scheme),
            event=event,
        )
    return record


def decide_change_record(record, actor, *, confirm: bool, comment="") -> ChangeRecord:
    return run_transition(
        record,
        "confirm" if confirm else "reject",
        actor,
        event="change_confirmed" if confirm else "change_rejected",
        comment=comment,
        require_comment=not confirm,
        opinion=comment,
        notify=_tell(
            lambda r: enterprise_users(r.scheme.enterprise),
            _("设计方案变更已确认") if confirm else _("设计方案变更未予确认"),
            lambda r: scheme_link(r.scheme),
        ),
    ).obj


# --- access application --------------------------------------------------------------------

APPLICATION_FIELDS = (
    "applicant_name",
    "uscc",
    "application_date",
    "contact_person",
    "contact_phone",
    "contact_email",
    "design_scheme",
    "builder_name",
    "builder_manager",
    "builder_phone",
    "builder_email",
    "project_start",
    "project_end",
    "device_manufacturer",
    "device_model",
    "device_serial",
    "device_manufactured_on",
    "energy_types",
    "monitoring_points",
    "om_contract_end",
)

MATERIAL_TYPES = {Material.SITE_PHOTOS: IMAGES | {PDF}}


def check_application_data(enterprise, data: dict) -> None:
    """Cross-field rules of 附表1 that a single field cannot check."""
    errors = {}
    if data.get("uscc") and data["uscc"] != enterprise.uscc:
        errors["uscc"] = _("统一社会信用代码与本企业注册的 %(u)s 不一致。") % {"u": enterprise.uscc}
    scheme = data.get("design_scheme")
    if scheme is not None and (
        scheme.enterprise_id != enterprise.pk or scheme.state != SchemeState.FINALISED
    ):
        errors["design_scheme"] = _("只能选择本企业已定稿的设计方案。")
    start, end = data.get("project_start"), data.get("project_end")
    if start and end and end < start:
        errors["project_end"] = _("项目结束日期不能早于开始日期。")
    if data.get("device_serial") and not DEVICE_SERIAL.fullmatch(data["device_serial"]):
        errors["device_serial"] = DEVICE_SERIAL_MESSAGE()
    if "energy_types" in data and not data["energy_types"]:
        errors["energy_types"] = _("请至少选择一种采集能源品种。")
    if errors:
        raise ValidationError(errors)


def create_application(actor, enterprise, data: dict) -> AccessApplication:
    if not can_file_for(actor, enterprise):
        raise PermissionDenied(_("只有已审核通过企业的成员可以提交对接申请。"))
    check_application_data(enterprise, data)
    with transaction.atomic():
        # Lock the enterprise, not its applications: with none yet there is no row to lock,
        # and two members filing at once would both create one.
        Enterprise.objects.select_for_update().filter(pk=enterprise.pk).first()
        open_one = (
            AccessApplication.objects.filter(enterprise=enterprise)
            .exclude(state=ApplicationState.REJECTED)
            .first()
        )
        if open_one is not None:
            raise refused(
                _("本企业已有对接申请（状态：%(s)s），不能重复创建。")
                % {"s": open_one.get_state_display()}
            )
        application = AccessApplication.objects.create(
            enterprise=enterprise,
            created_by=actor,
            **{name: data[name] for name in APPLICATION_FIELDS if name in data},
        )
        AuditEvent.record(application, actor, "application_created", to_state=application.state)
    return application


def _locked_editable(application, actor) -> AccessApplication:
    locked = AccessApplication.objects.select_for_update().get(pk=application.pk)
    if not can_file_for(actor, locked.enterprise):
        raise TransitionRefused(RefusalReason.NOT_PERMITTED)
    if not locked.is_editable:
        raise TransitionRefused(RefusalReason.WRONG_STATE, state=locked.get_state_display())
    return locked


def update_application(application, actor, data: dict) -> AccessApplication:
    with transaction.atomic():
        locked = _locked_editable(application, actor)
        # A partial update (API PATCH) is checked together with the values it keeps, so an
        # end date alone cannot slip in before the stored start date.
        kept = {name: getattr(locked, name) for name in APPLICATION_FIELDS}
        check_application_data(locked.enterprise, {**kept, **data})
        changed = [n for n in APPLICATION_FIELDS if n in data and getattr(locked, n) != data[n]]
        for name in changed:
            setattr(locked, name, data[name])
        locked.save()
        AuditEvent.record(
            locked, actor, "application_updated", to_state=locked.state, context={"fields": changed}
        )
    return locked


def add_material(application, actor, kind: str, upload):
    if kind not in Material.values:
        raise ValidationError({"kind": _("未知的材料类型：%(k)s") % {"k": kind}})
    allowed = MATERIAL_TYPES.get(kind, DOCUMENTS)
    with transaction.atomic():
        locked = _locked_editable(application, actor)
        return save_attachment(
            upload,
            actor=actor,
            enterprise=locked.enterprise,
            owner=locked,
            kind=kind,
            allowed=allowed,
        )


def remove_material(application, actor, attachment) -> None:
    with transaction.atomic():
        locked = _locked_editable(application, actor)
        if attachment.object_id != locked.pk or attachment.kind not in Material.values:
            raise PermissionDenied
        AuditEvent.record(
            locked,
            actor,
            "material_removed",
            comment=attachment.original_name,
            context={"kind": attachment.kind, "sha256": attachment.sha256},
        )
        attachment.delete()
        transaction.on_commit(partial(attachment.file.delete, save=False))


def _tell_enterprise(title):
    return _tell(lambda a: enterprise_users(a.enterprise), title, application_link)


def submit_application(application, actor) -> AccessApplication:
    if application.is_editable:
        missing = application.missing_materials()
        if missing:
            raise refused(
                _("申报材料不齐全，缺少：%(m)s")
                % {"m": pgettext("list separator", "；").join(str(m.label) for m in missing)},
                field="materials",
            )
    return run_transition(
        application,
        "submit",
        actor,
        event="application_submitted",
        notify=_tell(
            lambda a: reviewers(),
            _("新的对接申请待审核：%(n)s") % {"n": application.applicant_name},
            application_link,
        ),
    ).obj


def start_review(application, actor) -> AccessApplication:
    return run_transition(
        application,
        "start_review",
        actor,
        event="application_review_started",
        notify=_tell_enterprise(_("对接申请已进入审核")),
    ).obj


def return_application(application, actor, comment) -> AccessApplication:
    return run_transition(
        application,
        "return_for_correction",
        actor,
        event="application_returned",
        comment=comment,
        require_comment=True,
        opinion=comment,
        notify=_tell_enterprise(_("对接申请被退回修改，请根据审核意见修改后重新提交")),
    ).obj


def reject_application(application, actor, comment) -> AccessApplication:
    return run_transition(
        application,
        "reject",
        actor,
        event="application_rejected",
        comment=comment,
        require_comment=True,
        opinion=comment,
        notify=_tell_enterprise(_("对接申请未通过审核")),
    ).obj


def approve_application(application, actor, comment="") -> AccessApplication:
    """Approve; in the same transaction open the VPN account and the connection record and
    move the enterprise to the connection stage; e-mail the integration pack after commit."""
    from telemetry.models import Connection

    from .tasks import send_integration_pack

    try:
        RootCertificate.current()
    except CANotReady as missing:
        raise refused(str(missing), field="ca") from None
    with transaction.atomic():
        approved = run_transition(
            application,
            "approve",
            actor,
            event="application_approved",
            comment=comment,
            opinion=comment,
            notify=_tell_enterprise(
                _("对接申请已审核通过：请提交端设备证书请求(CSR)并设置 VPN 口令")
            ),
        ).obj
        enterprise = approved.enterprise
        open_vpn_account(enterprise, actor)
        Connection.objects.get_or_create(enterprise=enterprise)
        advance_stage(enterprise, Stage.CONNECTION)
        transaction.on_commit(partial(send_integration_pack.delay, approved.pk))
    return approved


def approved_application(enterprise) -> AccessApplication | None:
    return (
        AccessApplication.objects.filter(enterprise=enterprise, state=ApplicationState.APPROVED)
        .order_by("-reviewed_at")
        .first()
    )


# --- VPN accounts --------------------------------------------------------------------------

PASSWORD_ALPHABET = string.ascii_letters + string.digits + "!#%*+-=?@^_"


def strong_password(length: int = 20) -> str:
    """Random password with upper, lower, digit and symbol, from the OS's CSPRNG."""
    while True:
        password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))
        if (
            any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c.isdigit() for c in password)
            and any(not c.isalnum() for c in password)
        ):
            return password


# Any constant will do, as long as nothing else takes this advisory lock.
TUNNEL_POOL_LOCK = 0x56504E


def _lock_tunnel_pool() -> None:
    """Hold the pool until the caller's transaction ends. Without it two approvals at once
    read the same free address, and all but one fail on the unique index."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TUNNEL_POOL_LOCK])


def _free_tunnel_address() -> str:
    pool = ipaddress.ip_network(settings.VPN_TUNNEL_POOL)
    used = set(VpnAccount.objects.values_list("tunnel_address", flat=True))
    hosts = pool.hosts()
    next(hosts, None)  # the first host is the tunnel gateway
    for host in hosts:
        if str(host) not in used:
            return str(host)
    raise refused(_("VPN 地址池 %(p)s 已无空闲地址。") % {"p": settings.VPN_TUNNEL_POOL}, "vpn")


def open_vpn_account(enterprise, actor) -> VpnAccount:
    """The enterprise's account, created once with no usable password: a member sets it in
    the portal and sees it once. Allocation is serialised by the pool lock, which the
    approval's transaction holds until it commits."""
    with transaction.atomic():
        _lock_tunnel_pool()
        existing = VpnAccount.objects.filter(enterprise=enterprise).first()
        if existing is not None:
            return existing
        account = VpnAccount.objects.create(
            enterprise=enterprise,
            username=f"hb{enterprise.uscc.lower()}",
            password_hash=make_password(None),
            tunnel_address=_free_tunnel_address(),
            expires_at=timezone.now() + timedelta(days=settings.VPN_ACCOUNT_DAYS),
        )
        AuditEvent.record(
            account,
            actor,
            "vpn_account_created",
            context={"username": account.username, "address": account.tunnel_address},
        )
    return account


def set_vpn_password(account, actor) -> tuple[VpnAccount, str]:
    """A new random password; returned once for display, only its hash is stored."""
    if not can_manage_credentials(actor, account.enterprise):
        raise PermissionDenied
    password = strong_password()
    with transaction.atomic():
        locked = VpnAccount.objects.select_for_update().get(pk=account.pk)
        locked.password_hash = make_password(password)
        locked.password_set_at = timezone.now()
        locked.save(update_fields=["password_hash", "password_set_at"])
        event = AuditEvent.record(locked, actor, "vpn_password_set")
        notify(
            enterprise_users(locked.enterprise),
            _("VPN 口令已重新设置"),
            body=_("如非本企业人员操作，请立即联系省计量院。"),
            link=credentials_link(locked.enterprise),
            event=event,
        )
    return locked, password


def set_vpn_active(account, actor, active: bool, comment="") -> VpnAccount:
    if not is_staff_reviewer(actor):
        raise PermissionDenied(_("只有审核人员可以停用或启用 VPN 账号。"))
    with transaction.atomic():
        locked = VpnAccount.objects.select_for_update().get(pk=account.pk)
        if locked.is_active == active:
            raise refused(_("VPN 账号已是该状态。"), "is_active")
        locked.is_active = active
        locked.save(update_fields=["is_active"])
        event = AuditEvent.record(
            locked,
            actor,
            "vpn_account_enabled" if active else "vpn_account_disabled",
            comment=comment,
        )
        notify(
            enterprise_users(locked.enterprise),
            _("VPN 账号已启用") if active else _("VPN 账号已停用"),
            body=comment,
            link=credentials_link(locked.enterprise),
            event=event,
        )
    return locked


# --- certificates --------------------------------------------------------------------------

DEVICE_SERIAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def DEVICE_SERIAL_MESSAGE():
    return _("端设备编号只能包含字母、数字、点、下划线和连字符，最长 64 位。")


def crl_url() -> str:
    return settings.SITE_URL + reverse("applications:crl")


def _ready_to_issue(enterprise, actor, device_serial: str):
    if not can_manage_credentials(actor, enterprise):
        raise PermissionDenied
    if not DEVICE_SERIAL.fullmatch(device_serial or ""):
        raise ValidationError({"device_serial": DEVICE_SERIAL_MESSAGE()})
    application = approved_application(enterprise)
    if application is None:
        raise refused(_("对接申请审核通过后才能签发端设备证书。"), "application")
    try:
        root = RootCertificate.current()
    except CANotReady as missing:
        raise refused(str(missing), "ca") from None
    return application, root


def _store_certificate(enterprise, application, actor, cert, device_serial, origin):
    record = DeviceCertificate.objects.create(
        enterprise=enterprise,
        application=application,
        device_serial=device_serial,
        serial_hex=pki.serial_hex(cert),
        certificate_pem=pki.certificate_pem(cert).decode(),
        fingerprint=pki.fingerprint_sha256(cert),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        origin=origin,
        issued_by=actor,
    )
    event = AuditEvent.record(
        record,
        actor,
        "certificate_issued",
        context={"serial": record.serial_hex, "device": device_serial, "origin": origin},
    )
    notify(
        enterprise_users(enterprise),
        _("端设备 %(d)s 的证书已签发") % {"d": device_serial},
        body=_("证书序列号 %(s)s，有效期至 %(t)s")
        % {"s": record.serial_hex, "t": timezone.localtime(record.not_after).date()},
        link=credentials_link(enterprise),
        event=event,
    )
    return record


def _sign(root, csr, enterprise, device_serial):
    return pki.sign_client_certificate(
        root.authority(),
        csr,
        uscc=enterprise.uscc,
        device_serial=device_serial,
        enterprise_name=enterprise.name,
        days=settings.DEVICE_CERT_DAYS,
        crl_url=crl_url(),
    )


def csr_refusal_message(rejection: pki.CSRRejected) -> str:
    """The refusal in the active language (pki.py is pure and speaks Chinese)."""
    params = {
        key: _(value) if key in pki.MESSAGE_PARAMS else value
        for key, value in rejection.params.items()
    }
    return _(rejection.template) % params


def issue_certificate(enterprise, actor, csr_pem, device_serial: str) -> DeviceCertificate:
    """Sign the device's CSR (the preferred path: its private key never leaves the device)."""
    application, root = _ready_to_issue(enterprise, actor, device_serial)
    try:
        csr = pki.check_csr(csr_pem, uscc=enterprise.uscc, device_serial=device_serial)
    except pki.CSRRejected as rejection:
        raise ValidationError({rejection.field: csr_refusal_message(rejection)}) from None
    cert = _sign(root, csr, enterprise, device_serial)
    with transaction.atomic():
        return _store_certificate(
            enterprise, application, actor, cert, device_serial, CertificateOrigin.CSR
        )


@dataclass(frozen=True)
class GeneratedBundle:
    certificate: DeviceCertificate
    pkcs12: bytes
    password: str


def generate_certificate(enterprise, actor, device_serial: str, key_type="ec") -> GeneratedBundle:
    """Fallback for devices that cannot make a CSR: the portal makes the key pair and hands
    it over once as a password-protected PKCS#12. Neither the key nor the password is kept."""
    application, root = _ready_to_issue(enterprise, actor, device_serial)
    if key_type not in ("ec", "rsa"):
        raise ValidationError({"key_type": _("密钥类型只能是 ec 或 rsa。")})
    key = pki.generate_device_key(key_type)
    csr = x509.load_pem_x509_csr(
        pki.make_csr(
            key, uscc=enterprise.uscc, device_serial=device_serial, enterprise_name=enterprise.name
        )
    )
    cert = _sign(root, csr, enterprise, device_serial)
    password = strong_password(16)
    bundle = pki.make_pkcs12(
        cert, key, root.certificate(), password.encode(), device_serial.encode()
    )
    with transaction.atomic():
        record = _store_certificate(
            enterprise, application, actor, cert, device_serial, CertificateOrigin.GENERATED
        )
    return GeneratedBundle(record, bundle, password)


def revoke_certificate(certificate, actor, reason: str, comment="") -> DeviceCertificate:
    if not can_manage_credentials(actor, certificate.enterprise):
        raise PermissionDenied
    if reason not in RevocationReason.values:
        raise ValidationError({"reason": _("未知的吊销原因：%(r)s") % {"r": reason}})
    with transaction.atomic():
        locked = DeviceCertificate.objects.select_for_update().get(pk=certificate.pk)
        if locked.revoked_at is not None:
            raise refused(
                _("该证书已于 %(t)s 吊销。") % {"t": timezone.localtime(locked.revoked_at)}
            )
        locked.revoked_at = timezone.now()
        locked.revocation_reason = reason
        locked.revocation_comment = comment
        locked.save(update_fields=["revoked_at", "revocation_reason", "revocation_comment"])
        event = AuditEvent.record(
            locked,
            actor,
            "certificate_revoked",
            comment=comment,
            context={"serial": locked.serial_hex, "reason": reason},
        )
        publish_crl()
        notify(
            enterprise_users(locked.enterprise),
            _("端设备 %(d)s 的证书已吊销") % {"d": locked.device_serial},
            body=f"{RevocationReason(reason).label} {comment}".strip(),
            link=credentials_link(locked.enterprise),
            event=event,
        )
    return locked


CRL_HOURS = 24


def _crl_is_stale(root) -> bool:
    """Missing, or older than half its lifetime."""
    return not root.crl_der or (
        root.crl_updated_at is None
        or timezone.now() - root.crl_updated_at > timedelta(hours=CRL_HOURS / 2)
    )


def publish_crl(only_if_stale=False) -> RootCertificate:
    """Sign a fresh CRL of every revoked certificate and keep it on the root's row.

    `only_if_stale` re-checks under the row lock, so devices fetching a stale CRL at once
    wait for one re-signing instead of each signing another."""
    with transaction.atomic():
        root = RootCertificate.objects.select_for_update().get(pk=RootCertificate.current().pk)
        if only_if_stale and not _crl_is_stale(root):
            return root
        revoked = [
            (int(serial, 16), revoked_at, reason or None)
            for serial, revoked_at, reason in DeviceCertificate.objects.filter(
                revoked_at__isnull=False
            ).values_list("serial_hex", "revoked_at", "revocation_reason")
        ]
        root.crl_number += 1
        crl = pki.build_crl(
            root.authority(), revoked, number=root.crl_number, next_update_hours=CRL_HOURS
        )
        root.crl_der = pki.crl_der(crl)
        root.crl_updated_at = timezone.now()
        root.save(update_fields=["crl_number", "crl_der", "crl_updated_at"])
    return root


def current_crl_der() -> bytes:
    """The published CRL, re-signed when it is missing or older than half its lifetime."""
    root = RootCertificate.current()
    if _crl_is_stale(root):
        root = publish_crl(only_if_stale=True)
    return bytes(root.crl_der)


def warn_expiring_certificates(days: int = 30) -> int:
    """Tell enterprises once about each valid certificate that expires within `days`."""
    now = timezone.now()
    due = DeviceCertificate.objects.filter(
        revoked_at__isnull=True,
        expiry_warned_at__isnull=True,
        not_after__gt=now,
        not_after__lte=now + timedelta(days=days),
    ).select_related("enterprise")
    warned = 0
    for cert in due:
        with transaction.atomic():
            # Claim with a conditional UPDATE so two runs never both warn.
            if not DeviceCertificate.objects.filter(
                pk=cert.pk, expiry_warned_at__isnull=True
            ).update(expiry_warned_at=now):
                continue
            event = AuditEvent.record(cert, None, "certificate_expiry_warned")
            notify(
                enterprise_users(cert.enterprise),
                _("端设备 %(d)s 的证书将于 %(t)s 到期")
                % {"d": cert.device_serial, "t": timezone.localtime(cert.not_after).date()},
                body=_("请在到期前为该设备提交新的证书请求(CSR)。"),
                link=credentials_link(cert.enterprise),
                event=event,
            )
            warned += 1
    return warned
