"""Passwords (salted scrypt), sign-in, the first administrator, and user management."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
from dataclasses import dataclass

from sqlalchemy import func, select

from app.db.uow import SYSTEM, Actor, Database
from app.errors import Problem, UserError, ValidationError
from app.models import SignInEvent, User
from app.models.base import utcnow
from app.models.enums import Role
from app.services.permissions import require

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 8


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


def _info(u: User) -> UserInfo:
    return UserInfo(u.id, u.username, u.full_name, u.role.value, u.active, u.version, u.last_sign_in_at)


class SignInFailed(UserError):
    title = "Sign-in failed"


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

    def run(uow):  # type: ignore[no-untyped-def]
        if uow.session.execute(select(func.count()).select_from(User)).scalar():
            raise UserError("An administrator already exists; sign in instead.")
        user = User(username=username.strip(), full_name=full_name.strip(), role=Role.ADMIN,
                    password_hash=hash_password(password))
        uow.add(user)
        uow.flush()
        return _info(user)

    return db.write(SYSTEM, run)


def sign_in(db: Database, username: str, password: str, *, workstation: str | None = None) -> Actor:
    """Check the password; record the attempt. Returns the Actor every later action carries."""
    actor = SYSTEM if workstation is None else Actor("system", "admin", "OrderCycle", workstation=workstation)
    if getattr(db, "read_only", None) is not None:
        # a desk that may not write (another desk holds the database on an unsafe share): check
        # the password with a plain read; the attempt is not recorded
        with db.read() as s:
            user = s.execute(select(User).where(User.username == username.strip())).scalar_one_or_none()
            if user is None or not user.active or not verify_password(password, user.password_hash):
                raise SignInFailed("The user name or password is not right, or the account is disabled.")
            return Actor(username=user.username, role=user.role.value, full_name=user.full_name, user_id=user.id,
                         workstation=actor.workstation)

    def run(uow):  # type: ignore[no-untyped-def]
        user = uow.session.execute(select(User).where(User.username == username.strip())).scalar_one_or_none()
        ok = user is not None and user.active and verify_password(password, user.password_hash)
        uow.session.execute(
            SignInEvent.__table__.insert().values(at=utcnow(), user_id=user.id if user else None,
                                                  username=username.strip()[:80], workstation=actor.workstation,
                                                  success=ok))
        if ok:
            # plain column updates: signing in must never conflict with an admin editing the user
            uow.session.execute(User.__table__.update().where(User.id == user.id)
                                .values(last_sign_in_at=utcnow(), failed_sign_ins=0))
            return Actor(username=user.username, role=user.role.value, full_name=user.full_name,
                         user_id=user.id, workstation=actor.workstation)
        if user is not None:
            uow.session.execute(User.__table__.update().where(User.id == user.id)
                                .values(failed_sign_ins=User.failed_sign_ins + 1))
        return None

    result = db.write(actor, run)
    if result is None:
        raise SignInFailed("The user name or password is not right, or the account is disabled.")
    return result


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

    def run(uow):  # type: ignore[no-untyped-def]
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

    def run(uow):  # type: ignore[no-untyped-def]
        user = uow.get(User, user_id, expected_version=version)
        if full_name is not None:
            user.full_name = full_name.strip()
        if role is not None:
            user.role = Role(role)
        if active is not None:
            user.active = active
        if password is not None:
            user.password_hash = hash_password(password)
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

    def run(uow):  # type: ignore[no-untyped-def]
        user = uow.session.execute(select(User).where(User.username == actor.username)).scalar_one()
        if not verify_password(old, user.password_hash):
            raise ValidationError("the current password is not right", field="old_password")
        user.password_hash = hash_password(new)

    db.write(actor, run)
