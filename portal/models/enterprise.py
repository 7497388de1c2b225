from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from ..pinyin import sort_key
from ..roles import staff_reviewer_permission
from ..uscc import validate_uscc
from .regions import Region


class Industry(models.TextChoices):
    """GB/T 4754-2017 divisions where Hubei's key energy-consuming units are found."""

    C13 = "C13", _("农副食品加工业")
    C17 = "C17", _("纺织业")
    C22 = "C22", _("造纸和纸制品业")
    C25 = "C25", _("石油、煤炭及其他燃料加工业")
    C26 = "C26", _("化学原料和化学制品制造业")
    C27 = "C27", _("医药制造业")
    C30 = "C30", _("非金属矿物制品业")
    C31 = "C31", _("黑色金属冶炼和压延加工业")
    C32 = "C32", _("有色金属冶炼和压延加工业")
    C36 = "C36", _("汽车制造业")
    C39 = "C39", _("计算机、通信和其他电子设备制造业")
    D44 = "D44", _("电力、热力生产和供应业")
    OTHER = "Z", _("其他行业")


class Stage(models.IntegerChoices):
    """The six stages of the training deck's 企业接入端实施流程."""

    DESIGN = 1, _("设计方案编制和确认")
    BUILD = 2, _("企业接入端系统建设")
    CONNECTION = 3, _("企业接入端数据对接")
    ACCEPTANCE_APPLICATION = 4, _("企业端系统验收申请")
    PANEL_REVIEW = 5, _("专家评审和验收报告")
    SUPERVISION = 6, _("企业端系统监督管理")


class RegistrationStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("未通过")


class Enterprise(FSMModelMixin, models.Model):
    """A key energy-consuming unit (重点用能单位)."""

    name = models.CharField(_("企业名称"), max_length=200)
    uscc = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_uscc]
    )
    # The name's pinyin, so lists sort Chinese names as readers expect (portal.pinyin).
    name_pinyin = models.CharField(
        _("名称拼音"), max_length=1000, blank=True, editable=False, db_index=True
    )
    region = models.CharField(_("所在地区"), max_length=6, choices=Region)
    industry = models.CharField(_("所属行业"), max_length=4, choices=Industry)
    address = models.CharField(_("地址"), max_length=300)
    legal_representative = models.CharField(_("法定代表人"), max_length=50)
    contact_person = models.CharField(_("联系人"), max_length=50)
    contact_phone = models.CharField(_("联系电话"), max_length=30)
    contact_email = models.EmailField(_("联系邮箱"))
    registration_status = FSMField(
        _("注册审核状态"),
        max_length=20,
        choices=RegistrationStatus,
        default=RegistrationStatus.PENDING,
        protected=True,
    )
    # Denormalised so a region overview counts enterprises per stage in one GROUP BY; the
    # workflow services of each stage move it forward.
    stage = models.PositiveSmallIntegerField(_("当前阶段"), choices=Stage, default=Stage.DESIGN)
    created_at = models.DateTimeField(_("注册时间"), auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="enterprises"
    )

    class Meta:
        verbose_name = _("重点用能单位")
        verbose_name_plural = _("重点用能单位")
        ordering = ["region", "name"]
        indexes = [models.Index(fields=["region", "stage"])]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name_pinyin = sort_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_pinyin"}
        super().save(*args, **kwargs)

    @property
    def is_approved(self) -> bool:
        return self.registration_status == RegistrationStatus.APPROVED

    @transition(
        registration_status,
        source=RegistrationStatus.PENDING,
        target=RegistrationStatus.APPROVED,
        permission=staff_reviewer_permission,
    )
    def approve_registration(self, actor=None):
        """A reviewer confirms the enterprise is a key unit; its members may then file."""

    @transition(
        registration_status,
        source=RegistrationStatus.REJECTED,
        target=RegistrationStatus.APPROVED,
        permission=staff_reviewer_permission,
    )
    def overturn_rejection(self, actor=None):
        """A reviewer reverses an earlier refusal, on purpose and with a reason: never the
        side effect of approving from a page that still showed the registration pending."""

    @transition(
        registration_status,
        source=RegistrationStatus.PENDING,
        target=RegistrationStatus.REJECTED,
        permission=staff_reviewer_permission,
    )
    def reject_registration(self, actor=None):
        """A reviewer refuses the registration (the comment says why)."""


class Membership(models.Model):
    """A user acting for an enterprise."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="memberships")
    title = models.CharField(_("职位"), max_length=50, blank=True)
    is_admin = models.BooleanField(
        _("企业管理员"), default=False, help_text=_("可以邀请和管理本企业的其他用户")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("企业成员")
        verbose_name_plural = _("企业成员")
        constraints = [
            models.UniqueConstraint(fields=["user", "enterprise"], name="unique_membership")
        ]

    def __str__(self):
        return f"{self.user} @ {self.enterprise}"
