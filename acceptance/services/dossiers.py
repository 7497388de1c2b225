"""档案 requests: a row, an audit event, and the build task queued after commit."""

from django.db import transaction

from portal.models import AuditEvent
from portal.queueing import enqueue_on_commit
from portal.workflow import RefusalReason, TransitionRefused

from ..models import Dossier
from ..permissions import can_request_dossier


def request_dossier(user, enterprise) -> Dossier:
    from ..tasks import build_dossier

    if not can_request_dossier(user, enterprise):
        raise TransitionRefused(RefusalReason.NOT_PERMITTED)
    with transaction.atomic():
        dossier = Dossier.objects.create(enterprise=enterprise, requested_by=user)
        AuditEvent.record(enterprise, user, "dossier_requested", context={"dossier": dossier.pk})
        enqueue_on_commit(build_dossier, dossier.pk)
    return dossier
