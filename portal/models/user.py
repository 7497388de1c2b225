from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from .regions import Region


class Role(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业用户")
    REVIEWER = "reviewer", _("审核人员（省计量院）")
    PANEL = "panel", _("专家组成员")
    GOVERNMENT = "government", _("政府用户")
    OPERATOR = "operator", _("平台运维")


class User(AbstractUser):
    """A person who logs in. The role decides the dashboard and what the person may see.

    Enterprise users are tied to their enterprise by a Membership; government viewers by
    their region; a panel member's seat on one panel is a row of its own (acceptance app).
    """

    role = models.CharField(_("角色"), max_length=20, choices=Role, default=Role.ENTERPRISE)
    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    organisation = models.CharField(
        _("所在单位"), max_length=100, blank=True, help_text=_("审核人员、专家、政府用户所在单位")
    )
    region = models.CharField(
        _("所辖地区"),
        max_length=6,
        choices=Region,
        blank=True,
        help_text=_("政府用户只能查看本地区的企业"),
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self):
        return self.full_name or self.username

    @property
    def is_reviewer(self) -> bool:
        return self.role == Role.REVIEWER

    @property
    def is_operator(self) -> bool:
        return self.role == Role.OPERATOR or self.is_superuser

    @property
    def is_enterprise_user(self) -> bool:
        return self.role == Role.ENTERPRISE

    @property
    def is_government(self) -> bool:
        return self.role == Role.GOVERNMENT

    @property
    def is_panel_member(self) -> bool:
        return self.role == Role.PANEL
