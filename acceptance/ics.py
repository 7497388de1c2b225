"""The on-site acceptance as an iCalendar event (RFC 5545): downloaded from its page and
attached to the invitation, change and reminder e-mails (acceptance.calendar_mail)."""

from datetime import UTC, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _


def onsite_link(onsite) -> str:
    return reverse("acceptance:onsite_detail", args=[onsite.pk])


def calendar(onsite) -> str:
    """The on-site acceptance as an iCalendar event (RFC 5545) for invitations."""

    start = onsite.scheduled_for.astimezone(UTC)
    end = start + timedelta(hours=4)
    summary = _("现场验收：%(n)s") % {"n": onsite.application.owner_name}

    def escape(text: str) -> str:
        return (
            text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
        )

    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Hubei energy monitoring portal//acceptance//ZH",
        "BEGIN:VEVENT",
        f"UID:onsite-{onsite.pk}@{settings.SITE_URL.split('//')[-1]}",
        f"DTSTAMP:{timezone.now().astimezone(UTC):%Y%m%dT%H%M%SZ}",
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
        f"DTEND:{end:%Y%m%dT%H%M%SZ}",
        f"SUMMARY:{escape(summary)}",
        f"LOCATION:{escape(onsite.place)}",
        f"URL:{settings.SITE_URL}{onsite_link(onsite)}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"
