from datetime import date

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.catalogue import EnergyCode
from portal.models import Enterprise, RegistrationStatus
from portal.uscc import uscc_error

from .content import BudgetRowForm, EnergyRowForm, InstrumentRowForm
from .models import (
    SCHEME_PART_DOCUMENTS,
    AccessApplication,
    ChangeRecord,
    DesignScheme,
    Material,
    Meter,
    RevocationReason,
    SchemeFeedback,
    SchemeState,
    SiteSurvey,
    Verdict,
)
from .services.access import APPLICATION_FIELDS, answers_given, check_application_data

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

EnergyFormSet = formset_factory(EnergyRowForm, extra=1, can_delete=True)
InstrumentFormSet = formset_factory(InstrumentRowForm, extra=1, can_delete=True)
BudgetFormSet = formset_factory(BudgetRowForm, extra=1, can_delete=True)
# The old 一级计量器具 list (DesignScheme.instruments) is not edited on the page any more:
# the enterprise's meter ledger, frozen into the scheme when it is sent (meter_snapshot), is
# the scheme's 计量器具配备一览表. The column and the API field stay for existing records.
FORMSETS = (
    ("energy_types", EnergyFormSet),
    ("budget_items", BudgetFormSet),
)


def scheme_formsets(data=None, scheme=None):
    formsets = {}
    for name, formset_class in FORMSETS:
        rows = getattr(scheme, name) if scheme is not None else None
        formset = formset_class(data, prefix=name, initial=rows)
        # Rows are added on the page ("添加一行", static/js/portal-forms.js): one empty row
        # only when there is none yet, so a saved list gains no blank row.
        formset.extra = 0 if rows else 1
        formsets[name] = formset
    return formsets


def formset_rows(formset) -> list[dict]:
    return [
        {k: v for k, v in form.cleaned_data.items() if k != "DELETE"}
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


class SchemeForm(forms.Form):
    enterprise = forms.ModelChoiceField(
        label=_("用能单位"),
        queryset=Enterprise.objects.filter(registration_status=RegistrationStatus.APPROVED),
    )
    project_plan = forms.CharField(
        label=_("项目建设方法、内容及计划"), widget=forms.Textarea(attrs={"rows": 5})
    )
    construction_period = forms.CharField(
        label=_("建设周期"),
        max_length=200,
        required=False,
        help_text=_("例如：自方案定稿起 3 个月；发送企业前须填写"),
    )
    document = forms.FileField(
        label=_("设计方案文件"),
        required=False,
        help_text=_("PDF 或 Word；发送企业前须上传"),
    )

    def __init__(self, *args, scheme=None, **kwargs):
        super().__init__(*args, **kwargs)
        # One optional upload per document part of seed 4.1(2); a later upload adds a
        # newer version, the page shows them all.
        for kind, label in SCHEME_PART_DOCUMENTS:
            self.fields[f"part_{kind}"] = forms.FileField(
                label=label,
                required=False,
                help_text=_("PDF、图片或 Word；发送企业前须上传"),
            )
        if scheme is not None:
            del self.fields["enterprise"]
            self.initial.setdefault("project_plan", scheme.project_plan)
            self.initial.setdefault("construction_period", scheme.construction_period)

    def part_uploads(self) -> dict:
        return {
            kind: self.cleaned_data.get(f"part_{kind}")
            for kind, _label in SCHEME_PART_DOCUMENTS
            if self.cleaned_data.get(f"part_{kind}")
        }


class SiteSurveyForm(forms.ModelForm):
    """现场调研 record."""

    class Meta:
        model = SiteSurvey
        fields = ["surveyed_on", "surveyors", "findings"]
        widgets = {"surveyed_on": DATE, "findings": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"surveyors": _("姓名，多人以顿号分隔")}

    def clean_surveyed_on(self):
        value = self.cleaned_data["surveyed_on"]
        if value > timezone.localdate():
            raise ValidationError(_("调研日期不能晚于今天。"))
        return value


class MeterForm(forms.ModelForm):
    """计量器具台账 row."""

    class Meta:
        model = Meter
        fields = [
            "name",
            "management_number",
            "model",
            "accuracy_class",
            "energy_type",
            "metering_level",
            "location",
            "interface",
            "certificate_number",
            "valid_until",
        ]
        widgets = {"valid_until": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["energy_type"].choices = [("", _("请选择")), *EnergyCode.choices]
        self.fields["metering_level"].choices = [
            ("", _("请选择")),
            *self.fields["metering_level"].choices[1:],
        ]

    def validate_unique(self):
        # Unique per enterprise: the service checks (the form has no enterprise field).
        pass


class StampForm(forms.Form):
    """The scan of a printed record with its 单位盖章."""

    scan = forms.FileField(label=_("盖章扫描件"), help_text=_("PDF 或图片"))


YES_NO = [(True, _("是")), (False, _("否"))]


def yes_no(field_name):
    return forms.TypedChoiceField(
        label=SchemeFeedback._meta.get_field(field_name).verbose_name,
        choices=YES_NO,
        coerce=lambda value: value in (True, "True", "true", "1"),
        widget=forms.RadioSelect,
    )


class FeedbackForm(forms.Form):
    """7.1 反馈意见确认表."""

    can_finalise = yes_no("can_finalise")
    energy_types_correct = yes_no("energy_types_correct")
    collection_methods_correct = yes_no("collection_methods_correct")
    instruments_correct = yes_no("instruments_correct")
    construction_understood = yes_no("construction_understood")
    budget_understood = yes_no("budget_understood")
    planned_batch = forms.ChoiceField(
        label=_("项目计划建设完成日期"),
        required=False,
        help_text=_("省计量院的建设批次；都不合适时选“其他月份”并在下面填写"),
    )
    planned_completion = forms.CharField(
        label=_("其他月份"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month"}),
        help_text=_("年月，例如 2026-06"),
    )
    contact_person = forms.CharField(label=_("项目建设主要联络人"), max_length=50)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=30)
    contact_position = forms.CharField(label=_("联系人职位"), max_length=50)
    contact_email = forms.EmailField(label=_("联系邮箱"))
    feedback_text = forms.CharField(
        label=_("单位反馈意见说明"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    OTHER = "other"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        batches = [b.strip() for b in settings.SCHEME_COMPLETION_BATCHES if b.strip()]
        if batches:
            self.fields["planned_batch"].choices = [
                ("", _("请选择")),
                *[(b, _batch_label(b)) for b in batches],
                (self.OTHER, _("其他月份")),
            ]
        else:
            # No batches set: free entry only.
            del self.fields["planned_batch"]
            self.fields["planned_completion"].label = _("项目计划建设完成日期")
            self.fields["planned_completion"].required = True

    @staticmethod
    def _month(value: str):
        try:
            year, month = (int(part) for part in value.strip().split("-"))
            return date(year, month, 1)
        except ValueError:
            raise ValidationError(_("请按“年-月”填写，例如 2026-06。")) from None

    def clean(self):
        cleaned = super().clean()
        batch = cleaned.get("planned_batch", self.OTHER)
        free = (cleaned.get("planned_completion") or "").strip()
        if batch and batch != self.OTHER:
            cleaned["planned_completion"] = self._month(batch)
        elif free:
            try:
                cleaned["planned_completion"] = self._month(free)
            except ValidationError as error:
                self.add_error("planned_completion", error)
        elif "planned_batch" in self.fields and not batch:
            self.add_error("planned_batch", _("请选择计划完成批次，或选“其他月份”后填写。"))
        else:
            self.add_error("planned_completion", _("请填写计划完成的年月。"))
        cleaned.pop("planned_batch", None)
        return cleaned


def _batch_label(value: str) -> str:
    year, _sep, month = value.partition("-")
    month = str(int(month)) if month.isdigit() else month
    return _("%(y)s年%(m)s月批次") % {"y": year, "m": month}


class ChangeRecordForm(forms.ModelForm):
    document = forms.FileField(
        label=_("变更单位签章文件"),
        help_text=_("变更记录打印后由变更单位签章，扫描上传（PDF、图片或 Word）"),
    )

    class Meta:
        model = ChangeRecord
        fields = ["changed_on", "content", "reason", "unit"]
        widgets = {
            "changed_on": DATE,
            "content": forms.Textarea(attrs={"rows": 3}),
            "reason": forms.Textarea(attrs={"rows": 3}),
        }


class AccessApplicationForm(forms.ModelForm):
    """附表1, as the enterprise fills it: one section of it (applications/sections.py), or
    the whole form when no section is given. Every answer of the section is required."""

    energy_types = forms.MultipleChoiceField(
        label=_("采集能源品种"),
        choices=EnergyCode.choices,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    class Meta:
        model = AccessApplication
        fields = list(APPLICATION_FIELDS)
        widgets = {
            name: DATE
            for name in (
                "application_date",
                "project_start",
                "project_end",
                "device_manufactured_on",
                "om_contract_end",
            )
        }
        # The seed's words where the web form departs from the model's longer names: the
        # paper puts 联系人电话 / 联系人邮箱 in the 项目负责人 row, and one 项目起止时间.
        labels = {
            "builder_phone": _("联系人电话"),
            "builder_email": _("联系人邮箱"),
            "project_start": _("项目起止时间（开始）"),
            "project_end": _("项目起止时间（结束）"),
        }
        help_texts = {
            "contact_phone": _("手机号或带区号的固定电话"),
            "builder_phone": _("项目负责人的手机号或带区号的固定电话"),
            "builder_email": _("项目负责人的联系邮箱"),
            "device_manufactured_on": _("不能晚于今天"),
            "om_contract_end": _("现行运维合同的截止日期"),
            "monitoring_points": _("至少 1 个"),
        }

    def __init__(self, *args, enterprise, section=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.enterprise = enterprise
        if section is not None:
            for name in list(self.fields):
                if name not in section.fields:
                    del self.fields[name]
        for field in self.fields.values():
            field.required = True
        if "design_scheme" in self.fields:
            self.fields["design_scheme"].queryset = DesignScheme.objects.filter(
                enterprise=enterprise, state=SchemeState.FINALISED
            )
            self.fields["design_scheme"].label_from_instance = lambda s: s.number
        if "monitoring_points" in self.fields:
            self.fields["monitoring_points"].min_value = 1
            self.fields["monitoring_points"].widget.attrs["min"] = 1
        if self.instance.pk is None:
            self.initial.setdefault("applicant_name", enterprise.name)
            self.initial.setdefault("uscc", enterprise.uscc)
            self.initial.setdefault("contact_person", enterprise.contact_person)
            self.initial.setdefault("contact_phone", enterprise.contact_phone)
            self.initial.setdefault("contact_email", enterprise.contact_email)

    def clean_uscc(self):
        code = self.cleaned_data["uscc"].strip().upper()
        reason = uscc_error(code)
        if reason:
            raise ValidationError(reason)
        return code

    def clean(self):
        cleaned = super().clean()
        # The section's answers are checked with the application's other answers, so an
        # end date cannot slip in before a start date saved in another section.
        kept = answers_given(self.instance) if self.instance.pk is not None else {}
        try:
            check_application_data(self.enterprise, {**kept, **cleaned})
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                if field in self.fields and field not in self.errors:
                    self.add_error(field, messages)
        return cleaned

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in APPLICATION_FIELDS if name in self.fields}


class MaterialForm(forms.Form):
    kind = forms.ChoiceField(label=_("材料类型"), choices=Material.choices)
    file = forms.FileField(label=_("文件"))


class VerdictForm(forms.Form):
    """The reviewer's verdict on one material of 附表1."""

    verdict = forms.ChoiceField(
        label=_("审核结论"), choices=Verdict.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("补正说明"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("需补正时必填：写明要补正什么，退回时写入退回原因。"),
    )


class StampedScanForm(forms.Form):
    file = forms.FileField(label=_("盖章签字的对接申请表扫描件"))


class DeclarationForm(forms.Form):
    """The declaration the clerk makes before submitting 附表1 (check your answers)."""

    declaration = forms.BooleanField(
        label=_(
            "本单位承诺：申请表所填内容及所附材料真实、准确、完整，企业接入端系统已按确认的"
            "设计方案建设完成。"
        ),
        error_messages={"required": _("提交前请勾选声明。")},
    )


class CsrForm(forms.Form):
    device_serial = forms.CharField(label=_("端设备编号"), max_length=64)
    csr = forms.CharField(
        label=_("证书签名请求（CSR，PEM 格式）"),
        widget=forms.Textarea(attrs={"rows": 8, "class": "font-monospace"}),
        required=False,
    )
    csr_file = forms.FileField(label=_("或上传 CSR 文件"), required=False)

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("csr_file")
        if upload is not None:
            if upload.size > 64 * 1024:
                self.add_error("csr_file", _("CSR 文件过大。"))
                return cleaned
            cleaned["csr"] = upload.read().decode("utf-8", errors="replace")
        if not (cleaned.get("csr") or "").strip():
            self.add_error("csr", _("请粘贴 CSR 或上传 CSR 文件。"))
        return cleaned


class GenerateKeyForm(forms.Form):
    device_serial = forms.CharField(label=_("端设备编号"), max_length=64)
    key_type = forms.ChoiceField(
        label=_("密钥类型"), choices=[("ec", "EC P-256"), ("rsa", "RSA 2048")]
    )


class RevokeForm(forms.Form):
    reason = forms.ChoiceField(label=_("吊销原因"), choices=RevocationReason.choices)
    comment = forms.CharField(
        label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class QueueFilterForm(forms.Form):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("单位名称、信用代码或方案编号")}
        ),
    )
    region = forms.ChoiceField(label=_("地区"), required=False)
    state = forms.ChoiceField(label=_("状态"), required=False)
    age = forms.ChoiceField(
        label=_("等待时长"),
        required=False,
        choices=[
            ("", _("全部")),
            ("3", _("超过 3 天")),
            ("7", _("超过 7 天")),
            ("14", _("超过 14 天")),
        ],
    )
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        from portal.models import Region

        from .models import ApplicationState

        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", _("全部地区")), *Region.choices]
        self.fields["state"].choices = [
            ("", _("待处理（已提交、审核中）")),
            *ApplicationState.choices,
        ]
