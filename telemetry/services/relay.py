"""Relay suspicions that hold a trial's pass (DESIGN §4 "The trial is a rolling window").

An upload flagged as possibly relayed through a third party (``UploadBatch.relay_suspected``)
holds the pass until a reviewer has dealt with it. :func:`relay_hold` is the one place the
trial asks; the reviewer's resolution (explained, or confirmed as fail condition 3) is to be
recorded later, and only this function needs to learn about it. Until then every
relay-suspected batch since the trial began holds.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from ..models import Connection, UploadBatch
from ..timeslots import BEIJING


def unresolved_relay_batches(connection: Connection):
    """The relay-suspected batches of the connection's trial that no reviewer has resolved."""
    qs = UploadBatch.objects.filter(enterprise_id=connection.enterprise_id, relay_suspected=True)
    if connection.trial_started_on is not None:
        start = connection.trial_started_on
        qs = qs.filter(received_at__gte=_midnight(start))
    return qs


def relay_hold(connection: Connection) -> str | None:
    """Why the trial may not pass yet because of relay flags, or None (one COUNT in SQL)."""
    n = unresolved_relay_batches(connection).count()
    if not n:
        return None
    return _("试运行期间有 %(n)s 个疑似经第三方中转的上传批次尚待审核人员处理，暂不判定通过") % {
        "n": n
    }


def _midnight(day):
    return datetime(day.year, day.month, day.day, tzinfo=BEIJING)
