from django.urls import reverse

from .factories import AccessApplicationFactory, DesignSchemeFactory


def test_dashboards_show_this_apps_panel_and_queues(client_for, enterprise, member, reviewer):
    application = AccessApplicationFactory(enterprise=enterprise, submitted=True)

    page = client_for(member).get(reverse("dashboard")).content.decode()
    assert application.design_scheme.number in page and "已提交" in page
    page = client_for(reviewer).get(reverse("dashboard")).content.decode()
    assert "待审核的对接申请" in page


def test_scheme_forms_render_with_their_rows(client_for, reviewer, enterprise):
    scheme = DesignSchemeFactory(enterprise=enterprise)
    client = client_for(reviewer)

    assert client.get(reverse("applications:scheme_create")).status_code == 200
    page = client.get(reverse("applications:scheme_edit", args=[scheme.pk])).content.decode()
    assert 'name="energy_types-TOTAL_FORMS"' in page
    # The 一级计量器具 list is no longer edited here: the meter ledger is the scheme's list.
    assert 'name="instruments-TOTAL_FORMS"' not in page
    assert reverse("applications:meter_list", args=[enterprise.pk]) in page


def test_enterprise_application_form_offers_only_finalised_schemes(client_for, enterprise, member):
    finalised = DesignSchemeFactory(enterprise=enterprise, finalised=True)
    sent = DesignSchemeFactory(enterprise=enterprise, sent=True)
    draft = AccessApplicationFactory(enterprise=enterprise, design_scheme=finalised)
    page = (
        client_for(member)
        .get(reverse("applications:application_section", args=[draft.pk, "project"]))
        .content.decode()
    )

    assert finalised.number in page and sent.number not in page


def test_scheme_rows_can_be_added_and_removed_without_saving(client_for, reviewer, enterprise):
    scheme = DesignSchemeFactory(enterprise=enterprise)
    page = client_for(reviewer).get(reverse("applications:scheme_edit", args=[scheme.pk]))
    page = page.content.decode()
    for prefix in ("energy_types", "budget_items"):
        assert f'data-formset="{prefix}"' in page
        assert f'id="{prefix}-empty-row"' in page and f'data-formset-add="{prefix}"' in page
    assert "energy_types-__prefix__-energy_type" in page
    assert "js/portal-forms.js" in page and "<script>" not in page
