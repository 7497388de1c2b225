"""Slot history: the readings a later one replaced (corrections), for one enterprise.

Reached from the enterprise's monitoring page; the enterprise comes through the portal's
scoper, so an outsider or a viewer of another region gets 404. ``?item=<id>`` narrows the
list to one data item, and with ``&slot=yyyy-MM-dd HH:mm:ss`` to one slot, whose reading
as it is now is shown above its history.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import render
from django.utils.translation import gettext as _

from portal.access import grant_access, logged_in
from portal.permissions import get_enterprise_or_404

from ..models import Reading, ReadingRevision
from ..timeslots import format_wire_time, parse_wire_time


@grant_access(logged_in)
def enterprise_corrections(request, pk):
    enterprise = get_enterprise_or_404(request.user, pk)
    items = enterprise.data_items.order_by("data_code").only("pk", "data_code", "name")
    revisions = (
        ReadingRevision.objects.filter(enterprise=enterprise)
        .select_related("item")
        .annotate(old_message=F("old_batch__message_id"), new_message=F("batch__message_id"))
        .order_by("-replaced_at", "-pk")
    )
    error, item, slot, current = None, None, None, None
    item_text, slot_text = request.GET.get("item", ""), request.GET.get("slot", "").strip()
    if item_text:
        item = items.filter(pk=int(item_text)).first() if item_text.isdigit() else None
        if item is None:
            error = _("没有找到该企业的数据采集项 %(item)s。") % {"item": item_text}
        else:
            revisions = revisions.filter(item=item)
    if slot_text and item is not None:
        try:
            slot = parse_wire_time(slot_text)
        except ValueError as exc:
            error = str(exc)
        else:
            revisions = revisions.filter(slot=slot).order_by("replaced_at", "pk")
            current = Reading.objects.filter(item=item, slot=slot).first()
    elif slot_text:
        error = _("按时段查询时请先选择数据采集项。")
    page = Paginator(revisions, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "telemetry/monitoring/corrections.html",
        {
            "enterprise": enterprise,
            "items": items,
            "item": item,
            "slot": slot,
            "current": current,
            "page": page,
            "error": error,
            "query": {"item": item_text, "slot": slot_text},
            "slot_text": format_wire_time(slot) if slot else "",
        },
    )
