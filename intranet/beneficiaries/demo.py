"""Demo beneficiaries: about 40 per association, in every state, with journeys and exits."""

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from intranet.beneficiaries.models import Beneficiary, Commune
from intranet.beneficiaries.rules import name_key
from intranet.clock import utcnow
from intranet.demo import demo_loader
from intranet.extensions import db
from intranet.journeys.models import Journey, JourneyModule
from intranet.members.models import Membership
from intranet.network.models import Association
from intranet.programs.services import local_modules

FIRST_NAMES = ["Amina", "Bruno", "Chloé", "Djibril", "Elodie", "Farid", "Gaëlle", "Hugo", "Inès", "Jérôme", "Karima",
               "Laurent", "Maëlle", "Nabil", "Océane", "Patrice", "Rachida", "Sébastien", "Tiphaine", "Yannick",
               "Zoé", "Mamadou", "Samia", "Kevin", "Fatou", "Ludovic", "Nadège", "Rémi", "Sabrina", "Thierry"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Traoré", "Lefebvre", "Benkirane", "Moreau", "Nguyen", "Girard",
              "Mercier", "Diallo", "Lambert", "Bonnet", "Haddad", "Fournier", "Rousseau", "Kone", "Garnier",
              "Chevalier", "Mansouri", "Perrin", "Morel", "Guerin", "Boyer", "Da Silva", "Lemoine"]
JOBS = ["Aide-soignant·e", "Agent·e d’accueil", "Vendeur·se en boutique", "Préparateur·rice de commandes",
        "Assistant·e administratif·ve", "Serveur·se", "Agent·e d’entretien", "Conseiller·e clientèle",
        "Cariste", "Auxiliaire de vie", "Employé·e libre-service", "Commis de cuisine"]
REFERRERS = ["France Travail", "Mission locale", "CCAS", "PLIE", "Emmaüs", "Secours populaire", ""]
# postcode, commune, rural — a few real communes around each association.
COMMUNES = {
    "bordeaux": [("33000", "Bordeaux", False), ("33400", "Talence", False), ("33600", "Pessac", False),
                 ("33830", "Belin-Béliet", True), ("33720", "Podensac", True)],
    "lille": [("59000", "Lille", False), ("59100", "Roubaix", False), ("59200", "Tourcoing", False),
              ("59242", "Templeuve-en-Pévèle", True), ("59147", "Gondecourt", False)],
    "le-mans": [("72000", "Le Mans", False), ("72100", "Le Mans", False), ("72230", "Arnage", False),
                ("72170", "Beaumont-sur-Sarthe", True), ("72340", "La Chartre-sur-le-Loir", True)],
    "national": [("23000", "Guéret", True), ("48000", "Mende", True), ("15000", "Aurillac", True),
                 ("04000", "Digne-les-Bains", True), ("58000", "Nevers", False)],
}



def _mobile(n: int) -> str:
    """A valid French mobile number from a random number: never 06 39 (Mayotte's, +262)."""
    return f"+336{'1245678'[n % 7]}{n % 10**7:07d}"

def load_communes() -> None:
    known = {(c.postcode, c.name_key) for c in db.session.scalars(select(Commune))}
    for rows in COMMUNES.values():
        for postcode, name, rural in rows:
            if (postcode, name_key(name)) not in known:
                db.session.add(Commune(postcode=postcode, name=name, name_key=name_key(name), rural=rural))
                known.add((postcode, name_key(name)))


@demo_loader(order=10)
def load(associations: dict[str, Association]) -> None:
    """Create the demo files of every association that has none yet."""
    load_communes()
    db.session.flush()
    for slug, association in associations.items():
        exists = db.session.scalar(select(Beneficiary.id).where(Beneficiary.association_id == association.id).limit(1))
        if exists is None:
            _load_association(association, random.Random(slug))


def _load_association(association: Association, rng: random.Random) -> None:
    today = date.today()
    modules = local_modules(association.id)
    in_person = [m for m in modules if m.program_name.startswith("Accompagnement")]
    remote = [m for m in modules if not m.program_name.startswith("Accompagnement")]
    coaches = list(db.session.scalars(select(Membership.user_id).where(Membership.association_id == association.id)))
    for n in range(40):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        postcode, commune, rural = rng.choice(COMMUNES[association.slug if association.slug in COMMUNES else "national"])
        status = rng.choices(["new", "in_progress", "completed", "withdrawn"], weights=[6, 18, 12, 4])[0]
        b = Beneficiary(
            association_id=association.id, first_name=first, last_name=last,
            email=f"{name_key(first).replace(' ', '')}.{name_key(last).replace(' ', '')}{n}@exemple.test",
            phone=_mobile(rng.randrange(10**7, 10**8)), postcode=postcode, commune=commune,
            contact_channel=rng.choice(["email", "phone", "sms"]), status=status,
            consent_at=utcnow(), consent_scope="accompaniment_esf", referrer=rng.choice(REFERRERS),
            target_job=rng.choice(JOBS), notes="",
            interview_on=today + timedelta(days=rng.randrange(0, 20)) if rng.random() < 0.3 else None,
            gender=rng.choice(["woman", "woman", "man", "man", "non_binary", ""]),
            birth_date=date(rng.randrange(1965, 2006), rng.randrange(1, 13), rng.randrange(1, 29)),
            labour_status=rng.choice(["unemployed", "long_term_unemployed", "inactive", "employed"]),
            education_level=rng.choice(["isced_0_2", "isced_3_4", "isced_5_8"]),
            disability=rng.choice(["no", "no", "no", "yes", "undisclosed"]),
            third_country_national=rng.choice(["no", "no", "yes", "undisclosed"]),
            foreign_background=rng.choice(["no", "yes", "undisclosed", ""]),
            minority=rng.choice(["no", "undisclosed", ""]), homeless=rng.choice(["no", "no", "no", "yes"]),
            rural="yes" if rural else "no",
        )
        db.session.add(b)
        db.session.flush()
        # The file was opened a few days before the journey began (new files: in the last weeks).
        b.created_at = utcnow() - timedelta(days=n % 21)
        if status != "new":
            _journey(b, rng, today, in_person if association.kind == "local" else remote, remote, coaches)


def _journey(b: Beneficiary, rng: random.Random, today: date, main, remote, coaches) -> None:
    chosen = list(main) + (rng.sample(remote, 2) if rng.random() < 0.25 and main is not remote else [])
    started = today - timedelta(days=rng.randrange(10, 300))
    journey = Journey(association_id=b.association_id, beneficiary_id=b.id, started_on=started)
    b.created_at = datetime.combine(started - timedelta(days=3 + b.id % 12), time(9, 30), tzinfo=UTC)
    finished = b.status in ("completed", "withdrawn")
    for i, module in enumerate(chosen, start=1):
        if finished:
            status = "done" if b.status == "completed" or rng.random() < 0.5 else rng.choice(["missed", "skipped"])
        else:
            status = rng.choice(["done", "done", "planned", "to_plan"]) if i > 1 else "done"
        when = started + timedelta(days=3 * i) if status in ("done", "missed") else (
            today + timedelta(days=rng.randrange(1, 21)) if status == "planned" else None)
        journey.modules.append(JourneyModule(
            association_id=b.association_id, module_id=module.id, position=i, name=module.name, status=status,
            happened_on=min(when, today) if when and status != "planned" else when,
            coach_id=rng.choice(coaches) if coaches and status in ("done", "planned") else None))
    if b.status == "completed":
        journey.exited_on = min(today, started + timedelta(days=3 * len(chosen) + 5))
        journey.exit_situation = rng.choice(["employment", "employment", "job_searching", "education_training",
                                             "qualification"])
        if (today - journey.exited_on).days > 180:
            journey.follow_up_result = rng.choice(["employment", "improved", "no_change"])
            journey.follow_up_on = journey.exited_on + timedelta(days=182)
    db.session.add(journey)
