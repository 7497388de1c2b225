from django import forms
from django.utils.translation import gettext_lazy as _


class StepForm(forms.Form):
    """A step of the document's workflow, with the reviewer's comment (the reason of a
    revocation or of a send-back)."""

    comment = forms.CharField(
        label=_("意见或理由"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class ConformanceDraftForm(forms.Form):
    """What the drafting reviewer confirms before the figures are frozen."""

    display_enterprise = forms.BooleanField(
        label=_("已核实企业数据在省平台企业子系统中显示正确"), required=False
    )
    display_government = forms.BooleanField(
        label=_("已核实企业数据在省平台政府子系统中显示正确"), required=False
    )

    def confirmed(self) -> dict:
        return {
            "enterprise": self.cleaned_data["display_enterprise"],
            "government": self.cleaned_data["display_government"],
        }


class VerifyStartForm(forms.Form):
    number = forms.CharField(label=_("报告编号"), max_length=40)
    code = forms.CharField(label=_("校验码"), max_length=12)


class VerifyUploadForm(forms.Form):
    file = forms.FileField(label=_("待核验的 PDF 文件"))
