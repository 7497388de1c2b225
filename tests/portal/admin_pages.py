"""Walking an app's admin: every registered changelist and change page, and query counts."""

from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


def registered_models(app_label: str) -> list:
    return sorted(
        (model for model in admin.site._registry if model._meta.app_label == app_label),
        key=lambda model: model._meta.model_name,
    )


def changelist_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def admin_url(obj, view: str) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[obj.pk])


def changelist_queries(client, models) -> dict:
    """How many queries each model's changelist costs (each must answer 200)."""
    counts = {}
    for model in models:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(changelist_url(model))
        assert response.status_code == 200, model
        counts[model._meta.model_name] = len(queries)
    return counts


def act(client, model, action: str, objects, **fields):
    """Run an admin action on `objects` from the changelist, as the operator's browser does."""
    return client.post(
        changelist_url(model),
        {"action": action, "_selected_action": [obj.pk for obj in objects], **fields},
        follow=True,
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


class AdminPagesContract:
    """What every app's admin promises; a test module subclasses it as ``TestAdminPages``,
    naming the app's models, how to build more rows, and a ``records`` fixture."""

    models: list
    expected: set

    @staticmethod
    def build_records(count: int) -> None:
        raise NotImplementedError

    def test_every_record_kind_is_registered(self):
        assert {model.__name__ for model in self.models} == self.expected

    def test_every_changelist_and_change_page_renders_for_the_operator(
        self, records, operator, client_for
    ):
        client = client_for(operator)
        changelist_queries(client, self.models)
        for model in self.models:
            assert client.get(changelist_url(model), {"q": "测试"}).status_code == 200, model
            response = client.get(admin_url(model.objects.first(), "change"))
            assert response.status_code == 200, model

    def test_the_changelists_do_not_query_per_row(self, records, operator, client_for):
        client = client_for(operator)
        before = changelist_queries(client, self.models)
        self.build_records(3)
        assert changelist_queries(client, self.models) == before

    def test_records_made_by_services_are_not_added_edited_or_deleted_here(
        self, records, operator, client_for
    ):
        client = client_for(operator)
        for model in self.models:
            obj = model.objects.first()
            assert client.get(f"{changelist_url(model)}add/").status_code == 403, model
            assert client.get(admin_url(obj, "delete")).status_code == 403, model
            assert client.post(admin_url(obj, "change"), {}).status_code == 403, model
