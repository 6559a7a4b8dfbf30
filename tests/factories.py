"""Factories: one function per model, each making a valid row with sensible defaults.

`FACTORIES` maps a model to a function taking the association the row must belong to;
the cross-tenant test uses it to make one object of every kind a route can load by id.
A new model that a route loads by id needs an entry here.
"""

import itertools

from intranet.auth.models import User
from intranet.auth.services import hash_password
from intranet.extensions import db
from intranet.members.models import Membership
from intranet.network.models import Association
from intranet.notifications.models import OutboxMessage

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


FACTORIES = {
    Association: lambda association: association,
    Membership: lambda association: make_membership(association, "volunteer"),
    OutboxMessage: make_outbox_message,
}
