"""The network office's rules: create and deactivate associations."""

import re
from email.utils import parseaddr

from flask_babel import gettext as _
from slugify import slugify as make_slug
from sqlalchemy import func, select

from intranet.extensions import db
from intranet.members.models import Membership
from intranet.network.models import Association
from intranet.rules import RuleError


class AssociationError(RuleError):
    """A change refused by a rule, with the field it concerns."""


# What an association's sender name may hold: letters, digits, spaces and . ' ’ - &
_SENDER_NAME_CHARACTER = re.compile(r"[^\W_]|[ .'’&-]")
SENDER_NAME_MAX = 80


def clean_sender_name(name: str) -> str:
    """A plain display name made of `name`'s allowed characters; never an address, quotes or a new line."""
    kept = "".join(c if _SENDER_NAME_CHARACTER.fullmatch(c) else " " if c.isspace() else "" for c in name or "")
    return " ".join(kept.split())[:SENDER_NAME_MAX].strip()


def reply_address(address: str) -> str | None:
    """The association's reply-to address when it is one plain address, else None (replies cannot reach it)."""
    address = (address or "").strip()
    if not address or any(c in address for c in "\r\n,;<>\"") or parseaddr(address)[1] != address:
        return None
    return address



def slugify(text: str) -> str:
    """'Le Mans (Sarthe)' -> 'le-mans-sarthe', 'Cœur de Loire' -> 'coeur-de-loire'."""
    return make_slug(text, max_length=60, word_boundary=False)


def create_association(*, name: str, slug: str, kind: str, city: str, department_code: str,
                       timezone: str) -> Association:
    """Open a new association space."""
    slug = slugify(slug or name)
    if not slug:
        raise AssociationError("slug", _("Choisissez un identifiant fait de lettres et de chiffres."))
    if db.session.scalar(select(Association.id).where(Association.slug == slug)):
        raise AssociationError("slug", _("L’identifiant « %(slug)s » est déjà pris.", slug=slug))
    association = Association(name=name.strip(), slug=slug, kind=kind, city=city.strip(),
                              department_code=department_code.strip().upper(), timezone=timezone)
    db.session.add(association)
    db.session.flush()
    return association


def set_active(association: Association, active: bool) -> None:
    """Close or reopen an association's space; nothing is deleted."""
    association.active = active
    db.session.flush()


def overview():
    """Every association with its counts of active members and of active admins, open ones first, by name.

    The counts are subqueries of each row shown, so a page of the list reads only its own associations' members.
    """
    def count(*conditions):
        return (select(func.count(Membership.id))
                .where(Membership.association_id == Association.id, Membership.active.is_(True), *conditions)
                .correlate(Association).scalar_subquery())

    return (select(Association, count(), count(Membership.role == "admin"))
            .order_by(Association.active.desc(), Association.kind.desc(), Association.name, Association.id))
