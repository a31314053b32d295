"""Passwords (salted scrypt), sign-in, the first administrator, and user management.

Sign-in throttling, per user, enforced here so every door obeys it (the sign-in dialog, the idle
lock, any command that signs in):

- each wrong password adds one to ``app_user.failed_sign_ins`` (in SQL, so two desks failing at
  once both count); a success sets it back to 0;
- from the ``DELAY_AFTER``-th wrong password in a row the next try must wait: 2^(n-3) seconds
  after the n-th (1 s, 2 s, 4 s …, at most ``MAX_DELAY``);
- after the firm setting ``sign_in_lock_after`` wrong passwords the account is locked for
  ``sign_in_lock_minutes``; one more wrong password after the lock has run out locks it again;
- while delayed or locked, even the right password is refused (it is not even checked), with the
  time from when the next try is allowed; ``app_user.locked_until`` holds that moment;
- an administrator clears it early (``unlock_user``; a password reset clears it too).

Wrong passwords, refusals, locks, unlocks and password changes are audit rows (never a hash). A
sign-in audit row carries the user name that was typed, since nobody is signed in yet.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
from dataclasses import dataclass

from sqlalchemy import func, select

from app import clock
from app.db.uow import SYSTEM, Actor, Database, UnitOfWork
from app.errors import Problem, UserError, ValidationError
from app.models import SignInEvent, User
from app.models.enums import Role
from app.services.permissions import require
from app.services.settings import load_settings

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 8
DELAY_AFTER = 3  # wrong passwords in a row after which each further try must wait
MAX_DELAY = dt.timedelta(minutes=5)  # the longest of those waits (when the lock comes late)
WRONG = "The user name or password is not right, or the account is disabled."


def hash_password(password: str, *, n: int = SCRYPT_N) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    full_name: str
    role: str
    active: bool
    version: int
    last_sign_in_at: dt.datetime | None
    failed_sign_ins: int = 0
    locked_until: dt.datetime | None = None  # sign-in refused until then (see the module's docstring)

    def locked(self, now: dt.datetime | None = None) -> bool:
        """Whether signing in is refused at ``now`` (the clock's now by default)."""
        return self.locked_until is not None and self.locked_until > (now or clock.utcnow())


def _info(u: User) -> UserInfo:
    return UserInfo(u.id, u.username, u.full_name, u.role.value, u.active, u.version, u.last_sign_in_at,
                    u.failed_sign_ins or 0, u.locked_until)


class SignInFailed(UserError):
    """A refused sign-in. ``wrong``: the password was checked and is not right (or the account is
    disabled); otherwise it was not even checked because the account must wait. ``until`` is set
    when the next try must wait until then (``locked``: the lock, which an administrator can lift)."""

    title = "Sign-in failed"

    def __init__(self, message: str, *, wrong: bool = True, until: dt.datetime | None = None,
                 locked: bool = False, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.wrong = wrong
        self.until = until
        self.locked = locked


def _show_until(until: dt.datetime, *, seconds: bool) -> str:
    """The firm's wall-clock time of ``until``, rounded up (so "after 14:33" is never too early),
    with the date when it is not today."""
    local = until.astimezone(clock.zone())
    step = dt.timedelta(seconds=1) if seconds else dt.timedelta(minutes=1)
    floor = local.replace(microsecond=0) if seconds else local.replace(second=0, microsecond=0)
    if floor != local:
        local = floor + step
    text = local.strftime("%H:%M:%S" if seconds else "%H:%M")
    return text if local.date() == clock.now().date() else f"{local:%Y-%m-%d} {text}"


def throttle_message(username: str, until: dt.datetime, *, locked: bool) -> str:
    """What a refused try says: until when, and (for the lock) who can lift it."""
    if locked:
        return (f"Too many wrong passwords for '{username}': try again after {_show_until(until, seconds=False)}, "
                "or ask an administrator to unlock the account.")
    return f"Too many wrong passwords for '{username}': try again after {_show_until(until, seconds=True)}."


def _next_wait(failures: int, lock_after: int, lock_minutes: int) -> tuple[dt.timedelta | None, bool]:
    """How long the next try must wait after ``failures`` wrong passwords in a row, and whether
    that is the lock."""
    if failures >= lock_after:
        return dt.timedelta(minutes=lock_minutes), True
    if failures >= DELAY_AFTER:
        return min(dt.timedelta(seconds=2 ** min(failures - DELAY_AFTER, 20)), MAX_DELAY), False
    return None, False


def _audit(uow: UnitOfWork, action: str, user_id: int | None, field: str | None = None, old: object = None,
           new: object = None, *, username: str | None = None, feed: str = "app_user") -> None:
    """One audit row for something the field-by-field audit of the unit of work cannot see (Core
    updates, a password that is never written to the log). ``feed`` is the table named in the
    change feed: sign-in bookkeeping names ``sign_in_event`` so that a wrong password does not
    make every desk rebuild what depends on the users."""
    ids = uow.touched.setdefault(feed, set())
    if feed == "app_user" and user_id is not None:
        ids.add(user_id)

    def text(v: object) -> str | None:
        return None if v is None else v.isoformat() if isinstance(v, dt.datetime) else str(v)

    uow.pending_audit.append({
        "at": clock.utcnow(), "username": (username or uow.actor.username)[:80],
        "workstation": uow.actor.workstation, "action": action, "entity": "app_user", "entity_id": user_id,
        "field": field, "old_value": text(old), "new_value": text(new)})


_dummy_hash: str | None = None


def _verify_or_waste(password: str, stored: str | None) -> bool:
    """Verify; for an unknown user spend the same time on a dummy hash, so the answer's speed does
    not tell which user names exist."""
    global _dummy_hash
    if stored is None:
        if _dummy_hash is None:
            _dummy_hash = hash_password("no such user")
        verify_password(password, _dummy_hash)
        return False
    return verify_password(password, stored)


def needs_first_admin(db: Database) -> bool:
    with db.read() as s:
        return not s.execute(select(func.count()).select_from(User)).scalar()


def _validate_user(username: str, full_name: str, role: str, password: str | None) -> list[Problem]:
    problems = []
    if not username.strip() or any(c.isspace() for c in username.strip()):
        problems.append(Problem("a user name is required, without spaces", field="username"))
    if not full_name.strip():
        problems.append(Problem("the full name is required", field="full_name"))
    if role not in {r.value for r in Role}:
        problems.append(Problem(f"unknown role '{role}'", field="role"))
    if password is not None and len(password) < MIN_PASSWORD:
        problems.append(Problem(f"the password needs at least {MIN_PASSWORD} characters", field="password"))
    return problems


def create_first_admin(db: Database, username: str, full_name: str, password: str) -> UserInfo:
    """On an empty database, anyone at the desk creates the first administrator account."""
    problems = _validate_user(username, full_name, Role.ADMIN.value, password)
    if problems:
        raise ValidationError(problems)

    def run(uow: UnitOfWork) -> UserInfo:
        if uow.session.execute(select(func.count()).select_from(User)).scalar():
            raise UserError("An administrator already exists; sign in instead.")
        user = User(username=username.strip(), full_name=full_name.strip(), role=Role.ADMIN,
                    password_hash=hash_password(password))
        uow.add(user)
        uow.flush()
        return _info(user)

    return db.write(SYSTEM, run)


def sign_in(db: Database, username: str, password: str, *, workstation: str | None = None) -> Actor:
    """Check the password; record the attempt. Returns the Actor every later action carries.

    Raises ``SignInFailed`` for a wrong password, a disabled account, or an account that must
    wait (``until`` set) — then even the right password is refused."""
    actor = SYSTEM if workstation is None else Actor("system", "admin", "OrderCycle", workstation=workstation)
    name = username.strip()
    with db.read() as s:
        user = s.execute(select(User).where(User.username == name)).scalar_one_or_none()
        settings = load_settings(s)

    def waiting(failures: int, until: dt.datetime | None, now: dt.datetime) -> SignInFailed | None:
        if until is None or until <= now:
            return None
        locked = failures >= settings.sign_in_lock_after
        return SignInFailed(throttle_message(name, until, locked=locked), wrong=False, until=until, locked=locked)

    # the password is checked outside the write transaction (scrypt takes a while; on SQLite the
    # write lock would stop every other desk meanwhile) and never while the account must wait
    refused = waiting(user.failed_sign_ins or 0, user.locked_until, clock.utcnow()) if user is not None else None
    right = False
    if refused is None:
        right = _verify_or_waste(password, user.password_hash if user is not None else None)
    if getattr(db, "read_only", None) is not None:
        # a desk that may not write (another desk holds the database on an unsafe share): it obeys
        # a delay or lock, but cannot record the attempt
        if refused is not None:
            raise refused
        if user is None or not user.active or not right:
            raise SignInFailed(WRONG)
        return Actor(username=user.username, role=user.role.value, full_name=user.full_name, user_id=user.id,
                     workstation=actor.workstation)

    def run(uow: UnitOfWork) -> Actor | SignInFailed:
        now = clock.utcnow()
        t = User.__table__.c
        # the row is locked (PostgreSQL; SQLite's write transaction holds the whole file) so that
        # desks racing on one account see each other's wrong passwords before they go on
        row = uow.session.execute(
            select(t.id, t.username, t.full_name, t.role, t.password_hash, t.active, t.failed_sign_ins,
                   t.locked_until).where(t.username == name).with_for_update()).first()
        uid = row.id if row is not None else None

        def event(success: bool) -> None:
            uow.session.execute(SignInEvent.__table__.insert().values(
                at=now, user_id=uid, username=name[:80], workstation=actor.workstation, success=success))

        if row is None:
            event(False)
            _audit(uow, "sign_in_failed", None, "username", None, name[:80], username=name, feed="sign_in_event")
            return SignInFailed(WRONG)
        failures = row.failed_sign_ins or 0
        stop = waiting(failures, row.locked_until, now)
        if stop is not None:  # another desk's wrong passwords got there first, or it was waiting already
            event(False)
            _audit(uow, "sign_in_refused", uid, "locked_until", row.locked_until, row.locked_until, username=name,
                   feed="sign_in_event")
            return stop
        if refused is None and user is not None and row.password_hash == user.password_hash:
            good = right
        else:  # the wait ran out or was lifted meanwhile, or the password was just changed: check now
            good = verify_password(password, row.password_hash)
        ok = good and row.active
        users = User.__table__
        if ok:
            # plain column updates: signing in must never conflict with an admin editing the user
            uow.session.execute(users.update().where(t.id == uid)
                                .values(last_sign_in_at=now, failed_sign_ins=0, locked_until=None))
            event(True)
            if failures:
                _audit(uow, "sign_in", uid, "failed_sign_ins", failures, 0, username=name, feed="sign_in_event")
            return Actor(username=row.username, role=Role(row.role).value, full_name=row.full_name, user_id=uid,
                         workstation=actor.workstation)
        # counted in SQL: two desks failing at once both count
        uow.session.execute(users.update().where(t.id == uid).values(failed_sign_ins=t.failed_sign_ins + 1))
        failures = uow.session.execute(select(t.failed_sign_ins).where(t.id == uid)).scalar_one()
        wait, locked = _next_wait(failures, settings.sign_in_lock_after, settings.sign_in_lock_minutes)
        until = now + wait if wait is not None else None
        if until is not None:
            uow.session.execute(users.update().where(t.id == uid).values(locked_until=until))
        event(False)
        _audit(uow, "sign_in_failed", uid, "failed_sign_ins", failures - 1, failures, username=name,
               feed="sign_in_event")
        if locked:
            assert until is not None  # _next_wait: the lock always comes with its length
            _audit(uow, "sign_in_locked", uid, "locked_until", row.locked_until, until, username=name,
                   feed="sign_in_event")
            return SignInFailed(f"{WRONG} {throttle_message(name, until, locked=True)}", until=until,
                                locked=True)
        return SignInFailed(WRONG, until=until)

    result = db.write(actor, run)
    if isinstance(result, SignInFailed):
        raise result
    return result


def unlock_user(db: Database, actor: Actor, username: str) -> UserInfo:
    """An administrator lifts a user's delay or lock and clears the count of wrong passwords."""
    require(actor, "users.manage")
    name = username.strip()

    def run(uow: UnitOfWork) -> int:
        t = User.__table__.c
        row = uow.session.execute(select(t.id, t.failed_sign_ins, t.locked_until).where(t.username == name)
                                  .with_for_update()).first()
        if row is None:
            raise ValidationError(f"there is no user '{name}'", field="username")
        if row.failed_sign_ins or row.locked_until is not None:
            # a plain column update, like sign-in's: never a conflict with someone editing the user
            uow.session.execute(User.__table__.update().where(t.id == row.id)
                                .values(failed_sign_ins=0, locked_until=None))
            _audit(uow, "unlock", row.id, "locked_until", row.locked_until, None)
            _audit(uow, "unlock", row.id, "failed_sign_ins", row.failed_sign_ins, 0)
        return row.id

    user_id = db.write(actor, run)
    with db.read() as s:
        user = s.get(User, user_id)
        if user is None:
            raise ValidationError(f"there is no user '{name}' any more", field="username")
        return _info(user)


def sign_in_hint(db: Database) -> str | None:
    """On the demo company's database (the firm setting ``demo_company``), who can sign in and
    with which password; None on a real firm's database."""
    with db.read() as s:
        if not load_settings(s).demo_company:
            return None
    from app.demo import DEMO_PASSWORD  # lazily: the rules never depend on the demo (test_architecture)

    names = ", ".join(r.value for r in (Role.SALES, Role.PRODUCTION, Role.SHIPPING, Role.FINANCE, Role.SERVICE,
                                        Role.MARKETING, Role.MANAGEMENT, Role.ADMIN))
    return (f"This is the demo company. The users are the department names ({names}); "
            f"every password is {DEMO_PASSWORD}.")


def list_users(db: Database, actor: Actor) -> list[UserInfo]:
    require(actor, "users.manage")
    with db.read() as s:
        return [_info(u) for u in s.execute(select(User).order_by(User.username)).scalars()]


def get_user(db: Database, actor: Actor, user_id: int) -> UserInfo:
    require(actor, "users.manage")
    with db.read() as s:
        user = s.get(User, user_id)
        if user is None:
            raise ValidationError("this user no longer exists", field="username")
        return _info(user)


def create_user(db: Database, actor: Actor, username: str, full_name: str, role: str, password: str) -> UserInfo:
    require(actor, "users.manage")
    problems = _validate_user(username, full_name, role, password)
    if problems:
        raise ValidationError(problems)

    def run(uow: UnitOfWork) -> UserInfo:
        taken = uow.session.execute(select(User.id).where(User.username == username.strip())).first()
        if taken:
            raise ValidationError(f"the user name '{username.strip()}' is taken", field="username")
        user = User(username=username.strip(), full_name=full_name.strip(), role=Role(role),
                    password_hash=hash_password(password))
        uow.add(user)
        uow.flush()
        return _info(user)

    return db.write(actor, run)


def update_user(db: Database, actor: Actor, user_id: int, *, version: int, full_name: str | None = None,
                role: str | None = None, active: bool | None = None, password: str | None = None) -> UserInfo:
    require(actor, "users.manage")
    problems = []
    if role is not None and role not in {r.value for r in Role}:
        problems.append(Problem(f"unknown role '{role}'", field="role"))
    if password is not None and len(password) < MIN_PASSWORD:
        problems.append(Problem(f"the password needs at least {MIN_PASSWORD} characters", field="password"))
    if full_name is not None and not full_name.strip():
        problems.append(Problem("the full name is required", field="full_name"))
    if problems:
        raise ValidationError(problems)

    def run(uow: UnitOfWork) -> UserInfo:
        user = uow.get(User, user_id, expected_version=version)
        if full_name is not None:
            user.full_name = full_name.strip()
        if role is not None:
            user.role = Role(role)
        if active is not None:
            user.active = active
        if password is not None:
            user.password_hash = hash_password(password)
            # the hash never goes into the log: the reset itself does
            _audit(uow, "password_reset", user.id, "password", None, "(set by an administrator)")
            # a new password from the administrator also lifts a delay or lock (audited field by field)
            user.failed_sign_ins = 0
            user.locked_until = None
        uow.flush()
        admins = uow.session.execute(
            select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.active.is_(True))).scalar()
        if not admins:
            raise ValidationError("at least one active administrator must remain", field="role")
        return _info(user)

    return db.write(actor, run)


def change_own_password(db: Database, actor: Actor, old: str, new: str) -> None:
    if len(new) < MIN_PASSWORD:
        raise ValidationError(f"the password needs at least {MIN_PASSWORD} characters", field="password")

    def run(uow: UnitOfWork) -> None:
        user = uow.session.execute(select(User).where(User.username == actor.username)).scalar_one()
        if not verify_password(old, user.password_hash):
            raise ValidationError("the current password is not right", field="old_password")
        user.password_hash = hash_password(new)
        _audit(uow, "password_change", user.id, "password", None, "(changed by the user)")

    db.write(actor, run)
