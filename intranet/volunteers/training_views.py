"""Trainings: the network's catalogue (network office), an association's own trainings and sessions,
enrolment and the attendance screen."""


from flask import abort, flash, g, redirect, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from intranet.actions import confirmed
from intranet.args import arg_id
from intranet.clock import local, to_utc, today_in, utcnow
from intranet.extensions import db, htmx
from intranet.forms import EmptyForm, show_rule_error
from intranet.members.models import Membership
from intranet.rendering import render
from intranet.rules import RuleError
from intranet.tenancy import association_blueprint, get_or_404, network_blueprint, scoped
from intranet.transactions import abandon
from intranet.volunteers import services
from intranet.volunteers.forms import AttendanceForm, EnrolForm, NetworkTrainingForm, SessionForm, TrainingForm
from intranet.volunteers.gate import qualification_names
from intranet.volunteers.models import (
    Attendance,
    EnrolmentStatus,
    Qualification,
    Training,
    TrainingEnrolment,
    TrainingSession,
    TrainingSessionStatus,
    VolunteerProfile,
)

bp = association_blueprint("trainings", __name__, role="staff")
network_bp = network_blueprint("network_trainings", __name__)


def _training_form(form: TrainingForm, association_id: int | None) -> TrainingForm:
    names = qualification_names(association_id)
    form.grants.choices = [(code, f"{names.get(code, code)} ({code})") for code in
                           services.qualification_codes(association_id)]
    return form


def _save(form: TrainingForm, training: Training, association_id: int | None) -> bool:
    """Validate and save the form into `training`; False (errors shown next to the fields) when refused."""
    if not form.validate_on_submit():
        return False
    codes = list(form.grants.data or [])
    new_code = getattr(form, "new_code", None)
    try:
        if new_code is not None and (new_code.data or "").strip():
            codes.append(new_code.data)
            grants = services.clean_codes(codes)
        else:
            grants = services.clean_codes(codes, known=services.qualification_codes(association_id))
        services.save_training(training, name=form.name.data, description=form.description.data or "",
                               duration_minutes=form.duration_minutes.data, validity_months=form.validity_months.data,
                               grants=grants, active=form.active.data)
    except RuleError as error:
        show_rule_error(form, error)
        return False
    return True


# --- the network's catalogue ---------------------------------------------------------------------


def _network_page(form: NetworkTrainingForm | None = None, editing: Training | None = None, status: int = 200):
    if form is None:
        form = NetworkTrainingForm(formdata=None, obj=editing)
        if editing is not None:
            form.grants.data = editing.codes
    trainings = list(db.session.scalars(select(Training).where(Training.association_id.is_(None))
                                        .order_by(Training.active.desc(), Training.name)))
    return render("volunteers/network_trainings.html", trainings=trainings, form=_training_form(form, None),
                  editing=editing, names=qualification_names(None)), status


def _network_training(training_id: int) -> Training:
    training = db.session.get(Training, training_id)
    if training is None or training.association_id is not None:
        abort(404)  # an association's own training is its own, read-only here
    return training


@network_bp.get("/trainings")
def network_index():
    editing = arg_id("edit")
    return _network_page(editing=_network_training(editing) if editing else None)


@network_bp.post("/trainings")
def network_create():
    form = _training_form(NetworkTrainingForm(), None)
    training = Training(association_id=None)
    if _save(form, training, None):
        flash(_("La formation « %(name)s » est au catalogue du réseau.", name=training.name), "success")
        return redirect(url_for("network_trainings.network_index"))
    return _network_page(form, None, 422)


@network_bp.post("/trainings/<int:training_id>")
def network_update(training_id: int):
    training = _network_training(training_id)
    form = _training_form(NetworkTrainingForm(), None)
    if _save(form, training, None):
        flash(_("La formation « %(name)s » est enregistrée.", name=training.name), "success")
        return redirect(url_for("network_trainings.network_index"))
    return _network_page(form, training, 422)


# --- an association's trainings and sessions --------------------------------------------------------


def _today():
    return today_in(g.association.timezone)


@bp.get("/trainings")
def index():
    now = utcnow()
    sessions = scoped(TrainingSession).options(joinedload(TrainingSession.training),
                                               selectinload(TrainingSession.enrolments))
    # Open sessions (coming, or held with attendance still to note) first; then the latest closed ones.
    coming = list(db.session.scalars(sessions.where(TrainingSession.status == TrainingSessionStatus.OPEN)
                                     .order_by(TrainingSession.starts_at, TrainingSession.id)))
    past = list(db.session.scalars(sessions.where(TrainingSession.status != TrainingSessionStatus.OPEN)
                                   .order_by(TrainingSession.starts_at.desc(), TrainingSession.id.desc()).limit(30)))
    return render("volunteers/trainings.html", trainings=services.trainings_for(g.association.id, active_only=False),
                  coming=coming, past=past, names=qualification_names(g.association.id), now=now)


def _local_training_page(form: TrainingForm, training: Training | None, status: int = 200):
    return render("volunteers/training_form.html", form=_training_form(form, g.association.id),
                  training=training), status


@bp.route("/trainings/new", methods=["GET", "POST"])
def create_training():
    form = _training_form(TrainingForm(), g.association.id)
    training = Training(association_id=g.association.id)
    if _save(form, training, g.association.id):
        flash(_("La formation « %(name)s » est ajoutée au catalogue de l’association.", name=training.name), "success")
        return redirect(url_for("trainings.index"))
    return _local_training_page(form, None, 422 if form.errors else 200)


@bp.route("/trainings/<int:training_id>", methods=["GET", "POST"])
def edit_training(training_id: int):
    training = get_or_404(Training, training_id)  # the association's own only: the network's are read-only here
    form = _training_form(TrainingForm(obj=training), g.association.id)
    if not form.is_submitted():
        form.grants.data = training.codes
    if _save(form, training, g.association.id):
        flash(_("La formation « %(name)s » est enregistrée.", name=training.name), "success")
        return redirect(url_for("trainings.index"))
    return _local_training_page(form, training, 422 if form.errors else 200)


def _session_form(form: SessionForm) -> SessionForm:
    form.training_id.choices = [("", _("Choisir…"))] + [
        (t.id, t.name if t.association_id is None else _("%(name)s (formation de l’association)", name=t.name))
        for t in services.trainings_for(g.association.id)]
    return form


def _session_values(form: SessionForm, training: Training) -> dict:
    return dict(starts_at=to_utc(form.day.data, form.at.data, g.association.timezone),
                duration_minutes=form.duration_minutes.data or training.duration_minutes,
                place=form.place.data or "", video_link=form.video_link.data or "", trainer=form.trainer.data or "",
                capacity=form.capacity.data)


def _chosen_training(form: SessionForm) -> Training | None:
    training = db.session.get(Training, form.training_id.data) if isinstance(form.training_id.data, int) else None
    if training is None or training.association_id not in (None, g.association.id):
        form.training_id.errors = [*form.training_id.errors, _("Choisissez une formation du catalogue.")]
        return None
    return training


@bp.route("/training-sessions/new", methods=["GET", "POST"])
def create_session():
    form = _session_form(SessionForm())
    if not form.is_submitted():
        form.training_id.data = arg_id("training")
    if form.validate_on_submit() and (training := _chosen_training(form)) is not None:
        try:
            session = services.create_session(g.association, training, **_session_values(form, training))
        except RuleError as error:
            show_rule_error(form, error)
        else:
            flash(_("Session de formation créée : inscrivez maintenant les bénévoles."), "success")
            return redirect(url_for("trainings.session", training_session_id=session.id))
    return render("volunteers/session_form.html", form=form, session=None), 422 if form.errors else 200


def _load_session(training_session_id: int) -> TrainingSession:
    return get_or_404(TrainingSession, training_session_id, joinedload(TrainingSession.training),
                      selectinload(TrainingSession.enrolments).joinedload(TrainingEnrolment.profile)
                      .joinedload(VolunteerProfile.membership).joinedload(Membership.user))


@bp.route("/training-sessions/<int:training_session_id>/edit", methods=["GET", "POST"])
def edit_session(training_session_id: int):
    session = _load_session(training_session_id)
    form = _session_form(SessionForm(obj=session))
    if not form.is_submitted():
        start = local(session.starts_at, g.association.timezone)
        form.day.data, form.at.data = start.date(), start.time()
        form.duration_minutes.data = int((session.ends_at - session.starts_at).total_seconds() // 60)
    form.training_id.data = session.training_id  # the training of a session does not change
    if form.validate_on_submit():
        try:
            promoted = services.update_session(session, **_session_values(form, session.training))
        except RuleError as error:
            show_rule_error(form, error)
        else:
            flash(_("Session enregistrée.") + ("" if not promoted else " " + _(
                "%(n)d personne(s) de la liste d’attente ont maintenant une place.", n=len(promoted))), "success")
            return redirect(url_for("trainings.session", training_session_id=session.id))
    return render("volunteers/session_form.html", form=form, session=session), 422 if form.errors else 200


def _enrol_form(session: TrainingSession, form: EnrolForm | None = None) -> EnrolForm:
    form = form or EnrolForm(formdata=None)
    taken = {e.profile.user_id for e in session.enrolments if e.status != EnrolmentStatus.CANCELLED}
    form.member_id.choices = [("", _("Choisir…"))] + [
        (m.id, user.name) for m, user in services.active_members(g.association.id) if user.id not in taken]
    return form


def _session_page(session: TrainingSession, *, enrol_form: EnrolForm | None = None, status: int = 200):
    now = utcnow()
    return render("volunteers/session.html", s=session, now=now, enrol_form=_enrol_form(session, enrol_form),
                  started=session.starts_at <= now, names=qualification_names(g.association.id),
                  granted=_granted(session), empty_form=EmptyForm()), status


def _granted(session: TrainingSession) -> dict[int, list[Qualification]]:
    """The qualifications the session gave, by profile."""
    if session.status != TrainingSessionStatus.COMPLETED:
        return {}
    found: dict[int, list[Qualification]] = {}
    for q in db.session.scalars(select(Qualification).where(Qualification.association_id == g.association.id,
                                                            Qualification.training_session_id == session.id)):
        found.setdefault(q.profile_id, []).append(q)
    return found


@bp.get("/training-sessions/<int:training_session_id>")
def session(training_session_id: int):
    return _session_page(_load_session(training_session_id))


@bp.post("/training-sessions/<int:training_session_id>/enrol")
def enrol(training_session_id: int):
    session = _load_session(training_session_id)
    form = _enrol_form(session, EnrolForm())
    if form.validate_on_submit():
        membership = db.session.scalar(scoped(Membership).where(Membership.id == form.member_id.data))
        try:
            if membership is None:
                raise services.VolunteerError("member_id", _("Cette personne ne fait pas partie de l’association."))
            enrolment = services.enrol(session, services.profile_for(membership), by_staff=True)
        except RuleError as error:
            show_rule_error(form, error)
        else:
            name = membership.display_name
            flash(_("%(name)s est inscrit·e.", name=name) if enrolment.status == EnrolmentStatus.ENROLLED
                  else _("La session est complète : %(name)s est sur la liste d’attente.", name=name), "success")
            return redirect(url_for("trainings.session", training_session_id=session.id) + "#enrolled-title")
    return _session_page(_load_session(training_session_id), enrol_form=form, status=422)


def _enrolment(training_enrolment_id: int) -> TrainingEnrolment:
    return get_or_404(TrainingEnrolment, training_enrolment_id, joinedload(TrainingEnrolment.session),
                      joinedload(TrainingEnrolment.profile).joinedload(VolunteerProfile.membership)
                      .joinedload(Membership.user))


@bp.post("/training-enrolments/<int:training_enrolment_id>/cancel")
def cancel_enrolment(training_enrolment_id: int):
    enrolment = _enrolment(training_enrolment_id)
    if EmptyForm().validate_on_submit():
        try:
            promoted = services.cancel_enrolment(enrolment)
        except RuleError as error:
            show_rule_error(None, error)
        else:
            message = _("%(name)s est désinscrit·e.", name=enrolment.profile.membership.display_name)
            if promoted:
                message += " " + _("%(name)s passe de la liste d’attente à une place.",
                                   name=promoted[0].profile.membership.display_name)
            flash(message, "success")
    return redirect(url_for("trainings.session", training_session_id=enrolment.training_session_id)
                    + "#enrolled-title")


@bp.post("/training-enrolments/<int:training_enrolment_id>/attendance")
def attendance(training_enrolment_id: int):
    """Save one person's attendance; htmx gets their row back, announced, a plain form the whole page."""
    enrolment = _enrolment(training_enrolment_id)
    form = AttendanceForm()
    error = None
    if form.validate_on_submit():
        try:
            services.set_attendance(enrolment, form.attendance.data)
        except RuleError as exc:
            abandon()
            error = exc.message
    else:
        error = _("Choisissez présent·e, absent·e ou excusé·e.")
    name = enrolment.profile.membership.display_name
    if htmx:  # the row comes back (a refusal in it, answered 200 so that htmx shows it) and is read out
        enrolment = _enrolment(training_enrolment_id)  # as stored, after a refusal rolled back
        announce = error or _("%(name)s : %(attendance)s", name=name,
                              attendance=Attendance.label_of(enrolment.attendance))
        return render("volunteers/_attendance.html", e=enrolment, error=error, announce=announce,
                      empty_form=EmptyForm())
    flash(error or _("Présence enregistrée : %(name)s.", name=name), "error" if error else "success")
    return redirect(url_for("trainings.session", training_session_id=enrolment.training_session_id)
                    + f"#enrolment-{enrolment.id}")


@bp.post("/training-sessions/<int:training_session_id>/all-present")
def all_present(training_session_id: int):
    session = _load_session(training_session_id)
    message, ok = _("L’action n’a pas abouti."), EmptyForm().validate_on_submit()
    if ok:
        try:
            count = services.all_present(session)
        except RuleError as error:
            abandon()
            ok, message = False, error.message
        else:
            message = _("Tout le monde est noté présent (%(n)d).", n=count)
    if htmx:
        return render("volunteers/session.html", "attendance", s=session, announce=message,
                      started=session.starts_at <= utcnow(), attendance_error=None if ok else message,
                      empty_form=EmptyForm(), names=qualification_names(g.association.id), granted={})
    flash(message or _("L’action n’a pas abouti."), "success" if ok else "error")
    return redirect(url_for("trainings.session", training_session_id=session.id) + "#attendance-title")


@bp.post("/training-sessions/<int:training_session_id>/complete")
def complete(training_session_id: int):
    session = _load_session(training_session_id)
    if EmptyForm().validate_on_submit():
        try:
            granted = services.complete(session)
        except RuleError as error:
            show_rule_error(None, error)
        else:
            people = len({q.profile_id for q in granted})
            flash(_("Session terminée : %(n)d personne(s) présente(s) ont reçu leur habilitation.", n=people),
                  "success")
    return redirect(url_for("trainings.session", training_session_id=session.id))


@bp.route("/training-sessions/<int:training_session_id>/cancel", methods=["GET", "POST"])
def cancel_session(training_session_id: int):
    session = _load_session(training_session_id)
    back = url_for("trainings.session", training_session_id=session.id)
    return confirmed(lambda: services.cancel_session(session), done=_("La session est annulée."), then=back,
                     question=_("Annuler cette session de formation ?"),
                     explanation=_("Elle n’aura pas lieu : prévenez les personnes inscrites. La liste des inscriptions "
                                   "reste dans l’historique."),
                     confirm_label=_("Oui, annuler la session"), back_url=back, back_label=_("Garder la session"))
