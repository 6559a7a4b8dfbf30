"""Sign-in rules: passwords, throttling of failed attempts, signed single-use links."""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from intranet.auth.models import LoginAttempt, PasswordResetRequest, User
from intranet.clock import utcnow
from intranet.extensions import db
from intranet.jobs import periodic

MIN_PASSWORD_LENGTH = 10  # a volunteer's account
STAFF_MIN_PASSWORD_LENGTH = 12  # staff, admins and the network office see personal files
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def set_password(user: User, password: str) -> None:
    """Store a new password; every session opened with the old one ends."""
    user.password_hash = hash_password(password)
    user.session_version = (user.session_version or 0) + 1


def check_password(user: User, password: str) -> bool:
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def _dummy_hash() -> str:
    """A hash of the configured method to check when there is no real one, so every sign-in costs the same."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    hashes = current_app.extensions.setdefault("dummy_password_hashes", {})
    if method not in hashes:
        hashes[method] = generate_password_hash(secrets.token_hex(16), method=method)
    return hashes[method]


# --- password policy ----------------------------------------------------------------


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list of the most common passwords, lower-cased."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def needs_long_password(user: User | None) -> bool:
    """Staff, admins and the network office need a longer password than a volunteer (an invitee's role counts)."""
    if user is None or user.is_network_office:
        return True
    return any(m.state in ("active", "invited") and m.role in ("staff", "admin") for m in user.memberships)


def min_password_length(user: User | None) -> int:
    return STAFF_MIN_PASSWORD_LENGTH if needs_long_password(user) else MIN_PASSWORD_LENGTH


def _letters(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def password_problem(password: str, user: User | None = None, *, long_required: bool | None = None) -> str | None:
    """What is wrong with `password` as `user`'s new password, in French, or None when it is acceptable.

    Length only (12 characters for staff, admins and the network office, 10 for a volunteer), no
    composition rule; refused: the most common passwords, one character repeated, the person's own
    e-mail address or name.
    """
    if long_required is None:
        long_required = needs_long_password(user)
    minimum = STAFF_MIN_PASSWORD_LENGTH if long_required else MIN_PASSWORD_LENGTH
    password = password or ""
    if len(password) < minimum:
        return _("Le mot de passe doit faire au moins %(n)d caractères.", n=minimum)
    if len(set(password)) == 1:
        return _("Un seul caractère répété est trop facile à deviner : choisissez un autre mot de passe.")
    folded = password.strip().casefold()
    # "motdepasse2024!" is still "motdepasse": the digits and signs added at the end don't help.
    base = re.sub(r"[\d\W_]+$", "", folded)
    if folded in common_passwords() or base in common_passwords():
        return _("Ce mot de passe fait partie des plus répandus : choisissez-en un autre.")
    if user is not None:
        letters = _letters(password)
        own = {_letters(user.email), _letters(user.email.partition("@")[0]), _letters(user.name or "")}
        if any(len(word) >= 4 and word in letters for word in own):
            return _("Le mot de passe ne doit reprendre ni votre adresse e-mail ni votre nom.")
    return None


# --- throttling -------------------------------------------------------------------


def wait_seconds(failures: list[datetime], now: datetime, *, slowdown_after: int, lock_after: int | None,
                 lock_seconds: int) -> int:
    """Seconds to wait before the next attempt, given the recent failures (oldest first).

    Up to `slowdown_after` failures cost nothing; then each one doubles the wait after
    the latest failure (2 s, 4 s, 8 s …, never more than `lock_seconds`); from `lock_after`
    failures on (if given), the attempts are refused for `lock_seconds` after the latest one.
    """
    if len(failures) < slowdown_after:
        return 0
    last = failures[-1]
    if lock_after is not None and len(failures) >= lock_after:
        delay = lock_seconds
    else:
        delay = min(2 ** (len(failures) - slowdown_after + 1), lock_seconds)
    return max(0, int((last + timedelta(seconds=delay) - now).total_seconds() + 0.999))


def _recent_failures(conditions: list, now: datetime, *, reset_on_success: bool) -> list[datetime]:
    since = now - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    query = select(LoginAttempt.at).where(*conditions, LoginAttempt.succeeded.is_(False), LoginAttempt.at > since)
    if reset_on_success:  # the counter restarts after a successful sign-in under the same conditions
        last_success = (
            select(func.max(LoginAttempt.at)).where(*conditions, LoginAttempt.succeeded.is_(True))
        ).scalar_subquery()
        query = query.where(LoginAttempt.at > func.coalesce(last_success, since))
    return list(db.session.scalars(query.order_by(LoginAttempt.at)))


def throttle_wait(email: str, ip: str, now: datetime | None = None) -> int:
    """Seconds before `email` from `ip` may try again (0: now).

    The lock applies to one account *from one address*, so a stranger guessing from elsewhere
    cannot lock the owner out; the account as a whole is only slowed down, by a few seconds at
    most; an address trying many accounts is slowed down, then locked.
    """
    now = now or utcnow()
    cfg = current_app.config
    email = normalize_email(email)
    by_pair = wait_seconds(
        _recent_failures([LoginAttempt.email == email, LoginAttempt.ip == ip], now, reset_on_success=True), now,
        slowdown_after=cfg["LOGIN_SLOWDOWN_AFTER"], lock_after=cfg["LOGIN_LOCK_AFTER"],
        lock_seconds=cfg["LOGIN_LOCK_SECONDS"],
    )
    by_account = wait_seconds(
        _recent_failures([LoginAttempt.email == email], now, reset_on_success=True), now,
        slowdown_after=cfg["LOGIN_ACCOUNT_SLOWDOWN_AFTER"], lock_after=None,
        lock_seconds=cfg["LOGIN_ACCOUNT_MAX_WAIT"],
    )
    by_address = wait_seconds(
        _recent_failures([LoginAttempt.ip == ip], now, reset_on_success=False), now,
        lock_after=cfg["LOGIN_IP_LOCK_AFTER"], slowdown_after=cfg["LOGIN_SLOWDOWN_AFTER"] * 3,
        lock_seconds=cfg["LOGIN_LOCK_SECONDS"],
    )
    return max(by_pair, by_account, by_address)


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
    real_hash = user.password_hash if user is not None else ""
    # Unknown, inactive and invited accounts cost one hash check of the same method as a real one.
    matches = check_password_hash(real_hash or _dummy_hash(), password)
    ok = bool(real_hash and matches and user.active)
    db.session.add(LoginAttempt(email=email, ip=ip, succeeded=ok))
    if ok:
        user.last_login_at = utcnow()
    db.session.flush()
    return SignIn(user=user if ok else None)


ATTEMPTS_KEPT = timedelta(days=1)  # longer than any throttling window; then the addresses are forgotten


@periodic()
def forget_old_attempts(now: datetime) -> int:
    """Delete sign-in attempts and password-reset requests past ATTEMPTS_KEPT; return how many (the tick commits)."""
    horizon = now - ATTEMPTS_KEPT
    deleted = db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < horizon)).rowcount
    return deleted + db.session.execute(delete(PasswordResetRequest).where(PasswordResetRequest.at < horizon)).rowcount


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


def _too_many_reset_requests(email: str, ip: str, now: datetime) -> bool:
    cfg = current_app.config
    since = now - timedelta(seconds=cfg["PASSWORD_RESET_WINDOW_SECONDS"])

    def count(condition) -> int:
        return db.session.scalar(select(func.count()).select_from(PasswordResetRequest)
                                 .where(condition, PasswordResetRequest.at > since))

    return (count(PasswordResetRequest.email == email) >= cfg["PASSWORD_RESET_PER_ADDRESS"]
            or count(PasswordResetRequest.ip == ip) >= cfg["PASSWORD_RESET_PER_CLIENT"])


def request_password_reset(email: str, ip: str) -> None:
    """Mail a reset link if the e-mail belongs to an active account; say nothing otherwise.

    A few requests per address and per client an hour, whether the account exists or not,
    so nobody can flood a mailbox and the limit tells nothing about who has an account.
    """
    from intranet.notifications.services import queue_mail
    from intranet.urls import external_url

    email, now = normalize_email(email), utcnow()
    if _too_many_reset_requests(email, ip, now):
        return
    db.session.add(PasswordResetRequest(email=email, ip=ip, at=now))
    user = find_user(email)
    if user is not None and user.active:
        token = make_token(user, PASSWORD_RESET)
        queue_mail(
            to=user.email, template="password_reset", kind="password_reset", locale=user.locale,
            user=user, link=external_url("auth.reset_password", token=token),
        )
    db.session.flush()


def complete_with_password(user: User, password: str) -> None:
    """Set the password chosen through a reset link, or changed in one's account."""
    set_password(user, password)
    db.session.flush()
