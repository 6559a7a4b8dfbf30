"""Tremplin: the intranet of a network of job-coaching associations."""

import importlib
from urllib.parse import urlsplit

from flask import Flask, g, has_request_context, request
from flask_babel import get_locale
from flask_login import current_user
from jinja2 import StrictUndefined
from werkzeug.middleware.proxy_fix import ProxyFix

from config import DEFAULT_SECRET_KEY, Config
from intranet import transactions
from intranet.extensions import babel, csrf, db, htmx, login, mail, migrate
from intranet.ops.logs import install_token_log_filter
from intranet.ops.security import instance_secret_key

# Every feature package. Each one's `models` modules (its subpackages' too) are imported when the app is built
# (`intranet.models`), so the mapper and Alembic know them. A package that plugs more than pages in has
# `register(app)`, called in this order: it adds its signal receivers, its steps of the minute tick
# (`jobs.periodic`), its demo loader (`demo.demo_loader`), its own blueprints.
FEATURES = ("intranet.audit", "intranet.auth", "intranet.network", "intranet.members", "intranet.programs",
            "intranet.beneficiaries", "intranet.journeys", "intranet.calendar", "intranet.selfbooking",
            "intranet.notifications", "intranet.followups", "intranet.volunteers", "intranet.partners",
            "intranet.imports", "intranet.exports", "intranet.reporting")


def create_app(config: type[Config] = Config) -> Flask:
    """Build the application with the given configuration class."""
    app = Flask(__name__, template_folder="../templates", static_folder="../static", instance_relative_config=True,
                instance_path=getattr(config, "INSTANCE_PATH", None))
    app.config.from_object(config)
    from intranet.args import BoundedIntegerConverter

    app.url_map.converters["int"] = BoundedIntegerConverter  # ids too large for the database are 404
    if app.config["SECRET_KEY"] in ("", None, DEFAULT_SECRET_KEY):
        if app.config["APP_ENV"] == "production":
            raise RuntimeError("SECRET_KEY must be set in production (APP_ENV=production).")
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)
    _settle_site_address(app)
    if app.config["PROXY_FIX"]:
        # The proxy's X-Forwarded-Host is not trusted: the Host header is checked against TRUSTED_HOSTS,
        # and links never come from either (they come from BASE_URL).
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=0)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        from pathlib import Path

        Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        # SQLite lets one writer in at a time (the booking rules rely on it): wait for the lock, don't fail.
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {"timeout": 30}
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # Timeouts bound every wait. psycopg would prepare a statement on the server after its fifth run,
        # and PostgreSQL then plans it once for any value: a list bounded by a date ("mails of the last
        # 90 days") got a plan 200 times slower than the one made for the actual values. Planning each
        # statement costs well under a millisecond: statements are never prepared.
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {**postgresql_timeouts(app.config), "prepare_threshold": None,
                                   **options.get("connect_args", {})}

    app.jinja_env.undefined = StrictUndefined
    app.jinja_env.add_extension("jinja2.ext.do")
    _init_extensions(app)
    transactions.install(app)
    _register_blueprints(app)
    _init_request_hooks(app)
    install_token_log_filter(app)
    return app


def postgresql_timeouts(config, statement_timeout: float | None = None) -> dict:
    """psycopg connection arguments that bound the wait for a connection and for each statement."""
    seconds = config["DATABASE_STATEMENT_TIMEOUT"] if statement_timeout is None else statement_timeout
    return {"connect_timeout": config["DATABASE_CONNECT_TIMEOUT"],
            "options": f"-c statement_timeout={int(seconds * 1000)}"}


def _settle_site_address(app: Flask) -> None:
    """Check BASE_URL (required in production) and, in production, answer only to its host by default."""
    production = app.config["APP_ENV"] == "production"
    base_url = (app.config["BASE_URL"] or "").strip().rstrip("/")
    if not base_url:
        if production:
            raise RuntimeError("BASE_URL must be set in production (APP_ENV=production), e.g. "
                               "BASE_URL=https://tremplin.example.org: links in e-mails are built from it.")
        base_url = app.config["DEFAULT_BASE_URL"]
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise RuntimeError(f"BASE_URL must be the site's address, such as https://tremplin.example.org (got {base_url!r}).")
    app.config["BASE_URL"] = base_url
    if production and not app.config.get("TRUSTED_HOSTS"):
        app.config["TRUSTED_HOSTS"] = [parts.hostname]


def _init_extensions(app: Flask) -> None:
    from flask_login import user_logged_in

    from intranet import models
    from intranet.auth.sessions import load_user, on_sign_in
    from intranet.jobs import InProcessRunner
    from intranet.ops.security import SessionInterface

    models.import_all()  # every feature's models known to the mapper and to Alembic
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"), render_as_batch=True)
    login.init_app(app)
    login.login_view = "auth.login"
    login.login_message = None
    login.session_protection = "basic"
    mail.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone,
                   default_translation_directories=str(app.root_path + "/../translations"))
    from intranet import dates

    dates.register(app)  # after Flask-Babel, whose date filters it extends
    app.session_interface = SessionInterface()
    app.extensions["jobs"] = InProcessRunner()

    login.user_loader(load_user)
    user_logged_in.connect(on_sign_in, app)


def _select_locale() -> str | None:
    if not has_request_context():
        return None  # jobs and commands: the default, unless force_locale says otherwise
    if current_user and current_user.is_authenticated:
        return current_user.locale
    return request.accept_languages.best_match(("fr", "en"), default="fr")


def _select_timezone() -> str | None:
    association = g.get("association")
    return association.timezone if association is not None else None


def _register_blueprints(app: Flask) -> None:
    from intranet.auth.views import bp as auth
    from intranet.beneficiaries.views import bp as beneficiaries
    from intranet.calendar.setup_views import bp as availability
    from intranet.calendar.views import bp as calendar
    from intranet.exports.views import bp as exports
    from intranet.exports.views import network_bp as network_exports
    from intranet.followups.views import bp as followups
    from intranet.followups.views import public_bp as followups_public
    from intranet.home.views import bp as home
    from intranet.home.views import space_bp as space
    from intranet.journeys.views import bp as journeys
    from intranet.me.views import bp as me
    from intranet.members.invitation_views import bp as invitations
    from intranet.members.views import bp as members
    from intranet.network.views import bp as network
    from intranet.notifications.feed import bp as feeds
    from intranet.notifications.views import bp as mailbox
    from intranet.notifications.views import network_bp as network_mailbox
    from intranet.ops.cli import bp as cli
    from intranet.ops.views import bp as ops
    from intranet.ops.views import register_error_pages
    from intranet.programs.views import bp as programs
    from intranet.programs.views import network_bp as network_programs
    from intranet.reporting.views import bp as reporting

    for blueprint in (ops, cli, auth, home, space, me, members, invitations, mailbox, network, network_mailbox,
                      network_programs, programs, beneficiaries, journeys, calendar, availability, feeds,
                      followups, followups_public, exports, network_exports, reporting):
        app.register_blueprint(blueprint)
    for feature in FEATURES:
        register = getattr(importlib.import_module(feature), "register", None)
        if register is not None:
            register(app)
    register_error_pages(app)


def _init_request_hooks(app: Flask) -> None:
    from intranet.args import refuse_nul_characters
    from intranet.enums import all_enums, label
    from intranet.jobs import start_ticker
    from intranet.ops.security import add_security_headers
    from intranet.rendering import linkify
    from intranet.tenancy import has_role

    app.after_request(add_security_headers)
    app.before_request(refuse_nul_characters)

    @app.before_request
    def tick_in_process():  # the embedded default has no RQ scheduler: the serving process ticks
        start_ticker(app)

    app.jinja_env.filters["linkify"] = linkify
    # Every status and kind is a template global with its labels: {{ b.status|label(BeneficiaryStatus) }}.
    app.jinja_env.filters["label"] = label
    app.jinja_env.globals.update(all_enums())

    @app.context_processor
    def layout_context():
        return {"current_association": g.get("association"), "current_role": g.get("role"),
                "has_role": has_role, "get_locale": get_locale}
