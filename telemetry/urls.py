app_name = "telemetry"
urlpatterns = []
