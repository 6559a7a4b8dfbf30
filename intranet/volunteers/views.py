"""Staff's pages about volunteers: the directory, a volunteer's page, their profile and qualifications, what to watch."""

from datetime import date

from flask import flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from intranet.actions import confirmed, posted
from intranet.args import arg_choice, arg_int, arg_str, paginate
from intranet.audit.services import history
from intranet.calendar.forms import WEEKDAYS
from intranet.calendar.models import Appointment
from intranet.clock import today_in, utcnow
from intranet.extensions import db
from intranet.forms import EmptyForm, show_rule_error
from intranet.members.models import INVITED, Membership
from intranet.rendering import render
from intranet.rules import RuleError
from intranet.tenancy import association_blueprint, get_or_404, scoped
from intranet.volunteers import directory, services, watch
from intranet.volunteers.forms import ProfileForm, QualificationForm, WithdrawForm
from intranet.volunteers.gate import qualification_names
from intranet.volunteers.models import Qualification, TrainingEnrolment, TrainingSession, VolunteerProfile

bp = association_blueprint("volunteers", __name__, role="staff")


def _today():
    return today_in(g.association.timezone)


def _filters(codes: list[str]) -> directory.Filters:
    return directory.Filters(
        q=arg_str("q"), status=arg_choice("status", directory.STATUSES), qualification=arg_choice("qualification", codes),
        expiring=arg_choice("expiring", ("1",)) == "1", weekday=arg_int("weekday", min=0, max=6),
        idle=arg_choice("idle", ("1",)) == "1", sort=arg_choice("sort", directory.SORTS, "name"))


@bp.get("/volunteers")
def index():
    today, now = _today(), utcnow()
    codes = services.qualification_codes(g.association.id)
    filters = _filters(codes)
    names = qualification_names(g.association.id)
    page = paginate(directory.search(g.association.id, filters, today, now))
    pending = db.session.scalar(select(func.count()).where(
        Membership.association_id == g.association.id, Membership.state == INVITED, Membership.role == "volunteer"))
    return render("volunteers/index.html", "results", page=page, rows=directory.rows(g.association.id, page.items,
                                                                                        today, now),
                  filters=filters, page_args=filters.args(), names=names, today=today, pending=pending,
                  code_choices=[(code, names.get(code, code)) for code in codes], weekdays=WEEKDAYS,
                  statuses=list(directory.STATUSES.items()), sorts=list(directory.SORTS.items()),
                  expiring=watch.expiring_count(g.association.id, today))


def _load(membership_id: int) -> Membership:
    return get_or_404(Membership, membership_id, joinedload(Membership.user))


def _qualification_form(form: QualificationForm | None = None) -> QualificationForm:
    form = form or QualificationForm(formdata=None, obtained_on=_today())
    names = qualification_names(g.association.id)
    form.code.choices = [("", _("Choisir…"))] + [(code, names.get(code, code))
                                                 for code in services.qualification_codes(g.association.id)]
    return form


def _show(membership: Membership, qualification_form: QualificationForm | None = None, status: int = 200):
    today = _today()
    profile = services.profile_of(g.association.id, membership.user_id)
    qualifications, enrolments, audit = [], [], []
    if profile is not None:
        qualifications = list(db.session.scalars(
            select(Qualification).where(Qualification.association_id == g.association.id,
                                        Qualification.profile_id == profile.id)
            .order_by(Qualification.code, Qualification.obtained_on.desc(), Qualification.id.desc())))
        enrolments = list(db.session.scalars(
            select(TrainingEnrolment).join(TrainingSession)
            .options(joinedload(TrainingEnrolment.session).joinedload(TrainingSession.training))
            .where(TrainingEnrolment.association_id == g.association.id, TrainingEnrolment.profile_id == profile.id)
            .order_by(TrainingSession.starts_at.desc())))
        audit = history(profile, 30)
    sessions = list(db.session.scalars(
        scoped(Appointment).options(selectinload(Appointment.seats))
        .where(Appointment.volunteer_id == membership.user_id)
        .order_by(Appointment.starts_at.desc()).limit(20)))
    from intranet.volunteers import hours
    from intranet.volunteers.models import SessionLog, VolunteerActivity

    session_logs = {log.appointment_id: log for log in db.session.scalars(select(SessionLog).where(
        SessionLog.association_id == g.association.id, SessionLog.appointment_id.in_([a.id for a in sessions])))} \
        if sessions else {}
    activities = list(db.session.scalars(select(VolunteerActivity).where(
        VolunteerActivity.association_id == g.association.id, VolunteerActivity.profile_id == profile.id)
        .order_by(VolunteerActivity.done_on.desc(), VolunteerActivity.id.desc()).limit(20))) if profile else []
    year_totals = hours.totals(hours.Scope(date(today.year, 1, 1), date(today.year, 12, 31), [g.association.id],
                                           membership.user_id)).get((g.association.id, membership.user_id),
                                                                    hours.Totals())
    return render("volunteers/show.html", membership=membership, profile=profile, today=today,
                  session_logs=session_logs, activities=activities, year_totals=year_totals, now=utcnow(),

                  status=directory.status_of(membership, profile, today), qualifications=qualifications,
                  enrolments=enrolments, sessions=sessions, audit=audit, names=qualification_names(g.association.id),
                  coaching_minutes=services.coaching_minutes(g.association.id, membership.user_id),
                  training_minutes=services.training_minutes(profile.id) if profile else 0,
                  qualification_form=_qualification_form(qualification_form), empty_form=EmptyForm()), status


@bp.get("/volunteers/<int:membership_id>")
def show(membership_id: int):
    return _show(_load(membership_id))


@bp.route("/volunteers/<int:membership_id>/edit", methods=["GET", "POST"])
def edit(membership_id: int):
    membership = _load(membership_id)
    profile = services.profile_of(g.association.id, membership.user_id)
    form = ProfileForm(obj=profile)
    if profile is None and not form.is_submitted():
        form.joined_on.data = (membership.accepted_at or membership.created_at).date()
    if form.validate_on_submit():
        try:
            changed = services.update_profile(services.profile_for(membership), form.data_for_profile())
        except RuleError as error:
            show_rule_error(form, error)
        else:
            flash(_("Fiche bénévole enregistrée.") if changed else _("Aucun changement."), "success")
            return redirect(url_for("volunteers.show", membership_id=membership.id))
    return render("volunteers/edit.html", form=form, membership=membership), 422 if form.errors else 200


@bp.route("/volunteers/<int:membership_id>/leave", methods=["GET", "POST"])
def leave(membership_id: int):
    membership = _load(membership_id)
    back = url_for("volunteers.show", membership_id=membership.id)
    return confirmed(
        lambda: services.leave(services.profile_for(membership), current_user, _today()), then=back,
        done=_("%(name)s a quitté l’association : son accès est retiré, son historique est conservé.",
               name=membership.display_name),
        question=_("%(name)s quitte l’association ?", name=membership.display_name),
        explanation=_("Son accès à l’espace de %(association)s est retiré et ses inscriptions aux formations à venir "
                      "sont annulées. Sa fiche, ses séances et ses habilitations restent dans l’historique ; vous "
                      "pourrez la réintégrer plus tard.", association=g.association.name),
        confirm_label=_("Oui, enregistrer le départ"), back_url=back)


@bp.post("/volunteers/<int:membership_id>/return")
def come_back(membership_id: int):
    membership = _load(membership_id)
    return posted(
        lambda: services.come_back(services.profile_for(membership), current_user),
        done=lambda restored: _("%(name)s est de retour dans l’association.", name=membership.display_name)
        if restored else _("Invitation envoyée à %(email)s pour revenir dans l’association.", email=membership.user.email),
        then=url_for("volunteers.show", membership_id=membership.id))


@bp.post("/volunteers/<int:membership_id>/qualifications")
def record_qualification(membership_id: int):
    membership = _load(membership_id)
    form = _qualification_form(QualificationForm())
    if form.validate_on_submit():
        try:
            services.record_qualification(services.profile_for(membership), code=form.code.data,
                                          obtained_on=form.obtained_on.data, until=form.valid_until.data,
                                          evidence=form.evidence.data, today=_today())
        except RuleError as error:
            show_rule_error(form, error)
        else:
            flash(_("Habilitation enregistrée."), "success")
            return redirect(url_for("volunteers.show", membership_id=membership.id) + "#qualifications-title")
    return _show(membership, form, 422)


@bp.route("/qualifications/<int:qualification_id>/withdraw", methods=["GET", "POST"])
def withdraw(qualification_id: int):
    qualification = get_or_404(Qualification, qualification_id, joinedload(Qualification.profile)
                               .joinedload(VolunteerProfile.membership).joinedload(Membership.user))
    membership = qualification.profile.membership
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            services.withdraw(qualification, form.reason.data, _today())
        except RuleError as error:
            show_rule_error(form, error)
        else:
            flash(_("Habilitation retirée."), "success")
            return redirect(url_for("volunteers.show", membership_id=membership.id) + "#qualifications-title")
    return render("volunteers/withdraw.html", form=form, qualification=qualification, membership=membership,
                  names=qualification_names(g.association.id)), 422 if form.errors else 200


@bp.get("/volunteers/watch")
def watch_list():
    today = _today()
    return render("volunteers/watch.html", expiring=watch.expiring(g.association.id, today),
                  alerts=watch.alerts(g.association, utcnow()), names=qualification_names(g.association.id),
                  today=today)
