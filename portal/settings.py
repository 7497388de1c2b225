"""Settings for the Hubei energy-monitoring portal.

Every value that differs between the demo and production is read from the environment
here, at the top, through typed helpers that refuse nonsense. Each has a default that lets
the demo start: without DATABASE_URL the portal uses SQLite, without REDIS_URL Celery runs
tasks eagerly in-process. Settings branch on whether a thing is configured, never on the
name of an environment.
"""

import os
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """A string from the environment, or from the file named by NAME_FILE (Docker secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name, "")
    if value == "":
        return default
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise ImproperlyConfigured(f"{name} must be true/false/1/0, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = env(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def env_decimal(name: str, default: str) -> Decimal:
    """A finite decimal (rates, shares, tolerances): nonsense fails at start, not at use."""
    value = env(name, "") or default
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ImproperlyConfigured(f"{name} must be a decimal number, not {value!r}") from None
    if not number.is_finite():
        raise ImproperlyConfigured(f"{name} must be a finite number, not {value!r}")
    return number


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# --- read from the environment ---------------------------------------------------------
DEBUG = env_bool("DEBUG", False)
# The demo key is only a default for a local run; `check --deploy` flags it as insecure.
SECRET_KEY = env("SECRET_KEY", "django-insecure-demo-key-change-me-for-any-real-deployment")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
DATABASE_URL = env("DATABASE_URL")
REDIS_URL = env("REDIS_URL")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)
SECURE = env_bool("SECURE", False)  # behind HTTPS: secure cookies, HSTS, redirect
LOG_LEVEL = env("LOG_LEVEL", "INFO")
# Reverse proxies whose X-Forwarded-For is believed when finding a client's address (device
# uploads, login throttling); TELEMETRY_TRUSTED_PROXIES is the older name.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", env("TELEMETRY_TRUSTED_PROXIES", "127.0.0.1,::1"))
# Login throttling (django-axes): after this many failed logins an account, and separately
# an address, is locked out for LOGIN_LOCKOUT_MINUTES, on the login page and the token API.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 30)
# Public pages limited per client address (portal.ratelimit): "<count>/<s|m|h>".
RATE_LIMITS = {
    "register": env("RATE_LIMIT_REGISTER", "20/h"),
    "verify": env("RATE_LIMIT_VERIFY", "60/m"),
    "sign_link": env("RATE_LIMIT_SIGN_LINK", "30/m"),
}

# Internal CA and VPN accounts (applications app). The CA private key is stored encrypted
# with this passphrase; the demo falls back to SECRET_KEY so it needs no extra secret.
CA_KEY_PASSPHRASE = env("CA_KEY_PASSPHRASE") or SECRET_KEY
DEVICE_CERT_DAYS = env_int("DEVICE_CERT_DAYS", 730)
SIGNING_CERT_DAYS = env_int("SIGNING_CERT_DAYS", 1825)
VPN_TUNNEL_POOL = env("VPN_TUNNEL_POOL", "10.88.0.0/16")
VPN_ACCOUNT_DAYS = env_int("VPN_ACCOUNT_DAYS", 365)
# The institute's build batches offered as 计划完成时间 on the 7.1 form (YYYY-MM, comma
# separated); the enterprise may still enter another month.
SCHEME_COMPLETION_BATCHES = env_list("SCHEME_COMPLETION_BATCHES", "2026-06,2026-09,2026-12")
# 计量器具台账: warn the enterprise this many days before a meter's certificate expires.
METER_EXPIRY_WARNING_DAYS = env_int("METER_EXPIRY_WARNING_DAYS", 30)

# Acceptance (acceptance app): the institute that sits on every panel, and how far a meter
# read on site may differ from the platform's value for the same slot (现场考察).
ACCEPTANCE_INSTITUTE_NAME = env("ACCEPTANCE_INSTITUTE_NAME", "湖北省计量测试技术研究院")
# 年度审核 (seed 6.1): the day each year's plan is made (MM-DD), the days given for the
# written submission, the line grades, and the share of audited systems checked on site.
AUDIT_PLAN_DATE = tuple(int(p) for p in env("AUDIT_PLAN_DATE", "01-15").split("-"))
AUDIT_SUBMISSION_DAYS = env_int("AUDIT_SUBMISSION_DAYS", 30)
AUDIT_GRADE_SCALE = env_list("AUDIT_GRADE_SCALE", "符合,基本符合,不符合")
AUDIT_SPOT_CHECK_PERCENT = env_int("AUDIT_SPOT_CHECK_PERCENT", 10)
# 整改通知: days given to rectify, and the reminders (days before the deadline).
RECTIFICATION_DAYS = env_int("RECTIFICATION_DAYS", 90)
RECTIFICATION_REMINDER_DAYS = [int(d) for d in env_list("RECTIFICATION_REMINDER_DAYS", "30,7,1")]
# 档案 ZIPs are rebuilt on request; a built one is kept this many days, then removed.
DOSSIER_KEEP_DAYS = env_int("DOSSIER_KEEP_DAYS", 14)
ACCEPTANCE_COMPARISON_TOLERANCE_PERCENT = env_decimal(
    "ACCEPTANCE_COMPARISON_TOLERANCE_PERCENT", "2"
)

# Telemetry, the regulatory rules: how data is judged (SPEC sections 3 and 9, DESIGN
# section 4). The institute sets these; the trial and alarm pages state them in words.
TELEMETRY_BACKFILL_CYCLES = env_int("TELEMETRY_BACKFILL_CYCLES", 1)
TELEMETRY_BACKFILL_CAP_HOURS = env_int("TELEMETRY_BACKFILL_CAP_HOURS", 24)
TELEMETRY_MONTHLY_DEADLINE_DAY = env_int("TELEMETRY_MONTHLY_DEADLINE_DAY", 10)
TELEMETRY_TRIAL_DAYS = env_int("TELEMETRY_TRIAL_DAYS", 15)
TELEMETRY_TRIAL_SUCCESS_RATE = env_decimal("TELEMETRY_TRIAL_SUCCESS_RATE", "0.999")
# Which rate must reach it: "success" (上传成功率) or "on_time" (一次上传成功率).
TELEMETRY_TRIAL_RATE_BASIS = os.environ.get("TELEMETRY_TRIAL_RATE_BASIS", "success")
if TELEMETRY_TRIAL_RATE_BASIS not in ("success", "on_time"):
    raise ImproperlyConfigured("TELEMETRY_TRIAL_RATE_BASIS must be success or on_time")
TELEMETRY_TRIAL_FLAG_DAYS = env_int("TELEMETRY_TRIAL_FLAG_DAYS", 60)
TELEMETRY_COMPLETENESS_FLAG = env_decimal("TELEMETRY_COMPLETENESS_FLAG", "0.90")
TELEMETRY_CONSISTENCY_TOLERANCE = env_decimal("TELEMETRY_CONSISTENCY_TOLERANCE", "0.05")
TELEMETRY_SILENT_PERIODS = env_int("TELEMETRY_SILENT_PERIODS", 4)
# An energy type is "main" (主要用能品种) at this share of comprehensive consumption or more.
TELEMETRY_MAIN_ENERGY_SHARE = env_decimal("TELEMETRY_MAIN_ENERGY_SHARE", "0.10")

# 能耗数据分析: the longest period one page may query per aggregation (days), and the
# days of its completeness view (the trial's 15, not the monitoring chart's 14).
TELEMETRY_ANALYSIS_MAX_DAYS_SLOT = env_int("TELEMETRY_ANALYSIS_MAX_DAYS_SLOT", 7)
TELEMETRY_ANALYSIS_MAX_DAYS_DAY = env_int("TELEMETRY_ANALYSIS_MAX_DAYS_DAY", 93)
TELEMETRY_ANALYSIS_MAX_DAYS_MONTH = env_int("TELEMETRY_ANALYSIS_MAX_DAYS_MONTH", 731)
TELEMETRY_ANALYSIS_COMPLETENESS_DAYS = env_int("TELEMETRY_ANALYSIS_COMPLETENESS_DAYS", 15)

# Telemetry, the technical limits and tuning of the upload API and the worker.
TELEMETRY_MAX_RECORDS = env_int("TELEMETRY_MAX_RECORDS", 500)
TELEMETRY_MAX_BODY_BYTES = env_int("TELEMETRY_MAX_BODY_BYTES", 1024 * 1024)
TELEMETRY_MAX_SKEW_SECONDS = env_int("TELEMETRY_MAX_SKEW_SECONDS", 300)
# Longest window a gap list may span, in days.
TELEMETRY_GAPS_MAX_DAYS = env_int("TELEMETRY_GAPS_MAX_DAYS", 31)
# How many days of refused device requests (revoked/expired certificate, bad signature) the
# enterprise's monitoring page lists.
TELEMETRY_REFUSALS_SHOWN_DAYS = env_int("TELEMETRY_REFUSALS_SHOWN_DAYS", 7)
# Longest life of a web process's copy of an enterprise's item table (0 = off); ADR 0006.
TELEMETRY_ITEM_CACHE_SECONDS = env_int("TELEMETRY_ITEM_CACHE_SECONDS", 3600)
# Stored upload batches one ingestion task claims and writes at once.
TELEMETRY_INGEST_CLAIM_BATCHES = env_int("TELEMETRY_INGEST_CLAIM_BATCHES", 200)
# A worker's claim on batches lasts this long unless the worker renews it (its heartbeat);
# a killed worker's batches are taken over by the next drain after it (ADR 0006).
TELEMETRY_INGEST_CLAIM_LEASE_SECONDS = env_int("TELEMETRY_INGEST_CLAIM_LEASE_SECONDS", 30)

# Imported spreadsheets (data items, energy history): checked before parsing, parsed in a
# separate process inside these limits (portal.spreadsheets, ADR 0011).
SPREADSHEET_MAX_BYTES = env_int("SPREADSHEET_MAX_BYTES", 5 * 1024 * 1024)
SPREADSHEET_MAX_ROWS = env_int("SPREADSHEET_MAX_ROWS", 20_000)
SPREADSHEET_MAX_COLUMNS = env_int("SPREADSHEET_MAX_COLUMNS", 64)
SPREADSHEET_MAX_UNCOMPRESSED_BYTES = env_int("SPREADSHEET_MAX_UNCOMPRESSED_BYTES", 30 * 1024 * 1024)
SPREADSHEET_MAX_RATIO = env_int("SPREADSHEET_MAX_RATIO", 100)
SPREADSHEET_MAX_ZIP_ENTRIES = env_int("SPREADSHEET_MAX_ZIP_ENTRIES", 200)
SPREADSHEET_SECONDS = env_int("SPREADSHEET_SECONDS", 20)
SPREADSHEET_MEMORY_MB = env_int("SPREADSHEET_MEMORY_MB", 512)

# Reports: the conformance test report (附件1, reports.conformance). The institute sets its
# own wording; these defaults follow the seed and the usual frame of a test report.
REPORT_TESTING_UNIT = env("REPORT_TESTING_UNIT", "湖北省计量测试技术研究院")
# Numbers of issued documents per kind: {year} and {seq} (the gapless counter of the kind
# and year). The institute sets its own patterns.
REPORT_NUMBER_PATTERNS = {
    "conformance": env("REPORT_NUMBER_PATTERN_CONFORMANCE", "HBJL-FH-{year}-{seq:04d}"),
    "acceptance": env("REPORT_NUMBER_PATTERN_ACCEPTANCE", "HBJL-YS-{year}-{seq:04d}"),
    "rectification": env("REPORT_NUMBER_PATTERN_RECTIFICATION", "HBJL-ZG-{year}-{seq:04d}"),
}
# Days after receipt within which objections to a report are accepted (statement page).
REPORT_OBJECTION_DAYS = env_int("REPORT_OBJECTION_DAYS", 15)
# 注意事项 on the statement page, one item a line ("|" separates them in the environment).
REPORT_STATEMENT = [
    line.strip()
    for line in env(
        "REPORT_STATEMENT",
        "本报告无本单位“检验检测专用章”或公章无效。|"
        "本报告无编制、审核、批准人签字无效。|"
        "本报告涂改、增删无效；未经本单位书面批准，部分复制本报告无效。|"
        f"对本报告若有异议，应于收到报告之日起 {REPORT_OBJECTION_DAYS} 日内向本单位书面提出，"
        "逾期不予受理。|"
        "本报告仅对测试期间内用能单位上报省平台的数据负责。",
    ).split("|")
    if line.strip()
]
# 测试依据: the documents the test applies, one a line ("|" separates them in the environment).
REPORT_TEST_BASIS = [
    line.strip()
    for line in env(
        "REPORT_TEST_BASIS",
        "湖北省计量测试技术研究院企业数据接入要求|"
        "《湖北省企业端CA证书集成及数据对接资料》|"
        "《湖北省重点用能单位能耗在线监测系统能耗监测端设备测试技术规范》|"
        "DB42/T 1845.2-2022《湖北省重点用能单位能耗在线监测系统 第2部分：重点用能单位端系统"
        "验收指南》|"
        "GB/T 37947.1-2019《信息技术 用能单位能耗在线监测系统 第1部分：端设备数据传输接口》|"
        "GB/T 38692-2020《用能单位能耗在线监测技术要求》|"
        "GB/T 2589-2020《综合能耗计算通则》",
    ).split("|")
    if line.strip()
]

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "能耗在线监测门户 <noreply@localhost>")

# --- applications ----------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "portal",
    "applications",
    "telemetry",
    "reports",
    "acceptance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (django-csp) and the headers SecurityMiddleware does not set.
    "csp.middleware.CSPMiddleware",
    "portal.middleware.BrowserPolicyMiddleware",
    "portal.middleware.RefuseNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The portal's own 404/403 pages also under DEBUG (the demo), not Django's debug page.
    "portal.middleware.PortalErrorPagesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.access.AccessRuleMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account or address before the password is checked.
    "portal.lockouts.ThrottledLoginBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
# Either the account or the address reaching the limit locks (each counted on its own).
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "portal.client_address.source_address"
AXES_LOCKOUT_CALLABLE = "portal.lockouts.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
# Every failed attempt kept (shown in the admin), beside the counters that lock.
AXES_ENABLE_ACCESS_FAILURE_LOG = True

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
AUTH_USER_MODEL = "portal.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- database ----------------------------------------------------------------------------
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "var" / "demo.sqlite3",
            # The demo's scheduler (Celery beat, tasks in-process) writes beside runserver:
            # take the write lock at BEGIN and wait for it, rather than fail at once.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- passwords, sessions, security -------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): everything from the portal itself. Pages carry no
# inline script, handler or style attribute (tests/portal/test_csp_templates.py): behaviour
# comes from static/js/portal.js through data attributes, data from json_script elements.
# The rare inline <script>/<style> a page still needs carries the request's nonce. Views
# that need more say so with a decorator (the API docs, the material preview).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
# Browser features the portal never uses, refused to every page (and any framed content).
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

# --- language and time -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Thousands separators in both languages where a page asks for grouping (floatformat's
# "g", the thousands filter); ids and codes stay ungrouped (no USE_THOUSAND_SEPARATOR).
FORMAT_MODULE_PATH = ["portal.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static and uploaded files -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    # Attachments live outside static and have no public URL: they are served only by
    # the permission-checked download view.
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous API call is answered 401 with WWW-Authenticate.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "portal.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "湖北省重点用能单位能耗在线监测门户 API",
    "DESCRIPTION": "Enterprise onboarding, review and telemetry API (v1).",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Several records have a field called `state`; name each choice set after its record.
    "ENUM_NAME_OVERRIDES": {
        "DesignSchemeStateEnum": "applications.models.scheme.SchemeState",
        "ChangeRecordStateEnum": "applications.models.scheme.ChangeState",
        "AccessApplicationStateEnum": "applications.models.application.ApplicationState",
        "ConnectionStateEnum": "telemetry.models.connection.ConnectionState",
        "TrialStatusEnum": "telemetry.models.trial.TrialStatus",
        "RevocationReasonEnum": "applications.models.credentials.RevocationReason",
        "EnergyCodeEnum": "portal.catalogue.EnergyCode",
        "AcceptanceStateEnum": "acceptance.choices.AcceptanceState",
        "ItemResultEnum": "acceptance.choices.ItemResult",
        "PanelRoleEnum": "acceptance.choices.PanelRole",
        "SignatureRoleEnum": "acceptance.choices.SignatureRole",
    },
}

# --- Celery ---------------------------------------------------------------------------------
# Eager tasks still take a producer from the broker pool; the in-memory transport ignores
# the host, and naming one keeps kombu from warning "No hostname was supplied" each time.
# The cache holds only counters (portal.ratelimit); Redis makes them shared by every web
# process. Short timeouts: a Redis outage must not hang a request.
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portal",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL or None
# Without Redis the demo runs every task in-process, so one command is enough to try it.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_RESULT_EXPIRES = timedelta(days=1)
# Every periodic task of every app, here and nowhere else (ADR 0008).
CELERY_BEAT_SCHEDULE = {
    "annual-audit-plan": {
        "task": "acceptance.tasks.create_annual_audit_plan",
        "schedule": crontab(hour=7, minute=10),
        "options": {"expires": 3600},
    },
    # The day before an on-site acceptance: its participants are reminded (once per date).
    "acceptance-onsite-reminders": {
        "task": "acceptance.tasks.send_onsite_reminders",
        "schedule": crontab(hour="8-20", minute=5),
        "options": {"expires": 3600},
    },
    # Rectification notices: escalation once the deadline passes, reminders before it.
    "rectification-reminders": {
        "task": "acceptance.tasks.send_rectification_reminders",
        "schedule": crontab(hour=8, minute=30),
        "options": {"expires": 3600},
    },
    "purge-old-dossiers": {
        "task": "acceptance.tasks.purge_old_dossiers",
        "schedule": crontab(hour=3, minute=53),
        "options": {"expires": 3600},
    },
    "purge-read-notifications": {
        "task": "portal.tasks.purge_old_notifications",
        "schedule": crontab(hour=3, minute=17),
        "options": {"expires": 3600},
    },
    # E-mails whose task could not be queued (broker down during the request).
    "send-unsent-notification-emails": {
        "task": "portal.tasks.send_unsent_notification_emails",
        "schedule": 600.0,
        "options": {"expires": 540},
    },
    "remove-orphan-files": {
        "task": "portal.tasks.remove_orphan_files",
        "schedule": crontab(hour=3, minute=41),
        "options": {"expires": 3600},
    },
    # applications: re-sign the CRL well before its 24 h nextUpdate; warn of expiring certs.
    "refresh-crl": {
        "task": "applications.tasks.refresh_crl",
        "schedule": crontab(minute=7, hour="*/6"),
        "options": {"expires": 3600},
    },
    "warn-expiring-certificates": {
        "task": "applications.tasks.warn_expiring_certificates",
        "schedule": crontab(hour=8, minute=30),
        "options": {"expires": 3600},
    },
    "warn-expiring-meters": {
        "task": "applications.tasks.warn_expiring_meters",
        "schedule": crontab(hour=8, minute=35),
        "options": {"expires": 3600},
    },
    # reports: PDFs of issued documents that were never rendered (broker down at approval)
    # or whose rendering failed.
    "reports-render-unrendered": {
        "task": "reports.tasks.render_unrendered",
        "schedule": 600.0,
        "options": {"expires": 540},
    },
    # telemetry: backstop for the drain queued after each upload (a lost message, a worker
    # restart, a claim left by a killed worker: taken over once its lease has run out, so
    # lease + this interval is the longest such a batch waits, under a minute by default).
    "telemetry-ingest-sweep": {
        "task": "telemetry.tasks.ingest.ingest_pending",
        "schedule": 20.0,
        "options": {"expires": 18},
    },
    # telemetry: trial evaluation and data-quality alarms.
    "telemetry-evaluate-trials": {
        "task": "telemetry.tasks.monitoring.evaluate_trials",
        "schedule": 900.0,
        "options": {"expires": 840},
    },
    "telemetry-check-alarms": {
        "task": "telemetry.tasks.monitoring.check_alarms",
        "schedule": 900.0,
        "options": {"expires": 840},
    },
    # telemetry: approved data-item changes take effect on their day (just after midnight).
    "telemetry-apply-item-changes": {
        "task": "telemetry.tasks.monitoring.apply_item_changes",
        "schedule": crontab(minute="1,31"),
        "options": {"expires": 1500},
    },
}

# --- logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Tasks run in-process without Redis (the demo): a line per task would drown the
    # demo's own output, such as the logins seed_demo prints.
    "loggers": {"celery.app.trace": {"level": "WARNING" if not REDIS_URL else LOG_LEVEL}},
}

# Reviewers and operators see these labels in the navigation and e-mails.
PORTAL_NAME = _("湖北省重点用能单位能耗在线监测 企业端接入与验收门户")
