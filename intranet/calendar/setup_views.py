"""Setting the calendar up: people's availability and absences (staff), resources, booking window and mail settings (admin)."""

from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from intranet.calendar import availability as rules
from intranet.calendar.forms import (
    WEEKDAYS,
    AbsenceForm,
    AvailabilityForm,
    BookingWindowForm,
    MailSettingsForm,
    ResourceForm,
)
from intranet.calendar.models import Absence, Availability, Resource
from intranet.clock import today_in, utcnow
from intranet.extensions import db
from intranet.forms import EmptyForm, show_rule_error
from intranet.journeys.services import coaches
from intranet.rendering import render
from intranet.rules import RuleError
from intranet.tenancy import association_blueprint, get_or_404, requires, scoped

bp = association_blueprint("availability", __name__, role="staff")


def _people_forms(availability_form=None, absence_form=None):
    people = [(u.id, u.name) for u in coaches(g.association.id)]
    availability_form = availability_form or AvailabilityForm(formdata=None, valid_from=today_in(g.association.timezone))
    absence_form = absence_form or AbsenceForm(formdata=None)
    availability_form.user_id.choices = absence_form.user_id.choices = people
    return availability_form, absence_form


def _page(availability_form=None, absence_form=None, status=200):
    availability_form, absence_form = _people_forms(availability_form, absence_form)
    rows = db.session.scalars(scoped(Availability).options(joinedload(Availability.user))
                              .order_by(Availability.user_id, Availability.weekday, Availability.starts)).all()
    absences = db.session.scalars(scoped(Absence).options(joinedload(Absence.user))
                                  .where(Absence.ends_at > utcnow()).order_by(Absence.starts_at)).all()
    return render("calendar/availability.html", rows=rows, absences=absences, weekdays=dict(WEEKDAYS),
                  availability_form=availability_form, absence_form=absence_form, empty_form=EmptyForm()), status


@bp.get("/availability")
def index():
    return _page()


@bp.post("/availability")
def add():
    form = AvailabilityForm()
    _people_forms(form)
    if form.validate_on_submit():
        try:
            rules.add_availability(g.association.id, form.user_id.data, weekday=form.weekday.data,
                                   starts=form.starts.data, ends=form.ends.data, valid_from=form.valid_from.data,
                                   valid_until=form.valid_until.data)
        except RuleError as exc:
            show_rule_error(form, exc)
        else:
            flash(_("Disponibilité ajoutée."), "success")
            return redirect(url_for("availability.index"))
    return _page(availability_form=form, status=422)


@bp.post("/availability/<int:availability_id>/delete")
def delete(availability_id: int):
    row = get_or_404(Availability, availability_id)
    if EmptyForm().validate_on_submit():
        db.session.delete(row)
        flash(_("Disponibilité retirée."), "success")
    return redirect(url_for("availability.index"))


@bp.post("/absences")
def add_absence():
    form = AbsenceForm()
    _people_forms(absence_form=form)
    if form.validate_on_submit():
        try:
            rules.add_absence(g.association, form.user_id.data, first_day=form.first_day.data,
                              last_day=form.last_day.data, reason=form.reason.data or "")
        except RuleError as exc:
            show_rule_error(form, exc)
        else:
            flash(_("Absence enregistrée."), "success")
            return redirect(url_for("availability.index"))
    return _page(absence_form=form, status=422)


@bp.post("/absences/<int:absence_id>/delete")
def delete_absence(absence_id: int):
    row = get_or_404(Absence, absence_id)
    if EmptyForm().validate_on_submit():
        db.session.delete(row)
        flash(_("Absence retirée."), "success")
    return redirect(url_for("availability.index"))


# --- resources and booking window (admin) ------------------------------------------------------


def _resources_page(form=None, window_form=None, mail_form=None, status=200):
    resources = db.session.scalars(scoped(Resource).order_by(Resource.active.desc(), Resource.name)).all()
    return render("calendar/resources.html", resources=resources, form=form or ResourceForm(formdata=None),
                  window_form=window_form or BookingWindowForm(formdata=None, obj=g.association),
                  mail_form=mail_form or MailSettingsForm(formdata=None, obj=g.association)), status


def _save_resource(resource: Resource, form: ResourceForm) -> bool:
    days = "".join(sorted(set(form.open_days.data.strip())))
    if not days or any(c not in "0123456" for c in days):
        form.open_days.errors.append(_("Uniquement des chiffres de 0 (lundi) à 6 (dimanche)."))
        return False
    if form.closes_at.data <= form.opens_at.data:
        form.closes_at.errors.append(_("L’heure de fermeture doit suivre l’heure d’ouverture."))
        return False
    resource.name, resource.kind, resource.capacity = form.name.data.strip(), form.kind.data, form.capacity.data
    resource.opens_at, resource.closes_at, resource.open_days = form.opens_at.data, form.closes_at.data, days
    db.session.add(resource)
    db.session.flush()
    return True


@bp.route("/resources", methods=["GET", "POST"])
@requires("admin")
def resources():
    form = ResourceForm() if request.method == "POST" else None
    if form is not None and form.validate_on_submit() and _save_resource(Resource(association_id=g.association.id), form):
        flash(_("Ressource ajoutée."), "success")
        return redirect(url_for("availability.resources"))
    return _resources_page(form, status=422 if form is not None else 200)


@bp.route("/resources/<int:resource_id>", methods=["GET", "POST"])
@requires("admin")
def edit_resource(resource_id: int):
    resource = get_or_404(Resource, resource_id)
    form = ResourceForm(obj=resource)
    if form.validate_on_submit() and _save_resource(resource, form):
        flash(_("Ressource enregistrée."), "success")
        return redirect(url_for("availability.resources"))
    return render("calendar/resource_form.html", resource=resource, form=form), 422 if form.errors else 200


@bp.post("/resources/window")
@requires("admin")
def booking_window():
    form = BookingWindowForm()
    if form.validate_on_submit():
        form.populate_obj(g.association)
        flash(_("Règles de réservation enregistrées."), "success")
        return redirect(url_for("availability.resources"))
    return _resources_page(window_form=form, status=422)


@bp.post("/resources/mail")
@requires("admin")
def mail_settings():
    form = MailSettingsForm()
    if form.validate_on_submit():
        association = g.association
        association.reminder_days_before = form.reminder_days_before.data
        association.reminder_eve_hour = form.reminder_eve_hour.data
        association.mail_sender_name = " ".join((form.mail_sender_name.data or "").split())
        association.mail_reply_to = (form.mail_reply_to.data or "").strip()
        flash(_("Réglages des courriels enregistrés."), "success")
        return redirect(url_for("availability.resources"))
    return _resources_page(mail_form=form, status=422)
