"""现场验收: the enterprise proposes, the institute names the panel and confirms, the panel
declares no conflict of interest and records the four steps with comparison readings."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portal.attachments import DOCUMENTS, IMAGES, save_attachment
from portal.models import AuditEvent, User
from portal.notifications import enterprise_users, reviewers, tell
from portal.permissions import can_file_for
from portal.roles import (
    is_government_viewer,
    is_panel_member,
    is_staff_reviewer,
)
from portal.sentences import Sentence
from portal.workflow import RefusalReason, TransitionRefused, run_transition
from telemetry.models import DataItem, Reading
from telemetry.timeslots import slot_start

from ..choices import AcceptanceState, OnSiteState, PanelRole, ReportContent, ReportState
from ..ics import calendar  # noqa: F401  (the views and tests import it from here)
from ..models import (
    AcceptanceReport,
    ComparisonReading,
    OnSiteAcceptance,
    PanelSeat,
    ReportFile,
    SitePhoto,
)
from ..models.onsite import can_record
from .applications import refused
from .onsite_reminders import announce_confirmation

PROPOSAL_FIELDS = (
    "scheduled_for",
    "place",
    "owner_representative",
    "owner_representative_title",
    "owner_representative_phone",
    "contractor_company",
    "contractor_representative",
    "contractor_phone",
    "contractor_email",
)
STEP_FIELDS = (
    "attendance",
    "report_notes",
    "qa_minutes",
    "findings_layout",
    "findings_devices",
    "findings_collection",
    "panel_evaluation",
)


def onsite_link(onsite) -> str:
    return reverse("acceptance:onsite_detail", args=[onsite.pk])


def _panel_users(onsite):
    return [seat.user for seat in onsite.seats.select_related("user")]


def check_proposal(data: dict) -> None:
    when = data.get("scheduled_for")
    if when is not None and when < timezone.now():
        raise ValidationError({"scheduled_for": _("验收时间不能早于现在。")})


def propose_onsite(actor, application, data: dict) -> OnSiteAcceptance:
    """The enterprise organises the on-site acceptance (seed 5.4) once its materials passed."""
    if not can_file_for(actor, application.enterprise):
        raise PermissionDenied(_("只有本企业成员可以组织现场验收。"))
    check_proposal(data)
    with transaction.atomic():
        locked = type(application).objects.select_for_update().get(pk=application.pk)
        if locked.state != AcceptanceState.ACCEPTED:
            raise refused(_("验收申请材料审查通过后才能组织现场验收。"), field="application")
        if OnSiteAcceptance.objects.filter(application=locked).exists():
            raise refused(_("该验收申请已有现场验收安排。"), field="application")
        onsite = OnSiteAcceptance.objects.create(
            application=locked, proposed_by=actor, **{f: data[f] for f in PROPOSAL_FIELDS}
        )
        event = AuditEvent.record(onsite, actor, "onsite_proposed", to_state=onsite.state)
        tell(
            lambda o: reviewers(),
            Sentence(
                gettext_noop("%(n)s 提议现场验收：%(d)s"),
                n=locked.owner_name,
                d=timezone.localtime(onsite.scheduled_for).strftime("%Y-%m-%d %H:%M"),
            ),
            onsite_link,
        )(onsite, event)
    return onsite


def update_proposal(onsite, actor, data: dict) -> OnSiteAcceptance:
    check_proposal(data)
    with transaction.atomic():
        locked = OnSiteAcceptance.objects.select_for_update().get(pk=onsite.pk)
        if not can_file_for(actor, locked.enterprise):
            raise TransitionRefused(RefusalReason.NOT_PERMITTED)
        if locked.state != OnSiteState.PROPOSED:
            raise TransitionRefused(RefusalReason.WRONG_STATE, state=locked.get_state_display())
        changed = [f for f in PROPOSAL_FIELDS if f in data and getattr(locked, f) != data[f]]
        for name in changed:
            setattr(locked, name, data[name])
        locked.save()
        AuditEvent.record(locked, actor, "onsite_updated", context={"fields": changed})
    return locked


def check_seat(onsite, user: User, role: str) -> str | None:
    """Why `user` cannot sit in `role` on this panel, or None."""
    region = onsite.enterprise.region
    if role == PanelRole.INSTITUTE and not is_staff_reviewer(user):
        return _("省计量院代表须为省计量院审核人员。")
    if role in (PanelRole.NDRC, PanelRole.SAMR):
        if not is_government_viewer(user):
            return _("当地发改委和市场监管部门代表须为政府用户。")
        if user.region != region:
            return _("%(u)s 不属于企业所在地区，不能担任当地代表。") % {"u": user}
    if role == PanelRole.EXPERT and not (is_panel_member(user) or is_staff_reviewer(user)):
        return _("专家须为专家组成员账号或省计量院人员。")
    return None


def set_panel(onsite, actor, seats: list[dict]) -> OnSiteAcceptance:
    """Name the panel: [{"user", "role", "body", "is_leader"}]. Replaces the previous one."""
    if not is_staff_reviewer(actor):
        raise TransitionRefused(RefusalReason.NOT_PERMITTED)
    errors = []
    users = [seat["user"].pk for seat in seats]
    if len(users) != len(set(users)):
        errors.append(_("同一成员不能重复列入验收小组。"))
    for seat in seats:
        problem = check_seat(onsite, seat["user"], seat["role"])
        if problem:
            errors.append(problem)
    leaders = [seat for seat in seats if seat.get("is_leader")]
    if len(leaders) > 1:
        errors.append(_("验收小组只能有一名组长。"))
    if errors:
        raise ValidationError({"panel": errors})
    if not leaders:  # the institute's representative leads by default (DESIGN §2 item 6)
        for seat in seats:
            if seat["role"] == PanelRole.INSTITUTE:
                seat["is_leader"] = True
                break
    with transaction.atomic():
        locked = OnSiteAcceptance.objects.select_for_update().get(pk=onsite.pk)
        if locked.state != OnSiteState.PROPOSED:
            raise TransitionRefused(RefusalReason.WRONG_STATE, state=locked.get_state_display())
        locked.seats.all().delete()
        PanelSeat.objects.bulk_create(
            PanelSeat(
                onsite=locked,
                user=seat["user"],
                role=seat["role"],
                body=seat.get("body") or default_body(seat["role"], locked),
                is_leader=bool(seat.get("is_leader")),
            )
            for seat in seats
        )
        AuditEvent.record(
            locked,
            actor,
            "onsite_panel_named",
            context={"members": [f"{s['role']}:{s['user'].pk}" for s in seats]},
        )
    return locked


def default_body(role: str, onsite) -> str:
    region = onsite.enterprise.get_region_display()
    return {
        PanelRole.INSTITUTE: settings.ACCEPTANCE_INSTITUTE_NAME,
        PanelRole.NDRC: f"{region}发展和改革委员会",
        PanelRole.SAMR: f"{region}市场监督管理局",
    }.get(role, "")


def confirm_onsite(onsite, actor) -> OnSiteAcceptance:
    """Confirm date, place and panel; the panel is invited and the enterprise told."""

    def notify(locked, event):
        title = Sentence(
            gettext_noop("现场验收邀请：%(n)s，%(d)s，%(p)s"),
            n=locked.application.owner_name,
            d=timezone.localtime(locked.scheduled_for).strftime("%Y-%m-%d %H:%M"),
            p=locked.place,
        )
        tell(lambda o: _panel_users(o), title, onsite_link)(locked, event)
        tell(
            lambda o: enterprise_users(o.enterprise),
            Sentence(gettext_noop("省计量院已确认现场验收安排")),
            onsite_link,
        )(locked, event)
        # The .ics by e-mail; after a reschedule, what changed, to everyone concerned.
        announce_confirmation(locked, event)

    return run_transition(onsite, "confirm", actor, event="onsite_confirmed", notify=notify).obj


def reschedule_onsite(onsite, actor) -> OnSiteAcceptance:
    """Back to a proposal the enterprise edits; the institute confirms it again."""
    return run_transition(
        onsite,
        "reschedule",
        actor,
        event="onsite_rescheduled",
        notify=tell(
            lambda o: [*reviewers(), *_panel_users(o)],
            Sentence(gettext_noop("现场验收将改期")),
            onsite_link,
        ),
    ).obj


def seat_of(onsite, user) -> PanelSeat | None:
    return onsite.seats.filter(user=user).first()


def declare_no_conflict(onsite, actor) -> PanelSeat:
    with transaction.atomic():
        seat = PanelSeat.objects.select_for_update().filter(onsite=onsite, user=actor).first()
        if seat is None:
            raise PermissionDenied
        if seat.declared_at is None:
            seat.declared_at = timezone.now()
            seat.save(update_fields=["declared_at"])
            AuditEvent.record(onsite, actor, "onsite_conflict_declared")
    return seat


def _locked_for_recording(onsite, actor) -> OnSiteAcceptance:
    locked = OnSiteAcceptance.objects.select_for_update().get(pk=onsite.pk)
    if locked.state != OnSiteState.SCHEDULED:
        raise TransitionRefused(RefusalReason.WRONG_STATE, state=locked.get_state_display())
    if not can_record(locked, actor):
        raise TransitionRefused(RefusalReason.NOT_PERMITTED)
    return locked


def record_steps(onsite, actor, data: dict) -> OnSiteAcceptance:
    with transaction.atomic():
        locked = _locked_for_recording(onsite, actor)
        changed = [f for f in STEP_FIELDS if f in data and getattr(locked, f) != data[f]]
        for name in changed:
            setattr(locked, name, data[name])
        locked.save()
        AuditEvent.record(locked, actor, "onsite_steps_recorded", context={"fields": changed})
    return locked


def add_report_file(onsite, actor, content: str, upload) -> ReportFile:
    if content not in ReportContent.values:
        raise ValidationError({"content": _("未知的汇报内容。")})
    with transaction.atomic():
        locked = OnSiteAcceptance.objects.select_for_update().get(pk=onsite.pk)
        if not can_file_for(actor, locked.enterprise):
            raise TransitionRefused(RefusalReason.NOT_PERMITTED)
        if locked.state == OnSiteState.RECORDED:
            raise TransitionRefused(RefusalReason.WRONG_STATE, state=locked.get_state_display())
        attachment = save_attachment(
            upload,
            actor=actor,
            enterprise=locked.enterprise,
            owner=locked,
            kind=f"onsite:{content}",
            allowed=DOCUMENTS,
        )
        return ReportFile.objects.create(onsite=locked, content=content, attachment=attachment)


def may_add_photo(onsite, user) -> bool:
    """现场考察 photos: the institute's reviewers and the panel's declared members."""
    if user is None or not user.is_authenticated:
        return False
    if is_staff_reviewer(user):
        return True
    return onsite.seats.filter(user=user, declared_at__isnull=False).exists()


def add_site_photo(onsite, actor, caption: str, upload) -> SitePhoto:
    """A photo of the site visit (JPEG/PNG); from confirmation until the report is issued."""
    caption = (caption or "").strip()
    if not caption:
        raise ValidationError({"caption": _("请填写照片说明。")})
    with transaction.atomic():
        locked = OnSiteAcceptance.objects.select_for_update().get(pk=onsite.pk)
        if not may_add_photo(locked, actor):
            raise TransitionRefused(RefusalReason.NOT_PERMITTED)
        if locked.state == OnSiteState.PROPOSED:
            raise TransitionRefused(RefusalReason.WRONG_STATE, state=locked.get_state_display())
        report = AcceptanceReport.objects.filter(onsite=locked).first()
        if report is not None and report.state == ReportState.ISSUED:
            raise TransitionRefused(RefusalReason.WRONG_STATE, state=report.get_state_display())
        attachment = save_attachment(
            upload,
            actor=actor,
            enterprise=locked.enterprise,
            owner=locked,
            kind="onsite_photo",
            allowed=IMAGES,
        )
        photo = SitePhoto.objects.create(onsite=locked, caption=caption, attachment=attachment)
        AuditEvent.record(
            locked, actor, "onsite_photo_added", context={"photo": photo.pk, "caption": caption}
        )
        return photo


def platform_value(item: DataItem, read_at) -> tuple:
    """The slot `read_at` falls in and the platform's stored value for it (or None)."""
    slot = slot_start(item.stat_type, read_at, item.interval_minutes)
    value = (
        Reading.objects.filter(item=item, slot=slot, valid=True)
        .values_list("value", flat=True)
        .first()
    )
    return slot, value


def deviation(site: Decimal, platform: Decimal | None) -> Decimal | None:
    if platform is None:
        return None
    if platform == 0:
        return Decimal(0) if site == 0 else None
    return (abs(site - platform) / abs(platform) * 100).quantize(Decimal("0.001"))


def ledger_label(meter) -> str:
    """How a ledger meter is named on a comparison reading."""
    if meter is None:
        return ""
    return f"{meter.management_number} {meter.name}（{meter.model}，{meter.accuracy_class}）"


def check_reading_time(read_at) -> None:
    if read_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"read_at": _("现场读数时间不能晚于现在。")})


def compared_reading(enterprise, *, item_id, meter: str, read_at, site_value) -> dict:
    """The fields of a meter read on site set beside the platform's value for the same slot
    (the on-site acceptance's comparisons and the annual spot check's, same tolerance)."""
    item = (
        DataItem.objects.filter(enterprise=enterprise, pk=item_id).select_related("meter").first()
    )
    if item is None:
        raise ValidationError({"item": _("请选择本企业的数据采集项。")})
    slot, value = platform_value(item, read_at)
    tolerance = settings.ACCEPTANCE_COMPARISON_TOLERANCE_PERCENT
    gap = deviation(Decimal(site_value), value)
    return {
        "item": item,
        # Blank: the item's meter in the 计量器具台账 (number, name, model, class).
        "meter": meter or ledger_label(item.meter) or item.instrument or item.name,
        "read_at": read_at,
        "site_value": site_value,
        "slot": slot,
        "platform_value": value,
        "deviation_percent": gap,
        "tolerance_percent": tolerance,
        "within": gap is not None and gap <= tolerance,
    }


def add_comparison(onsite, actor, *, item_id, meter: str, read_at, site_value) -> ComparisonReading:
    """One meter read on site, set beside the platform's value for the same slot."""
    check_reading_time(read_at)
    with transaction.atomic():
        locked = _locked_for_recording(onsite, actor)
        fields = compared_reading(
            locked.enterprise, item_id=item_id, meter=meter, read_at=read_at, site_value=site_value
        )
        row = ComparisonReading.objects.create(onsite=locked, recorded_by=actor, **fields)
        AuditEvent.record(
            locked,
            actor,
            "onsite_comparison_added",
            context={"item": row.item_id, "within": row.within},
        )
    return row


def finish_record(onsite, actor) -> OnSiteAcceptance:
    return run_transition(
        onsite,
        "finish_record",
        actor,
        event="onsite_recorded",
        notify=tell(
            lambda o: reviewers(),
            Sentence(gettext_noop("现场验收已记录：%(n)s"), n=onsite.application.owner_name),
            onsite_link,
        ),
    ).obj
