"""Invite people into an association, change their role, deactivate them.

Joining an association is the person's own decision: an invitation makes a membership in
the "invited" state, which gives no access, and mails a link bound to that membership only.
Through it, someone new chooses a password; someone who already has a password (or works
in another association already) signs in and accepts or declines. Nothing the inviter sees
(mail, page, message) differs with whether the address already had an account.
"""

import hashlib
import secrets
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from intranet.auth.models import User
from intranet.auth.services import normalize_email, set_password
from intranet.clock import utcnow
from intranet.extensions import db
from intranet.members.models import ACTIVE, DEACTIVATED, INVITED, Membership, refresh_search_key
from intranet.network.models import Association
from intranet.notifications.services import queue_mail
from intranet.rules import RuleError
from intranet.tenancy import Role
from intranet.urls import external_url

MAX_TOKEN_LENGTH = 100


class MembershipError(RuleError):
    """A change refused by a rule; the message is for the person who asked (the page puts it where it fits)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(field, message)


class InvitationError(Exception):
    """An invitation link that opens nothing: "invalid", "expired", "used" or "revoked"."""


def invite(association: Association, *, email: str, name: str, role: str, invited_by: User | None) -> Membership:
    """Invite `email` into `association` with `role`, creating the account if needed, and mail the link.

    The membership waits for the person's acceptance. Inviting again someone still invited,
    or deactivated (or who declined), sends a new link that replaces the earlier one.
    """
    if role not in Role.values():
        raise MembershipError(_("Rôle inconnu."))
    email, name = normalize_email(email), name.strip()
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name)
        db.session.add(user)
        db.session.flush()
    membership = db.session.scalar(
        select(Membership).where(Membership.association_id == association.id, Membership.user_id == user.id)
    )
    if membership is not None and membership.state == ACTIVE:
        raise MembershipError(_("%(email)s fait déjà partie de %(association)s.", email=email, association=association.name))
    if membership is None:
        membership = Membership(association_id=association.id, user_id=user.id, role=role, state=INVITED)
        db.session.add(membership)
    membership.role, membership.invited_name = role, name
    _send_invitation(membership, invited_by)
    db.session.flush()
    return membership


def add_uninvited(association: Association, *, email: str, name: str, role: str) -> tuple[Membership, bool]:
    """Make `email` a member-to-be of `association` without mailing anything; True when the account is new.

    For an import of the old spreadsheets: the membership waits in the invited state with no link
    (`invited_at` empty) until staff send the invitation (`resend_invitation`), so nobody gets access,
    and nobody is told, before that. An existing account is linked as it is: its name stays its own,
    the association knows the person by the name it typed.
    """
    if role not in Role.values():
        raise MembershipError(_("Rôle inconnu."))
    email, name = normalize_email(email), name.strip()
    user = db.session.scalar(select(User).where(User.email == email))
    created = user is None
    if created:
        user = User(email=email, name=name)
        db.session.add(user)
        db.session.flush()
    elif db.session.scalar(select(Membership.id).where(Membership.association_id == association.id,
                                                      Membership.user_id == user.id)):
        raise MembershipError(_("%(email)s fait déjà partie de %(association)s.", email=email,
                                association=association.name))
    membership = Membership(association_id=association.id, user_id=user.id, role=role, state=INVITED,
                            invited_name=name)
    membership.user, membership.association = user, association
    db.session.add(membership)
    db.session.flush()
    return membership, created


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _send_invitation(membership: Membership, invited_by: User | None) -> None:
    """Put the membership in the invited state with a new link (the earlier one stops working) and mail it."""
    token = secrets.token_urlsafe(32)
    membership.state, membership.invited_at, membership.invitation_digest = INVITED, utcnow(), _digest(token)
    db.session.flush()
    user, association = membership.user, membership.association
    # One wording and one language for everyone: the mail must not tell whether the address has an account.
    queue_mail(
        to=user.email, template="invitation", kind="invitation", association_id=association.id,
        locale=current_app.config["BABEL_DEFAULT_LOCALE"], name=membership.display_name, association=association,
        role=membership.role, invited_by=invited_by, link=external_url("invitations.accept", token=token),
        days=current_app.config["INVITATION_MAX_AGE"] // 86400,
    )


def resend_invitation(membership: Membership, invited_by: User | None) -> None:
    """Send a new link to someone who lost the invitation or let it expire; the old link stops working."""
    if membership.state != INVITED:
        raise MembershipError(_("Cette invitation n’est plus en attente."))
    _send_invitation(membership, invited_by)
    db.session.flush()


def find_invitation(token: str, now: datetime | None = None) -> Membership:
    """The membership an invitation link is for, or InvitationError saying why it opens nothing."""
    membership = None
    if token and len(token) <= MAX_TOKEN_LENGTH:
        membership = db.session.scalar(select(Membership).where(Membership.invitation_digest == _digest(token)))
    if membership is None or not membership.user.active or not membership.association.active:
        raise InvitationError("invalid")
    if membership.state == ACTIVE:
        raise InvitationError("used")
    if membership.state == DEACTIVATED:
        raise InvitationError("revoked")
    if membership.invitation_expired(now):
        raise InvitationError("expired")
    return membership


def needs_password(user: User) -> bool:
    """Whether an invitation link may set this account's password: someone new, with no password and no access yet.

    Anyone else (a password already chosen, access to another association, the network
    office) accepts by signing in, so one association's link never takes over an account.
    """
    if user.password_hash or user.is_network_office:
        return False
    return not db.session.scalar(
        select(func.count()).where(Membership.user_id == user.id, Membership.state == ACTIVE))


def accept_invitation(membership: Membership, user: User, password: str | None = None) -> None:
    """Activate this membership only, for its own recipient; someone new sets their password with it."""
    if membership.user_id != user.id:
        raise InvitationError("invalid")
    if password is not None and not needs_password(user):
        raise InvitationError("invalid")
    # Single use even when two requests race: only the one that moves it from "invited" wins.
    won = db.session.execute(
        update(Membership).where(Membership.id == membership.id, Membership.state == INVITED)
        .values(state=ACTIVE, accepted_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        raise InvitationError("used")
    if password is not None:
        set_password(user, password)
    db.session.flush()
    db.session.refresh(membership)
    refresh_search_key(membership, user)  # the association now sees the person's own name
    db.session.flush()


def decline_invitation(membership: Membership, user: User) -> None:
    """The recipient says no: the membership stays without access and the link stops working."""
    if membership.user_id != user.id or membership.state != INVITED:
        raise InvitationError("invalid")
    membership.state = DEACTIVATED
    db.session.flush()


def _active_admins(association_id: int) -> int:
    return db.session.scalar(
        select(func.count()).where(
            Membership.association_id == association_id, Membership.role == Role.ADMIN, Membership.state == ACTIVE
        )
    )


def _keep_one_admin(membership: Membership) -> None:
    if membership.role == Role.ADMIN and membership.state == ACTIVE and _active_admins(membership.association_id) <= 1:
        raise MembershipError(_("%(name)s est le dernier administrateur ou la dernière administratrice : "
                                "nommez d’abord quelqu’un d’autre.", name=membership.display_name))


def change_role(membership: Membership, role: str) -> None:
    """Give a member another role; the last admin keeps theirs."""
    if role not in Role.values():
        raise MembershipError(_("Rôle inconnu."))
    if role != Role.ADMIN:
        _keep_one_admin(membership)
    membership.role = role
    db.session.flush()


def deactivate(membership: Membership, by: User) -> None:
    """Remove a member's access, or cancel a pending invitation (its link stops working); history stays.

    The last admin cannot be removed, nor can one remove one's own access.
    """
    if membership.user_id == by.id:
        raise MembershipError(_("Vous ne pouvez pas retirer votre propre accès."))
    _keep_one_admin(membership)
    membership.state = DEACTIVATED
    db.session.flush()


def reactivate(membership: Membership, invited_by: User | None) -> bool:
    """Give access back to someone who had accepted (True); anyone else gets a new invitation (False)."""
    if membership.state != DEACTIVATED:
        raise MembershipError(_("Cette personne n’est pas désactivée."))
    if membership.accepted_at is None:
        _send_invitation(membership, invited_by)
        db.session.flush()
        return False
    membership.state = ACTIVE
    db.session.flush()
    return True
