"""Health check for the load balancer and friendly error pages."""

from flask import Blueprint, current_app, jsonify, render_template
from flask_babel import gettext as _
from sqlalchemy import text
from werkzeug.exceptions import SecurityError

from intranet.extensions import db

bp = Blueprint("ops", __name__)


def _database_state() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as error:  # any failure means unusable, whatever the driver raises
        db.session.rollback()
        return f"error: {error.__class__.__name__}"


def _redis_state() -> str:
    url = current_app.config["REDIS_URL"]
    if not url:
        return "not configured"
    from redis import Redis

    try:
        Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
        return "ok"
    except Exception as error:
        return f"error: {error.__class__.__name__}"


@bp.get("/healthz")
def healthz():
    state = {"database": _database_state(), "redis": _redis_state()}
    usable = state["database"] == "ok" and state["redis"] in ("ok", "not configured")
    state["status"] = "ok" if usable else "unavailable"
    return jsonify(state), 200 if usable else 503


def register_error_pages(app) -> None:
    for code in (400, 403, 404, 405, 410, 429, 500):
        app.register_error_handler(code, _error_page(code))


def _error_page(code: int):
    def handle(error):
        if isinstance(error, SecurityError):  # a Host outside TRUSTED_HOSTS: no page (no link) can be built for it
            return _("Adresse du site inconnue."), code, {"Content-Type": "text/plain; charset=utf-8"}
        if code == 500:
            db.session.rollback()
        return render_template("errors/error.html", code=code), code

    return handle
