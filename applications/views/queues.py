"""The schemes a reviewer or the platform operator is waited for (their dashboard card)."""

from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render

from portal.access import grant_access, reviewer

from ..dashboards import awaiting_confirmation, party_waited_for
from ..models import DesignScheme, Party, SchemeState


@grant_access(reviewer)
def scheme_queue(request):
    """Schemes awaiting the viewer's party: the institute's (changes requested, or its
    confirmation awaited) or the platform developer's (its confirmation awaited)."""
    party = party_waited_for(request.user)
    waiting = awaiting_confirmation(party).values("pk")
    condition = Q(pk__in=waiting)
    if party == Party.INSTITUTE:
        condition |= Q(state=SchemeState.CHANGES_REQUESTED)
    schemes = (
        DesignScheme.objects.filter(condition)
        .select_related("enterprise")
        .order_by("sent_at", "pk")
    )
    page = Paginator(schemes, 25).get_page(request.GET.get("page"))
    return render(request, "applications/scheme_queue.html", {"page": page, "party": party})
