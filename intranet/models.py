"""Every model, imported once so the mapper and Alembic know the whole schema."""

from intranet.auth.models import LoginAttempt, User
from intranet.members.models import Membership
from intranet.network.models import Association
from intranet.notifications.models import OutboxMessage

__all__ = ["Association", "LoginAttempt", "Membership", "OutboxMessage", "User"]
