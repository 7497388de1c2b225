"""One audit event per change: who, what, from which state to which, why."""

import pytest

from portal.models import AuditEvent, Enterprise
from portal.services import approve_registration


def edit_data(enterprise, **changes):
    data = {
        field: getattr(enterprise, field)
        for field in (
            "name",
            "uscc",
            "region",
            "industry",
            "address",
            "legal_representative",
            "contact_person",
            "contact_phone",
            "contact_email",
        )
    }
    data.update(changes)
    return data


def test_approval_records_actor_states_and_comment(pending, reviewer, client_for):
    client_for(reviewer).post(f"/enterprises/{pending.pk}/approve/", {"comment": "材料齐全"})
    (event,) = AuditEvent.objects.filter(event="registration_approved")
    assert event.actor == reviewer
    assert (event.from_state, event.to_state) == ("pending", "approved")
    assert event.comment == "材料齐全"
    assert event.target == Enterprise.objects.get(pk=pending.pk)
    assert event.enterprise_id == pending.pk


def test_a_refused_transition_records_nothing(enterprise, reviewer, client_for):
    client_for(reviewer).post(f"/enterprises/{enterprise.pk}/approve/")
    assert not AuditEvent.objects.filter(event="registration_approved").exists()


def test_an_edit_records_the_changed_fields(enterprise, member, client_for):
    response = client_for(member).post(
        f"/enterprises/{enterprise.pk}/edit/",
        edit_data(enterprise, address="湖北省武汉市新地址 9 号", contact_phone="027-86001111"),
    )
    assert response.status_code == 302
    (event,) = AuditEvent.objects.filter(event="enterprise_updated")
    assert event.actor == member
    assert sorted(event.context["fields"]) == ["address", "contact_phone"]
    enterprise.refresh_from_db()
    assert enterprise.address == "湖北省武汉市新地址 9 号"


def test_an_api_edit_records_the_changed_fields(enterprise, member, api_client_for):
    response = api_client_for(member).patch(
        f"/api/v1/enterprises/{enterprise.pk}/",
        {"contact_person": "新联系人", "name": enterprise.name},
        format="json",
    )
    assert response.status_code == 200
    (event,) = AuditEvent.objects.filter(event="enterprise_updated")
    assert event.context["fields"] == ["contact_person"]


def test_record_refuses_an_unknown_event_name(enterprise, member):
    with pytest.raises(ValueError, match="enterprise_teleported"):
        AuditEvent.record(enterprise, member, "enterprise_teleported")
    assert not AuditEvent.objects.exists()


def test_record_keeps_the_enterprise_of_an_owned_record(enterprise, member):
    membership = enterprise.memberships.get(user=member)
    event = AuditEvent.record(membership, member, "member_added")
    assert event.enterprise_id == enterprise.pk


def test_the_enterprise_page_shows_the_timeline(pending, reviewer, client_for):
    approve_registration(pending, reviewer, "材料齐全，准予注册")
    html = client_for(reviewer).get(f"/enterprises/{pending.pk}/").content.decode()
    assert "注册审核通过" in html
    assert "材料齐全，准予注册" in html
    assert str(reviewer) in html


def test_the_timeline_shows_state_labels_not_identifiers(pending, reviewer, client_for):
    approve_registration(pending, reviewer, "")
    html = client_for(reviewer).get(f"/enterprises/{pending.pk}/").content.decode()
    timeline = html[html.index('class="list-group list-group-flush timeline"') :]
    assert "待审核 → 已通过" in timeline
    assert "pending" not in timeline
