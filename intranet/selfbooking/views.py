"""Pages a beneficiary opens from a personal link, without an account: book, cancel or move a session.

Every page is loaded from the link alone: the person it belongs to, their association, their
own places. Nothing here shows another person's data, a coach's contact details or any staff page.
"""

from datetime import date, datetime
from itertools import groupby

from flask import Blueprint, abort, flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from intranet.args import arg_choice, arg_date, arg_id, arg_str
from intranet.calendar.models import Seat
from intranet.clock import local
from intranet.dates import format_skeleton, format_time
from intranet.forms import EmptyForm
from intranet.programs.services import LocalModule
from intranet.rendering import render
from intranet.selfbooking import services as selfbooking
from intranet.selfbooking.forms import SlotForm
from intranet.transactions import abandon

bp = Blueprint("selfbooking", __name__, url_prefix="/p/<token>")
DAYS_PER_PAGE = 3  # enough choice without a long scroll on a phone
PROBLEM_STATUS = {"unknown": 404, "expired": 410, "replaced": 410, "not_found": 404, "session": 400}


@bp.url_value_preprocessor
def pull_token(endpoint, values):
    g.booking_token = values.pop("token")


@bp.url_defaults
def add_token(endpoint, values):
    if "token" not in values and "booking_token" in g:
        values["token"] = g.booking_token


@bp.before_request
def open_link():
    try:
        g.booking_link = selfbooking.resolve(g.booking_token)
    except selfbooking.LinkProblem as problem:
        return _problem(problem.reason, problem.association)
    g.booking_association = selfbooking.association_of(g.booking_link)


@bp.after_request
def keep_private(response):
    # The page holds personal data and a personal address: no cache, no search engine.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.errorhandler(404)
def not_found(error):
    return _problem("not_found", g.get("booking_association"))


@bp.errorhandler(CSRFError)
def session_expired(error):
    return _problem("session", g.get("booking_association"))


@bp.context_processor
def helpers():
    return {"day_label": _day_label, "time_label": _time_label, "first_name": _first_name,
            "slot_key": selfbooking.slot_key}


def _problem(reason: str, association=None):
    return render("selfbooking/problem.html", reason=reason, association=association), PROBLEM_STATUS[reason]


def _day_label(moment: datetime | date) -> str:
    return format_skeleton(moment, "MMMMEEEEd", timezone=g.booking_association.timezone).capitalize()


def _time_label(moment: datetime) -> str:
    return format_time(moment, timezone=g.booking_association.timezone)


def _first_name(name: str) -> str:
    return (name or "").split(" ")[0]


def _page(template: str, status: int = 200, **context):
    link = g.booking_link
    return render(template, link=link, b=link.beneficiary, association=g.booking_association, **context), status


def _seat_arg(required: bool = False) -> Seat | None:
    """The person's own place named in `?seat=`; 404 for anybody else's."""
    seat_id = arg_id("seat")
    if seat_id is None:
        if required:
            abort(404)
        return None
    return _own_seat(seat_id)


def _own_seat(seat_id: int) -> Seat:
    seat = selfbooking.own_seat(g.booking_link, seat_id)
    if seat is None:
        abort(404)
    return seat


def _module_for(seat: Seat | None) -> LocalModule | None:
    """The module to book: the moved session's own, or the next of the journey."""
    if seat is not None:
        try:
            return selfbooking.booking.local_module(g.booking_link.association_id, seat.appointment.module_id)
        except selfbooking.booking.BookingError:
            return None
    step = selfbooking.next_step(g.booking_link)
    return step.module if step else None


def _by_day(slots) -> list[tuple[date, list]]:
    tz = g.booking_association.timezone
    return [(day, list(group)) for day, group in groupby(slots, key=lambda s: local(s.starts_at, tz).date())]


@bp.get("/")
def home():
    link = g.booking_link
    seats = selfbooking.upcoming(link)
    return _page("selfbooking/home.html", step=selfbooking.next_step(link), seats=seats,
                 changeable={s.id: selfbooking.can_change(link, s) for s in seats},
                 deadlines={s.id: selfbooking.change_deadline(link, s) for s in seats}, empty_form=EmptyForm())


@bp.get("/slots")
def slots():
    seat = _seat_arg()
    refusal = seat and selfbooking.why_not_change(g.booking_link, seat)
    if refusal:
        flash(refusal, "error")
        return redirect(url_for(".home"))
    module = _module_for(seat)
    if module is None:
        return redirect(url_for(".home"))
    first_day = arg_date("day")
    days = _by_day(selfbooking.free_slots(g.booking_link, module, first_day=first_day, moving=seat))
    later = days[DAYS_PER_PAGE][0] if len(days) > DAYS_PER_PAGE else None
    return _page("selfbooking/slots.html", module=module, seat=seat, days=days[:DAYS_PER_PAGE], later=later,
                 first_page=first_day is None, error=None)


@bp.get("/book")
def confirm():
    seat = _seat_arg()
    if seat is not None and not selfbooking.can_change(g.booking_link, seat):
        return redirect(url_for(".slots", seat=seat.id))
    module = _module_for(seat)
    at = arg_str("at", max_length=20)
    starts_at = selfbooking.parse_slot_key(at)
    if module is None or starts_at is None:
        flash(_("Choisissez un horaire dans la liste."), "error")
        return redirect(url_for(".slots", seat=seat.id) if seat else url_for(".slots"))
    form = SlotForm(formdata=None, at=at)
    action = url_for(".move", seat_id=seat.id) if seat else url_for(".book")
    return _page("selfbooking/confirm.html", module=module, seat=seat, starts_at=starts_at, form=form, action=action)


def _refused(error: selfbooking.SelfBookingError, seat: Seat | None):
    """The slots page again, with why the time was refused and other free times (nothing was written)."""
    module = _module_for(seat)
    return _page("selfbooking/slots.html", 409, module=module, seat=seat, days=_by_day(error.alternatives),
                 later=None, first_page=False, error=str(error))


@bp.post("/book")
def book():
    form = SlotForm()
    if not form.validate_on_submit():
        flash(_("Choisissez un horaire dans la liste."), "error")
        return redirect(url_for(".slots"))
    try:
        seat = selfbooking.book_next(g.booking_link, form.at.data)
    except selfbooking.SelfBookingError as error:
        abandon()  # the page shown again reads the database as it was
        if _module_for(None) is None:
            flash(str(error), "error")
            return redirect(url_for(".home"))
        return _refused(error, None)
    return redirect(url_for(".done", seat=seat.id))


@bp.post("/seats/<int:seat_id>/move")
def move(seat_id: int):
    seat = _own_seat(seat_id)
    form = SlotForm()
    if not form.validate_on_submit():
        flash(_("Choisissez un horaire dans la liste."), "error")
        return redirect(url_for(".slots", seat=seat.id))
    try:
        new_seat = selfbooking.move(g.booking_link, seat, form.at.data)
    except selfbooking.SelfBookingError as error:
        abandon()  # the old place was freed for the move: it is booked again
        seat = _own_seat(seat_id)
        if not selfbooking.can_change(g.booking_link, seat) or _module_for(seat) is None:
            flash(str(error), "error")
            return redirect(url_for(".home"))
        return _refused(error, seat)
    return redirect(url_for(".done", seat=new_seat.id, moved=1))


@bp.get("/cancel")
def cancel_question():
    seat = _seat_arg(required=True)
    return _page("selfbooking/cancel.html", seat=seat, form=EmptyForm(),
                 error=selfbooking.why_not_change(g.booking_link, seat))


@bp.post("/seats/<int:seat_id>/cancel")
def cancel(seat_id: int):
    seat = _own_seat(seat_id)
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            selfbooking.cancel(g.booking_link, seat)
        except selfbooking.SelfBookingError as error:
            abandon()
            return _page("selfbooking/cancel.html", 409, seat=_own_seat(seat_id), form=form, error=str(error))
        flash(_("Votre rendez-vous est annulé."), "success")
    return redirect(url_for(".home"))


@bp.get("/done")
def done():
    seat = _seat_arg(required=True)
    return _page("selfbooking/done.html", seat=seat, moved=arg_choice("moved", ("1",)) == "1",
                 step=selfbooking.next_step(g.booking_link))
