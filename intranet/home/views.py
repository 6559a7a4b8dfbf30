"""Where each person lands: the network office, an association's space, or their own."""

from flask import Blueprint, g, redirect, url_for
from flask_login import current_user, login_required

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
        return redirect(url_for("reporting.network"))
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
    """The association's own dashboard: its sessions, the files waiting, its figures beside the network's median."""
    from intranet.clock import today_in, utcnow
    from intranet.reporting import esf, home, to_handle
    from intranet.reporting.periods import Filters, PeriodKind
    from intranet.reporting.views import read_filters

    base = read_filters(associations=False)
    filters = Filters(base.period, extra=base.extra)  # the whole network: the medians need every association
    waiting_count, waiting = home.waiting_first_appointment(g.association)
    operations, names = home.esf_completeness(g.association, filters.period.end)
    comparisons, medians_at = home.compared(g.association, filters)
    return render("home/dashboard.html", "figures", today=home.today_sessions(g.association),
                  week=home.week_counts(g.association), waiting_count=waiting_count, waiting=waiting,
                  comparisons=comparisons, medians_at=medians_at, filters=filters, PeriodKind=PeriodKind,
                  operations=operations, names=names, missing_names=esf.MISSING_ITEMS,
                  to_handle=to_handle.blocks(g.association, today_in(g.association.timezone), utcnow()))
