"""Invite people into an association, change their role, deactivate them."""

from flask_babel import gettext as _
from sqlalchemy import func, select

from intranet.auth.models import User
from intranet.auth.services import INVITATION, make_token, normalize_email
from intranet.extensions import db
from intranet.members.models import Membership
from intranet.network.models import Association
from intranet.notifications.services import queue_mail
from intranet.tenancy import ROLES
from intranet.urls import external_url


class MembershipError(Exception):
    """A change refused by a rule; the message is for the person who asked."""


def invite(association: Association, *, email: str, name: str, role: str, invited_by: User | None) -> Membership:
    """Give `email` a role in `association`, creating the account if needed, and mail them.

    Someone new gets an invitation link to choose a password; someone who already has an
    account is told they can now work in this association too.
    """
    if role not in ROLES:
        raise MembershipError(_("Rôle inconnu."))
    email = normalize_email(email)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name.strip())
        db.session.add(user)
        db.session.flush()
    membership = db.session.scalar(
        select(Membership).where(Membership.association_id == association.id, Membership.user_id == user.id)
    )
    if membership is not None and membership.active:
        raise MembershipError(_("%(email)s fait déjà partie de %(association)s.", email=email, association=association.name))
    if membership is None:
        membership = Membership(association_id=association.id, user_id=user.id, role=role)
        db.session.add(membership)
    membership.role, membership.active = role, True
    db.session.flush()
    _mail_invitation(membership, invited_by)
    db.session.commit()
    return membership


def _mail_invitation(membership: Membership, invited_by: User | None) -> None:
    user, association = membership.user, membership.association
    if user.password_hash:
        template, link = "added_to_association", external_url("home.index")
    else:
        template, link = "invitation", external_url("auth.accept_invitation", token=make_token(user, INVITATION))
    queue_mail(
        to=user.email, template=template, kind="invitation", association_id=association.id, locale=user.locale,
        user=user, association=association, role=membership.role, invited_by=invited_by, link=link,
    )


def resend_invitation(membership: Membership, invited_by: User | None) -> None:
    """Send the invitation again, for someone who lost it or let it expire."""
    _mail_invitation(membership, invited_by)
    db.session.commit()


def _active_admins(association_id: int) -> int:
    return db.session.scalar(
        select(func.count()).where(
            Membership.association_id == association_id, Membership.role == "admin", Membership.active.is_(True)
        )
    )


def _keep_one_admin(membership: Membership) -> None:
    if membership.role == "admin" and membership.active and _active_admins(membership.association_id) <= 1:
        raise MembershipError(_("%(name)s est le dernier administrateur ou la dernière administratrice : "
                                "nommez d’abord quelqu’un d’autre.", name=membership.user.name))


def change_role(membership: Membership, role: str) -> None:
    """Give a member another role; the last admin keeps theirs."""
    if role not in ROLES:
        raise MembershipError(_("Rôle inconnu."))
    if role != "admin":
        _keep_one_admin(membership)
    membership.role = role
    db.session.commit()


def deactivate(membership: Membership, by: User) -> None:
    """Remove a member's access; their history stays. The last admin cannot be removed."""
    if membership.user_id == by.id:
        raise MembershipError(_("Vous ne pouvez pas retirer votre propre accès."))
    _keep_one_admin(membership)
    membership.active = False
    db.session.commit()


def reactivate(membership: Membership) -> None:
    """Give a deactivated member their access back."""
    membership.active = True
    db.session.commit()
