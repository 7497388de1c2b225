from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from applications.models import Meter
from portal.catalogue import CollectionMethod, EnergyCode
from portal.models import User
from telemetry.models import DataItem

from .choices import REPORT_ITEMS, FailureCondition, ItemResult, SignatureRole
from .models import (
    AcceptanceApplication,
    AcceptanceReport,
    CoverageEnergy,
    Material,
    MeteringLevel,
    OnSiteAcceptance,
    PanelRole,
    ReportContent,
    Verdict,
)
from .services.applications import FIELDS
from .services.onsite import PROPOSAL_FIELDS, STEP_FIELDS, ledger_label
from .services.report import EDITABLE as REPORT_EDITABLE

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
CHOOSE = [("", _("请选择"))]


class CollectionRowForm(forms.Form):
    """One 数据采集方式 row of 附表2: energy type → how its data reaches the platform."""

    energy_type = forms.ChoiceField(label=_("能源品种"), choices=CHOOSE + list(EnergyCode.choices))
    method = forms.ChoiceField(label=_("对接方式"), choices=CHOOSE + list(CollectionMethod.choices))


CollectionFormSet = formset_factory(CollectionRowForm, extra=2, can_delete=True)


def collection_rows(formset) -> list[dict]:
    return [
        {"energy_type": f.cleaned_data["energy_type"], "method": f.cleaned_data["method"]}
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]


class AcceptanceApplicationForm(forms.ModelForm):
    energy_coverage = forms.MultipleChoiceField(
        label=_("覆盖能源品种"), choices=CoverageEnergy.choices, widget=forms.CheckboxSelectMultiple
    )
    metering_levels = forms.MultipleChoiceField(
        label=_("能源计量等级"), choices=MeteringLevel.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = AcceptanceApplication
        fields = [f for f in FIELDS if f != "collection_rows"]
        widgets = {
            "started_on": DATE,
            "completed_on": DATE,
            "summary": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "energy_coverage": _("按已登记数据采集项的能源品种预填，可修改。"),
            "no_change_declared": _("实施过程中没有变更设计方案时勾选，代替表1第2项变更记录文件。"),
        }

    def __init__(self, *args, collection_formset=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.collection_formset = collection_formset

    def is_valid(self):
        formset_ok = self.collection_formset is None or self.collection_formset.is_valid()
        return super().is_valid() and formset_ok

    def service_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        if self.collection_formset is not None:
            data["collection_rows"] = collection_rows(self.collection_formset)
        return data


class MaterialFileForm(forms.Form):
    material = forms.ChoiceField(choices=Material.choices)
    part = forms.CharField(required=False, max_length=40)
    device = forms.IntegerField(required=False)
    file = forms.FileField(label=_("文件"))


class VerdictForm(forms.Form):
    material = forms.ChoiceField(choices=Material.choices, widget=forms.HiddenInput)
    verdict = forms.ChoiceField(
        label=_("审查结论"), choices=Verdict.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("补正说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class OnSiteProposalForm(forms.ModelForm):
    class Meta:
        model = OnSiteAcceptance
        fields = list(PROPOSAL_FIELDS)
        widgets = {"scheduled_for": DATETIME}
        help_texts = {
            "scheduled_for": _("现场验收由用能单位组织，省计量院确认后通知验收小组。"),
        }


class PanelSeatForm(forms.Form):
    user = forms.ModelChoiceField(label=_("成员"), queryset=User.objects.none())
    role = forms.ChoiceField(label=_("身份"), choices=CHOOSE + list(PanelRole.choices))
    body = forms.CharField(label=_("所在单位"), max_length=200, required=False)
    is_leader = forms.BooleanField(label=_("组长"), required=False)

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = candidates if candidates is not None else User.objects.none()
        self.fields["user"].label_from_instance = lambda u: (
            f"{u.get_full_name() or u.username} · {u.get_role_display()}"
        )


PanelFormSet = formset_factory(PanelSeatForm, extra=1, can_delete=True)


def panel_seats(formset) -> list[dict]:
    return [
        {k: v for k, v in f.cleaned_data.items() if k != "DELETE"}
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]


class StepsForm(forms.ModelForm):
    class Meta:
        model = OnSiteAcceptance
        fields = list(STEP_FIELDS)
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in STEP_FIELDS}


class ComparisonForm(forms.Form):
    item = forms.ModelChoiceField(label=_("数据采集项"), queryset=DataItem.objects.none())
    meter = forms.CharField(label=_("计量器具"), max_length=200, required=False)
    read_at = forms.DateTimeField(label=_("现场读数时间"), widget=DATETIME)
    site_value = forms.DecimalField(label=_("现场读数"), max_digits=20, decimal_places=4)

    def __init__(self, *args, enterprise=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.ledger_meters = []
        if enterprise is not None:
            self.fields["item"].queryset = DataItem.objects.filter(
                enterprise=enterprise, is_active=True
            ).order_by("data_code")
            # Suggestions from the 计量器具台账 (blank: the item's own meter).
            self.ledger_meters = [
                ledger_label(m) for m in Meter.objects.filter(enterprise=enterprise)
            ]
            self.fields["meter"].widget.attrs["list"] = "ledger-meters"
            self.fields["meter"].help_text = _("留空则取该采集项在计量器具台账中的器具")


class ReportFileForm(forms.Form):
    content = forms.ChoiceField(label=_("汇报内容"), choices=ReportContent.choices)
    file = forms.FileField(label=_("文件"))


class SitePhotoForm(forms.Form):
    caption = forms.CharField(label=_("照片说明"), max_length=200)
    file = forms.FileField(label=_("照片（JPEG/PNG）"))


class ReportForm(forms.ModelForm):
    """附件2's fields; a 不合格 names the seed's fail conditions, each explained."""

    class Meta:
        model = AcceptanceReport
        fields = [f for f in REPORT_EDITABLE if f != "fail_conditions"]
        widgets = {
            "held_on": DATE,
            "overall_opinion": forms.Textarea(attrs={"rows": 3}),
            **{f"{key}_remark": forms.Textarea(attrs={"rows": 2}) for key, _label in REPORT_ITEMS},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance.fail_conditions or {}
        for condition in FailureCondition:
            self.fields[f"fail_{condition.value}"] = forms.CharField(
                label=_("不合格情形 %(n)s：%(t)s") % {"n": condition.value, "t": condition.label},
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=stored.get(condition.value, ""),
                help_text=_("适用时填写说明；不适用留空。"),
            )

    def clean(self):
        data = super().clean()
        conditions = {
            c.value: data.get(f"fail_{c.value}", "").strip()
            for c in FailureCondition
            if data.get(f"fail_{c.value}", "").strip()
        }
        if data.get("result") == ItemResult.FAIL and not conditions:
            raise forms.ValidationError(_("验收结论为不合格时，须至少说明一种不合格情形。"))
        data["fail_conditions"] = conditions
        return data

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in REPORT_EDITABLE}


class SignForm(forms.Form):
    """Confirmed with the login password, or with the one-time code e-mailed to the signer."""

    role = forms.ChoiceField(choices=SignatureRole.choices, widget=forms.HiddenInput)
    password = forms.CharField(
        label=_("请输入您的登录密码以确认签字"), widget=forms.PasswordInput, required=False
    )
    code = forms.CharField(label=_("或输入邮件中的验证码"), max_length=6, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("password") and not data.get("code"):
            raise forms.ValidationError(_("请输入密码或验证码以确认签字。"))
        return data


class LinkSignForm(forms.Form):
    name = forms.CharField(label=_("签字人姓名"), max_length=50)
    agree = forms.BooleanField(label=_("本人已核对验收报告内容，代表项目承建方签字确认。"))
