"""The demo network: a few associations and people, so every feature shows with data.

`load_demo` is idempotent: it looks things up by slug and e-mail before creating them,
and each feature's loader fills only what is still empty. This module makes the associations
and the people; each feature registers its own loader with `@demo_loader(order)` (in its
`demo.py`, imported when the feature is set up), and `load_demo` runs them by order.
"""

from collections.abc import Callable

from sqlalchemy import select

from intranet.auth.models import User
from intranet.auth.services import set_password
from intranet.extensions import db
from intranet.members.models import Membership
from intranet.network.models import Association

DEMO_PASSWORD = "tremplin-demo"

Loader = Callable[[dict[str, Association]], None]
# Each feature's loader by name, with its order: a loader reads what lower orders made.
LOADERS: dict[str, tuple[int, Loader]] = {}


def demo_loader(order: int, name: str | None = None) -> Callable[[Loader], Loader]:
    """Register a function of the demo associations (by slug) that fills its feature's demo data."""

    def register(load: Loader) -> Loader:
        LOADERS[name or load.__module__] = (order, load)
        return load

    return register

ASSOCIATIONS = [
    # slug, name, kind, city, department
    ("national", "Coup de Pouce à la Maison (tête de réseau)", "national", "Paris", "75"),
    ("bordeaux", "Tremplin Bordeaux", "local", "Bordeaux", "33"),
    ("lille", "Tremplin Lille", "local", "Lille", "59"),
    ("le-mans", "Tremplin Le Mans", "local", "Le Mans", "72"),
]

# e-mail, name, network office?, {association slug: role}
PEOPLE = [
    ("reseau@tremplin.test", "Claire Fontaine", True, {"national": "admin"}),
    ("admin.bordeaux@tremplin.test", "Nadia Benali", False, {"bordeaux": "admin"}),
    ("staff.bordeaux@tremplin.test", "Julien Moreau", False, {"bordeaux": "staff"}),
    ("benevole.bordeaux@tremplin.test", "Martine Lefèvre", False, {"bordeaux": "volunteer"}),
    ("pierre.garnier@tremplin.test", "Pierre Garnier", False, {"bordeaux": "volunteer"}),
    ("admin.lille@tremplin.test", "Sophie Vandenberghe", False, {"lille": "admin"}),
    ("staff.lille@tremplin.test", "Karim Haddad", False, {"lille": "staff"}),
    ("benevole.lille@tremplin.test", "Anne-Sophie Delattre", False, {"lille": "volunteer"}),
    ("admin.le-mans@tremplin.test", "Thomas Lebreton", False, {"le-mans": "admin"}),
    ("benevole.le-mans@tremplin.test", "Françoise Cheval", False, {"le-mans": "volunteer"}),
    ("coach.distance@tremplin.test", "Aïcha Diallo", False, {"national": "volunteer", "bordeaux": "volunteer"}),
]


def load_associations() -> dict[str, Association]:
    found = {a.slug: a for a in db.session.scalars(select(Association))}
    for slug, name, kind, city, department in ASSOCIATIONS:
        if slug not in found:
            found[slug] = Association(slug=slug, name=name, kind=kind, city=city, department_code=department)
            db.session.add(found[slug])
    db.session.flush()
    return found


def load_people(associations: dict[str, Association]) -> None:
    for email, name, network_office, roles in PEOPLE:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, name=name, is_network_office=network_office)
            set_password(user, DEMO_PASSWORD)
            db.session.add(user)
            db.session.flush()
        for slug, role in roles.items():
            association = associations[slug]
            exists = db.session.scalar(
                select(Membership.id).where(Membership.user_id == user.id, Membership.association_id == association.id)
            )
            if exists is None:
                db.session.add(Membership(user_id=user.id, association_id=association.id, role=role))
    db.session.flush()


def load_demo() -> None:
    """Create (or complete) the demo network and commit (it is a command's whole work)."""
    associations = load_associations()
    load_people(associations)
    for _order, load in sorted(LOADERS.values(), key=lambda entry: entry[0]):
        load(associations)
        db.session.flush()
    db.session.commit()
