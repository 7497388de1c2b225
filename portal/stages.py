"""The enterprise's place on the six-stage path, and what it must do next."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import Enterprise, RegistrationStatus, Stage

STAGE_HINTS = {
    Stage.DESIGN: _("省计量院现场调研后编制设计方案；收到方案后填写 7.1 反馈意见确认表并确认。"),
    Stage.BUILD: _("按定稿的设计方案建设接入端系统，完成后提交对接申请（附表1）及所需材料。"),
    Stage.CONNECTION: _("使用下发的 CA 证书和 VPN 账号接入省平台，连续稳定上传 15 天以上。"),
    Stage.ACCEPTANCE_APPLICATION: _("凭数据接入符合性测试报告提交验收申请（附表2）及表1所列材料。"),
    Stage.PANEL_REVIEW: _("组织现场验收：企业汇报、提问交流、现场考察、闭门讨论。"),
    Stage.SUPERVISION: _("系统已验收，接受年度审核，保持数据稳定上传。"),
}


@dataclass(frozen=True)
class StageStep:
    number: int
    label: str
    status: str  # "done", "current" or "todo"
    hint: str


def stage_tracker(enterprise: Enterprise) -> list[StageStep]:
    steps = []
    for stage in Stage:
        if stage < enterprise.stage:
            status = "done"
        elif stage == enterprise.stage:
            status = "current"
        else:
            status = "todo"
        steps.append(StageStep(stage.value, str(stage.label), status, str(STAGE_HINTS[stage])))
    return steps


def next_action(enterprise: Enterprise) -> str:
    if enterprise.registration_status == RegistrationStatus.PENDING:
        return str(_("注册信息已提交，等待省计量院审核人员审核通过后即可办理各阶段业务。"))
    if enterprise.registration_status == RegistrationStatus.REJECTED:
        return str(_("注册未通过审核，请根据审核意见修改企业信息后联系省计量院。"))
    return str(STAGE_HINTS[Stage(enterprise.stage)])


# What the apps above portal do when an enterprise reaches a stage (telemetry opens the
# Connection record at Stage.CONNECTION). Filled in their AppConfig.ready(), so a lower app
# moves the stage on without importing a higher one (ADR 0008). A hook runs inside the
# caller's transaction each time advance_stage is called for its stage, so it must be
# idempotent.
ON_STAGE: dict[Stage, list[Callable[[Enterprise], object]]] = defaultdict(list)


def advance_stage(enterprise: Enterprise, stage: Stage) -> None:
    """Move an enterprise forward (never back) to `stage` and run the stage's hooks; called
    by workflow services."""
    Enterprise.objects.filter(pk=enterprise.pk, stage__lt=stage).update(stage=stage)
    enterprise.stage = max(enterprise.stage, stage)
    for hook in ON_STAGE[stage]:
        hook(enterprise)


def return_to_stage(enterprise: Enterprise, stage: Stage) -> None:
    """Move an enterprise back to `stage` when it is past it (a revoked conformance report
    returns it to the connection stage); no hooks run. Called by workflow services."""
    Enterprise.objects.filter(pk=enterprise.pk, stage__gt=stage).update(stage=stage)
    enterprise.stage = min(enterprise.stage, stage)
