"""A volunteer's own trainings in /me: qualifications and their expiry, sessions, enrolling in an open one."""

from datetime import timedelta

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from intranet.clock import today_in, utcnow
from intranet.extensions import db
from intranet.forms import EmptyForm, show_rule_error
from intranet.members.models import Membership
from intranet.rendering import render
from intranet.rules import RuleError
from intranet.tenancy import personal_blueprint
from intranet.volunteers import services
from intranet.volunteers.gate import qualification_names
from intranet.volunteers.models import (
    EnrolmentStatus,
    Qualification,
    TrainingEnrolment,
    TrainingSession,
    TrainingSessionStatus,
    VolunteerProfile,
)

bp = personal_blueprint("my_trainings", __name__)


def _my_memberships() -> list[Membership]:
    return [m for m in current_user.memberships if m.active and m.association.active]


@bp.get("/trainings")
def index():
    memberships = _my_memberships()
    by_association = {m.association_id: m for m in memberships}
    ids = list(by_association)
    profiles = {p.id: p for p in db.session.scalars(select(VolunteerProfile).where(
        VolunteerProfile.user_id == current_user.id, VolunteerProfile.association_id.in_(ids)))} if ids else {}
    qualifications = list(db.session.scalars(
        select(Qualification).where(Qualification.profile_id.in_(list(profiles)))
        .order_by(Qualification.association_id, Qualification.code, Qualification.obtained_on.desc()))) \
        if profiles else []
    enrolments = list(db.session.scalars(
        select(TrainingEnrolment).join(TrainingSession)
        .options(joinedload(TrainingEnrolment.session).joinedload(TrainingSession.training))
        .where(TrainingEnrolment.profile_id.in_(list(profiles)))
        .order_by(TrainingSession.starts_at.desc()))) if profiles else []
    now = utcnow()
    mine = {e.training_session_id for e in enrolments if e.status != EnrolmentStatus.CANCELLED}
    open_sessions = [s for s in db.session.scalars(
        select(TrainingSession).options(joinedload(TrainingSession.training), selectinload(TrainingSession.enrolments))
        .where(TrainingSession.association_id.in_(ids), TrainingSession.status == TrainingSessionStatus.OPEN,
               TrainingSession.starts_at > now).order_by(TrainingSession.starts_at).limit(50)) if s.id not in mine] \
        if ids else []
    names = {association_id: qualification_names(association_id) for association_id in ids}
    return render("volunteers/me.html", memberships=by_association, qualifications=qualifications,
                  enrolments=enrolments, open_sessions=open_sessions, names=names, now=now,
                  zones={m.association_id: m.association.timezone for m in memberships},
                  today={m.association_id: today_in(m.association.timezone) for m in memberships},
                  soon=timedelta(days=30), empty_form=EmptyForm())


@bp.post("/training-sessions/<int:training_session_id>/enrol")
def self_enrol(training_session_id: int):
    memberships = {m.association_id: m for m in _my_memberships()}
    session = db.session.get(TrainingSession, training_session_id)
    if session is None or session.association_id not in memberships:
        abort(404)  # a session of an association one does not belong to does not exist for them
    if EmptyForm().validate_on_submit():
        try:
            enrolment = services.enrol(session, services.profile_for(memberships[session.association_id]),
                                       by_staff=False)
        except RuleError as error:
            show_rule_error(None, error)
        else:
            flash(_("Vous êtes inscrit·e à « %(name)s ».", name=session.training.name)
                  if enrolment.status == EnrolmentStatus.ENROLLED else
                  _("La session est complète : vous êtes sur la liste d’attente. Vous recevrez un e-mail si une "
                    "place se libère."), "success")
    return redirect(url_for("my_trainings.index") + "#mine-title")


@bp.post("/training-enrolments/<int:training_enrolment_id>/cancel")
def self_cancel(training_enrolment_id: int):
    memberships = {m.association_id for m in _my_memberships()}
    enrolment = db.session.get(TrainingEnrolment, training_enrolment_id)
    if (enrolment is None or enrolment.association_id not in memberships
            or enrolment.profile.user_id != current_user.id):
        abort(404)
    if EmptyForm().validate_on_submit():
        if enrolment.session.starts_at <= utcnow():
            flash(_("Cette session a commencé : prévenez l’association."), "error")
        else:
            try:
                services.cancel_enrolment(enrolment)
            except RuleError as error:
                show_rule_error(None, error)
            else:
                flash(_("Vous êtes désinscrit·e de « %(name)s ».", name=enrolment.session.training.name), "success")
    return redirect(url_for("my_trainings.index") + "#mine-title")
