"""Where each person lands: the network office, an association's space, or their own."""

from flask import Blueprint, g, redirect, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from intranet.extensions import db
from intranet.members.models import Membership
from intranet.rendering import render
from intranet.tenancy import association_blueprint

bp = Blueprint("home", __name__)
space_bp = association_blueprint("space", __name__, role="staff")


def _spaces() -> list[Membership]:
    return [m for m in current_user.memberships if m.active and m.association.active]


@bp.get("/")
@login_required
def index():
    spaces = _spaces()
    working = [m for m in spaces if m.role != "volunteer"]
    if current_user.is_network_office:
        return redirect(url_for("network.index"))
    if len(working) == 1 and len(spaces) == 1:
        return redirect(url_for("space.dashboard", slug=working[0].association.slug))
    if spaces and not working:
        return redirect(url_for("me.index"))
    return redirect(url_for("home.spaces"))


@bp.get("/spaces")
@login_required
def spaces():
    return render("home/choose.html", spaces=_spaces())


@space_bp.get("/")
def dashboard():
    rows = db.session.execute(
        select(Membership.role, func.count())
        .where(Membership.association_id == g.association.id, Membership.active.is_(True))
        .group_by(Membership.role)
    )
    counts = {role: count for role, count in rows}
    return render("home/dashboard.html", counts=counts)
