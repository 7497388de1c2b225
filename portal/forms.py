from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from .attachments import LICENCE_TYPES, AttachmentRejected, check_file
from .models import Enterprise, User
from .phones import phone_error
from .uscc import uscc_error


class EnterpriseForm(forms.ModelForm):
    class Meta:
        model = Enterprise
        fields = [
            "name",
            "uscc",
            "region",
            "industry",
            "address",
            "legal_representative",
            "contact_person",
            "contact_phone",
            "contact_email",
        ]

    def clean_uscc(self):
        code = self.cleaned_data["uscc"].strip().upper()
        reason = uscc_error(code)
        if reason:
            raise forms.ValidationError(reason)
        return code

    def clean_contact_phone(self):
        phone = self.cleaned_data["contact_phone"].strip()
        reason = phone_error(phone)
        if reason:
            raise forms.ValidationError(reason)
        return phone


class RegistrationForm(EnterpriseForm):
    """An enterprise registers itself and its first user, with its business licence."""

    username = forms.CharField(label=_("登录用户名"), max_length=150)
    full_name = forms.CharField(label=_("您的姓名"), max_length=50)
    email = forms.EmailField(label=_("您的邮箱"))
    password1 = forms.CharField(label=_("密码"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("确认密码"), widget=forms.PasswordInput, strip=False)
    licence = forms.FileField(
        label=_("营业执照（PDF、JPEG 或 PNG）"),
        help_text=_("用于核对企业名称和统一社会信用代码"),
    )

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("该用户名已被使用。"))
        return username

    def __init__(self, *args, kept_licence=None, **kwargs):
        super().__init__(*args, **kwargs)
        # A licence sent with an earlier try that failed on another field: not asked again.
        self.kept_licence = None
        if kept_licence is not None:
            self.keep_licence(kept_licence)
        if self.is_bound:
            self.fields["password1"].help_text = _("为安全起见，表单出错后需重新输入密码。")

    @property
    def error_summary_notes(self) -> list:
        """Lines the error summary adds after the errors: the passwords are never sent back
        to the browser (ADR 0014), so after any error both must be typed again."""
        if self.is_bound and self.errors:
            return [_("为安全起见，两次输入的密码均未保留，请重新输入“密码”和“确认密码”。")]
        return []

    def keep_licence(self, upload) -> None:
        self.kept_licence = upload
        self.fields["licence"].required = False
        self.fields["licence"].help_text = _(
            "已收到“%(name)s”，无需重新上传；如需更换，请重新选择文件。"
        ) % {"name": upload.name}
        self._bound_fields_cache.pop("licence", None)  # a bound field copies its help text

    def clean_licence(self):
        upload = self.cleaned_data["licence"] or self.kept_licence
        try:
            check_file(upload, allowed=LICENCE_TYPES)
        except AttachmentRejected as refusal:
            raise forms.ValidationError(refusal.reason) from None
        return upload

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("两次输入的密码不一致。"))
        elif first:
            probe = User(username=cleaned.get("username", ""), email=cleaned.get("email", ""))
            try:
                password_validation.validate_password(first, probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("审核意见"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
