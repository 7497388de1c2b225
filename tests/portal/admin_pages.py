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
