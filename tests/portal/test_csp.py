"""The Content-Security-Policy and the other browser headers, and a scan of every template
for what that policy would refuse, so a page added later cannot break silently in browsers
(the pages themselves are driven in Chromium by tests/e2e/test_csp.py)."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.applications.factories import AccessApplicationFactory

BASE_DIR = Path(settings.BASE_DIR)
TEMPLATE_DIRS = [BASE_DIR / "templates"] + [
    path for path in BASE_DIR.glob("*/templates") if ".venv" not in path.parts
]
# PDF templates (`<app>/pdf/`) are read by WeasyPrint on the server, never served to a
# browser, so the policy does not apply to them; their print CSS stays inline.
TEMPLATES = sorted(
    {
        path
        for folder in TEMPLATE_DIRS
        for path in folder.rglob("*.html")
        if "pdf" not in path.relative_to(folder).parts
    }
)

COMMENTS = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", re.DOTALL)
TAG = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)
HANDLER = re.compile(r"<[a-zA-Z][^>]*?\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[a-zA-Z][^>]*?\sstyle\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)
HOW = (
    "the Content-Security-Policy refuses it: move the code to a file in static/js (bind "
    "behaviour with a data attribute, see static/js/portal.js; pass data with json_script), "
    "the style to static/css; or, if it must stay inline, give the tag "
    'nonce="{{ CSP_NONCE }}"'
)


def source_of(path: Path) -> str:
    return COMMENTS.sub("", path.read_text(encoding="utf-8"))


def test_the_scan_finds_the_templates():
    names = {path.name for path in TEMPLATES}
    assert {"base.html", "home.html", "redoc.html"} <= names


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: str(path.relative_to(BASE_DIR)))
def test_no_template_has_what_the_policy_refuses(path):
    text = source_of(path)
    problems = []
    for match in TAG.finditer(text):
        kind, attributes = match.group(1).lower(), match.group(2)
        if "nonce=" in attributes:
            continue
        if kind == "script" and ("src=" in attributes or "application/json" in attributes):
            continue
        problems.append(f"inline <{kind}> without a nonce: {match.group(0)}")
    problems += [f"inline event handler: {m.group(0)}" for m in HANDLER.finditer(text)]
    problems += [f"style attribute: {m.group(0)}" for m in STYLE_ATTRIBUTE.finditer(text)]
    problems += [f"javascript: URL: {m.group(0)}" for m in JAVASCRIPT_URL.finditer(text)]
    assert not problems, f"{path}: {problems}; {HOW}"


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        '<select onchange="this.form.submit()">',
        '<div class="x" style="width: 3px">',
        "<style>p { color: red }</style>",
        '<a href="javascript:void(0)">',
    ],
)
def test_the_scan_catches_each_kind(snippet, tmp_path):
    path = tmp_path / "page.html"
    path.write_text("{% load i18n %}\n" + snippet, encoding="utf-8")
    with pytest.raises(AssertionError):
        test_no_template_has_what_the_policy_refuses(path)


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="/static/js/portal.js" defer></script>',
        '<script nonce="{{ CSP_NONCE }}">go()</script>',
        "{# <script>not rendered</script> #}",
        '<canvas data-chart="bar" data-chart-options=\'{"a": 1}\'></canvas>',
    ],
)
def test_the_scan_lets_the_allowed_forms_through(snippet, tmp_path):
    path = tmp_path / "page.html"
    path.write_text(snippet, encoding="utf-8")
    test_no_template_has_what_the_policy_refuses(path)


def directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    parts = [part.split() for part in policy.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


def test_pages_carry_the_policy_and_the_browser_headers(client, db):
    response = client.get("/accounts/login/")

    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no inline script on the page: no nonce sent
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert not any("unsafe" in value for values in policy.values() for value in values)
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "geolocation=()" in response.headers["Permissions-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_api_answers_carry_the_headers_too(client, db):
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert directives(response)["default-src"] == ["'self'"]
    assert "Permissions-Policy" in response.headers


def test_the_swagger_page_nonce_matches_its_inline_script(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    nonce = re.search(r"'nonce-([^']+)'", directives(response)["script-src"][1]).group(1)
    html = response.content.decode()
    assert html.count(f'nonce="{nonce}"') == 2  # the style and the start-up script
    assert "<script>" not in html


def test_redoc_alone_may_use_inline_styles_and_a_blob_worker(client, db):
    response = client.get("/api/redoc/")
    policy = directives(response)
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["worker-src"] == ["'self'", "blob:"]
    assert policy["script-src"][0] == "'self'" and policy["script-src"][1].startswith("'nonce-")


def test_a_material_preview_may_be_framed_by_the_portal_only(member, client_for, enterprise):
    application = AccessApplicationFactory(enterprise=enterprise, submitted=True)
    attachment = application.attachments.filter(mime_type="application/pdf").first()
    response = client_for(member).get(
        f"/applications/access/{application.pk}/materials/{attachment.pk}/"
    )
    assert response.status_code == 200
    assert directives(response)["frame-ancestors"] == ["'self'"]
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
