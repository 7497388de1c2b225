from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import api

# JSON only: no `.json` suffix routes (their actions would not take the format argument).
router = SimpleRouter()
router.include_format_suffixes = False
router.register("documents", api.IssuedDocumentViewSet, basename="issued-document")

urlpatterns = [path("", include(router.urls))]
