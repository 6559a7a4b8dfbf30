"""The association scope: URL prefix, role checks and scoped loading, in one place.

Every association page lives under ``/a/<slug>/``. The slug is resolved once per
request into ``g.association`` and ``g.role`` (the user's role there); someone who is
not an active member gets 404, someone whose role is too low gets 403. Objects are
loaded with ``get_or_404`` and lists start from ``scoped``, so an association's data
can only be reached from its own space.
"""

from collections.abc import Callable

from flask import Blueprint, abort, current_app, g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import ForeignKey, Select, select
from sqlalchemy.orm import Mapped, mapped_column

from intranet.enums import LabelledEnum
from intranet.extensions import db, login


class Role(LabelledEnum):
    """A member's role in an association, declared from least to most rights."""

    VOLUNTEER = "volunteer", _l("Bénévole")
    STAFF = "staff", _l("Salarié·e")
    ADMIN = "admin", _l("Administrateur·rice")

    @property
    def rank(self) -> int:
        return Role.values().index(self.value)


class TenantScoped:
    """Mixin for rows that belong to one association."""

    association_id: Mapped[int] = mapped_column(ForeignKey("association.id"), index=True)


def requires(role: str) -> Callable:
    """Raise the role a route needs above its blueprint's default."""
    if role not in Role.values():
        raise ValueError(f"unknown role {role!r}")

    def mark(view: Callable) -> Callable:
        view.required_role = role
        return view

    return mark


def has_role(role: str) -> bool:
    """Tell whether the current user's role in this association is at least `role`."""
    return Role(g.role).rank >= Role(role).rank


def association_blueprint(name: str, import_name: str, role: str = "staff") -> Blueprint:
    """Create a blueprint whose routes live in an association's space."""
    bp = Blueprint(name, import_name, url_prefix="/a/<slug>")
    bp.default_role = role

    @bp.url_value_preprocessor
    def pull_slug(endpoint, values):
        g.slug = values.pop("slug")

    @bp.url_defaults
    def add_slug(endpoint, values):
        if "slug" not in values and "association" in g:
            values["slug"] = g.association.slug

    @bp.before_request
    def enter_association():
        if not current_user.is_authenticated:
            return login.unauthorized()
        _resolve(g.pop("slug"))
        view = current_app.view_functions.get(request.endpoint)
        if not has_role(getattr(view, "required_role", role)):
            abort(403)

    # An error handler of the blueprint may need the space when the error came before this check did
    # (a request body over MAX_CONTENT_LENGTH is refused while the app's own hooks read the form).
    bp.enter_association = enter_association
    return bp


def _resolve(slug: str) -> None:
    from intranet.members.models import Membership
    from intranet.network.models import Association

    row = db.session.execute(
        select(Association, Membership.role)
        .join(Membership, Membership.association_id == Association.id)
        .where(
            Association.slug == slug,
            Association.active.is_(True),
            Membership.user_id == current_user.id,
            Membership.active.is_(True),
        )
    ).first()
    if row is None:
        abort(404)
    g.association, g.role = row


def scoped(model) -> Select:
    """Start a query on `model` limited to the current association."""
    return select(model).where(model.association_id == g.association.id)


def get_or_404(model, object_id: int, *options):
    """Load one object of the current association, or answer 404."""
    obj = db.session.scalar(scoped(model).where(model.id == object_id).options(*options))
    if obj is None:
        abort(404)
    return obj


def network_blueprint(name: str, import_name: str) -> Blueprint:
    """Create a blueprint under /network, open to the network office only."""
    bp = Blueprint(name, import_name, url_prefix="/network")

    @bp.before_request
    def network_office_only():
        if not current_user.is_authenticated:
            return login.unauthorized()
        if not current_user.is_network_office:
            abort(403)

    return bp


def personal_blueprint(name: str, import_name: str) -> Blueprint:
    """Create a blueprint under /me: a signed-in person's own things only."""
    bp = Blueprint(name, import_name, url_prefix="/me")

    @bp.before_request
    def signed_in_only():
        if not current_user.is_authenticated:
            return login.unauthorized()

    return bp
