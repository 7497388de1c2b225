"""Access application: filing, materials, the review transitions, and the side effects
of approval (VPN account, connection record, integration pack)."""

from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext

from portal.attachments import DOCUMENTS, IMAGES, PDF, save_attachment
from portal.models import AuditEvent, Enterprise, Stage
from portal.notifications import enterprise_users, reviewers, tell
from portal.permissions import can_file_for
from portal.phones import phone_error
from portal.queueing import enqueue_on_commit
from portal.sentences import Sentence
from portal.stages import advance_stage
from portal.workflow import RefusalReason, TransitionRefused, run_transition

from ..models import (
    AccessApplication,
    ApplicationState,
    CANotReady,
    Material,
    RootCertificate,
    SchemeState,
)
from ..tasks import send_integration_pack
from ._common import DEVICE_SERIAL, DEVICE_SERIAL_MESSAGE, refused
from .review import composed_reason, corrections_pending, record_submission
from .vpn import open_vpn_account


def application_link(application) -> str:
    return reverse("applications:application_detail", args=[application.pk])


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


def check_application_data(enterprise, data: dict, today=None) -> None:
    """Rules of 附表1 beyond a field's type: cross-field ones, and answers that make no
    sense (a device made in the future, an O&M contract already ended, no monitoring point,
    a telephone number that is none). Empty answers pass: a draft may be incomplete."""
    today = today or timezone.localdate()
    errors = {}
    for name in ("contact_phone", "builder_phone"):
        if data.get(name) and phone_error(data[name]):
            errors[name] = phone_error(data[name])
    made = data.get("device_manufactured_on")
    if made and made > today:
        errors["device_manufactured_on"] = _("端设备出厂日期不能晚于今天。")
    om_end = data.get("om_contract_end")
    if om_end and om_end < today:
        errors["om_contract_end"] = _("运维合同已于 %(d)s 到期：请填写现行运维合同的截止日期。") % {
            "d": om_end.isoformat()
        }
    if data.get("monitoring_points") is not None and data["monitoring_points"] < 1:
        errors["monitoring_points"] = _("监测点数量至少为 1。")
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


def answers_given(application) -> dict:
    """The answers a (possibly partly filled) application holds, without the empty ones."""
    values = {name: getattr(application, name) for name in APPLICATION_FIELDS}
    return {name: value for name, value in values.items() if value not in (None, "", [])}


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
        kept = answers_given(locked)
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
    return tell(lambda a: enterprise_users(a.enterprise), title, application_link)


def submit_application(application, actor) -> AccessApplication:
    if application.is_editable:
        missing = application.missing_materials()
        if missing:
            raise refused(
                _("申报材料不齐全，缺少：%(m)s")
                % {"m": pgettext("list separator", "；").join(str(m.label) for m in missing)},
                field="materials",
            )
    with transaction.atomic():
        submitted = run_transition(
            application,
            "submit",
            actor,
            event="application_submitted",
            notify=tell(
                lambda a: reviewers(),
                Sentence(gettext_noop("新的对接申请待审核：%(n)s"), n=application.applicant_name),
                application_link,
            ),
        ).obj
        # What this submission holds, so the next one can be compared with it.
        record_submission(submitted)
    return submitted


def start_review(application, actor) -> AccessApplication:
    return run_transition(
        application,
        "start_review",
        actor,
        event="application_review_started",
        notify=_tell_enterprise(Sentence(gettext_noop("对接申请已进入审核"))),
    ).obj


def return_application(application, actor, comment="") -> AccessApplication:
    """Back to the enterprise; the reason is composed from the materials marked 需补正, with
    the reviewer's own words after it."""
    reason = "\n".join(part for part in (composed_reason(application), comment.strip()) if part)
    return run_transition(
        application,
        "return_for_correction",
        actor,
        event="application_returned",
        comment=reason,
        require_comment=True,
        opinion=reason,
        notify=_tell_enterprise(
            Sentence(gettext_noop("对接申请被退回修改，请根据审核意见修改后重新提交"))
        ),
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
        notify=_tell_enterprise(Sentence(gettext_noop("对接申请未通过审核"))),
    ).obj


def approve_application(application, actor, comment="") -> AccessApplication:
    """Approve; in the same transaction open the VPN account and the connection record and
    move the enterprise to the connection stage (whose hook opens the Connection record);
    e-mail the integration pack after commit."""
    pending = corrections_pending(application)
    if pending:
        raise refused(
            _("有材料被标为“需补正”，不能审核通过，请退回修改：%(m)s")
            % {"m": pgettext("list separator", "；").join(str(m.label) for m in pending)},
            field="materials",
        )
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
                Sentence(
                    gettext_noop(
                        "对接申请已审核通过。CA 证书按端设备生成的证书请求（CSR）签发："
                        "请在端设备上生成密钥和 CSR 并提交，再设置 VPN 口令"
                    )
                )
            ),
        ).obj
        enterprise = approved.enterprise
        open_vpn_account(enterprise, actor)
        advance_stage(enterprise, Stage.CONNECTION)
        enqueue_on_commit(send_integration_pack, approved.pk)
    return approved
