"""CSV / XLSX of the enterprise list, filtered as the page is, through the same scoper."""

from ..access import government, grant_access, reviewer
from ..exports import table_response
from ..permissions import enterprises_visible_to


def filtered_enterprises(user, params):
    """The enterprise list's filters (region, stage, registration status, name or USCC)."""
    enterprises = enterprises_visible_to(user).order_by("region", "name")
    region, stage = params.get("region", ""), params.get("stage", "")
    status, query = params.get("status", ""), params.get("q", "").strip()
    if region:
        enterprises = enterprises.filter(region=region)
    if stage.isdigit():
        enterprises = enterprises.filter(stage=int(stage))
    if status:
        enterprises = enterprises.filter(registration_status=status)
    if query:
        enterprises = enterprises.filter(name__icontains=query) | enterprises.filter(
            uscc__icontains=query
        )
    return enterprises


@grant_access(reviewer, government)
def enterprises_export(request, fmt):
    rows = (
        [
            e.name,
            e.uscc,
            e.get_region_display(),
            e.get_stage_display(),
            e.get_registration_status_display(),
        ]
        for e in filtered_enterprises(request.user, request.GET)
    )
    return table_response(
        "enterprises",
        ["企业名称", "统一社会信用代码", "所在地区", "当前阶段", "注册状态"],
        rows,
        fmt,
    )
