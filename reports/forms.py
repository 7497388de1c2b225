from django import forms
from django.utils.translation import gettext_lazy as _

from .services.seal import SEAL_MAX_BYTES, read_seal_image


class SealUploadForm(forms.Form):
    image = forms.FileField(
        label=_("印章图片"),
        help_text=_("PNG（透明背景最佳）或 JPEG，不超过 2 MB，边长 100 到 4000 像素。"),
    )

    def clean_image(self):
        upload = self.cleaned_data["image"]
        read_seal_image(upload.read(SEAL_MAX_BYTES + 1))  # raises ValidationError
        upload.seek(0)
        return upload
