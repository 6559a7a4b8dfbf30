"""A volunteer's own space, phone first: their upcoming sessions and their associations."""

from flask_login import current_user

from intranet.clock import today_in
from intranet.journeys.forms import MODULE_STATUS_LABELS
from intranet.journeys.services import sessions_of
from intranet.rendering import render
from intranet.tenancy import personal_blueprint

bp = personal_blueprint("me", __name__)


@bp.get("/")
def index():
    memberships = [m for m in current_user.memberships if m.active and m.association.active]
    return render("me/index.html", memberships=memberships, sessions=sessions_of(current_user, today_in("Europe/Paris")),
                  module_status_labels=MODULE_STATUS_LABELS)
