"""The outsider walk, generated: every URL of the URLconf and every route of the DRF routers
that names an object is called, by every role that has no business with it (a member of
another enterprise, a member of an enterprise awaiting approval, a government viewer of
another region, a panel member, anyone not logged in), by session and, on the API, by
token, with the ids of records of another enterprise (outsider_world.py). Each answer is
404 (or 403 where the role may not open that kind of page at all; 401/302-to-login without
login), never 200 and never 500. A 403 is accepted only for such a role refusal: on a page,
when the view's access rule (portal.access) refuses the role before any lookup; on the API,
for a role-restricted action (POST), never for reading a record. A record outside the
user's scope answers 404 everywhere (issue 13). Pages and API lists without an id must
not show the other enterprise either.

A new URL pattern is walked as soon as it exists: DRF router routes find their model from
the viewset's serializer; any other pattern with a parameter must be registered in
ROUTE_IDS below (the test fails until it is, naming the pattern)."""

import inspect
import re
from importlib import import_module

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from acceptance.models import (
    AcceptanceApplication,
    AcceptanceReport,
    AnnualAudit,
    AuditPlan,
    Dossier,
    MaterialFile,
    OnSiteAcceptance,
    RectificationNotice,
)
from applications.models import (
    AccessApplication,
    ChangeRecord,
    DesignScheme,
    DeviceCertificate,
    Meter,
    SchemeFeedback,
    VpnAccount,
)
from portal.access import rules_of
from portal.models import Attachment, Enterprise, Notification, Region
from reports.models import IssuedDocument
from telemetry.models import (
    Connection,
    DataItem,
    EndDevice,
    HistoricalEnergyImport,
    ItemChangeRequest,
    OutageNotice,
    RelayFlag,
    TrialRun,
    UploadBatch,
)

from .factories import EnterpriseFactory, GovernmentViewerFactory, PanelMemberFactory, member_of
from .outsider_world import BUILDERS, MARKER, build_other_world
from .test_url_access import DEVICE_SIGNED_API

ENTERPRISE_KWARGS = {"enterprise_pk", "enterprise_id"}


class Fixed(str):
    """A parameter that names no record (a section of a form): the value to put there."""


# Patterns that are not DRF router routes, each parameter with the model (and field, if not
# the pk) whose id fills it. Parameters named enterprise_pk / enterprise_id need no entry.
ROUTE_IDS: dict[str, dict[str, type | tuple[type, str]]] = {
    "enterprise_detail": {"pk": Enterprise},
    "enterprise_edit": {"pk": Enterprise},
    "enterprise_approve": {"pk": Enterprise},
    "enterprise_reject": {"pk": Enterprise},
    "enterprise_overturn": {"pk": Enterprise},
    "attachment_download": {"pk": Attachment},
    "lockout_lift": {"pk": "axes.AccessAttempt"},
    "notification_read": {"pk": Notification},
    "applications:scheme_detail": {"pk": DesignScheme},
    "applications:scheme_edit": {"pk": DesignScheme},
    "applications:scheme_send": {"pk": DesignScheme},
    "applications:scheme_feedback": {"pk": DesignScheme},
    "applications:scheme_confirm": {"pk": DesignScheme},
    "applications:change_create": {"pk": DesignScheme},
    "applications:site_survey": {"pk": DesignScheme},
    "applications:feedback_stamp": {"pk": SchemeFeedback},
    "applications:meter_edit": {"pk": Meter},
    "applications:meter_delete": {"pk": Meter},
    "applications:change_confirm": {"pk": ChangeRecord},
    "applications:change_reject": {"pk": ChangeRecord},
    "applications:application_detail": {"pk": AccessApplication},
    "applications:application_edit": {"pk": AccessApplication},
    "applications:application_print": {"pk": AccessApplication},
    "applications:application_review": {"pk": AccessApplication},
    "applications:material_verdict": {"pk": AccessApplication, "material": Fixed("site_photos")},
    "applications:stamped_scan_upload": {"pk": AccessApplication},
    "applications:material_upload": {"pk": AccessApplication},
    "applications:material_preview": {"pk": AccessApplication, "attachment_pk": Attachment},
    "applications:material_delete": {"pk": AccessApplication, "attachment_pk": Attachment},
    "applications:application_submit": {"pk": AccessApplication},
    "applications:application_start_review": {"pk": AccessApplication},
    "applications:application_return": {"pk": AccessApplication},
    "applications:application_reject": {"pk": AccessApplication},
    "applications:application_approve": {"pk": AccessApplication},
    "applications:credentials": {"pk": Enterprise},
    "applications:certificate_request": {"pk": Enterprise},
    "applications:certificate_generate": {"pk": Enterprise},
    "applications:certificate_download": {"pk": DeviceCertificate},
    "applications:certificate_revoke": {"pk": DeviceCertificate},
    "applications:vpn_password": {"pk": VpnAccount},
    "applications:vpn_disable": {"pk": VpnAccount},
    "applications:vpn_enable": {"pk": VpnAccount},
    "telemetry:device_detail": {"pk": EndDevice},
    "telemetry:device_edit": {"pk": EndDevice},
    "telemetry:item_detail": {"pk": DataItem},
    "telemetry:item_edit": {"pk": DataItem},
    "telemetry:item_change_detail": {"pk": ItemChangeRequest},
    "telemetry:item_change_approve": {"pk": ItemChangeRequest},
    "telemetry:item_change_reject": {"pk": ItemChangeRequest},
    "telemetry:outage_resolve": {"pk": OutageNotice},
    "telemetry:relay_flag_explain": {"pk": RelayFlag},
    "telemetry:relay_flag_confirm": {"pk": RelayFlag},
    "telemetry:enterprise_monitoring": {"pk": Enterprise},
    "telemetry:monitoring_live": {"pk": Enterprise},
    "telemetry:enterprise_gaps": {"pk": Enterprise},
    "telemetry:enterprise_corrections": {"pk": Enterprise},
    "telemetry:trial_detail": {"pk": TrialRun},
    "telemetry:stop_trial": {"pk": Connection},
    "telemetry:restart_trial": {"pk": Connection},
    "telemetry:enterprise_analysis": {"pk": Enterprise},
    "telemetry:history_import": {"pk": HistoricalEnergyImport},
    "telemetry-trial": {"pk": TrialRun},
    "telemetry-stop-trial": {"pk": Connection},
    "telemetry-restart-trial": {"pk": Connection},
    "telemetry_upload_receipt": {"message_id": (UploadBatch, "message_id")},
    "reports:document_detail": {"pk": IssuedDocument},
    "reports:document_progress": {"pk": IssuedDocument},
    "reports:document_download": {"pk": IssuedDocument},
    "reports:document_preview": {"pk": IssuedDocument},
    "reports:document_rerender": {"pk": IssuedDocument},
    "reports:document_compile": {"pk": IssuedDocument},
    "reports:document_review": {"pk": IssuedDocument},
    "reports:document_approve": {"pk": IssuedDocument},
    "reports:document_send_back": {"pk": IssuedDocument},
    "reports:document_withdraw": {"pk": IssuedDocument},
    "reports:document_revoke": {"pk": IssuedDocument},
    "reports:conformance_draft": {"connection_pk": Connection},
    "reports:print_feedback": {"pk": SchemeFeedback},
    "reports:print_application": {"pk": AccessApplication},
    "reports:print_change": {"pk": ChangeRecord},
    "verify": {"number": (IssuedDocument, "number")},
    **{
        f"acceptance:{name}": {"pk": AcceptanceApplication}
        for name in (
            "application_detail",
            "application_edit",
            "application_pdf",
            "material_upload",
            "material_verdict",
            "application_submit",
            "application_start_review",
            "application_return",
            "application_accept",
        )
    },
    "acceptance:material_delete": {"pk": AcceptanceApplication, "file_pk": MaterialFile},
    "applications:application_section": {"pk": AccessApplication, "section": Fixed("applicant")},
    "applications:application_check": {"pk": AccessApplication},
    "acceptance:onsite_propose": {"application_pk": AcceptanceApplication},
    "acceptance:pledge_pdf": {"pk": AcceptanceApplication},
    **{
        f"acceptance:{name}": {"pk": OnSiteAcceptance}
        for name in (
            "onsite_detail",
            "onsite_edit",
            "onsite_panel",
            "onsite_declare",
            "onsite_steps",
            "onsite_comparison",
            "onsite_report_file",
            "onsite_photo",
            "onsite_calendar",
            "onsite_confirm",
            "onsite_reschedule",
            "onsite_finish",
        )
    },
    "acceptance:report_draft": {"onsite_pk": OnSiteAcceptance},
    **{
        f"acceptance:{name}": {"pk": AcceptanceReport}
        for name in (
            "report_detail",
            "report_edit",
            "report_put",
            "report_sign",
            "report_sign_code",
            "report_issue",
        )
    },
    "acceptance:notice_detail": {"pk": RectificationNotice},
    "acceptance:notice_acknowledge": {"pk": RectificationNotice},
    "acceptance:notice_report": {"pk": RectificationNotice},
    "acceptance:notice_recheck": {"pk": RectificationNotice},
    **{
        f"acceptance:{name}": {"pk": Dossier}
        for name in ("dossier_detail", "dossier_progress", "dossier_download")
    },
    **{
        f"acceptance:{name}": {"pk": AuditPlan}
        for name in ("plan_detail", "plan_add_item", "plan_sample")
    },
    **{
        f"acceptance:{name}": {"pk": AnnualAudit}
        for name in (
            "audit_detail",
            "audit_answer",
            "audit_grade_line",
            "audit_grade",
            "audit_spot",
            "audit_spot_comparison",
            "audit_evidence_xlsx",
        )
    },
    "acceptance:audit_evidence_remove": {"pk": AnnualAudit, "file_pk": Attachment},
}


# Parameters that are not record ids, each with the reason.
NOT_OBJECT_URLS = {
    "password_reset_confirm": "a signed one-time token, checked by Django",
    "acceptance:report_sign_link": "a random one-time token, stored only as its hash",
    "reports:seal_png": "the institute's own seal image (operators only), no enterprise's",
    **{
        f"acceptance:{name}": "a file format (csv/xlsx) of a scoped list"
        for name in (
            "applications_export",
            "results_export",
            "audits_export",
            "notices_export",
            "onsite_export",
        )
    },
    "enterprises_export": "a file format (csv/xlsx) of the scoped enterprise list",
    "reports:documents_export": "a file format (csv/xlsx) of the scoped document list",
    "telemetry:trials_export": "a file format (csv/xlsx) of the scoped trial list",
    "acceptance:blank_form": "the name of a public blank form, no enterprise's record",
}
# Pages an outsider may open although they take no id; they must not show the other
# enterprise (checked below), so nothing is listed here for now.
HOW_TO_REGISTER = (
    "{route!r} ({pattern}) takes {kwargs} but the outsider walk does not know which record's "
    "id to put there: add it to ROUTE_IDS in tests/portal/test_outsider_walk.py "
    "({{'<kwarg>': Model}}), and if the model is new, a builder in BUILDERS of "
    "tests/portal/outsider_world.py that makes one for the other enterprise."
)


def walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace + (f"{entry.namespace}:" if entry.namespace else "")
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else None
            yield prefix + str(entry.pattern), name, entry


ROUTES = [
    (pattern, name, entry)
    for pattern, name, entry in walk(get_resolver().url_patterns)
    if not pattern.startswith("admin/")
]


def parameters(entry) -> list[str]:
    return [name for name in entry.pattern.regex.groupindex if name not in entry.default_args]


def drf_model(entry):
    """The model of a DRF viewset route: its queryset's, its serializer's, or what its
    get_queryset() answers for an operator (the scopers let an operator see everything)."""
    callback = entry.callback
    if getattr(callback, "actions", None) is None:
        return None
    view = callback.cls
    if getattr(view, "queryset", None) is not None:
        return view.queryset.model
    model = getattr(getattr(getattr(view, "serializer_class", None), "Meta", None), "model", None)
    if model is not None:
        return model
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from .factories import OperatorFactory

    request = Request(APIRequestFactory().get("/"))
    request.user = OperatorFactory.build()
    instance = view(request=request, kwargs={}, args=(), format_kwarg=None, action="retrieve")
    try:
        return instance.get_queryset().model
    except Exception:
        return None


def id_sources(pattern, name, entry) -> dict[str, tuple[type, str]]:
    kwargs = parameters(entry)
    registered = ROUTE_IDS.get(name, {})
    sources = {}
    for kwarg in kwargs:
        source = registered.get(kwarg)
        if source is None and kwarg in ENTERPRISE_KWARGS:
            source = Enterprise
        if source is None and kwarg == "pk":
            source = drf_model(entry)
        if source is None:
            pytest.fail(HOW_TO_REGISTER.format(route=name, pattern=pattern, kwargs=kwargs))
        if isinstance(source, Fixed):
            sources[kwarg] = (Fixed, source)
            continue
        if isinstance(source, str):
            source = apps.get_model(source)
        model, field = source if isinstance(source, tuple) else (source, "pk")
        if model not in BUILDERS:
            pytest.fail(HOW_TO_REGISTER.format(route=name, pattern=pattern, kwargs=kwargs))
        sources[kwarg] = (model, field)
    return sources


OBJECT_ROUTES = [
    (pattern, name, entry)
    for pattern, name, entry in ROUTES
    if parameters(entry) and name not in NOT_OBJECT_URLS
]
LIST_ROUTES = [
    (pattern, name, entry)
    for pattern, name, entry in ROUTES
    if not parameters(entry) and name is not None
]


def methods_of(entry) -> list[str]:
    callback = entry.callback
    actions = getattr(callback, "actions", None)
    if actions:
        return sorted(actions)
    view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view is not None:
        return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)]
    return ["get", "post"]


def is_api(pattern: str) -> bool:
    return pattern.startswith("api/")


# --- the roles -------------------------------------------------------------------------------

ROLES = ["outsider", "pending", "other_viewer", "panel_member", "anonymous"]


def make_user(role):
    if role == "outsider":
        return member_of(EnterpriseFactory(region=Region.WUHAN))
    if role == "pending":
        return member_of(EnterpriseFactory(region=Region.YICHANG, registration_status="pending"))
    if role == "other_viewer":
        return GovernmentViewerFactory(region=Region.XIANGYANG)
    if role == "panel_member":
        return PanelMemberFactory()
    return None


def clients_for(user, api: bool):
    """(label, client): the session, and on the API also a token."""
    session = APIClient() if api else Client()
    if user is not None:
        session.force_login(user)
    yield "session", session
    if api and user is not None:
        token = APIClient()
        token.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0]}")
        yield "token", token


def call(client, method, url, api):
    if api:
        return getattr(client, method)(url, {}, format="json")
    return getattr(client, method)(url)


REFUSED = {403, 404}


def role_refused(url, user) -> bool:
    """The page's access rule refuses this user's role before the view looks anything up."""
    rules = rules_of(resolve(url).func) or ()
    return not any(rule(user) for rule in rules)


def verdict(response, user, pattern, *, url="", api=False, method="get") -> str | None:
    """None if the answer keeps the record hidden, else what is wrong."""
    status = response.status_code
    if status >= 500:
        return f"{status} (server error)"
    if pattern in DEVICE_SIGNED_API:
        return None if status in (401, 404) else f"{status} (an unsigned call: 401 or 404)"
    if status == 403 and url and user is not None:
        # 403 only for a role that may not use the page/action at all; an out-of-scope
        # record is 404, the same answer as a record that does not exist.
        if api and method == "get":
            return "403 reading an out-of-scope record (404 expected)"
        if not api and not role_refused(url, user):
            return "403 past the role check: an out-of-scope record answers 404"
    if status in REFUSED or status == 405:
        return None
    if user is None:
        if status == 401:
            return None
        if status == 302 and "/accounts/login/" in response.get("Location", ""):
            return None
    return f"{status}"


@pytest.fixture
def other_world(db):
    return build_other_world()


def kwargs_for(sources, world) -> dict:
    return {
        kwarg: field if model is Fixed else getattr(world[model], field)
        for kwarg, (model, field) in sources.items()
    }


@pytest.mark.parametrize("role", ROLES)
def test_no_role_reaches_another_enterprises_records(role, other_world):
    user = make_user(role)
    failures, checked = [], 0
    for pattern, name, entry in OBJECT_ROUTES:
        sources = id_sources(pattern, name, entry)
        kwargs = kwargs_for(sources, other_world)
        url = reverse(name, kwargs=kwargs)
        api = is_api(pattern)
        methods = methods_of(entry)
        for label, client in clients_for(user, api):
            answers = {m: call(client, m, url, api) for m in methods}
            for method, response in answers.items():
                checked += 1
                wrong = verdict(response, user, pattern, url=url, api=api, method=method)
                if wrong:
                    failures.append(f"{label} {method.upper()} {url} ({name}): {wrong}")
            if all(r.status_code == 405 for r in answers.values()):
                failures.append(f"{label} {url} ({name}): every method answered 405")
    assert checked > 150
    assert not failures, f"{role}:\n" + "\n".join(failures)


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_no_list_or_page_shows_another_enterprise(role, other_world):
    user = make_user(role)
    failures = []
    for pattern, name, entry in LIST_ROUTES:
        if "get" not in methods_of(entry) or pattern in DEVICE_SIGNED_API:
            continue
        url = reverse(name)
        for label, client in clients_for(user, is_api(pattern)):
            response = client.get(url)
            if response.status_code >= 500:
                failures.append(f"{label} GET {url}: {response.status_code}")
            elif response.status_code == 200 and not response.streaming:
                if MARKER in response.content.decode("utf-8", "replace"):
                    failures.append(f"{label} GET {url}: shows the other enterprise")
    assert not failures, f"{role}:\n" + "\n".join(failures)


def test_the_same_ids_open_the_records_to_a_reviewer(other_world):
    """The walk uses real ids: a reviewer, who may see every enterprise, opens them."""
    from .factories import ReviewerFactory

    client = Client()
    client.force_login(ReviewerFactory())
    opened = []
    for pattern, name, entry in OBJECT_ROUTES:
        if "get" not in methods_of(entry) or pattern in DEVICE_SIGNED_API:
            continue
        sources = id_sources(pattern, name, entry)
        kwargs = kwargs_for(sources, other_world)
        if client.get(reverse(name, kwargs=kwargs)).status_code == 200:
            opened.append(name)
    assert len(opened) >= 30, opened
    assert {"enterprise_detail", "enterprise-detail", "applications:application_detail"} <= set(
        opened
    )


# --- the walk's own bookkeeping --------------------------------------------------------------


SCOPER = re.compile(r"^def (\w+_visible_to)\(.*?\)\s*->\s*QuerySet\[(\w+)\]", re.MULTILINE)


def scoped_models() -> set[type]:
    """The model of every scoper: `def *_visible_to(user) -> QuerySet[Model]` in an app's
    permissions.py (read from the source: Django's QuerySet[...] keeps no argument)."""
    found = set()
    for config in apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.permissions")
        except ModuleNotFoundError:
            continue
        for _name, model in SCOPER.findall(inspect.getsource(module)):
            found.add(getattr(module, model))
    return found


def test_every_scoped_model_has_a_builder_for_the_other_enterprise():
    models = scoped_models()
    assert {Enterprise, DesignScheme, TrialRun} <= models
    missing = sorted(model.__name__ for model in models - set(BUILDERS))
    assert not missing, (
        f"{missing} have a scoper but the outsider walk cannot make one: add a builder to "
        "BUILDERS in tests/portal/outsider_world.py"
    )


def test_the_walk_covers_pages_and_api_routes_of_every_app():
    names = {name for _, name, _ in OBJECT_ROUTES}
    assert {"enterprise_detail", "enterprise-detail", "telemetry-device-detail"} <= names
    assert {"applications:application_detail", "telemetry:trial_detail"} <= names


def test_the_registry_names_only_existing_routes():
    names = {name for _, name, _ in ROUTES}
    assert set(ROUTE_IDS) <= names
    assert set(NOT_OBJECT_URLS) <= names


def test_a_pattern_without_an_id_source_fails_with_how_to_register_it():
    from django.urls import path

    entry = path("things/<int:thing_pk>/", lambda request, thing_pk: None, name="thing")
    with pytest.raises(pytest.fail.Exception, match="add it to ROUTE_IDS"):
        id_sources("things/<int:thing_pk>/", "thing", entry)
