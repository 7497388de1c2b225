"""After approval, the name, USCC and region that everything else is keyed on are locked
for the enterprise; the institute can still correct them."""

from portal.models import Enterprise, Region


def _form_data(enterprise, **changes):
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
    return {**data, **changes}


def test_the_enterprise_admin_keeps_contacts_current_but_not_the_locked_fields(
    enterprise, member, client_for
):
    url = f"/enterprises/{enterprise.pk}/edit/"
    response = client_for(member).post(
        url, _form_data(enterprise, region=Region.XIANGYANG, contact_person="王五")
    )
    assert response.status_code == 302
    enterprise = Enterprise.objects.get(pk=enterprise.pk)
    assert enterprise.contact_person == "王五"
    assert enterprise.region == Region.WUHAN


def test_the_api_names_the_locked_field(enterprise, member, api_client_for):
    response = api_client_for(member).patch(
        f"/api/v1/enterprises/{enterprise.pk}/", {"region": Region.XIANGYANG}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "region"
    assert Enterprise.objects.get(pk=enterprise.pk).region == Region.WUHAN


def test_a_reviewer_may_correct_them(enterprise, reviewer, api_client_for):
    response = api_client_for(reviewer).patch(
        f"/api/v1/enterprises/{enterprise.pk}/", {"region": Region.XIANGYANG}, format="json"
    )
    assert response.status_code == 200
    assert Enterprise.objects.get(pk=enterprise.pk).region == Region.XIANGYANG
