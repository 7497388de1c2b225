"""现场验收 (seed 5.4): organised by the enterprise, confirmed by the institute, recorded in
four steps by the panel (企业汇报, 提问交流, 现场考察, 闭门讨论)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from portal.roles import is_staff_reviewer, member_permission, staff_reviewer_permission
from portal.workflow import condition

from ..choices import REQUIRED_PANEL_ROLES, OnSiteState, PanelRole, ReportContent


def can_record(instance, user) -> bool:
    """The panel's 组长 or an institute reviewer writes the record (FSM permission)."""
    if is_staff_reviewer(user):
        return True
    return instance.seats.filter(user=user, is_leader=True, declared_at__isnull=False).exists()


class OnSiteAcceptance(FSMModelMixin, models.Model):
    application = models.OneToOneField(
        "acceptance.AcceptanceApplication",
        verbose_name=_("验收申请"),
        on_delete=models.PROTECT,
        related_name="onsite",
    )
    state = FSMField(
        _("状态"), max_length=20, choices=OnSiteState, default=OnSiteState.PROPOSED, protected=True
    )
    scheduled_for = models.DateTimeField(_("验收时间"))
    place = models.CharField(_("验收地点"), max_length=200)
    owner_representative = models.CharField(_("业主代表"), max_length=50)
    owner_representative_title = models.CharField(_("业主代表职务"), max_length=50)
    owner_representative_phone = models.CharField(_("业主代表联系电话"), max_length=30)
    contractor_company = models.CharField(_("项目承建方"), max_length=200)
    contractor_representative = models.CharField(_("项目承建方代表"), max_length=50)
    contractor_phone = models.CharField(_("承建方代表联系电话"), max_length=30)
    contractor_email = models.EmailField(_("承建方代表邮箱"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(_("提议时间"), auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    # The four steps.
    report_notes = models.TextField(_("企业汇报要点"), blank=True)
    qa_minutes = models.TextField(_("提问交流纪要"), blank=True)
    findings_layout = models.TextField(_("能耗在线监测布点"), blank=True)
    findings_devices = models.TextField(_("端设备及计量器具是否符合标准规范"), blank=True)
    findings_collection = models.TextField(_("数据采集情况"), blank=True)
    panel_evaluation = models.TextField(_("专家组评价结果"), blank=True)
    attendance = models.TextField(_("参加人员"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("记录完成时间"), null=True, blank=True)
    # Reminders (acceptance.services.onsite_reminders): the date the day-before reminder was
    # sent for (a new date gets its own reminder), and the arrangement last announced to the
    # participants, so a re-confirmation tells them what changed.
    reminder_sent_for = models.DateTimeField(_("已提醒的验收时间"), null=True, blank=True)
    announced = models.JSONField(_("已通知的验收安排"), default=dict, blank=True)

    class Meta:
        verbose_name = _("现场验收")
        verbose_name_plural = _("现场验收")
        ordering = ["-scheduled_for", "-pk"]

    def __str__(self):
        return f"{self.application.owner_name} · {self.scheduled_for:%Y-%m-%d}"

    @property
    def enterprise(self):
        return self.application.enterprise

    @property
    def enterprise_id(self) -> int:  # what portal.roles.member_permission reads
        return self.application.enterprise_id

    # --- guards ---------------------------------------------------------------------------

    @condition(_("验收小组须有省计量院代表、当地发改委代表和当地市场监管部门代表，并指定一名组长"))
    def has_panel(self) -> bool:
        roles = set(self.seats.values_list("role", flat=True))
        leaders = self.seats.filter(is_leader=True).count()
        return set(REQUIRED_PANEL_ROLES) <= roles and leaders == 1

    @condition(_("验收小组成员尚未全部声明无利益冲突"))
    def panel_declared(self) -> bool:
        return not self.seats.filter(declared_at__isnull=True).exists()

    @condition(_("四个验收环节尚未全部记录，或没有现场比对读数"))
    def steps_recorded(self) -> bool:
        texts = (
            self.qa_minutes,
            self.findings_layout,
            self.findings_devices,
            self.findings_collection,
            self.panel_evaluation,
        )
        return all(t.strip() for t in texts) and self.comparisons.exists()

    has_panel.field = "panel"
    panel_declared.field = "panel"
    steps_recorded.field = "steps"

    # --- transitions ----------------------------------------------------------------------

    @transition(
        state,
        source=OnSiteState.PROPOSED,
        target=OnSiteState.SCHEDULED,
        conditions=[has_panel],
        permission=staff_reviewer_permission,
    )
    def confirm(self, actor=None):
        """The institute confirms the date and place and the panel it named."""
        self.confirmed_by = actor
        self.confirmed_at = timezone.now()

    @transition(
        state,
        source=OnSiteState.SCHEDULED,
        target=OnSiteState.PROPOSED,
        permission=member_permission,
    )
    def reschedule(self, actor=None):
        """The enterprise proposes another date; the institute confirms again."""
        self.confirmed_by = None
        self.confirmed_at = None

    @transition(
        state,
        source=OnSiteState.SCHEDULED,
        target=OnSiteState.RECORDED,
        conditions=[steps_recorded, panel_declared],
        permission=can_record,
    )
    def finish_record(self, actor=None):
        """The four steps are recorded; the panel goes on to the acceptance report."""
        self.recorded_by = actor
        self.recorded_at = timezone.now()


class PanelSeat(models.Model):
    """A member of the on-site panel. A member declares no conflict of interest before the
    file is shown to them."""

    onsite = models.ForeignKey(OnSiteAcceptance, on_delete=models.CASCADE, related_name="seats")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("成员"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("身份"), max_length=20, choices=PanelRole)
    body = models.CharField(_("所在单位"), max_length=200)
    is_leader = models.BooleanField(_("组长"), default=False)
    declared_at = models.DateTimeField(_("声明无利益冲突时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("验收小组成员")
        verbose_name_plural = _("验收小组成员")
        ordering = ["-is_leader", "role", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["onsite", "user"], name="one_seat_per_member"),
            models.UniqueConstraint(
                fields=["onsite"], condition=models.Q(is_leader=True), name="one_panel_leader"
            ),
        ]

    def __str__(self):
        return f"{self.get_role_display()} {self.user}"


class ReportFile(models.Model):
    """A file the enterprise presents in 企业汇报 for one of the nine contents."""

    onsite = models.ForeignKey(OnSiteAcceptance, on_delete=models.CASCADE, related_name="files")
    content = models.CharField(_("汇报内容"), max_length=30, choices=ReportContent)
    attachment = models.OneToOneField(
        "portal.Attachment", on_delete=models.CASCADE, related_name="onsite_report_file"
    )

    class Meta:
        verbose_name = _("企业汇报材料")
        verbose_name_plural = _("企业汇报材料")
        ordering = ["content", "pk"]

    def __str__(self):
        return self.get_content_display()


class SitePhoto(models.Model):
    """现场考察: a photo the institute's reviewer or a panel member took on site (an image
    attachment owned by the on-site record), shown beside the report's items."""

    onsite = models.ForeignKey(OnSiteAcceptance, on_delete=models.CASCADE, related_name="photos")
    caption = models.CharField(_("照片说明"), max_length=200)
    attachment = models.OneToOneField(
        "portal.Attachment", on_delete=models.CASCADE, related_name="onsite_photo"
    )

    class Meta:
        verbose_name = _("现场考察照片")
        verbose_name_plural = _("现场考察照片")
        ordering = ["pk"]

    def __str__(self):
        return self.caption


class MeterComparison(models.Model):
    """A meter read on site against the platform's value for the same slot (filled by
    acceptance.services.onsite.compared_reading); the on-site acceptance's and the annual
    spot check's readings are this record under their own parent."""

    item = models.ForeignKey(
        "telemetry.DataItem",
        verbose_name=_("数据采集项"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    meter = models.CharField(_("计量器具"), max_length=200)
    read_at = models.DateTimeField(_("现场读数时间"))
    site_value = models.DecimalField(_("现场读数"), max_digits=20, decimal_places=4)
    slot = models.DateTimeField(_("对应时段"))
    platform_value = models.DecimalField(
        _("平台数值"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    deviation_percent = models.DecimalField(
        _("偏差（%）"), max_digits=9, decimal_places=3, null=True, blank=True
    )
    tolerance_percent = models.DecimalField(_("允许偏差（%）"), max_digits=6, decimal_places=3)
    within = models.BooleanField(_("在允许偏差内"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True
        ordering = ["read_at", "pk"]

    def __str__(self):
        return f"{self.meter} {self.read_at:%Y-%m-%d %H:%M}"


class ComparisonReading(MeterComparison):
    """现场考察: a meter read on site against the platform's value for the same slot."""

    onsite = models.ForeignKey(
        OnSiteAcceptance, on_delete=models.CASCADE, related_name="comparisons"
    )

    class Meta(MeterComparison.Meta):
        verbose_name = _("现场比对读数")
        verbose_name_plural = _("现场比对读数")
