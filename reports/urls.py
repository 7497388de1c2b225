from django.urls import path

from .views import seal

app_name = "reports"

urlpatterns = [
    path("seal/", seal.seal_page, name="seal"),
    path("seal/<int:pk>/image.png", seal.seal_png, name="seal_png"),
    path("seal/preview.png", seal.stamp_preview, name="stamp_preview"),
]
