"""A volunteer's own space, phone first: upcoming sessions, own availability, associations."""

from flask import abort, current_app, flash, redirect, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from intranet.calendar import availability as rules
from intranet.calendar.forms import WEEKDAYS, AvailabilityForm
from intranet.calendar.models import Availability
from intranet.calendar.services import planned_appointments
from intranet.clock import today_in
from intranet.extensions import db
from intranet.forms import EmptyForm, show_rule_error
from intranet.journeys.services import sessions_of
from intranet.notifications import feed
from intranet.rendering import render
from intranet.rules import RuleError
from intranet.tenancy import personal_blueprint
from intranet.urls import external_url

bp = personal_blueprint("me", __name__)


def _memberships():
    return [m for m in current_user.memberships if m.active and m.association.active]


@bp.get("/")
def index():
    # Only the token's digest is kept: the address is shown once, on the page that follows its creation.
    feed_url = session.pop("new_feed_url", None) if current_user.calendar_token_hash else None
    sessions = sessions_of(current_user)
    # Each session is shown at its own association's local time (Paris, La Réunion, Cayenne…).
    zones = {m.association_id: m.association.timezone for m in current_user.memberships}
    from intranet.volunteers import logs  # a higher feature: /me shows what it asks of the volunteer

    return render("me/index.html", memberships=_memberships(), sessions=sessions, zones=zones,
                  appointments=planned_appointments([s.id for s in sessions]),
                  to_complete=logs.to_complete(current_user), recent_logs=logs.recent_logs(current_user),
                  handovers=logs.handovers(current_user, [s.id for s in sessions]),
                  feed_on=bool(current_user.calendar_token_hash),
                  feed_url=feed_url, feed_form=EmptyForm())


@bp.post("/calendar-feed")
def create_feed():
    if EmptyForm().validate_on_submit():
        session["new_feed_url"] = external_url("feeds.calendar", token=feed.new_token(current_user))
        flash(_("Votre adresse d’agenda est prête. Toute adresse précédente ne fonctionne plus."), "success")
    return redirect(url_for("me.index") + "#feed-title")


@bp.post("/calendar-feed/off")
def revoke_feed():
    if EmptyForm().validate_on_submit():
        feed.revoke(current_user)
        session.pop("new_feed_url", None)
        flash(_("Votre agenda n’est plus partagé : l’adresse ne fonctionne plus."), "success")
    return redirect(url_for("me.index") + "#feed-title")


def _form() -> AvailabilityForm:
    form = AvailabilityForm()
    form.user_id.label.text = _("Association")
    form.user_id.choices = [(m.association_id, m.association.name) for m in _memberships()]
    if not form.is_submitted():
        memberships = _memberships()
        form.valid_from.data = today_in(memberships[0].association.timezone if memberships
                                        else current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return form


def _page(form: AvailabilityForm, status: int = 200):
    names = {m.association_id: m.association.name for m in _memberships()}
    rows = [r for r in db.session.scalars(select(Availability).where(Availability.user_id == current_user.id)
                                          .order_by(Availability.weekday, Availability.starts))
            if r.association_id in names]
    return render("me/availability.html", rows=rows, names=names, weekdays=dict(WEEKDAYS), form=form,
                  empty_form=EmptyForm()), status


@bp.route("/availability", methods=["GET", "POST"])
def availability():
    form = _form()
    if form.validate_on_submit():
        try:
            # The association comes from the person's own memberships (the choices), never from elsewhere.
            rules.add_availability(form.user_id.data, current_user.id, weekday=form.weekday.data,
                                   starts=form.starts.data, ends=form.ends.data, valid_from=form.valid_from.data,
                                   valid_until=form.valid_until.data)
        except RuleError as exc:
            show_rule_error(form, exc)
        else:
            flash(_("Disponibilité ajoutée."), "success")
            return redirect(url_for("me.availability"))
    return _page(form, 422 if form.errors else 200)


@bp.post("/availability/<int:availability_id>/delete")
def delete_availability(availability_id: int):
    row = db.session.get(Availability, availability_id)
    if row is None or row.user_id != current_user.id:
        abort(404)
    if EmptyForm().validate_on_submit():
        db.session.delete(row)
        flash(_("Disponibilité retirée."), "success")
    return redirect(url_for("me.availability"))
