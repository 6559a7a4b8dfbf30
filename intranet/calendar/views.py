"""The association's calendar: week and day views, booking in place, appointments, finding a slot."""

from datetime import datetime, timedelta

from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_htmx import make_response
from sqlalchemy.orm import joinedload, selectinload

from intranet.args import arg_choice, arg_date, arg_datetime, arg_int, arg_str
from intranet.beneficiaries.models import Beneficiary
from intranet.calendar import booking
from intranet.calendar.forms import BookingForm, MoveForm, StatusForm
from intranet.calendar.models import Appointment, AppointmentStatus, Resource, Seat
from intranet.calendar.slots import find_slots
from intranet.calendar.week import Filters, calendar, monday
from intranet.clock import local, to_utc, today_in, utcnow
from intranet.dates import format_datetime
from intranet.extensions import db, htmx
from intranet.forms import EmptyForm, show_rule_error
from intranet.journeys.services import coaches
from intranet.programs.services import local_modules
from intranet.rendering import render
from intranet.rules import RuleError
from intranet.search import matches
from intranet.tenancy import association_blueprint, get_or_404, scoped
from intranet.transactions import abandon

bp = association_blueprint("calendar", __name__, role="staff")


def _resources() -> list[Resource]:
    return list(db.session.scalars(scoped(Resource).where(Resource.active.is_(True)).order_by(Resource.name)))


@bp.get("/calendar")
def week():
    today = today_in(g.association.timezone)
    view = arg_choice("view", ("day", "week"), "week")
    shown = arg_date("day", today)
    first = shown if view == "day" else monday(shown)
    days = 1 if view == "day" else 7
    filters = Filters(volunteer_id=arg_int("volunteer", min=1), resource_id=arg_int("resource", min=1),
                      module_id=arg_int("module", min=1))
    step = timedelta(days=days)
    args = {"volunteer": filters.volunteer_id, "resource": filters.resource_id, "module": filters.module_id,
            "view": "day" if view == "day" else None}
    args = {name: value for name, value in args.items() if value}
    return render("calendar/week.html", "calendar", cal=calendar(g.association, first, days, filters), view=view,
                  first=first, today=today, prev_day=first - step, next_day=first + step, args=args,
                  filters=filters, people=coaches(g.association.id), resources=_resources(),
                  modules=local_modules(g.association.id))


# --- booking --------------------------------------------------------------------------


def _booking_form() -> BookingForm:
    """The booking form, filled from the cell or slot that opened it, offering the person already chosen."""
    form = BookingForm()
    _prefill(form)  # before the choices: the person chosen from a "find a slot" link is one of them
    modules = local_modules(g.association.id)
    form.module_id.choices = [("", _("Choisir…"))] + [(m.id, f"{m.name} ({m.duration_minutes} min)") for m in modules]
    form.volunteer_id.choices = [("", _("Choisir…"))] + [(u.id, u.name) for u in coaches(g.association.id)]
    form.resource_id.choices = [("", _("Aucune"))] + [(r.id, r.name) for r in _resources()]
    chosen = db.session.get(Beneficiary, form.beneficiary_id.data) if isinstance(form.beneficiary_id.data, int) else None
    form.beneficiary_id.choices = [("", _("Choisir…"))]
    if chosen is not None and chosen.association_id == g.association.id:
        form.beneficiary_id.choices.append((chosen.id, chosen.full_name))
    return form


def _prefill(form: BookingForm) -> None:
    """Fill the form from the calendar cell or the slot that was clicked."""
    if request.method != "GET":
        return
    moment = arg_datetime("at")
    if moment is not None:
        form.day.data, form.at.data = moment.date(), moment.time()
    for field, arg in (("module_id", "module"), ("volunteer_id", "volunteer"), ("resource_id", "resource"),
                       ("beneficiary_id", "beneficiary")):
        if arg_int(arg, min=1) is not None:
            getattr(form, field).data = arg_int(arg, min=1)


def _coach_choices(people: list[tuple[int, str, str | None, str | None]]) -> list[tuple]:
    """Select options: those free first, then those busy (bookable knowingly), then those who may not
    coach this session at all, greyed out with the reason (a qualification, a pause)."""
    def option(uid, name, why, refused):
        if refused:
            return (uid, f"{name} — {refused}", {"disabled": True, "class": "refused"})
        return (uid, name if why is None else f"{name} — {why}")

    ordered = sorted(people, key=lambda r: (r[3] is not None, r[2] is not None, r[1]))
    return [option(*row) for row in ordered]


def _available_people(form: BookingForm) -> list[tuple[int, str, str | None, str | None]]:
    """Each coach with why they cannot take this time (None: free) and why they may not coach it at all."""
    if not (form.day.data and form.at.data and isinstance(form.module_id.data, int)):
        return []
    try:
        module = booking.local_module(g.association.id, form.module_id.data)
    except booking.BookingError:
        return []
    starts_at = to_utc(form.day.data, form.at.data, g.association.timezone)
    ends_at = starts_at + timedelta(minutes=module.duration_minutes)
    people = coaches(g.association.id)
    ids = [u.id for u in people]
    status = booking.coach_status(g.association, ids, starts_at, ends_at)
    refused = booking.coach_refusals(g.association, ids, starts_at, module.qualification)
    return [(u.id, u.name, status[u.id], refused.get(u.id)) for u in people]


@bp.route("/calendar/book", methods=["GET", "POST"])
def book():
    form = _booking_form()
    people = _available_people(form)
    if people:
        form.volunteer_id.choices = [("", _("Choisir…"))] + _coach_choices(people)
    error, alternatives, needs_override = None, [], False
    refresh = request.form.get("refresh") == "1"  # the module or time changed: show who is free, book nothing
    if request.method == "POST" and not refresh and form.validate_on_submit():
        req = booking.Request(module_id=form.module_id.data, beneficiary_id=form.beneficiary_id.data,
                              starts_at=to_utc(form.day.data, form.at.data, g.association.timezone),
                              volunteer_id=form.volunteer_id.data, resource_id=form.resource_id.data,
                              call_details=form.call_details.data or "")
        try:
            appointment = booking.book(g.association, req, override=form.override.data,
                                       alternatives=lambda module: _alternatives(module, req))
        except booking.NeedsOverride as exc:
            needs_override = True
            show_rule_error(form, exc)
        except booking.Conflict as exc:
            abandon()
            error, alternatives = str(exc), exc.alternatives
        except RuleError as exc:
            show_rule_error(form, exc)
        else:
            message = _("Rendez-vous réservé : %(name)s, %(when)s.", name=appointment.name,
                        when=format_datetime(appointment.starts_at, "short"))
            flash(message, "success")
            day = local(appointment.starts_at, g.association.timezone).date().isoformat()
            if htmx:  # a full page, so the week shows the new appointment and the message
                return make_response("", 204, redirect=url_for("calendar.week", day=day))
            return redirect(url_for("calendar.week", day=day))
    status = 409 if error else (422 if form.errors else 200)
    return render("calendar/book.html", "booking", form=form, error=error, alternatives=alternatives,
                  needs_override=needs_override, modules=local_modules(g.association.id)), status


def _alternatives(module, req: booking.Request):
    start = max(req.starts_at - timedelta(days=1), utcnow())
    return find_slots(g.association, module, start=start, end=start + timedelta(days=21),
                      beneficiary_id=req.beneficiary_id, limit=5)


@bp.get("/calendar/people")
def beneficiary_options():
    """The options of the beneficiary list, searched as you type."""
    q = arg_str("q")
    query = scoped(Beneficiary).where(Beneficiary.active.is_(True))
    if q.strip():
        query = query.where(matches(Beneficiary.search_key, q))
    people = db.session.scalars(query.order_by(Beneficiary.last_name, Beneficiary.first_name).limit(20)).all()
    return render("calendar/_beneficiary_options.html", people=people, q=q)


# --- an appointment ------------------------------------------------------------------------


def _load(appointment_id: int) -> Appointment:
    return get_or_404(Appointment, appointment_id, joinedload(Appointment.volunteer), joinedload(Appointment.resource),
                      joinedload(Appointment.module), selectinload(Appointment.seats).joinedload(Seat.beneficiary))


def _move_form(appointment: Appointment) -> MoveForm:
    form = MoveForm()
    if request.method == "GET":
        moment = local(appointment.starts_at, g.association.timezone)
        form.day.data, form.at.data = moment.date(), moment.time()
        form.volunteer_id.data, form.resource_id.data = appointment.volunteer_id, appointment.resource_id
    people = coaches(g.association.id)
    # Who may not coach this session on its current day (a qualification, a pause) is shown greyed out;
    # the move itself is checked again on the day chosen.
    refused = booking.coach_refusals(g.association, [u.id for u in people], appointment.starts_at,
                                     appointment.module.qualification)
    form.volunteer_id.choices = [
        (u.id, u.name) if u.id not in refused
        else (u.id, f"{u.name} — {refused[u.id]}") if u.id == appointment.volunteer_id  # stays chosen, marked
        else (u.id, f"{u.name} — {refused[u.id]}", {"disabled": True, "class": "refused"}) for u in people]
    form.resource_id.choices = [("", _("Aucune"))] + [(r.id, r.name) for r in _resources()]
    return form


def _show(appointment: Appointment, *, move_form=None, status_form=None, error=None, code=200):
    return render("calendar/appointment.html", a=appointment, history=booking.history(appointment),
                  move_form=move_form or _move_form(appointment), status_form=status_form or StatusForm(formdata=None),
                  error=error, empty_form=EmptyForm()), code


@bp.get("/appointments/<int:appointment_id>")
def appointment(appointment_id: int):
    return _show(_load(appointment_id))


@bp.post("/appointments/<int:appointment_id>/status")
def change_status(appointment_id: int):
    item = _load(appointment_id)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            booking.set_status(g.association, item, form.status.data, form.reason.data or "")
        except RuleError as exc:
            show_rule_error(form, exc)
        else:
            flash(_("Statut : %(status)s.", status=AppointmentStatus.label_of(item.status)), "success")
            return redirect(url_for("calendar.appointment", appointment_id=item.id))
    return _show(_load(appointment_id), status_form=form, code=422)


@bp.post("/appointments/<int:appointment_id>/move")
def move(appointment_id: int):
    item = _load(appointment_id)
    form = _move_form(item)
    error = None
    if form.validate_on_submit():
        try:
            booking.move(g.association, item, starts_at=to_utc(form.day.data, form.at.data, g.association.timezone),
                         volunteer_id=form.volunteer_id.data, resource_id=form.resource_id.data,
                         override=form.override.data)
        except booking.Conflict as exc:
            abandon()
            error = str(exc)
        except RuleError as exc:
            show_rule_error(form, exc, field="override")
        else:
            flash(_("Rendez-vous déplacé."), "success")
            return redirect(url_for("calendar.appointment", appointment_id=item.id))
    return _show(_load(appointment_id), move_form=form, error=error, code=409 if error else 422)


@bp.post("/seats/<int:seat_id>/cancel")
def cancel_seat(seat_id: int):
    seat = get_or_404(Seat, seat_id, joinedload(Seat.appointment))
    if EmptyForm().validate_on_submit() and seat.status == "booked":
        booking.cancel_seat(seat, _("place libérée par l’équipe"))
        flash(_("La place est libérée."), "success")
    return redirect(url_for("calendar.appointment", appointment_id=seat.appointment_id))


# --- find a slot for a beneficiary -------------------------------------------------------------


@bp.get("/beneficiaries/<int:beneficiary_id>/slots")
def find_slot(beneficiary_id: int):
    beneficiary = get_or_404(Beneficiary, beneficiary_id)
    modules = local_modules(g.association.id)
    module = next((m for m in modules if m.id == arg_int("module", min=1)), None)
    slots = []
    if module is not None:
        start = utcnow() + timedelta(hours=1)
        slots = find_slots(g.association, module, start=start, end=start + timedelta(weeks=6),
                           beneficiary_id=beneficiary.id, limit=12)
    return render("calendar/find_slot.html", "slots", b=beneficiary, modules=modules, module=module, slots=slots,
                  tz=g.association.timezone)


@bp.app_template_filter("local")
def local_filter(moment: datetime, pattern: str) -> str:
    """A UTC time as a machine format (URL arguments) in the association's zone; people read intranet.dates."""
    return local(moment, g.association.timezone).strftime(pattern) if moment else ""


