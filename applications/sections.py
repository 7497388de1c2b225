"""附表1 as a task list: the paper form's sections, each with its state, and what still
stands between a draft and its submission.

A draft is created with what registration already knows and the finalised scheme; the clerk
then fills the sections in any order and saves each ("save and continue"). A section is
未开始 while none of its answers is given, 进行中 while some are, 已完成 when all are; the
materials section counts the checklist lines that have a file ("已上传 6/7").
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from .models import REQUIRED_MATERIALS, SchemeState


@dataclass(frozen=True)
class Section:
    key: str
    title: object
    fields: tuple[str, ...]


SECTIONS = (
    Section(
        "applicant",
        gettext_lazy("申请单位"),
        (
            "applicant_name",
            "uscc",
            "application_date",
            "contact_person",
            "contact_phone",
            "contact_email",
        ),
    ),
    Section(
        "project",
        gettext_lazy("建设单位与项目"),
        (
            "design_scheme",
            "builder_name",
            "builder_manager",
            "builder_phone",
            "builder_email",
            "project_start",
            "project_end",
        ),
    ),
    Section(
        "device",
        gettext_lazy("端设备"),
        (
            "device_manufacturer",
            "device_model",
            "device_serial",
            "device_manufactured_on",
            "energy_types",
            "monitoring_points",
        ),
    ),
    Section("operation", gettext_lazy("运维"), ("om_contract_end",)),
)
SECTION_KEYS = {section.key: section for section in SECTIONS}
MATERIALS_KEY = "materials"

NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
STATUS_LABELS = {
    NOT_STARTED: pgettext_lazy("task status", "未开始"),
    IN_PROGRESS: pgettext_lazy("task status", "进行中"),
    COMPLETED: pgettext_lazy("task status", "已完成"),
}


def _answered(application, name: str) -> bool:
    return application.is_answered(name)


def unanswered_fields(application) -> list[str]:
    return application.unanswered_fields()


def _status(done: int, total: int) -> str:
    if done == 0:
        return NOT_STARTED
    return COMPLETED if done == total else IN_PROGRESS


@dataclass(frozen=True)
class Task:
    key: str
    title: object
    status: str
    progress: str = ""

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]


def task_list(application) -> list[Task]:
    """The four sections of the form and the materials, in the paper form's order."""
    tasks = []
    for section in SECTIONS:
        done = sum(_answered(application, name) for name in section.fields)
        tasks.append(Task(section.key, section.title, _status(done, len(section.fields))))
    total = len(REQUIRED_MATERIALS)
    uploaded = total - len(application.missing_materials())
    tasks.append(
        Task(
            MATERIALS_KEY,
            gettext_lazy("申报所需材料"),
            _status(uploaded, total),
            material_progress(uploaded, total),
        )
    )
    return tasks


def material_progress(uploaded: int, total: int) -> str:
    return _("已上传 %(n)s/%(total)s") % {"n": uploaded, "total": total}


def next_task(application, after: str | None = None) -> str | None:
    """The next unfinished task after `after` (or the first unfinished one)."""
    tasks = task_list(application)
    keys = [task.key for task in tasks]
    start = keys.index(after) + 1 if after in keys else 0
    for task in tasks[start:] + tasks[:start]:
        if task.status != COMPLETED:
            return task.key
    return None


def submit_blockers(application) -> list[str]:
    """Every reason the application cannot be submitted now, in words for the clerk."""
    if not application.is_editable:
        return [_("对接申请当前状态为“%(s)s”，不能提交。") % {"s": application.get_state_display()}]
    reasons = []
    for task in task_list(application):
        if task.key == MATERIALS_KEY:
            missing = application.missing_materials()
            separator = pgettext("list separator", "；")
            if missing:
                reasons.append(
                    _("尚缺申报材料：%(m)s")
                    % {"m": separator.join(str(kind.label) for kind in missing)}
                )
        elif task.status != COMPLETED:
            reasons.append(_("“%(t)s”部分尚未填写完成。") % {"t": task.title})
    scheme = application.design_scheme
    if scheme is not None and scheme.state != SchemeState.FINALISED:
        reasons.append(_("所选设计方案尚未定稿。"))
    return reasons


def answers(application) -> list[tuple[Section, list[tuple[object, str, str]]]]:
    """Each section's answers as (label, field name, text), for check-your-answers."""
    from datetime import date

    from django.utils.formats import date_format, number_format

    model = type(application)
    shown = []
    for section in SECTIONS:
        rows = []
        for name in section.fields:
            label = model._meta.get_field(name).verbose_name
            if not _answered(application, name):
                text = ""
            elif name == "design_scheme":
                text = application.design_scheme.number
            elif name == "energy_types":
                text = application.energy_types_display
            else:
                value = getattr(application, name)
                if isinstance(value, date):
                    text = date_format(value)
                elif isinstance(value, int):
                    text = number_format(value, force_grouping=True)
                else:
                    text = str(value)
            rows.append((label, name, text))
        shown.append((section, rows))
    return shown
