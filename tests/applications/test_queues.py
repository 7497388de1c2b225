"""Dashboard cards open the queue they count, count only open items, and the platform
operator (省平台开发单位) has its own queue and notice for schemes awaiting its confirmation."""

from django.urls import reverse

from applications.models import SchemeState
from applications.services.schemes import answer_scheme, confirm_scheme
from portal.dashboards import REVIEWER_QUEUES
from portal.models import Notification

from .factories import DesignSchemeFactory
from .test_scheme_workflow import YES


def _counts(response):
    return {str(queue.label): (n, queue.url) for queue, n in response.context["queues"]}


def test_the_operator_is_told_and_queued_until_it_confirms(
    client_for, enterprise, member, reviewer, operator
):
    scheme = DesignSchemeFactory(enterprise=enterprise, sent=True)
    answer_scheme(scheme, member, YES)
    # The enterprise's confirmation tells the operator its confirmation is awaited.
    assert Notification.objects.filter(recipient=operator, title__contains=scheme.number).exists()

    dashboard = client_for(operator).get(reverse("dashboard"))
    count, url = _counts(dashboard)["待省平台开发单位确认的设计方案"]
    assert (count, url) == (1, reverse("applications:scheme_queue"))
    queue = client_for(operator).get(url)
    assert [s.pk for s in queue.context["page"]] == [scheme.pk]

    confirm_scheme(scheme, operator)
    assert (
        _counts(client_for(operator).get(reverse("dashboard")))["待省平台开发单位确认的设计方案"][0]
        == 0
    )
    assert list(client_for(operator).get(url).context["page"]) == []
    # The institute is still waited for, and only it.
    reviewer_counts = _counts(client_for(reviewer).get(reverse("dashboard")))
    assert reviewer_counts["待确认的设计方案"][0] == 1
    assert [s.pk for s in client_for(reviewer).get(url).context["page"]] == [scheme.pk]
    confirm_scheme(scheme, reviewer)
    scheme.refresh_from_db()
    assert scheme.state == SchemeState.FINALISED
    assert _counts(client_for(reviewer).get(reverse("dashboard")))["待确认的设计方案"][0] == 0


def test_a_scheme_sent_back_waits_for_the_institute_not_the_operator(
    client_for, enterprise, member, reviewer, operator
):
    scheme = DesignSchemeFactory(enterprise=enterprise, sent=True)
    answer_scheme(scheme, member, {**YES, "can_finalise": False, "feedback_text": "缺少蒸汽"})
    assert not Notification.objects.filter(recipient=operator).exists()
    assert [
        s.pk for s in client_for(reviewer).get(reverse("applications:scheme_queue")).context["page"]
    ] == [scheme.pk]
    assert (
        list(client_for(operator).get(reverse("applications:scheme_queue")).context["page"]) == []
    )


def test_the_scheme_queue_is_for_staff_and_costs_a_fixed_number_of_queries(
    client_for, member, reviewer, django_assert_max_num_queries
):
    assert client_for(member).get(reverse("applications:scheme_queue")).status_code == 403
    for _ in range(6):
        DesignSchemeFactory(target_state=SchemeState.ENTERPRISE_CONFIRMED)
    client = client_for(reviewer)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("applications:scheme_queue"))
    assert len(response.context["page"]) == 6


def test_every_card_counts_what_its_list_shows(client_for, reviewer):
    urls = {str(q.label): q.url for q in REVIEWER_QUEUES}
    assert urls["待审核、批准的报告"].endswith("?state=open")
    assert "试运行已通过，待出具报告" not in urls  # reports' card counts them, open ones only
    response = client_for(reviewer).get(urls["待审核、批准的报告"])
    assert response.status_code == 200
