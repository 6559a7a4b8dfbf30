"""Demo partners: every kind and stage in each association and the national space, contacts, a contact log
reaching first referrals after 2 to 5 meetings, next steps overdue and coming, referrals in every state."""

import random
import secrets
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from intranet.beneficiaries.demo import COMMUNES
from intranet.beneficiaries.models import Beneficiary
from intranet.demo import demo_loader
from intranet.extensions import db
from intranet.members.models import Membership
from intranet.network.models import Association
from intranet.partners import services
from intranet.partners.models import Interaction, Partner, PartnerContact, PartnerStage, StageChange
from intranet.partners.referrals import services as referrals
from intranet.partners.referrals.models import Referral
from intranet.search import fold

# name pattern, kind, the demo files' free-text referrer it stands for
LOCAL = [
    ("Mission locale de {city}", "mission_locale", "Mission locale"),
    ("France Travail {city}", "france_travail", "France Travail"),
    ("PLIE de {city}", "plie", "PLIE"),
    ("CCAS de {city}", "ccas", "CCAS"),
    ("Cap emploi {department}", "cap_emploi", None),
    ("Régie de quartier {city}", "siae", None),
    ("École de la 2e chance {city}", "e2c", None),
    ("EPIDE {city}", "epide", None),
    ("Hôtel des Voyageurs", "company", None),
    ("Emmaüs {city}", "association", "Emmaüs"),
    ("Secours populaire {city}", "association", "Secours populaire"),
    ("Maison de quartier Saint-Michel", "other", None),
]
# The remote program's partners: rural missions locales all over France.
NATIONAL = [
    ("Mission locale du Haut-Jura", "39200", "Saint-Claude"), ("Mission locale de la Creuse", "23000", "Guéret"),
    ("Mission locale du Pays de Ploërmel", "56800", "Ploërmel"), ("Mission locale Lozère", "48000", "Mende"),
    ("Mission locale Nord-Aveyron", "12500", "Espalion"), ("Mission locale du Diois", "26150", "Die"),
    ("Mission locale du Cantal", "15000", "Aurillac"), ("Mission locale des Graves", "33140", "Villenave-d’Ornon"),
    ("France Travail Mauriac", "15200", "Mauriac"), ("Mission locale Haute-Provence", "04000", "Digne-les-Bains"),
]
STAGES = list(PartnerStage)
PEOPLE = ["Sandrine Morel", "Hugo Lambert", "Fatou Ndiaye", "Élodie Caron", "Mehdi Bensaïd", "Claire Dubois",
          "Laurent Petit", "Aurélie Girard", "Yannick Le Goff", "Nathalie Roussel"]
ROLES = ["Conseillère emploi", "Conseiller insertion", "Chargée de relations entreprises", "Directrice",
         "Référent RSA", "Travailleuse sociale"]
CANDIDATES = [("Inès", "Bouvier"), ("Kevin", "Marchand"), ("Aminata", "Sow"), ("Julie", "Perrot"), ("Sofiane", "Amrani"),
              ("Léa", "Fontaine"), ("Moussa", "Keita"), ("Chloé", "Renaud"), ("Damien", "Collet"), ("Yasmina", "Haddad")]
SUMMARIES = {
    "call": "Premier appel : présentation de l’association et de l’accompagnement.",
    "meeting": "Rencontre avec l’équipe : fonctionnement, publics, comment orienter.",
    "email": "Envoi de la plaquette et des dates des prochains ateliers.",
    "event": "Petit-déjeuner partenaires : visite du vestiaire.",
    "training": "Présentation aux conseillers : repérer qui orienter, remplir le lien.",
}


def _siret(seed: int) -> str:
    """A valid SIRET (Luhn) made from a number, for demo organisations."""
    body = f"{seed:013d}"[-13:]
    for check in range(10):
        try:
            return services.normalize_siret(body + str(check))
        except ValueError:
            continue
    raise AssertionError("no check digit")


@demo_loader(order=15)
def load(associations: dict[str, Association]) -> None:
    """Give every association without partners its demo directory, contact log and referrals."""
    for slug, association in associations.items():
        if db.session.scalar(select(Partner.id).where(Partner.association_id == association.id).limit(1)) is None:
            _load_association(association, random.Random(f"partners-{slug}"))


def _staff(association: Association) -> list[int]:
    return list(db.session.scalars(select(Membership.user_id).where(
        Membership.association_id == association.id, Membership.role.in_(("staff", "admin")),
        Membership.active.is_(True)).order_by(Membership.user_id)))


def _load_association(association: Association, rng: random.Random) -> None:
    today = date.today()
    staff = _staff(association)
    communes = COMMUNES.get(association.slug, COMMUNES["national"])
    if association.kind == "national":
        specs = [(name, "mission_locale" if name.startswith("Mission") else "france_travail", None, postcode, commune)
                 for name, postcode, commune in NATIONAL]
    else:
        specs = []
        for i, (pattern, kind, text) in enumerate(LOCAL):
            postcode, commune, _rural = communes[i % len(communes)]
            specs.append((pattern.format(city=association.city, department=association.department_code), kind, text,
                          postcode, commune))
    partners = []
    for i, (name, kind, text, postcode, commune) in enumerate(specs):
        stage = STAGES[i % len(STAGES)] if i < len(STAGES) * 2 else PartnerStage.ACTIVE
        if text:  # the organisations the demo files name in free text are active referrers
            stage = PartnerStage.ACTIVE
        partner = services.create_partner(association.id, {
            "name": name, "kind": kind, "postcode": postcode, "commune": commune,
            "address": f"{rng.randrange(1, 90)} rue {rng.choice(['Victor-Hugo', 'de la République', 'Jean-Jaurès', 'des Écoles'])}",
            "website": f"https://www.{fold(name).replace(' ', '-')[:30]}.fr" if rng.random() < 0.6 else "",
            "siret": _siret(10**12 + association.id * 1000 + i) if rng.random() < 0.5 else "",
            "notes": ""}, stage=PartnerStage.PROSPECT, now=datetime.now(UTC) - timedelta(days=400))
        partners.append(partner)
        _contacts(partner, rng)
        _history(partner, stage, rng, today, staff)
        if text:
            for b in db.session.scalars(select(Beneficiary).where(Beneficiary.association_id == association.id,
                                                                  Beneficiary.referrer == text)):
                b.referrer_partner_id = partner.id
    _first_referral_this_month(partners, rng, today)
    if association.slug == "lille":  # the same organisation in two associations, by SIRET (the network sees it)
        _shared("Emmaüs Connect Hauts-de-France", "59000", "Lille", association, rng)
    if association.slug == "le-mans":
        _shared("Emmaüs Connect Hauts-de-France", "59000", "Lille", association, rng)
    db.session.flush()


def _shared(name: str, postcode: str, commune: str, association: Association, rng: random.Random) -> None:
    partner = services.create_partner(association.id, {"name": name, "kind": "association", "postcode": postcode,
                                                       "commune": commune, "siret": _siret(4_242_424_242_424)},
                                      stage=PartnerStage.FIRST_CONTACT)
    _contacts(partner, rng, 1)


def _contacts(partner: Partner, rng: random.Random, count: int | None = None) -> None:
    for n in range(count or rng.randrange(1, 4)):
        person = rng.choice(PEOPLE)
        first, last = person.split(" ", 1)
        db.session.add(PartnerContact(
            association_id=partner.association_id, partner_id=partner.id, name=person, role=rng.choice(ROLES),
            email=f"{fold(first)}.{fold(last).replace(' ', '')}@{fold(partner.name).replace(' ', '-')[:20]}.test",
            phone=f"+3356{rng.randrange(10**6, 10**7):07d}" if rng.random() < 0.7 else "",
            channel=rng.choice(["email", "email", "phone"]), active=n < 2 or rng.random() < 0.5))
    db.session.flush()


def _at(day: date) -> datetime:
    return datetime.combine(day, time(9, 30), tzinfo=UTC)


def _history(partner: Partner, stage: str, rng: random.Random, today: date, staff: list[int]) -> None:
    """Exchanges that lead to `stage`: a first call, meetings, and for referrers a first referral after 2–5 meetings."""
    if stage == PartnerStage.PROSPECT:
        return
    contacts = list(db.session.scalars(select(PartnerContact).where(PartnerContact.partner_id == partner.id)))
    author = rng.choice(staff) if staff else None
    day = today - timedelta(days=rng.randrange(150, 330))
    steps = [("call", day)]
    meetings = {PartnerStage.FIRST_CONTACT: 0, PartnerStage.MEETINGS: 2, PartnerStage.AGREEMENT: 3}.get(
        stage, rng.randrange(2, 6))
    for _ in range(meetings):
        day += timedelta(days=rng.randrange(12, 35))
        steps.append((rng.choice(["meeting", "meeting", "meeting"]), day))
    if stage in (PartnerStage.AGREEMENT, PartnerStage.ACTIVE):
        day += timedelta(days=rng.randrange(5, 20))
        steps.append(("training", day))
    for kind, on in steps:
        db.session.add(Interaction(association_id=partner.association_id, partner_id=partner.id, happened_on=min(on, today),
                                   kind=kind, author_id=author, summary=SUMMARIES[kind],
                                   contacts=rng.sample(contacts, min(len(contacts), rng.randrange(0, 3)))))
    # The stage's history: where it went, and when.
    for previous, nxt, on in _path(stage, steps):
        db.session.add(StageChange(association_id=partner.association_id, partner_id=partner.id, from_stage=previous,
                                   to_stage=nxt, changed_at=_at(min(on, today)), author_id=author))
        partner.stage, partner.stage_changed_at = nxt, _at(min(on, today))
    # A next step: overdue, due today or coming.
    if stage not in (PartnerStage.DORMANT,) and staff:
        due = today + timedelta(days=rng.choice([-6, -2, 0, 1, 3, 9, 15]))
        last = max(on for _kind, on in steps)
        db.session.add(Interaction(
            association_id=partner.association_id, partner_id=partner.id, happened_on=min(last + timedelta(days=3), today),
            kind=rng.choice(["call", "email"]), author_id=author, summary=SUMMARIES["email"],
            next_step=rng.choice(["Rappeler pour fixer une rencontre", "Envoyer les dates des ateliers",
                                  "Proposer une présentation à l’équipe", "Faire le point sur les orientations"]),
            next_step_due=min(max(due, last + timedelta(days=4)), today + timedelta(days=20)),
            next_step_owner_id=rng.choice(staff)))
    db.session.flush()
    if stage in (PartnerStage.ACTIVE, PartnerStage.DORMANT):
        _referrals(partner, rng, today, max(on for _kind, on in steps) + timedelta(days=rng.randrange(3, 15)), stage)


def _path(stage: str, steps) -> list[tuple[str, str, date]]:
    order = [PartnerStage.PROSPECT, PartnerStage.FIRST_CONTACT, PartnerStage.MEETINGS, PartnerStage.AGREEMENT,
             PartnerStage.ACTIVE]
    target = PartnerStage.ACTIVE if stage == PartnerStage.DORMANT else stage
    path, days = [], [on for _kind, on in steps]
    for index in range(1, order.index(target) + 1):
        path.append((order[index - 1], order[index], days[min(index - 1, len(days) - 1)]))
    if stage == PartnerStage.DORMANT:
        path.append((PartnerStage.ACTIVE, PartnerStage.DORMANT, days[-1] + timedelta(days=90)))
    return path


def _referrals(partner: Partner, rng: random.Random, today: date, first: date, stage: str) -> None:
    """A referral link, and referrals from the first one on: pending, asked about, accepted, refused, expired."""
    link = referrals.create_link(partner) if partner.active and stage == PartnerStage.ACTIVE else None
    contact = db.session.scalar(select(PartnerContact).where(PartnerContact.partner_id == partner.id).limit(1))
    states = ["accepted", "refused", "expired"] if stage == PartnerStage.DORMANT else [
        "accepted", "accepted", "refused", "expired", "pending", "pending", "info_requested"]
    when = min(first, today - timedelta(days=45))
    for n, state in enumerate(states):
        if state in ("pending", "info_requested"):
            when = today - timedelta(days=rng.choice([1, 2, 4, 9, 12]))
        elif state == "expired":
            when = today - timedelta(days=rng.randrange(35, 60))
        _referral(partner, link, contact, state, when, n, rng)
        when += timedelta(days=rng.randrange(10, 40))


def _first_referral_this_month(partners: list[Partner], rng: random.Random, today: date) -> None:
    """A partner met over the last months sends its first referral yesterday (today on the 1st), accepted the same
    day: this month's figures have a referral accepted and a first one after some meetings."""
    partner = next((p for p in partners if p.stage == PartnerStage.MEETINGS), None)
    if partner is None:
        return
    day = today - timedelta(days=1) if today.day > 1 else today
    contact = db.session.scalar(select(PartnerContact).where(PartnerContact.partner_id == partner.id).limit(1))
    referral = _referral(partner, None, contact, "accepted", day, 0, rng)
    referral.handled_at, referral.first_appointment_at = min(referral.received_at + timedelta(hours=3),
                                                             datetime.now(UTC)), None
    beneficiary = db.session.get(Beneficiary, referral.beneficiary_id)
    beneficiary.created_at = beneficiary.consent_at = referral.handled_at
    db.session.add(StageChange(association_id=partner.association_id, partner_id=partner.id,
                               from_stage=partner.stage, to_stage=PartnerStage.ACTIVE, changed_at=referral.handled_at))
    partner.stage, partner.stage_changed_at = PartnerStage.ACTIVE, referral.handled_at


def _referral(partner: Partner, link, contact, state: str, when: date, n: int, rng: random.Random) -> Referral:
    """One referral from `partner` received on `when`, in `state` (an accepted one has its beneficiary)."""
    first_name, last_name = rng.choice(CANDIDATES)
    received = _at(when) + timedelta(hours=n)
    referral = Referral(
        association_id=partner.association_id, partner_id=partner.id, link_id=link.id if link else None,
        status=state, first_name=first_name, last_name=last_name,
        email=f"{fold(first_name)}.{fold(last_name)}{rng.randrange(100)}@exemple.test", phone="",
        postcode=partner.postcode or "33000", situation=rng.choice(["job_seeker", "long_term", "young", "minimum_income"]),
        reason="Cherche un emploi dans la vente ; a besoin d’une tenue et de préparer ses entretiens.",
        availability="Les matins", referrer_name=contact.name if contact else "Conseillère",
        referrer_email=contact.email if contact and contact.email else "conseil@partenaire.test",
        submission_key=secrets.token_urlsafe(24), received_at=received, attested_at=received,
        received_on=when, handled_at=received + timedelta(days=2) if state in ("accepted", "refused") else None)
    if state == "refused":
        referral.refusal_reason = rng.choice(["out_of_area", "already_followed", "unreachable", "full"])
    if state == "expired":
        referral.expired_at = received + referrals.EXPIRES_AFTER
    if state == "info_requested":
        referral.info_request, referral.info_requests = "Pouvez-vous préciser ses disponibilités cette semaine ?", 1
    db.session.add(referral)
    db.session.flush()
    if state == "accepted":
        beneficiary = Beneficiary(
            association_id=partner.association_id, first_name=first_name, last_name=last_name, email=referral.email,
            postcode=referral.postcode, consent_at=received + timedelta(days=2), consent_scope="accompaniment",
            consent_source="referrer", referrer=partner.name, referrer_partner_id=partner.id,
            status="in_progress", created_at=received + timedelta(days=2))
        db.session.add(beneficiary)
        db.session.flush()
        referral.beneficiary_id = beneficiary.id
        if rng.random() < 0.7:
            referral.first_appointment_at = received + timedelta(days=rng.randrange(5, 15), hours=1)
    return referral
