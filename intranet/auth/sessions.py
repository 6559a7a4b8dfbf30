"""Signed-in sessions: a fresh one at each sign-in, limited in time, ended everywhere at sign-out.

The session id is "user id.session version.password fingerprint" (`User.get_id`): raising the
version (sign-out, new password) makes every cookie issued before unusable, stolen ones included.
The session also holds when it started and when it was last used, in seconds since the epoch.
"""

from flask import current_app, flash, g, session
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from intranet.auth.models import User
from intranet.clock import utcnow
from intranet.extensions import db

STARTED, SEEN = "_started", "_seen"
# The last-use time is written back at most once a minute, not on every request.
SEEN_RESOLUTION = 60


def _now() -> int:
    return int(utcnow().timestamp())


def signed_in_state(user: User) -> dict:
    """What a session holds right after `user` signed in (tests write it to sign in directly)."""
    now = _now()
    return {"_user_id": user.get_id(), "_fresh": True, STARTED: now, SEEN: now}


def start(user: User) -> None:
    """Sign `user` in on a brand-new session: nothing of the previous one is kept."""
    session.clear()
    login_user(user)


def on_sign_in(sender, user: User, **extra) -> None:
    """On every sign-in (Flask-Login's `user_logged_in`): a new CSRF token, and the session's clocks start."""
    session.pop("csrf_token", None)
    g.pop("csrf_token", None)  # Flask-WTF's per-request copy of the old token
    session.update({STARTED: _now(), SEEN: _now()})


def end_everywhere(user: User) -> None:
    """Make every session `user` has open, on any device, invalid; the caller commits."""
    user.session_version = (user.session_version or 0) + 1


def sign_out(user) -> None:
    """End this session and every other session of the person (a stolen cookie stops working too); the caller commits."""
    if user.is_authenticated:
        end_everywhere(user)
    logout_user()
    session.clear()


def load_user(session_id: str) -> User | None:
    """The user a session belongs to, if its id is still current and its time is not over."""
    user_id = session_id.partition(".")[0]
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or user.get_id() != session_id:
        session.clear()  # signed out elsewhere, or a new password: this cookie is done
        return None
    if not _within_lifetime():
        return None
    return user


def _within_lifetime() -> bool:
    started, seen = session.get(STARTED), session.get(SEEN)
    if not isinstance(started, int) or not isinstance(seen, int):
        # Only a sign-in through `start` opens a session (Flask-Login's "remember me" cookie cannot).
        session.clear()
        return False
    now, config = _now(), current_app.config
    if now - seen > config["SESSION_IDLE_SECONDS"] or now - started > config["SESSION_MAX_SECONDS"]:
        session.clear()
        flash(_("Votre session a pris fin. Connectez-vous à nouveau pour continuer."), "info")
        return False
    if now - seen >= SEEN_RESOLUTION:
        session[SEEN] = now
    return True
