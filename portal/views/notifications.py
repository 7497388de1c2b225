from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ..access import grant_access, logged_in
from ..permissions import notifications_visible_to


@grant_access(logged_in)
def inbox(request):
    notes = notifications_visible_to(request.user)
    page = Paginator(notes, 30).get_page(request.GET.get("page"))
    return render(request, "portal/inbox.html", {"page": page})


@require_POST
@grant_access(logged_in)
def mark_read(request, pk):
    note = get_object_or_404(notifications_visible_to(request.user), pk=pk)
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    if request.headers.get("HX-Request"):
        return render(request, "portal/_notification.html", {"note": note})
    target = note.link if url_has_allowed_host_and_scheme(note.link, None) else ""
    return redirect(target or "inbox")


@require_POST
@grant_access(logged_in)
def mark_all_read(request):
    notifications_visible_to(request.user).unread().update(read_at=timezone.now())
    return redirect("inbox")
