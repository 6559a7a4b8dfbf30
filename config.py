"""Configuration from environment variables, with embedded defaults for a newcomer."""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
# A published key, refused in production like an empty one (older setups copied it from here).
DEFAULT_SECRET_KEY = "dev-only-not-secret"


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str) -> list[str] | None:
    values = [v.strip() for v in os.environ.get(name, "").split(",") if v.strip()]
    return values or None


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return f"sqlite:///{BASE_DIR / 'instance' / 'tremplin.sqlite3'}"
    # Hosting platforms often hand out "postgres://"; SQLAlchemy wants the psycopg driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    """Settings read from the environment; every one has a default that works locally."""

    APP_ENV = os.environ.get("APP_ENV", "development")
    # Without it, development reads (or creates once) a random key in instance/secret_key;
    # production refuses to start.
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    INSTANCE_PATH: str | None = None  # Flask's default: instance/ beside the code
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # PostgreSQL: seconds to wait for a connection, and for any statement, before failing (0: no limit).
    # A database that accepts connections but never answers fails a request, /healthz answers 503 in time.
    DATABASE_CONNECT_TIMEOUT = int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "2"))
    DATABASE_STATEMENT_TIMEOUT = int(os.environ.get("DATABASE_STATEMENT_TIMEOUT", "20"))
    REDIS_URL = os.environ.get("REDIS_URL", "")
    RQ_QUEUE = os.environ.get("RQ_QUEUE", "tremplin")
    # The periodic steps (jobs.periodic): the tick every TICK_SECONDS, the mail's every MAIL_TICK_SECONDS,
    # at the start of each period, run by one of the live workers (each tries; the database picks one).
    # WORKER_TICKS=0 keeps a worker out of it.
    TICK_SECONDS = int(os.environ.get("TICK_SECONDS", "60"))
    MAIL_TICK_SECONDS = int(os.environ.get("MAIL_TICK_SECONDS", "15"))
    WORKER_TICKS = _env_bool("WORKER_TICKS", True)
    # The network's medians the association homes show are computed again by the tick once this old.
    MEDIANS_REFRESH_SECONDS = int(os.environ.get("MEDIANS_REFRESH_SECONDS", "900"))

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Tremplin <ne-pas-repondre@tremplin.test>")
    # Seconds a worker holds the mail handed to it before the mail tick hands it out again (a worker died).
    MAIL_LEASE_SECONDS = int(os.environ.get("MAIL_LEASE_SECONDS", "30"))
    # After the SMTP server failed, mail waits this many seconds before one message tries it again; the
    # first message it takes brings every waiting message forward.
    MAIL_BREAKER_SECONDS = int(os.environ.get("MAIL_BREAKER_SECONDS", "15"))
    # Seconds an SMTP server may stay silent before delivery gives up (Flask-Mail sets no timeout).
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "30"))
    MAIL_SUPPRESS_SEND = False  # Flask-Mail would otherwise drop mail silently under TESTING

    SERVER_NAME = os.environ.get("SERVER_NAME") or None
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "http")
    # The site's address: every absolute link (e-mails above all) is built from it, never from the
    # request's Host header. Required in production; locally, the address `make run` serves.
    BASE_URL = os.environ.get("BASE_URL", "")
    DEFAULT_BASE_URL = "http://127.0.0.1:" + os.environ.get("PORT", "5000")
    # Host names the app answers to (others get 400); in production, BASE_URL's host unless set.
    TRUSTED_HOSTS = _env_list("TRUSTED_HOSTS")

    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    LANGUAGES = ("fr", "en")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE")
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    # A signed-in session ends after this long without a request, and this long after sign-in anyway.
    SESSION_IDLE_SECONDS = 2 * 3600
    SESSION_MAX_SECONDS = 12 * 3600
    PERMANENT_SESSION_LIFETIME = timedelta(seconds=SESSION_MAX_SECONDS)  # no cookie is accepted beyond it

    PASSWORD_HASH_METHOD = "scrypt"
    INVITATION_MAX_AGE = 7 * 24 * 3600
    PASSWORD_RESET_MAX_AGE = 3600
    # Failed sign-ins to one account from one address: after LOGIN_SLOWDOWN_AFTER failures each
    # attempt must wait longer, after LOGIN_LOCK_AFTER failures that pair is refused for
    # LOGIN_LOCK_SECONDS. The account from every address together is only slowed down (after
    # LOGIN_ACCOUNT_SLOWDOWN_AFTER failures, LOGIN_ACCOUNT_MAX_WAIT seconds at most), so nobody can
    # lock its owner out; one address failing LOGIN_IP_LOCK_AFTER times on any accounts is refused.
    LOGIN_WINDOW_SECONDS = 15 * 60
    LOGIN_SLOWDOWN_AFTER = 3
    LOGIN_LOCK_AFTER = 10
    LOGIN_ACCOUNT_SLOWDOWN_AFTER = 5
    LOGIN_ACCOUNT_MAX_WAIT = 15
    LOGIN_IP_LOCK_AFTER = 30
    LOGIN_LOCK_SECONDS = 15 * 60
    # "Forgotten password": at most this many mails an hour to one address, requests from one client.
    PASSWORD_RESET_WINDOW_SECONDS = 3600
    PASSWORD_RESET_PER_ADDRESS = 3
    PASSWORD_RESET_PER_CLIENT = 10

    PAGE_SIZE = 25
    # Mail bodies are cleared this many days after the mail was queued (the outbox keeps who, what, when).
    MAIL_RETENTION_DAYS = int(os.environ.get("MAIL_RETENTION_DAYS", "183"))
    # The largest request body accepted: an import's file (15 MB at most, intranet/imports/reading.py) and its
    # form. A larger one is refused (413) before it is read; the reverse proxy's limit must be above this one.
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    # Exports of more rows than this run in the background, with a progress bar (intranet/exports).
    EXPORT_SYNC_ROWS = int(os.environ.get("EXPORT_SYNC_ROWS", "2000"))
    # Production runs behind a reverse proxy: trust the X-Forwarded-For / X-Forwarded-Proto values
    # added by the PROXY_COUNT proxies in front of the app (never X-Forwarded-Host).
    PROXY_FIX = _env_bool("PROXY_FIX", APP_ENV == "production")
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "1"))


class TestConfig(Config):
    """Settings for the test suite: fast hashes, a database and mail server given by the tests."""

    TESTING = True
    APP_ENV = "test"
    SECRET_KEY = "test-secret"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    MAIL_SERVER = ""
    BASE_URL = "http://localhost"
