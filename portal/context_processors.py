from django.conf import settings

from .dashboards import NAV_LINKS, PUBLIC_LINKS
from .models import Notification


def portal(request):
    user = getattr(request, "user", None)
    context = {"PORTAL_NAME": settings.PORTAL_NAME, "public_links": PUBLIC_LINKS}
    if user is not None and user.is_authenticated:
        context["unread_notifications"] = Notification.objects.filter(
            recipient=user, read_at__isnull=True
        ).count()
        context["role_nav"] = [link for link in NAV_LINKS if link.rule(user)]
    return context
