from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from portal.roles import staff_reviewer_permission
from telemetry.texts import render


class ConnectionState(models.TextChoices):
    CREDENTIALS_ISSUED = "credentials_issued", _("已下发证书和账号")
    INTEGRATION_TESTING = "integration_testing", _("对接测试")
    TRIAL_RUNNING = "trial_running", _("稳定上传试运行")
    TRIAL_PASSED = "trial_passed", _("试运行通过")
    TRIAL_FAILED = "trial_failed", _("试运行未通过")
    REPORT_ISSUED = "report_issued", _("已出具符合性测试报告")


class Connection(FSMModelMixin, models.Model):
    """数据对接: one per enterprise, from credentials issued to the conformance report.

    Created by the access-application approval (applications app); moved on by the
    telemetry services as data arrives and the stable-upload trial is judged.
    """

    enterprise = models.OneToOneField(
        "portal.Enterprise", on_delete=models.CASCADE, related_name="connection"
    )
    state = FSMField(
        _("对接状态"),
        max_length=30,
        choices=ConnectionState,
        default=ConnectionState.CREDENTIALS_ISSUED,
        protected=True,
    )
    credentials_issued_at = models.DateTimeField(_("证书下发时间"), default=timezone.now)
    integration_started_at = models.DateTimeField(_("对接测试开始"), null=True, blank=True)
    first_reading_at = models.DateTimeField(_("首条有效数据时间"), null=True, blank=True)
    # 正式接入: when every registered item a device reports had a stored valid reading
    # (对接测试 ends); set once, in SQL, by the ingestion (services.connection.record_connected).
    connected_at = models.DateTimeField(_("正式接入时间"), null=True, blank=True)
    trial_started_on = models.DateField(_("试运行开始日期"), null=True, blank=True)
    trial_finished_at = models.DateTimeField(_("试运行结束时间"), null=True, blank=True)
    failure_reason = models.TextField(_("未通过原因"), blank=True)
    # As on TrialRun: the reason as a telemetry.texts code and parameters.
    failure_code = models.CharField(max_length=40, blank=True, default="")
    failure_params = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("数据对接")
        verbose_name_plural = _("数据对接")

    def __str__(self):
        return f"{self.enterprise} · {self.get_state_display()}"

    @transition(
        state, source=ConnectionState.CREDENTIALS_ISSUED, target=ConnectionState.INTEGRATION_TESTING
    )
    def begin_integration(self, actor=None):
        """The first upload attempt arrived: integration testing is under way."""
        self.integration_started_at = timezone.now()

    @transition(
        state,
        source=[ConnectionState.CREDENTIALS_ISSUED, ConnectionState.INTEGRATION_TESTING],
        target=ConnectionState.TRIAL_RUNNING,
    )
    def record_first_reading(self, actor=None, at=None, trial_start=None):
        """The first valid reading is stored: integration testing ends, the trial starts."""
        self.first_reading_at = at or timezone.now()
        self.integration_started_at = self.integration_started_at or self.first_reading_at
        self.trial_started_on = trial_start or timezone.localdate(self.first_reading_at)

    @transition(state, source=ConnectionState.TRIAL_RUNNING, target=ConnectionState.TRIAL_PASSED)
    def pass_trial(self, actor=None):
        """15 consecutive complete days at the required success rate (side effect: the
        reviewer is told the conformance report can be issued)."""
        self.trial_finished_at = timezone.now()
        self._set_failure("", "", {})

    @transition(state, source=ConnectionState.TRIAL_RUNNING, target=ConnectionState.TRIAL_FAILED)
    def fail_trial(self, actor=None, reason="", reason_code="", reason_params=None):
        """A day of the window can no longer be completed."""
        self.trial_finished_at = timezone.now()
        self._set_failure(reason, reason_code, reason_params or {})

    @transition(
        state,
        source=ConnectionState.TRIAL_RUNNING,
        target=ConnectionState.TRIAL_FAILED,
        permission=staff_reviewer_permission,
    )
    def stop_trial(self, actor=None, reason="", reason_code="", reason_params=None):
        """A reviewer stops a trial that cannot succeed (e.g. one running far too long)."""
        self.trial_finished_at = timezone.now()
        self._set_failure(reason, reason_code, reason_params or {})

    @transition(
        state,
        source=[ConnectionState.TRIAL_FAILED, ConnectionState.TRIAL_RUNNING],
        target=ConnectionState.TRIAL_RUNNING,
        permission=staff_reviewer_permission,
    )
    def restart_trial(self, actor=None, start=None):
        """A reviewer starts a new 15-day window (after the enterprise fixed its system)."""
        self.trial_started_on = start or timezone.localdate()
        self.trial_finished_at = None
        self._set_failure("", "", {})

    @transition(
        state,
        source=ConnectionState.TRIAL_PASSED,
        target=ConnectionState.REPORT_ISSUED,
        permission=staff_reviewer_permission,
    )
    def issue_report(self, actor=None):
        """The conformance test report was issued (reports app)."""

    @transition(
        state,
        source=ConnectionState.REPORT_ISSUED,
        target=ConnectionState.TRIAL_PASSED,
        permission=staff_reviewer_permission,
    )
    def revoke_report(self, actor=None):
        """The conformance test report was revoked (reports app): a new one may be issued."""

    def _set_failure(self, reason: str, code: str, params: dict) -> None:
        self.failure_reason, self.failure_code, self.failure_params = reason, code, params

    @property
    def display_failure_reason(self) -> str:
        return render(self.failure_code, self.failure_params, self.failure_reason)
