"""Relay flags (疑似第三方中转) and the hold they put on a trial's pass (DESIGN §4).

An upload not from the enterprise's VPN tunnel address, or any upload while the enterprise
has no usable VPN address to compare with, is flagged (``telemetry.auth.relay_suspected``)
and counted on one ``RelayFlag`` per enterprise and address. An open flag holds the trial's
pass (:func:`relay_hold`, the one place the trial asks) until a reviewer explains it (the
reason is recorded) or confirms it: the data came through a third party, the seed's fail
condition 3 (未经端设备直接报送或经第三方平台转发), recorded against the enterprise.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portal.models import AuditEvent
from portal.notifications import enterprise_users, notify
from portal.roles import is_staff_reviewer
from portal.sentences import Sentence

from ..models import Connection, RelayFlag, RelayFlagStatus
from ..timeslots import BEIJING


def record_relay_upload(enterprise_id: int, source_ip: str | None, at: datetime) -> None:
    """Count a flagged upload on its address's flag (one UPDATE; an INSERT the first time).

    A flag a reviewer has decided stays decided: the explanation covers the address."""
    address = source_ip or ""
    flag = RelayFlag.objects.filter(enterprise_id=enterprise_id, source_ip=address)
    if flag.update(batch_count=F("batch_count") + 1, last_seen=at):
        return
    try:
        with transaction.atomic():
            flag.create(
                enterprise_id=enterprise_id,
                source_ip=address,
                first_seen=at,
                last_seen=at,
                batch_count=1,
            )
    except IntegrityError:  # a concurrent upload from the same address created it first
        flag.update(batch_count=F("batch_count") + 1, last_seen=at)


def open_relay_flags(connection: Connection):
    """The open flags with uploads since the connection's trial began."""
    qs = RelayFlag.objects.filter(
        enterprise_id=connection.enterprise_id, status=RelayFlagStatus.OPEN
    )
    if connection.trial_started_on is not None:
        start = connection.trial_started_on
        qs = qs.filter(last_seen__gte=datetime(start.year, start.month, start.day, tzinfo=BEIJING))
    return qs


def relay_hold(connection: Connection) -> str | None:
    """Why the trial may not pass yet because of relay flags, or None (one COUNT in SQL)."""
    n = open_relay_flags(connection).count()
    if not n:
        return None
    return _("有 %(n)s 个疑似经第三方中转的上传来源地址尚待审核人员处理，暂不判定通过") % {"n": n}


def decide_relay_flag(flag: RelayFlag, actor, *, confirm: bool, reason: str) -> RelayFlag:
    """A reviewer explains a flag (not a relay: why) or confirms it (fail condition 3)."""
    if not is_staff_reviewer(actor):
        raise ValidationError({"flag": _("只有省计量院审核人员可以处理疑似中转。")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写说明或认定理由。")})
    with transaction.atomic():
        locked = RelayFlag.objects.select_for_update().get(pk=flag.pk)
        if locked.status != RelayFlagStatus.OPEN:
            raise ValidationError(
                {"flag": _("该疑似中转已处理：%(s)s") % {"s": locked.get_status_display()}}
            )
        locked.status = RelayFlagStatus.CONFIRMED if confirm else RelayFlagStatus.EXPLAINED
        locked.reason, locked.decided_by, locked.decided_at = reason, actor, timezone.now()
        locked.save(update_fields=["status", "reason", "decided_by", "decided_at"])
        event = AuditEvent.record(
            locked.enterprise,
            actor,
            "relay_confirmed" if confirm else "relay_explained",
            comment=reason,
            context={"source_ip": locked.source_ip, "batches": locked.batch_count},
        )
        title = Sentence(
            gettext_noop("经审核，来自 %(a)s 的上传被认定为经第三方中转（验收不通过情形 3）")
            if confirm
            else gettext_noop("来自 %(a)s 的疑似中转上传已由审核人员说明"),
            a=locked.source_ip or Sentence(gettext_noop("未知地址")),
        )
        notify(
            enterprise_users(locked.enterprise_id),
            title,
            reason,
            reverse("telemetry:enterprise_monitoring", args=[locked.enterprise_id]),
            event,
        )
    return locked
