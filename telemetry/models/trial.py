from decimal import ROUND_DOWN, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from telemetry.texts import render


def percent(rate: Decimal | None) -> str:
    """A success rate as people read it: 99.93%, 100%, or a dash when there is none yet."""
    if rate is None:
        return "—"
    shown = (rate * 100).quantize(Decimal("0.01"), ROUND_DOWN)
    return f"{shown.normalize():f}%" if shown == shown.to_integral() else f"{shown}%"


class TrialStatus(models.TextChoices):
    RUNNING = "running", _("进行中")
    PASSED = "passed", _("通过")
    FAILED = "failed", _("未通过")
    RESTARTED = "restarted", _("已重新开始")


class TrialRun(models.Model):
    """One stable-upload trial (稳定上传试运行) of a connection, with its measured figures.

    The evaluation task rewrites the figures of the running trial every time it runs; once
    the trial has passed or failed the row is final, and it is what the conformance test
    report (符合性测试报告) quotes. A reviewer's restart closes it and opens the next number.
    """

    connection = models.ForeignKey(
        "telemetry.Connection", on_delete=models.CASCADE, related_name="trial_runs"
    )
    number = models.PositiveSmallIntegerField(_("第几次试运行"))
    started_on = models.DateField(_("开始日期"))
    # The earliest day the trial can pass on: the latest restart of the count plus the
    # trial's days (DESIGN §4: the window rolls).
    ends_on = models.DateField(_("最早可通过日期"))
    status = models.CharField(
        _("结果"), max_length=10, choices=TrialStatus, default=TrialStatus.RUNNING
    )
    expected = models.PositiveIntegerField(_("应报时段数"), default=0)
    # The figures of the days counted now (since the latest bad day); once passed, of the
    # days it passed on.
    on_time = models.PositiveIntegerField(_("按期到达时段数（不含补传）"), default=0)
    received = models.PositiveIntegerField(_("按期到达或补传时段数"), default=0)
    successful = models.PositiveIntegerField(_("上传成功时段数"), default=0)
    complete_days = models.PositiveSmallIntegerField(_("完整天数"), default=0)
    consecutive_complete_days = models.PositiveSmallIntegerField(_("连续完整天数"), default=0)
    success_rate = models.DecimalField(
        _("上传成功率"), max_digits=7, decimal_places=6, null=True, blank=True
    )
    on_time_rate = models.DecimalField(
        _("一次上传成功率"), max_digits=7, decimal_places=6, null=True, blank=True
    )
    # One entry per day since the start: {"day", "expected", "on_time", "backfilled", "late",
    # "missing", "suspect", "received", "successful", "success_rate", "on_time_rate",
    # "complete", "closed", "state", "in_window"}; frozen when the trial ends, and the
    # report's per-day table is printed from the days ``in_window``.
    days = models.JSONField(_("逐日数据"), default=list, blank=True)
    counted_from = models.DateField(_("本轮计数起始日"), null=True, blank=True)
    # Why the count restarted last (a telemetry.texts code and its parameters).
    reset_code = models.CharField(max_length=40, blank=True, default="")
    reset_params = models.JSONField(default=dict, blank=True)
    hold_reason = models.TextField(_("暂缓通过原因"), blank=True, default="")
    window_start = models.DateField(_("通过窗口起"), null=True, blank=True)
    window_end = models.DateField(_("通过窗口止"), null=True, blank=True)
    flagged_at = models.DateTimeField(_("超期提示时间"), null=True, blank=True)
    failure_reason = models.TextField(_("未通过原因"), blank=True)
    # The reason as a telemetry.texts code and its parameters, shown in the reader's language;
    # ``failure_reason`` stays the text people were told.
    failure_code = models.CharField(max_length=40, blank=True, default="")
    failure_params = models.JSONField(default=dict, blank=True)
    evaluated_at = models.DateTimeField(_("最近评估时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("稳定上传试运行")
        verbose_name_plural = _("稳定上传试运行")
        ordering = ["connection", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "number"], name="unique_trial_number"),
            models.UniqueConstraint(
                fields=["connection"],
                condition=models.Q(status="running"),
                name="one_running_trial",
            ),
        ]

    def __str__(self):
        return f"{self.connection_id} #{self.number} {self.get_status_display()}"

    @property
    def progress_percent(self) -> int:
        total = self.planned_days
        return min(100, round(100 * self.consecutive_complete_days / total)) if total else 0

    @property
    def planned_days(self) -> int:
        """The trial's length in days (a window rolls, so counted from the latest restart)."""
        return (self.ends_on - (self.counted_from or self.started_on)).days + 1

    @property
    def on_time_rate_display(self) -> str:
        return percent(self.on_time_rate)

    @property
    def display_reset_reason(self) -> str:
        return render(self.reset_code, self.reset_params, "") if self.reset_code else ""

    @property
    def rate_display(self) -> str:
        return percent(self.success_rate)

    @property
    def display_failure_reason(self) -> str:
        return render(self.failure_code, self.failure_params, self.failure_reason)
