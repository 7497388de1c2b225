"""计量器具台账: the enterprise's meters kept, checked against GB 17167, and warned about
before their verification/calibration certificates run out."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portal.models import AuditEvent
from portal.notifications import enterprise_users, notify
from portal.sentences import Sentence

from ..metering import shortfalls
from ..models import DesignScheme, Meter, SchemeState
from ..permissions import can_manage_meters

METER_FIELDS = (
    "name",
    "management_number",
    "model",
    "accuracy_class",
    "energy_type",
    "metering_level",
    "location",
    "interface",
    "certificate_number",
    "valid_until",
)


def ledger_link(enterprise) -> str:
    return reverse("applications:meter_list", args=[enterprise.pk])


def _require_manager(actor, enterprise):
    if not can_manage_meters(actor, enterprise):
        raise PermissionDenied(_("只有本单位人员或省计量院审核人员可以维护计量器具台账。"))


def _save(meter, actor, event):
    duplicate = (
        Meter.objects.filter(enterprise=meter.enterprise, management_number=meter.management_number)
        .exclude(pk=meter.pk)
        .exists()
    )
    if duplicate:
        raise ValidationError({"management_number": _("本单位已有该管理编号的计量器具。")})
    try:
        with transaction.atomic():
            meter.save()
            AuditEvent.record(meter, actor, event, comment=str(meter))
    except IntegrityError:
        raise ValidationError(
            {"management_number": _("本单位已有该管理编号的计量器具。")}
        ) from None
    return meter


def create_meter(actor, enterprise, data: dict) -> Meter:
    _require_manager(actor, enterprise)
    meter = Meter(enterprise=enterprise, **{k: data[k] for k in METER_FIELDS if k in data})
    meter.full_clean(exclude=["enterprise"], validate_unique=False, validate_constraints=False)
    return _save(meter, actor, "meter_added")


def update_meter(meter, actor, data: dict) -> Meter:
    _require_manager(actor, meter.enterprise)
    for name in METER_FIELDS:
        if name in data:
            setattr(meter, name, data[name])
    meter.full_clean(exclude=["enterprise"], validate_unique=False, validate_constraints=False)
    return _save(meter, actor, "meter_updated")


def delete_meter(meter, actor) -> None:
    _require_manager(actor, meter.enterprise)
    with transaction.atomic():
        AuditEvent.record(meter.enterprise, actor, "meter_deleted", comment=str(meter))
        meter.delete()


def scheme_energy_codes(enterprise) -> list[str]:
    """The energy types of the enterprise's latest design scheme that has left the
    institute (a draft is the institute's own until it is sent)."""
    scheme = (
        DesignScheme.objects.filter(enterprise=enterprise)
        .exclude(state=SchemeState.DRAFT)
        .order_by("-created_at", "-pk")
        .first()
    )
    return scheme.energy_codes if scheme else []


def ledger_check(enterprise, meters=None) -> list[dict]:
    """The GB 17167 shortfalls of the enterprise's ledger (applications.metering)."""
    if meters is None:
        meters = list(Meter.objects.filter(enterprise=enterprise))
    return shortfalls(meters, scheme_energy_codes(enterprise))


def ledger_summary(enterprise, today=None) -> dict:
    """Counts for the acceptance and annual-audit evidence (three queries at most)."""
    today = today or timezone.localdate()
    meters = list(Meter.objects.filter(enterprise=enterprise))
    return {
        "count": len(meters),
        "levels": sorted({m.metering_level for m in meters}),
        "expired": [
            {
                "number": m.management_number,
                "name": m.name,
                "valid_until": m.valid_until.isoformat(),
            }
            for m in meters
            if m.valid_until < today
        ],
        "shortfalls": [s["text"] for s in ledger_check(enterprise, meters)],
    }


def warn_expiring_meters(today=None) -> int:
    """Tell the enterprise once per meter per expiry date about certificates that expire
    within METER_EXPIRY_WARNING_DAYS (or have expired unwarned)."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=settings.METER_EXPIRY_WARNING_DAYS)
    due = (
        Meter.objects.filter(valid_until__lte=horizon)
        .filter(Q(expiry_warned_for__isnull=True) | ~Q(expiry_warned_for=F("valid_until")))
        .select_related("enterprise")
    )
    warned = 0
    for meter in due:
        with transaction.atomic():
            # Claim with a conditional UPDATE so two runs never both warn.
            claimed = (
                Meter.objects.filter(pk=meter.pk, valid_until=meter.valid_until)
                .filter(Q(expiry_warned_for__isnull=True) | ~Q(expiry_warned_for=meter.valid_until))
                .update(expiry_warned_for=meter.valid_until)
            )
            if not claimed:
                continue
            event = AuditEvent.record(meter, None, "meter_expiry_warned")
            notify(
                enterprise_users(meter.enterprise),
                Sentence(
                    gettext_noop("计量器具 %(m)s 的检定/校准有效期至 %(d)s"),
                    m=str(meter),
                    d=meter.valid_until.isoformat(),
                ),
                body=Sentence(gettext_noop("请按期送检或校准，并在计量器具台账中更新证书。")),
                link=ledger_link(meter.enterprise),
                event=event,
            )
            warned += 1
    return warned
