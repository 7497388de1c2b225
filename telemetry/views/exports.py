"""CSV / XLSX of the stable-upload trials, each row through the trial scoper."""

from portal.access import enterprise_user, government, grant_access, reviewer
from portal.exports import table_response

from ..models import TrialStatus
from ..permissions import trial_runs_visible_to


def _rate(value) -> str:
    return f"{value * 100:.2f}%" if value is not None else ""


@grant_access(enterprise_user, reviewer, government)
def trials_export(request, fmt):
    runs = trial_runs_visible_to(request.user).order_by("connection__enterprise__name", "number")
    status = request.GET.get("status", "")
    if status in TrialStatus.values:
        runs = runs.filter(status=status)
    rows = (
        [
            run.connection.enterprise.name,
            run.connection.enterprise.get_region_display(),
            run.number,
            run.started_on.isoformat(),
            run.get_status_display(),
            run.expected,
            run.successful,
            _rate(run.success_rate),
            _rate(run.on_time_rate),
            run.complete_days,
            run.consecutive_complete_days,
        ]
        for run in runs
    )
    header = [
        "企业名称",
        "所在地区",
        "第几次试运行",
        "开始日期",
        "结果",
        "应报时段数",
        "上传成功时段数",
        "上传成功率",
        "一次上传成功率",
        "完整天数",
        "连续完整天数",
    ]
    return table_response("trials", header, rows, fmt)
