"""现场验收: proposal, panel, conflict declarations, the four steps and comparison readings."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from acceptance.models import (
    AcceptanceState,
    OnSiteAcceptance,
    OnSiteState,
    PanelRole,
)
from acceptance.services.onsite import (
    add_comparison,
    calendar,
    confirm_onsite,
    declare_no_conflict,
    finish_record,
    propose_onsite,
    record_steps,
    set_panel,
)
from portal.models import Notification, Region
from portal.workflow import TransitionRefused
from telemetry.models import DataItem

from ..portal.factories import (
    EnterpriseFactory,
    GovernmentViewerFactory,
    PanelMemberFactory,
    ReviewerFactory,
    member_of,
)
from ..telemetry.factories import stored_readings
from .factories import AcceptanceApplicationFactory, proposal

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted():
    enterprise = EnterpriseFactory(region=Region.WUHAN)
    member = member_of(enterprise)
    application = AcceptanceApplicationFactory(
        enterprise=enterprise, state=AcceptanceState.ACCEPTED
    )
    return application, member


@pytest.fixture
def people():
    return {
        "institute": ReviewerFactory(),
        "ndrc": GovernmentViewerFactory(region=Region.WUHAN),
        "samr": GovernmentViewerFactory(region=Region.WUHAN),
        "expert": PanelMemberFactory(),
    }


def full_panel(people) -> list[dict]:
    return [
        {"user": people["institute"], "role": PanelRole.INSTITUTE},
        {"user": people["ndrc"], "role": PanelRole.NDRC},
        {"user": people["samr"], "role": PanelRole.SAMR},
        {"user": people["expert"], "role": PanelRole.EXPERT},
    ]


@pytest.fixture
def scheduled(accepted, people):
    application, member = accepted
    onsite = propose_onsite(member, application, proposal())
    set_panel(onsite, people["institute"], full_panel(people))
    return confirm_onsite(onsite, people["institute"])


def test_only_an_accepted_application_can_be_organised(accepted):
    application, member = accepted
    AcceptanceApplicationFactory._meta.model.objects.filter(pk=application.pk).update(
        state=AcceptanceState.MATERIALS_REVIEW
    )
    application.refresh_from_db()
    with pytest.raises(TransitionRefused):
        propose_onsite(member, application, proposal())
    assert not OnSiteAcceptance.objects.exists()


def test_a_date_in_the_past_is_refused(accepted):
    application, member = accepted
    with pytest.raises(ValidationError) as caught:
        propose_onsite(
            member, application, proposal(scheduled_for=timezone.now() - timedelta(hours=1))
        )
    assert "scheduled_for" in caught.value.message_dict


def test_an_outsider_cannot_organise(accepted):
    application, _member = accepted
    with pytest.raises(PermissionDenied):
        propose_onsite(member_of(EnterpriseFactory()), application, proposal())


def test_the_panel_needs_the_three_bodies_and_the_institute_leads_by_default(accepted, people):
    application, member = accepted
    onsite = propose_onsite(member, application, proposal())
    reviewer = people["institute"]
    set_panel(onsite, reviewer, full_panel(people)[:1])
    with pytest.raises(TransitionRefused) as refusal:
        confirm_onsite(onsite, reviewer)
    assert "当地发改委代表" in refusal.value.message
    set_panel(onsite, reviewer, full_panel(people))
    leader = onsite.seats.get(is_leader=True)
    assert leader.role == PanelRole.INSTITUTE
    assert "发展和改革委员会" in onsite.seats.get(role=PanelRole.NDRC).body
    confirmed = confirm_onsite(onsite, reviewer)
    assert confirmed.state == OnSiteState.SCHEDULED
    invited = set(Notification.objects.values_list("recipient_id", flat=True))
    assert {people["ndrc"].pk, people["expert"].pk, member.pk} <= invited


def test_a_government_user_of_another_region_cannot_sit(accepted, people):
    application, member = accepted
    onsite = propose_onsite(member, application, proposal())
    seats = full_panel(people)
    seats[1]["user"] = GovernmentViewerFactory(region=Region.YICHANG)
    with pytest.raises(ValidationError) as caught:
        set_panel(onsite, people["institute"], seats)
    assert "不属于企业所在地区" in caught.value.message_dict["panel"][0]
    assert not onsite.seats.exists()


def test_a_member_sees_the_file_only_after_declaring(client, scheduled, people):
    expert = people["expert"]
    client.force_login(expert)
    detail = reverse("acceptance:onsite_detail", args=[scheduled.pk])
    application_url = reverse("acceptance:application_detail", args=[scheduled.application.pk])
    assert 'id="declare-form"' in client.get(detail).content.decode()
    assert client.get(application_url).status_code == 404
    client.post(reverse("acceptance:onsite_declare", args=[scheduled.pk]), {"no_conflict": "on"})
    assert 'id="onsite-fields"' in client.get(detail).content.decode()
    assert client.get(application_url).status_code == 200


def test_a_panel_member_of_another_panel_sees_nothing(client, scheduled):
    client.force_login(PanelMemberFactory())
    assert client.get(reverse("acceptance:onsite_detail", args=[scheduled.pk])).status_code == 404
    listing = client.get(reverse("acceptance:onsite_list")).content.decode()
    assert f"/acceptance/onsite/{scheduled.pk}/" not in listing


def test_recording_needs_every_step_a_comparison_and_every_declaration(scheduled, people):
    leader = people["institute"]
    with pytest.raises(TransitionRefused):
        finish_record(scheduled, leader)
    record_steps(
        scheduled,
        leader,
        {
            "qa_minutes": "专家询问数据采集频率，企业答复 15 分钟。",
            "findings_layout": "布点符合设计方案。",
            "findings_devices": "端设备及计量器具符合标准规范。",
            "findings_collection": "数据采集正常。",
            "panel_evaluation": "同意通过验收。",
        },
    )
    item = DataItem.objects.create(
        enterprise=scheduled.enterprise, data_code="000012340233000000", name="全厂电耗", unit="kWh"
    )
    with pytest.raises(TransitionRefused) as refusal:
        finish_record(scheduled, leader)
    assert "比对读数" in refusal.value.message
    add_comparison(
        scheduled,
        leader,
        item_id=item.pk,
        meter="1#电表",
        read_at=timezone.now() - timedelta(hours=1),
        site_value=Decimal("10"),
    )
    with pytest.raises(TransitionRefused) as refusal:
        finish_record(scheduled, leader)
    assert "利益冲突" in refusal.value.message
    for person in people.values():
        declare_no_conflict(scheduled, person)
    assert finish_record(scheduled, leader).state == OnSiteState.RECORDED


def test_only_the_leader_or_the_institute_records(scheduled, people):
    declare_no_conflict(scheduled, people["expert"])
    with pytest.raises(TransitionRefused):
        record_steps(scheduled, people["expert"], {"qa_minutes": "x"})


def test_a_comparison_reads_the_platforms_value_for_the_same_slot(scheduled, people):
    item = DataItem.objects.create(
        enterprise=scheduled.enterprise, data_code="000012340233000001", name="1#变压器", unit="kWh"
    )
    read_at = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=2)
    slot = read_at.replace(minute=read_at.minute - read_at.minute % 15)
    stored_readings(item, {slot: Decimal("100")})
    close = add_comparison(
        scheduled,
        people["institute"],
        item_id=item.pk,
        meter="",
        read_at=read_at,
        site_value=Decimal("101.5"),
    )
    far = add_comparison(
        scheduled,
        people["institute"],
        item_id=item.pk,
        meter="",
        read_at=read_at,
        site_value=Decimal("110"),
    )
    assert close.platform_value == Decimal("100") and close.deviation_percent == Decimal("1.500")
    assert close.within and not far.within
    missing = add_comparison(
        scheduled,
        people["institute"],
        item_id=item.pk,
        meter="",
        read_at=read_at - timedelta(days=3),
        site_value=Decimal("5"),
    )
    assert missing.platform_value is None and not missing.within


def test_an_item_of_another_enterprise_is_refused(scheduled, people):
    stranger = DataItem.objects.create(
        enterprise=EnterpriseFactory(), data_code="000099990233000000", name="x", unit="kWh"
    )
    with pytest.raises(ValidationError):
        add_comparison(
            scheduled,
            people["institute"],
            item_id=stranger.pk,
            meter="",
            read_at=timezone.now(),
            site_value=Decimal("1"),
        )
    assert not scheduled.comparisons.exists()


def test_the_invitation_calendar_file(client, scheduled, people):
    text = calendar(scheduled)
    assert text.startswith("BEGIN:VCALENDAR") and "DTSTART:" in text and "LOCATION:" in text
    client.force_login(people["institute"])
    response = client.get(reverse("acceptance:onsite_calendar", args=[scheduled.pk]))
    assert response["Content-Type"].startswith("text/calendar")


def test_the_whole_path_through_the_pages(client, accepted, people):
    application, member = accepted
    client.force_login(member)
    data = proposal()
    data["scheduled_for"] = timezone.localtime(data["scheduled_for"]).strftime("%Y-%m-%dT%H:%M")
    client.post(reverse("acceptance:onsite_propose", args=[application.pk]), data)
    onsite = OnSiteAcceptance.objects.get()
    client.force_login(people["institute"])
    users = full_panel(people)
    post = {"seats-TOTAL_FORMS": str(len(users)), "seats-INITIAL_FORMS": "0"}
    for n, seat in enumerate(users):
        post[f"seats-{n}-user"] = seat["user"].pk
        post[f"seats-{n}-role"] = seat["role"]
    response = client.post(reverse("acceptance:onsite_panel", args=[onsite.pk]), post)
    assert response.status_code == 302, response.content.decode()[:2000]
    client.post(reverse("acceptance:onsite_confirm", args=[onsite.pk]))
    onsite.refresh_from_db()
    assert onsite.state == OnSiteState.SCHEDULED and onsite.seats.count() == 4


@pytest.mark.parametrize("who", ["outsider", "viewer_elsewhere", "expert_elsewhere"])
def test_outsiders_get_404_on_every_onsite_url(client, scheduled, who):
    user = {
        "outsider": lambda: member_of(EnterpriseFactory()),
        "viewer_elsewhere": lambda: GovernmentViewerFactory(region=Region.YICHANG),
        "expert_elsewhere": lambda: PanelMemberFactory(),
    }[who]()
    client.force_login(user)
    pk = scheduled.pk
    # 403 only where the view's access rule refuses the user's role before any lookup
    # (onsite_edit/report file: enterprises; onsite_panel: reviewers; steps/comparisons:
    # reviewers, government, panel); the record is out of scope everywhere else: 404.
    role_refused = {
        "outsider": {"onsite_panel", "onsite_steps", "onsite_comparison"},
        "viewer_elsewhere": {"onsite_edit", "onsite_panel", "onsite_report_file"},
        "expert_elsewhere": {"onsite_edit", "onsite_panel", "onsite_report_file"},
    }[who]

    def expected(name):
        return 403 if name in role_refused else 404

    for name in ("onsite_detail", "onsite_calendar"):
        assert client.get(reverse(f"acceptance:{name}", args=[pk])).status_code == 404, name
    for name in ("onsite_edit", "onsite_panel"):
        response = client.get(reverse(f"acceptance:{name}", args=[pk]))
        assert response.status_code == expected(name), name
    for name in (
        "onsite_declare",
        "onsite_steps",
        "onsite_comparison",
        "onsite_report_file",
        "onsite_confirm",
        "onsite_reschedule",
        "onsite_finish",
    ):
        response = client.post(reverse(f"acceptance:{name}", args=[pk]))
        assert response.status_code == expected(name), name
    assert OnSiteAcceptance.objects.get().state == OnSiteState.SCHEDULED


def test_a_comparison_names_the_items_meter_from_the_ledger(scheduled, people):
    from acceptance.forms import ComparisonForm
    from tests.applications.factories import MeterFactory

    meter = MeterFactory(
        enterprise=scheduled.enterprise, management_number="DB-009", accuracy_class="0.5S"
    )
    item = DataItem.objects.create(
        enterprise=scheduled.enterprise,
        data_code="000012340233000009",
        name="总进线",
        unit="kWh",
        meter=meter,
    )
    row = add_comparison(
        scheduled,
        people["institute"],
        item_id=item.pk,
        meter="",
        read_at=timezone.now() - timedelta(hours=1),
        site_value=Decimal("5"),
    )
    assert row.meter.startswith("DB-009") and "0.5S" in row.meter
    # The form suggests the ledger's meters.
    form = ComparisonForm(enterprise=scheduled.enterprise)
    assert form.ledger_meters == [row.meter]
    assert form.fields["meter"].widget.attrs["list"] == "ledger-meters"
