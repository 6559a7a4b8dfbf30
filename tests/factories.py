"""Factories: one function per model, each making a valid row with sensible defaults.

`FACTORIES` maps a model to a function taking the association the row must belong to;
the cross-tenant test uses it to make one object of every kind a route can load by id.
A new model that a route loads by id needs an entry here.
"""

import itertools
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from intranet.auth.models import User
from intranet.auth.services import hash_password
from intranet.beneficiaries.models import Beneficiary
from intranet.calendar.models import Absence, Appointment, Availability, Resource, Seat
from intranet.extensions import db
from intranet.imports.models import ImportBatch
from intranet.journeys.models import Journey, JourneyModule
from intranet.members.models import Membership
from intranet.network.models import Association
from intranet.notifications.models import OutboxMessage
from intranet.partners.models import Interaction, Partner, PartnerContact
from intranet.partners.referrals.models import Referral, ReferralLink
from intranet.programs.models import Module, Program
from intranet.volunteers.models import (
    Qualification,
    Training,
    TrainingEnrolment,
    TrainingSession,
    VolunteerProfile,
)

_seq = itertools.count(1)
PASSWORD = "correct horse battery"


def make_association(slug: str | None = None, **fields) -> Association:
    n = next(_seq)
    slug = slug or f"asso-{n}"
    association = Association(name=fields.pop("name", f"Association {slug}"), slug=slug, city="Nantes",
                              department_code="44", **fields)
    db.session.add(association)
    db.session.commit()
    return association


def make_user(email: str | None = None, *, password: str | None = PASSWORD, **fields) -> User:
    n = next(_seq)
    user = User(email=email or f"personne{n}@exemple.test", name=fields.pop("name", f"Personne {n}"), **fields)
    user.password_hash = hash_password(password) if password else ""
    db.session.add(user)
    db.session.commit()
    return user


def make_membership(association: Association, role: str = "staff", user: User | None = None, **fields) -> Membership:
    membership = Membership(association_id=association.id, user_id=(user or make_user()).id, role=role, **fields)
    db.session.add(membership)
    db.session.commit()
    return membership


def make_outbox_message(association: Association | None = None, **fields) -> OutboxMessage:
    n = next(_seq)
    message = OutboxMessage(
        association_id=association.id if association else None, kind=fields.pop("kind", "test"),
        to_address=fields.pop("to_address", f"destinataire{n}@exemple.test"),
        subject=fields.pop("subject", f"Objet secret {n}"), text_body=fields.pop("text_body", f"Corps secret {n}"),
        html_body=fields.pop("html_body", f"<p>Corps secret {n}</p>"), **fields,
    )
    db.session.add(message)
    db.session.commit()
    return message


def program(code: str = "remote") -> Program:
    """One of the two programs the migrations create on every installation."""
    return db.session.scalar(select(Program).where(Program.code == code))


def make_module(program_code: str = "remote", **fields) -> Module:
    n = next(_seq)
    module = Module(program_id=program(program_code).id, name=fields.pop("name", f"Module secret {n}"),
                    description=fields.pop("description", f"Description secrète {n}"), position=100 + n, **fields)
    db.session.add(module)
    db.session.commit()
    return module


def make_beneficiary(association: Association, **fields) -> Beneficiary:
    n = next(_seq)
    beneficiary = Beneficiary(
        association_id=association.id, first_name=fields.pop("first_name", f"Prénom{n}"),
        last_name=fields.pop("last_name", f"Nomsecret{n}"), email=fields.pop("email", f"beneficiaire{n}@exemple.test"),
        phone=fields.pop("phone", f"+336{n:08d}"), contact_channel=fields.pop("contact_channel", "email"), **fields)
    db.session.add(beneficiary)
    db.session.commit()
    return beneficiary


def make_journey(association: Association, beneficiary: Beneficiary | None = None, modules: int = 2,
                 **fields) -> Journey:
    beneficiary = beneficiary or make_beneficiary(association, status="in_progress")
    chosen = program("remote").modules[:modules]
    journey = Journey(association_id=association.id, beneficiary_id=beneficiary.id,
                      started_on=fields.pop("started_on", date(2026, 9, 1)), **fields)
    journey.modules = [JourneyModule(association_id=association.id, module_id=m.id, position=i, name=m.name,
                                     notes=f"Note confidentielle {next(_seq)}") for i, m in enumerate(chosen, 1)]
    db.session.add(journey)
    db.session.commit()
    return journey


def make_journey_module(association: Association, **fields) -> JourneyModule:
    return make_journey(association).modules[0]


def make_resource(association: Association, **fields) -> Resource:
    n = next(_seq)
    resource = Resource(association_id=association.id, name=fields.pop("name", f"Salle secrète {n}"),
                        kind=fields.pop("kind", "room"), opens_at=fields.pop("opens_at", time(8, 0)),
                        closes_at=fields.pop("closes_at", time(20, 0)), open_days=fields.pop("open_days", "0123456"),
                        **fields)
    db.session.add(resource)
    db.session.commit()
    return resource


def make_volunteer(association: Association, name: str | None = None, *, weekdays=range(7), starts=time(9, 0),
                   ends=time(18, 0), qualified: bool = True) -> User:
    """A volunteer of the association, available on these weekdays between these hours; `qualified`, they hold
    every qualification the modules require, with no end (so any module may be booked with them)."""
    membership = make_membership(association, "volunteer", make_user(**({"name": name} if name else {})))
    user = membership.user
    for weekday in weekdays:
        db.session.add(Availability(association_id=association.id, user_id=user.id, weekday=weekday, starts=starts,
                                    ends=ends, valid_from=date(2020, 1, 1)))
    if qualified:
        qualify(membership)
    db.session.commit()
    return user


def make_volunteer_profile(association: Association, membership: Membership | None = None, **fields) -> VolunteerProfile:
    membership = membership or make_membership(association, "volunteer")
    profile = VolunteerProfile(association_id=association.id, membership_id=membership.id, user_id=membership.user_id,
                               skills=fields.pop("skills", f"Compétences secrètes {next(_seq)}"),
                               staff_notes=fields.pop("staff_notes", f"Note d’équipe secrète {next(_seq)}"), **fields)
    db.session.add(profile)
    db.session.commit()
    return profile


def profile_of(membership: Membership) -> VolunteerProfile:
    """The membership's volunteer profile, made when missing."""
    profile = db.session.scalar(select(VolunteerProfile).where(VolunteerProfile.membership_id == membership.id))
    return profile or make_volunteer_profile(membership.association, membership)


def qualify(membership: Membership, codes: list[str] | None = None, *, obtained_on: date = date(2020, 1, 1),
            valid_until: date | None = None) -> list[Qualification]:
    """Give a member qualifications (by default every code a module requires), recorded by hand."""
    if codes is None:
        codes = sorted(set(db.session.scalars(select(Module.qualification).where(Module.qualification != ""))))
    profile = profile_of(membership)
    rows = [Qualification(association_id=membership.association_id, profile_id=profile.id, code=code,
                          obtained_on=obtained_on, valid_until=valid_until, source="manual", evidence="Attestation")
            for code in codes]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def make_qualification(association: Association, **fields) -> Qualification:
    profile = make_volunteer_profile(association)
    row = Qualification(association_id=association.id, profile_id=profile.id, code=fields.pop("code", "coaching_rh"),
                        obtained_on=fields.pop("obtained_on", date(2026, 1, 5)), source="manual",
                        evidence=fields.pop("evidence", f"Justificatif secret {next(_seq)}"), **fields)
    db.session.add(row)
    db.session.commit()
    return row


def make_training(association: Association | None, **fields) -> Training:
    """An association's own training (`association` None: one of the network's catalogue)."""
    training = Training(association_id=association.id if association else None,
                        name=fields.pop("name", f"Formation secrète {next(_seq)}"),
                        description=fields.pop("description", f"Programme secret {next(_seq)}"),
                        grants=fields.pop("grants", "coaching_rh"), validity_months=fields.pop("validity_months", 24),
                        **fields)
    db.session.add(training)
    db.session.commit()
    return training


def network_training(code: str) -> Training:
    """The network's training that grants `code` (the migrations seed the catalogue)."""
    return next(t for t in db.session.scalars(select(Training).where(Training.association_id.is_(None))
                                              .order_by(Training.id)) if code in t.codes)


def make_training_session(association: Association, training: Training | None = None, **fields) -> TrainingSession:
    training = training or make_training(association)
    starts_at = fields.pop("starts_at", datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
    session = TrainingSession(association_id=association.id, training_id=training.id, starts_at=starts_at,
                              ends_at=starts_at + timedelta(minutes=training.duration_minutes),
                              place=fields.pop("place", f"Salle de formation secrète {next(_seq)}"),
                              trainer=fields.pop("trainer", f"Formatrice secrète {next(_seq)}"),
                              capacity=fields.pop("capacity", 8), **fields)
    db.session.add(session)
    db.session.commit()
    return session


def make_training_enrolment(association: Association, session: TrainingSession | None = None,
                            profile: VolunteerProfile | None = None, **fields) -> TrainingEnrolment:
    session = session or make_training_session(association)
    enrolment = TrainingEnrolment(association_id=association.id, training_session_id=session.id,
                                  profile_id=(profile or make_volunteer_profile(association)).id, **fields)
    db.session.add(enrolment)
    db.session.commit()
    return enrolment


def make_availability(association: Association, **fields) -> Availability:
    user = make_volunteer(association, weekdays=[])
    row = Availability(association_id=association.id, user_id=user.id, weekday=fields.pop("weekday", 1),
                       starts=time(14, 0), ends=time(17, 0), valid_from=date(2026, 1, 1), **fields)
    db.session.add(row)
    db.session.commit()
    return row


def make_absence(association: Association, **fields) -> Absence:
    user = make_volunteer(association, weekdays=[])
    start = fields.pop("starts_at", datetime(2026, 12, 21, tzinfo=UTC))
    row = Absence(association_id=association.id, user_id=user.id, starts_at=start, ends_at=start + timedelta(days=7),
                  reason=fields.pop("reason", f"Congés secrets {next(_seq)}"), **fields)
    db.session.add(row)
    db.session.commit()
    return row


def make_appointment(association: Association, *, starts_at: datetime | None = None, beneficiary=None,
                     volunteer=None, module_code: str = "remote", **fields) -> Appointment:
    module = program(module_code).modules[0]
    starts_at = starts_at or datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    appointment = Appointment(
        association_id=association.id, module_id=module.id, name=fields.pop("name", f"Séance secrète {next(_seq)}"),
        starts_at=starts_at, ends_at=starts_at + timedelta(minutes=module.duration_minutes),
        volunteer_id=(volunteer or make_volunteer(association)).id, mode=module.mode,
        call_details=fields.pop("call_details", "06 00 00 00 00"), **fields)
    db.session.add(appointment)
    db.session.flush()
    db.session.add(Seat(association_id=association.id, appointment_id=appointment.id,
                        beneficiary_id=(beneficiary or make_beneficiary(association)).id))
    db.session.commit()
    return appointment


def make_export_job(association: Association, **fields):
    """A finished export of the association's files, with its file, by one of its staff."""
    from intranet.exports.models import ExportJob

    user = fields.pop("user", None) or make_membership(association, "staff").user
    job = ExportJob(association_id=association.id, user_id=user.id, source="appointments", fmt="csv",
                    status=fields.pop("status", "done"), rows_total=1, rows_done=1,
                    filename=fields.pop("filename", f"export-secret-{next(_seq)}.csv"),
                    content=fields.pop("content", "Nomsecret;exporté".encode()), **fields)
    db.session.add(job)
    db.session.commit()
    return job
def make_session_log(association: Association, appointment: Appointment | None = None, **fields):
    """A coach's log of a session, with notes nobody else should read."""
    from intranet.volunteers.models import SessionLog

    appointment = appointment or make_appointment(association, status="done")
    log = SessionLog(association_id=association.id, appointment_id=appointment.id,
                     volunteer_id=appointment.volunteer_id, outcome=fields.pop("outcome", "done"),
                     minutes=fields.pop("minutes", 60), notes=fields.pop("notes", f"Notes secrètes {next(_seq)}"),
                     **fields)
    db.session.add(log)
    db.session.commit()
    return log


def make_volunteer_activity(association: Association, profile: VolunteerProfile | None = None, **fields):
    from intranet.volunteers.models import VolunteerActivity

    profile = profile or make_volunteer_profile(association)
    activity = VolunteerActivity(association_id=association.id, profile_id=profile.id,
                                 done_on=fields.pop("done_on", date(2026, 11, 20)), minutes=fields.pop("minutes", 90),
                                 category=fields.pop("category", "clothes"),
                                 note=fields.pop("note", f"Activité secrète {next(_seq)}"), **fields)
    db.session.add(activity)
    db.session.commit()
    return activity


def make_import_batch(association: Association, **fields):
    """A batch read from a small CSV kept on disk, with a dry run naming a person of the file."""
    from intranet.imports import storage

    data = fields.pop("data", "Nom;Prénom;Mail\nSecretnom;Secretprénom;secret.personne@exemple.test\n".encode())
    batch = ImportBatch(association_id=association.id, file_name=fields.pop("file_name", "candidats-secrets.csv"),
                        kind=fields.pop("kind", "sessions"),
                        checksum="0" * 64, size=len(data), file_type="csv", status=fields.pop("status", "checked"),
                        stored_name=storage.save(association.id, data),
                        options={"encoding": "utf-8", "delimiter": ";", "header_row": 1,
                                 "detected": {"encoding": "utf-8", "delimiter": ";", "header_row": 1}},
                        preview={"headers": ["Nom", "Prénom", "Mail"], "rows": [["Secretnom", "Secretprénom"]],
                                 "rows_count": 1, "suggestions": {}, "distinct": {}, "distinct_total": {}, "saved": None},
                        mapping={"columns": {"Nom": "last_name", "Prénom": "first_name", "Mail": "email"},
                                 "values": {}, "consent": ""},
                        report={"rows": [{"n": 2, "status": "error", "label": "Secretprénom Secretnom",
                                          "errors": [["Mail", "secret"]], "warnings": [], "changes": {},
                                          "match": None, "group": None}], "groups": [],
                                "headers": ["Nom", "Prénom", "Mail"],
                                "error_rows": [[2, ["Secretnom", "Secretprénom", "secret.personne@exemple.test"],
                                                "Mail : secret"]]},
                        counts={"error": 1}, **fields)
    db.session.add(batch)
    db.session.commit()
    return batch
def make_partner(association: Association, **fields) -> Partner:
    n = next(_seq)
    partner = Partner(association_id=association.id, name=fields.pop("name", f"Partenaire secret {n}"),
                      kind=fields.pop("kind", "mission_locale"), notes=fields.pop("notes", f"Note partenaire {n}"),
                      **fields)
    db.session.add(partner)
    db.session.commit()
    return partner


def make_partner_contact(association: Association, partner: Partner | None = None, **fields) -> PartnerContact:
    n = next(_seq)
    contact = PartnerContact(association_id=association.id, partner_id=(partner or make_partner(association)).id,
                             name=fields.pop("name", f"Contact secret {n}"),
                             email=fields.pop("email", f"contact{n}@partenaire.test"), **fields)
    db.session.add(contact)
    db.session.commit()
    return contact


def make_interaction(association: Association, partner: Partner | None = None, **fields) -> Interaction:
    n = next(_seq)
    interaction = Interaction(association_id=association.id, partner_id=(partner or make_partner(association)).id,
                              happened_on=fields.pop("happened_on", date(2026, 3, 2)), kind=fields.pop("kind", "call"),
                              summary=fields.pop("summary", f"Échange confidentiel {n}"), **fields)
    db.session.add(interaction)
    db.session.commit()
    return interaction


def make_referral_link(association: Association, partner: Partner | None = None) -> ReferralLink:
    """A partner's referral link; its clear token is kept on the object as `.token`."""
    from intranet.partners.referrals.services import create_link, token_of

    link = create_link(partner or make_partner(association))
    db.session.commit()
    link.token = token_of(link)
    return link


def make_referral(association: Association, partner: Partner | None = None, **fields) -> Referral:
    n = next(_seq)
    partner = partner or make_partner(association)
    received = fields.pop("received_at", datetime.now(UTC))
    referral = Referral(association_id=association.id, partner_id=partner.id,
                        first_name=fields.pop("first_name", f"Orientée{n}"),
                        last_name=fields.pop("last_name", f"Nomorientation{n}"),
                        email=fields.pop("email", f"oriente{n}@exemple.test"), postcode=fields.pop("postcode", "33000"),
                        reason=fields.pop("reason", f"Raison confidentielle {n}"),
                        referrer_name=fields.pop("referrer_name", f"Prescriptrice {n}"),
                        referrer_email=fields.pop("referrer_email", f"prescriptrice{n}@partenaire.test"),
                        submission_key=fields.pop("submission_key", f"cle-de-soumission-{n:08d}"),
                        received_at=received, received_on=fields.pop("received_on", received.date()), **fields)
    db.session.add(referral)
    db.session.commit()
    return referral


FACTORIES = {
    Association: lambda association: association,
    Membership: lambda association: make_membership(association, "volunteer"),
    OutboxMessage: make_outbox_message,
    Program: lambda association: program("remote"),
    Module: lambda association: make_module(),
    Beneficiary: make_beneficiary,
    Journey: make_journey,
    JourneyModule: make_journey_module,
    Resource: make_resource,
    Availability: make_availability,
    Absence: make_absence,
    Appointment: make_appointment,
    Seat: lambda association: make_appointment(association).seats[0],
    ImportBatch: make_import_batch,
    Partner: make_partner,
    PartnerContact: make_partner_contact,
    Interaction: lambda association: make_interaction(association, next_step="Relance secrète",
                                                      next_step_due=date(2026, 3, 9)),
    Referral: make_referral,
    VolunteerProfile: make_volunteer_profile,
    Qualification: make_qualification,
    Training: make_training,
    TrainingSession: make_training_session,
    TrainingEnrolment: make_training_enrolment,
}


def make_network_export_job(user, **fields):
    """A finished file of the network office's (an ESF+ report), asked for by `user`."""
    from intranet.exports.models import ExportJob

    job = ExportJob(association_id=None, user_id=user.id, source="esf_participants", fmt="csv", status="done",
                    rows_total=1, rows_done=1, filename="fse-participants.csv", content=b"Participants", **fields)
    db.session.add(job)
    db.session.commit()
    return job


def _export_job_factory():
    from intranet.exports.models import ExportJob

    FACTORIES[ExportJob] = make_export_job
    NETWORK_FACTORIES[ExportJob] = make_network_export_job


# What the network office owns itself (its own files), made for the person of the network office signed in.
NETWORK_FACTORIES = {}
_export_job_factory()

def _log_factories() -> None:
    from intranet.volunteers.models import SessionLog, VolunteerActivity

    FACTORIES[SessionLog] = make_session_log
    FACTORIES[VolunteerActivity] = make_volunteer_activity


_log_factories()




def free_slot(link, module=None, **options):
    """A free self-booking slot an hour or more after the first one: the first sits at the edge of the booking
    window, which moves with the clock between a test finding the slot and booking it (a test crossing a half hour
    then saw it refused)."""
    from intranet.selfbooking import services as selfbooking

    slots = selfbooking.free_slots(link, module or selfbooking.next_step(link).module, **options)
    return next((s for s in slots if s.starts_at >= slots[0].starts_at + timedelta(hours=1)), slots[-1])


def make_booking_link(association: Association, beneficiary: Beneficiary | None = None, **fields):
    """A self-booking link; its clear token is kept on the object as `.token`, since only its hash is stored."""
    import secrets

    from intranet.selfbooking.models import BookingLink
    from intranet.selfbooking.services import hash_token

    token = fields.pop("token", None) or secrets.token_urlsafe(32)
    link = BookingLink(association_id=association.id,
                       beneficiary_id=(beneficiary or make_beneficiary(association)).id, token_hash=hash_token(token),
                       expires_at=fields.pop("expires_at", datetime.now(UTC) + timedelta(days=42)), **fields)
    db.session.add(link)
    db.session.commit()
    link.token = token
    return link
