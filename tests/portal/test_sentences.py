"""Notifications are shown in the reader's language: stored as a message id and its
parameters (portal.sentences), composed when shown; older rows show their stored text."""

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy, gettext_noop

from applications.models import ApplicationState
from portal.models import Notification
from portal.notifications import notify
from portal.sentences import Sentence, compose_data


def english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


def test_a_sentence_is_stored_in_chinese_and_shown_in_the_readers_language(member, client_for):
    with translation.override("en"):  # whoever caused it worked in English
        notify([member], Sentence(gettext_noop("设计方案 %(n)s 已定稿"), n="NY2026-0001"))
    note = Notification.objects.get()
    assert note.title == "设计方案 NY2026-0001 已定稿"  # the record and the e-mail

    client = client_for(member)
    assert "设计方案 NY2026-0001 已定稿" in client.get(reverse("inbox")).content.decode()
    page = english(client).get(reverse("inbox")).content.decode()
    assert "Design scheme NY2026-0001 has been finalised" in page
    api = client.get(f"/api/v1/notifications/{note.pk}/", HTTP_ACCEPT="application/json")
    assert api.json()["title"] == "Design scheme NY2026-0001 has been finalised"


def test_an_old_row_without_its_parameters_shows_its_stored_text(member, client_for):
    Notification.objects.create(recipient=member, title="旧通知：设计方案已定稿")
    page = english(client_for(member)).get(reverse("inbox")).content.decode()
    assert "旧通知：设计方案已定稿" in page


def test_labels_among_the_parameters_follow_the_reader_too():
    sentence = Sentence(
        gettext_noop("对接申请（状态：%(s)s）只能有一份。请在该申请中继续办理。"),
        s=ApplicationState.APPROVED.label,
    )
    data = sentence.as_data()
    assert data["params"]["s"] == {"msgid": "审核通过", "context": "state", "params": {}}
    with translation.override("en"):
        assert "Approved" in compose_data(data)
    with translation.override("zh-hans"):
        assert "审核通过" in compose_data(data)


def test_a_sentence_that_no_longer_fits_falls_back():
    assert compose_data({"msgid": "%(gone)s 已定稿", "params": {}}, "stored") == "stored"
    assert compose_data({}, "stored") == "stored"
    assert str(Sentence(gettext_lazy("通知"))) == "通知"


def test_the_applications_services_say_sentences(member, enterprise, reviewer):
    from applications.services.access import start_review
    from tests.applications.factories import AccessApplicationFactory

    application = AccessApplicationFactory(enterprise=enterprise, submitted=True)
    with translation.override("en"):
        start_review(application, reviewer)
    note = Notification.objects.get(recipient=member)
    assert note.title == "对接申请已进入审核"
    with translation.override("en"):
        assert note.shown_title == "Your access application is now under review"


def test_coded_sentences_of_a_higher_floor_follow_the_reader(member):
    params = {"day": "2026-03-01", "code": "X1", "rate": "80", "flag": "90"}
    notify(
        [member],
        Sentence.label(gettext_lazy("通知")),
        Sentence.coded("telemetry", "completeness", params),
    )
    note = Notification.objects.get()
    assert "完整率" in note.body
    with translation.override("en"):
        assert "完整率" not in note.shown_body and "X1" in note.shown_body
    broken = {"renderer": "telemetry", "code": "no-such-code", "params": {}}
    assert compose_data(broken, "stored") == "stored"
