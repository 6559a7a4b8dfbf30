"""Hours and their value: the association's report, a volunteer's certificate, staff logging and correcting
sessions and activities; the network office's view and its hourly rates. (Their exports are `exports` sources.)"""

from datetime import date
from decimal import Decimal

from flask import flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet.args import arg_date, arg_int, paginate
from intranet.calendar.models import Appointment
from intranet.clock import today_in, utcnow
from intranet.dates import format_date
from intranet.extensions import db
from intranet.forms import show_rule_error
from intranet.members.models import Membership
from intranet.rendering import render
from intranet.rules import RuleError
from intranet.tenancy import association_blueprint, get_or_404, network_blueprint
from intranet.volunteers import hours, logs
from intranet.volunteers.forms import ActivityForm, RateForm
from intranet.volunteers.log_views import log_form
from intranet.volunteers.models import ActivityCategory, VolunteerActivity

bp = association_blueprint("volunteer_hours", __name__, role="staff")
network_bp = network_blueprint("network_hours", __name__)

MONTHS = range(1, 13)


def _period(today: date) -> tuple[int, int | None, date, date]:
    """The report's year and month (None: the whole year) from the query, and its first and last days."""
    year = arg_int("year", today.year, min=2000, max=2100)
    month = arg_int("month", min=1, max=12)
    return year, month, *hours.period(year, month)


@bp.get("/volunteers/hours")
def index():
    today = today_in(g.association.timezone)
    year, month, first, last = _period(today)
    lines, months = hours.report(g.association.id, year, month)
    return render("volunteers/hours.html", lines=lines, total=hours.sum_of(line.totals for line in lines), months=months,
                  year=year, month=month, first=first, last=last,
                  years=range(today.year, today.year - 6, -1), rates=hours.rates(),
                  args={k: v for k, v in (("year", year), ("month", month)) if v is not None})


@bp.get("/volunteers/<int:membership_id>/certificate")
def certificate(membership_id: int):
    membership = get_or_404(Membership, membership_id, joinedload(Membership.user))
    today = today_in(g.association.timezone)
    first = arg_date("first", date(today.year, 1, 1))
    last = arg_date("last", today)
    if last < first:
        first, last = last, first
    found = hours.totals(hours.Scope(first, last, [g.association.id], membership.user_id))
    row = found.get((g.association.id, membership.user_id), hours.Totals())
    return render("volunteers/certificate.html", membership=membership, row=row, first=first, last=last,
                  today=today, )


@bp.route("/volunteers/sessions/<int:appointment_id>/log", methods=["GET", "POST"])
def staff_log(appointment_id: int):
    """Staff log or correct a coach's session at any time; each correction is in the audit log."""
    appointment = get_or_404(Appointment, appointment_id)
    existing = logs.log_of(appointment)
    form = log_form(appointment, existing)
    membership = db.session.scalar(select(Membership).where(Membership.association_id == g.association.id,
                                                            Membership.user_id == appointment.volunteer_id))
    if form.validate_on_submit():
        try:
            logs.log_session(g.association, appointment, by=current_user, outcome=form.outcome.data,
                             minutes=form.minutes.data, notes=form.notes.data or "",
                             next_module_id=form.next_module_id.data, staff=True)
        except RuleError as error:
            show_rule_error(form, error)
        else:
            flash(_("Compte rendu de la séance enregistré."), "success")
            if membership is not None:
                return redirect(url_for("volunteers.show", membership_id=membership.id) + "#logs-title")
            return redirect(url_for("calendar.appointment", appointment_id=appointment.id))
    from intranet.audit.services import history

    return render("volunteers/staff_log.html", appointment=appointment, form=form, existing=existing,
                  membership=membership, audit=history(existing, 20) if existing else [],
                  people=[s.beneficiary.first_name for s in appointment.booked_seats]), 422 if form.errors else 200


@bp.get("/volunteers/sessions/to-log")
def missing_logs():
    """The sessions of the last 30 days that are over and still wait for their log: staff complete them."""
    sessions = paginate(logs.missing_logs(g.association.id, utcnow()))
    return render("volunteers/missing_logs.html", "sessions", sessions=sessions, days=logs.MISSING_DAYS)


@bp.route("/volunteer-activities/<int:volunteer_activity_id>/edit", methods=["GET", "POST"])
def edit_activity(volunteer_activity_id: int):
    activity = get_or_404(VolunteerActivity, volunteer_activity_id, joinedload(VolunteerActivity.profile))
    form = ActivityForm(obj=activity)
    del form.association_id
    if form.validate_on_submit():
        try:
            logs.correct_activity(activity, done_on=form.done_on.data, minutes=form.minutes.data,
                                  category=form.category.data, note=form.note.data or "",
                                  today=today_in(g.association.timezone))
        except RuleError as error:
            show_rule_error(form, error)
        else:
            flash(_("Activité corrigée."), "success")
            return redirect(url_for("volunteers.show", membership_id=activity.profile.membership_id) + "#logs-title")
    from intranet.audit.services import history

    return render("volunteers/activity_form.html", activity=activity, form=form, audit=history(activity, 20),
                  categories=ActivityCategory), 422 if form.errors else 200


# --- the network office -------------------------------------------------------------------------


def _network_page(form: RateForm | None = None, status: int = 200):
    today = today_in("Europe/Paris")
    year, month, first, last = _period(today)
    lines = hours.by_association(first, last)
    form = form or RateForm(formdata=None)
    table = hours.rates()
    return render("volunteers/network_hours.html", lines=lines, total=hours.sum_of(line.totals for line in lines),
                  months=hours.by_month(None, date(year, 1, 1), date(year, 12, 31)), year=year, month=month,
                  years=range(today.year, today.year - 6, -1), rates=table,
                  current=hours.rate_on(today, table), form=form,
                  args={k: v for k, v in (("year", year), ("month", month)) if v is not None}), status


@network_bp.get("/volunteer-hours")
def index():  # noqa: F811  (another blueprint's endpoint)
    return _network_page()


@network_bp.post("/volunteer-hours/rates")
def set_rate():
    form = RateForm()
    if form.validate_on_submit():
        try:
            hours.set_rate(effective_from=form.effective_from.data,
                           cents=int((Decimal(form.euros.data) * 100).quantize(Decimal(1))), note=form.note.data or "",
                           by=current_user)
        except RuleError as error:
            show_rule_error(form, error)
        else:
            flash(_("Taux horaire enregistré à partir du %(day)s.", day=format_date(form.effective_from.data, "long")),
                  "success")
            return redirect(url_for("network_hours.index") + "#rates-title")
    return _network_page(form, 422)
