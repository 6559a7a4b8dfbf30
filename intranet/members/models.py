"""Who belongs to which association, and with which role."""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, event, inspect
from sqlalchemy import true as sa_true
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from intranet.auth.models import User
from intranet.clock import UTCDateTime, utcnow
from intranet.enums import LabelledEnum
from intranet.extensions import db
from intranet.search import search_key
from intranet.tenancy import Role, TenantScoped

if TYPE_CHECKING:
    from intranet.network.models import Association


class MembershipState(LabelledEnum):
    """Invited (waiting for its owner's acceptance, no access), active, or deactivated (access removed,
    invitation cancelled or declined). Only "active" opens the association's space."""

    INVITED = "invited", _l("Invitation envoyée")
    ACTIVE = "active", _l("Actif·ve")
    DEACTIVATED = "deactivated", _l("Désactivé·e")


INVITED, ACTIVE, DEACTIVATED = MembershipState  # short names for the services


def _accepted_now(context) -> datetime | None:
    # A row made directly in the active state (demo data, fixtures) counts as accepted when made.
    return utcnow() if context.get_current_parameters().get("state") == ACTIVE else None


class Membership(TenantScoped, db.Model):
    """A user's role in one association; deactivated, never deleted, so history stays.

    An invitation belongs to one membership: the link mailed carries a random token whose
    digest only is kept here, valid while the membership is invited, for INVITATION_MAX_AGE
    after `invited_at`; a new invitation replaces it, deactivation cancels it.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # a Role
    # Rows made directly (demo data, tests) are active members; invitations set "invited" explicitly.
    state: Mapped[str] = mapped_column(String(20), default=ACTIVE, server_default=ACTIVE.value)
    digest: Mapped[bool] = mapped_column(default=True, server_default=sa_true())  # staff's daily digest e-mail
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the person accepted (None: never did, so giving access back needs a new invitation).
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=_accepted_now)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invitation_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The name the inviter typed: shown to the association until the person accepts, so the
    # association learns nothing of an account the address may already have.
    invited_name: Mapped[str | None] = mapped_column(String(120))
    # The name the association sees and the address, folded (intranet.search): what the members list searches.
    # Kept by `_keep_search_keys` below whenever the membership or its person's name or address changes.
    search_key: Mapped[str] = mapped_column(Text, default="", server_default="")

    user: Mapped["User"] = relationship(back_populates="memberships")
    association: Mapped["Association"] = relationship()

    __table_args__ = (
        UniqueConstraint("association_id", "user_id"),
        CheckConstraint(MembershipState.check("state"), name="state"),
        CheckConstraint(Role.check("role"), name="role"),
        # SQLite: a b-tree its LIKE '%…%' scans without reading the table; PostgreSQL: a trigram GIN index.
        Index("ix_membership_search", "association_id", "search_key", postgresql_using="gin",
              postgresql_ops={"search_key": "gin_trgm_ops"}),
    )

    @hybrid_property
    def active(self) -> bool:
        """Whether the membership opens the association's space."""
        return self.state == ACTIVE

    @active.inplace.setter
    def _active_setter(self, value: bool) -> None:
        # For fixtures and demo data; the application moves states through members.services only.
        self.state = ACTIVE if value else DEACTIVATED

    @active.inplace.expression
    @classmethod
    def _active_expression(cls):
        return cls.state == ACTIVE

    @property
    def pending(self) -> bool:
        return self.state == INVITED

    @property
    def never_invited(self) -> bool:
        """Added without an invitation (an import of the old spreadsheets): no link was sent yet."""
        return self.state == INVITED and self.invited_at is None

    def invitation_expired(self, now: datetime | None = None) -> bool:
        """Whether the pending invitation's link is too old to be used."""
        age = timedelta(seconds=current_app.config["INVITATION_MAX_AGE"])
        return self.invited_at is None or self.invited_at + age <= (now or utcnow())

    @property
    def display_name(self) -> str:
        """The name the association may see: its own wording until the person has accepted."""
        return self.name_for(self.user)

    def name_for(self, user: "User") -> str:
        if self.accepted_at is None and self.invited_name:
            return self.invited_name
        return user.name

    @property
    def role_rank(self) -> int:
        return Role(self.role).rank


def refresh_search_key(membership: Membership, user: User | None = None) -> None:
    """Fold the name the association sees and the address into the membership's search key."""
    user = user or membership.user or db.session.get(User, membership.user_id)
    key = search_key(membership.name_for(user), user.email)
    if membership.search_key != key:
        membership.search_key = key


@event.listens_for(Session, "before_flush")
def _keep_search_keys(session: Session, flush_context, instances) -> None:
    # A person's name or address lives on the user, which knows nothing of memberships: the key follows here.
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Membership):
            refresh_search_key(obj, session.get(User, obj.user_id) if obj.user is None else obj.user)
        elif isinstance(obj, User) and obj in session.dirty:
            state = inspect(obj)
            if state.attrs.name.history.has_changes() or state.attrs.email.history.has_changes():
                for membership in obj.memberships:
                    refresh_search_key(membership, obj)
