"""Health check for the load balancer and friendly error pages."""

from flask import Blueprint, current_app, jsonify, render_template
from flask_babel import gettext as _
from werkzeug.exceptions import SecurityError

from intranet.extensions import db
from intranet.ops import health

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    """JSON for the load balancer and the monitoring: 503 when this node cannot serve, else 200 (maybe degraded)."""
    state, status = health.report(current_app)
    return jsonify(state), status


def register_error_pages(app) -> None:
    for code in (400, 403, 404, 405, 410, 413, 429, 500):
        app.register_error_handler(code, _error_page(code))


def _error_page(code: int):
    def handle(error):
        if isinstance(error, SecurityError):  # a Host outside TRUSTED_HOSTS: no page (no link) can be built for it
            return _("Adresse du site inconnue."), code, {"Content-Type": "text/plain; charset=utf-8"}
        if code == 500:
            db.session.rollback()
        return render_template("errors/error.html", code=code), code

    return handle
