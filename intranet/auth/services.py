"""Sign-in rules: passwords, throttling of failed attempts, signed single-use links."""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from intranet.auth.models import LoginAttempt, User
from intranet.clock import utcnow
from intranet.extensions import db

MIN_PASSWORD_LENGTH = 10
# A hash to compare against when the e-mail is unknown, so both cases take as long.
_DUMMY_HASH = generate_password_hash("not-a-password", method="pbkdf2:sha256:1000")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)


def check_password(user: User, password: str) -> bool:
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


# --- throttling -------------------------------------------------------------------


def wait_seconds(failures: list[datetime], now: datetime, *, slowdown_after: int, lock_after: int,
                 lock_seconds: int) -> int:
    """Seconds to wait before the next attempt, given the recent failures (oldest first).

    Up to `slowdown_after` failures cost nothing; then each one doubles the wait after
    the latest failure (2 s, 4 s, 8 s …); from `lock_after` failures on, the attempts
    are refused for `lock_seconds` after the latest one.
    """
    if len(failures) < slowdown_after:
        return 0
    last = failures[-1]
    if len(failures) >= lock_after:
        delay = lock_seconds
    else:
        delay = min(2 ** (len(failures) - slowdown_after + 1), lock_seconds)
    return max(0, int((last + timedelta(seconds=delay) - now).total_seconds() + 0.999))


def _recent_failures(column, value: str, now: datetime, *, reset_on_success: bool) -> list[datetime]:
    since = now - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    query = select(LoginAttempt.at).where(column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.at > since)
    if reset_on_success:  # an account's counter restarts after its owner signs in
        last_success = (
            select(func.max(LoginAttempt.at)).where(column == value, LoginAttempt.succeeded.is_(True))
        ).scalar_subquery()
        query = query.where(LoginAttempt.at > func.coalesce(last_success, since))
    return list(db.session.scalars(query.order_by(LoginAttempt.at)))


def throttle_wait(email: str, ip: str, now: datetime | None = None) -> int:
    """Seconds before `email` from `ip` may try again (0: now)."""
    now = now or utcnow()
    cfg = current_app.config
    common = {"slowdown_after": cfg["LOGIN_SLOWDOWN_AFTER"], "lock_seconds": cfg["LOGIN_LOCK_SECONDS"]}
    by_account = wait_seconds(
        _recent_failures(LoginAttempt.email, normalize_email(email), now, reset_on_success=True), now,
        lock_after=cfg["LOGIN_LOCK_AFTER"], **common,
    )
    by_address = wait_seconds(
        _recent_failures(LoginAttempt.ip, ip, now, reset_on_success=False), now,
        lock_after=cfg["LOGIN_IP_LOCK_AFTER"], slowdown_after=cfg["LOGIN_SLOWDOWN_AFTER"] * 3,
        lock_seconds=cfg["LOGIN_LOCK_SECONDS"],
    )
    return max(by_account, by_address)


@dataclass
class SignIn:
    user: User | None = None
    wait: int = 0


def authenticate(email: str, password: str, ip: str) -> SignIn:
    """Check credentials, recording the attempt; refuse while too many attempts failed."""
    email = normalize_email(email)
    wait = throttle_wait(email, ip)
    if wait:
        return SignIn(wait=wait)
    user = find_user(email)
    ok = bool(user and user.active and check_password(user, password))
    if not user or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
    db.session.add(LoginAttempt(email=email, ip=ip, succeeded=ok))
    if ok:
        user.last_login_at = utcnow()
    _forget_old_attempts()
    db.session.commit()
    return SignIn(user=user if ok else None)


def _forget_old_attempts() -> None:
    horizon = utcnow() - timedelta(days=1)
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < horizon))


# --- signed links -------------------------------------------------------------------

# Invitations are not account links: each is bound to one membership (members.services).
PASSWORD_RESET = "password-reset"
_MAX_AGE = {PASSWORD_RESET: "PASSWORD_RESET_MAX_AGE"}


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"tremplin-{purpose}")


def _fingerprint(user: User) -> str:
    # Changes as soon as a password is set, which makes every earlier link unusable.
    return hashlib.sha256(f"{user.id}:{user.password_hash}".encode()).hexdigest()[:16]


def make_token(user: User, purpose: str) -> str:
    """A signed link token for `user`, valid once for `purpose`."""
    return _serializer(purpose).dumps({"u": user.id, "f": _fingerprint(user)})


class TokenError(Exception):
    """A link that is invalid, expired or already used; the message says which."""


def read_token(token: str, purpose: str) -> User:
    """The user a link token is for, or TokenError with a message for the person."""
    max_age = current_app.config[_MAX_AGE[purpose]]
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise TokenError("expired") from error
    except BadSignature as error:
        raise TokenError("invalid") from error
    user = db.session.get(User, data.get("u"))
    if user is None or not user.active:
        raise TokenError("invalid")
    if data.get("f") != _fingerprint(user):
        raise TokenError("used")
    return user


def request_password_reset(email: str) -> None:
    """Mail a reset link if the e-mail belongs to an active account; say nothing otherwise."""
    from intranet.notifications.services import queue_mail
    from intranet.urls import external_url

    user = find_user(email)
    if user is None or not user.active:
        return
    token = make_token(user, PASSWORD_RESET)
    queue_mail(
        to=user.email, template="password_reset", kind="password_reset", locale=user.locale,
        user=user, link=external_url("auth.reset_password", token=token),
    )
    db.session.commit()


def complete_with_password(user: User, password: str) -> None:
    """Set the password chosen through a reset link, or changed in one's account."""
    set_password(user, password)
    db.session.commit()
