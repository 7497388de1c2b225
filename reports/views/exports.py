"""CSV / XLSX of the issued documents list, filtered as the page is, through its scoper."""

from django.db.models import Q
from django.utils import timezone

from portal.access import enterprise_user, government, grant_access, reviewer
from portal.exports import table_response

from ..permissions import documents_visible_to


def _date(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


@grant_access(enterprise_user, reviewer, government)
def documents_export(request, fmt):
    documents = documents_visible_to(request.user).order_by("-created_at", "-pk")
    state, kind = request.GET.get("state", ""), request.GET.get("kind", "")
    query = request.GET.get("q", "").strip()
    if state:
        documents = documents.filter(state=state)
    if kind:
        documents = documents.filter(kind=kind)
    if query:
        documents = documents.filter(
            Q(number__icontains=query) | Q(enterprise__name__icontains=query)
        )
    rows = (
        [
            d.number,
            d.get_kind_display(),
            d.title,
            d.enterprise.name,
            d.get_state_display(),
            _date(d.approved_at),
            _date(d.revoked_at),
            d.sha256,
        ]
        for d in documents
    )
    header = ["编号", "文书类别", "标题", "企业名称", "状态", "出具时间", "撤销时间", "SHA-256"]
    return table_response("documents", header, rows, fmt)
