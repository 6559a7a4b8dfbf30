"""A volunteer's own logs in /me, phone first: complete a session they gave, other activities, hours, a pause."""

from datetime import date

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from intranet.calendar.models import Appointment
from intranet.clock import today_in, utcnow
from intranet.extensions import db
from intranet.forms import EmptyForm, show_rule_error
from intranet.members.models import Membership
from intranet.programs.services import local_modules
from intranet.rendering import render
from intranet.rules import RuleError
from intranet.tenancy import personal_blueprint
from intranet.volunteers import hours, logs
from intranet.volunteers.forms import ActivityForm, PauseForm, ResumeForm, SessionLogForm
from intranet.volunteers.models import VolunteerActivity, VolunteerProfile

bp = personal_blueprint("my_logs", __name__)


def _memberships() -> dict[int, Membership]:
    return {m.association_id: m for m in current_user.memberships if m.active and m.association.active}


def _my_appointment(appointment_id: int) -> tuple[Appointment, Membership]:
    memberships = _memberships()
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or appointment.association_id not in memberships \
            or appointment.volunteer_id != current_user.id:
        abort(404)  # someone else's session does not exist for this person
    return appointment, memberships[appointment.association_id]


def log_form(appointment: Appointment, log) -> SessionLogForm:
    """The log's form, prefilled: réalisé, the planned duration (or what was logged)."""
    if log is not None:
        form = SessionLogForm(data={"outcome": log.outcome, "minutes": log.minutes, "notes": log.notes,
                                    "next_module_id": log.next_module_id})
    else:
        form = SessionLogForm(data={"outcome": "done", "minutes": logs.planned_minutes(appointment)})
    form.next_module_id.choices = [(None, _("Aucun en particulier"))] + [
        (m.id, m.name) for m in local_modules(appointment.association_id)]
    return form


@bp.route("/appointments/<int:appointment_id>/log", methods=["GET", "POST"])
def log(appointment_id: int):
    appointment, membership = _my_appointment(appointment_id)
    association = membership.association
    existing = logs.log_of(appointment)
    form = log_form(appointment, existing)
    refusal = logs.volunteer_may_log(appointment, association, existing, utcnow())
    if form.validate_on_submit() and refusal is None:
        try:
            logs.log_session(association, appointment, by=current_user, outcome=form.outcome.data,
                             minutes=form.minutes.data, notes=form.notes.data or "",
                             next_module_id=form.next_module_id.data, staff=False)
        except RuleError as error:
            show_rule_error(form, error)
        else:
            flash(_("Merci ! La séance « %(name)s » est complétée.", name=appointment.name), "success")
            return redirect(url_for("me.index") + "#todo-title")
    return render("volunteers/me_log.html", appointment=appointment, association=association, form=form,
                  existing=existing, refusal=refusal,
                  people=[s.beneficiary.first_name for s in appointment.booked_seats]), 422 if form.errors else 200


@bp.post("/appointments/<int:appointment_id>/done")
def done_as_planned(appointment_id: int):
    """One tap: réalisé, at the planned duration, no notes."""
    appointment, membership = _my_appointment(appointment_id)
    if EmptyForm().validate_on_submit():
        try:
            logs.log_session(membership.association, appointment, by=current_user, outcome="done",
                             minutes=logs.planned_minutes(appointment), notes="", next_module_id=None, staff=False)
        except RuleError as error:
            show_rule_error(None, error)
        else:
            flash(_("Merci ! La séance « %(name)s » est notée réalisée comme prévu.", name=appointment.name),
                  "success")
    return redirect(url_for("me.index") + "#todo-title")


def _choices(form) -> None:
    form.association_id.choices = [(m.association_id, m.association.name) for m in _memberships().values()]


def _page(activity_form: ActivityForm | None = None, pause_form: PauseForm | None = None, status: int = 200):
    memberships = _memberships()
    first_zone = next(iter(memberships.values())).association.timezone if memberships else "Europe/Paris"
    today = today_in(first_zone)
    activity_form = activity_form or ActivityForm(formdata=None, done_on=today, minutes=120)
    pause_form = pause_form or PauseForm(formdata=None, paused_from=today)
    resume_form = ResumeForm(formdata=None)
    for form in (activity_form, pause_form, resume_form):
        _choices(form)
    ids = list(memberships)
    profiles = {p.association_id: p for p in db.session.scalars(select(VolunteerProfile).where(
        VolunteerProfile.user_id == current_user.id, VolunteerProfile.association_id.in_(ids)))} if ids else {}
    activities = list(db.session.scalars(
        select(VolunteerActivity).where(VolunteerActivity.profile_id.in_([p.id for p in profiles.values()]))
        .order_by(VolunteerActivity.done_on.desc(), VolunteerActivity.id.desc()).limit(30))) if profiles else []
    year_totals = hours.totals(hours.Scope(date(today.year, 1, 1), date(today.year, 12, 31), ids,
                                           current_user.id)) if ids else {}
    return render("volunteers/me_activities.html", memberships=memberships, profiles=profiles, activities=activities,
                  year=today.year, year_totals={a: row for (a, _u), row in year_totals.items()}, today=today,
                  activity_form=activity_form, pause_form=pause_form, resume_form=resume_form,
                  ), status


@bp.route("/activities", methods=["GET", "POST"])
def activities():
    memberships = _memberships()
    form = ActivityForm()
    _choices(form)
    if form.validate_on_submit():
        membership = memberships.get(form.association_id.data)
        if membership is None:
            abort(404)
        from intranet.volunteers.services import profile_for

        try:
            logs.add_activity(profile_for(membership), by=current_user, done_on=form.done_on.data,
                              minutes=form.minutes.data, category=form.category.data, note=form.note.data or "",
                              today=today_in(membership.association.timezone))
        except RuleError as error:
            show_rule_error(form, error)
        else:
            flash(_("Activité enregistrée. Merci !"), "success")
            return redirect(url_for("my_logs.activities") + "#activities-title")
    return _page(activity_form=form if form.is_submitted() else None, status=422 if form.errors else 200)


@bp.post("/pause")
def pause():
    memberships = _memberships()
    form = PauseForm()
    _choices(form)
    if form.validate_on_submit():
        membership = memberships.get(form.association_id.data)
        if membership is None:
            abort(404)
        try:
            logs.pause_myself(membership, starts=form.paused_from.data, until=form.paused_until.data,
                              today=today_in(membership.association.timezone))
        except RuleError as error:
            show_rule_error(form, error)
        else:
            flash(_("Votre pause est enregistrée : aucune séance ne vous sera proposée pendant ce temps."), "success")
            return redirect(url_for("my_logs.activities") + "#pause-title")
    return _page(pause_form=form, status=422)


@bp.post("/pause/end")
def resume():
    memberships = _memberships()
    form = ResumeForm()
    _choices(form)
    if form.validate_on_submit() and form.association_id.data in memberships:
        logs.resume_myself(memberships[form.association_id.data])
        flash(_("Bon retour ! Des séances peuvent de nouveau vous être proposées."), "success")
    return redirect(url_for("my_logs.activities") + "#pause-title")
