"""A volunteer's own space, phone first: their associations and upcoming sessions."""

from flask_login import current_user

from intranet.rendering import render
from intranet.tenancy import personal_blueprint

bp = personal_blueprint("me", __name__)


@bp.get("/")
def index():
    memberships = [m for m in current_user.memberships if m.active and m.association.active]
    return render("me/index.html", memberships=memberships)
