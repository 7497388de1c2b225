"""The public verification pages, at the site's root (/verify/…), as printed in the QR code."""

from django.urls import path

from .views import verify

urlpatterns = [
    path("verify/", verify.verify_start, name="verify_start"),
    path("verify/<str:number>", verify.verify, name="verify"),
]
