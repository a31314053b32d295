"""Sign-in, passwords, and the permission matrix enforced at the service level."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from app.db.uow import Actor, Database
from app.errors import PermissionDenied, UserError, ValidationError
from app.models import SignInEvent, User
from app.models.enums import Role
from app.services import auth, overview
from app.services.permissions import MATRIX, allowed, roles_markdown

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def admin(sqlite_db: Database) -> Actor:
    auth.create_first_admin(sqlite_db, "root", "Ruth Admin", "correct horse")
    return auth.sign_in(sqlite_db, "root", "correct horse", workstation="desk-1")


def test_passwords_are_salted_scrypt_never_plain() -> None:
    h1, h2 = auth.hash_password("s3cret-pass"), auth.hash_password("s3cret-pass")
    assert h1 != h2 and h1.startswith("scrypt$16384$8$1$")
    assert "s3cret-pass" not in h1
    assert auth.verify_password("s3cret-pass", h1)
    assert not auth.verify_password("s3cret-pasS", h1)
    assert not auth.verify_password("x", "garbage")


def test_first_admin_only_on_an_empty_database(sqlite_db: Database, admin: Actor) -> None:
    assert admin.role == "admin" and admin.workstation == "desk-1"
    assert not auth.needs_first_admin(sqlite_db)
    with pytest.raises(UserError, match="already exists"):
        auth.create_first_admin(sqlite_db, "mallory", "Mallory", "another password")


def test_sign_in_records_attempts_and_refuses_wrong_or_disabled(sqlite_db: Database, admin: Actor) -> None:
    user = auth.create_user(sqlite_db, admin, "sam", "Sam Seller", "sales", "sales-pass-1")
    actor = auth.sign_in(sqlite_db, "sam", "sales-pass-1")
    assert (actor.username, actor.role, actor.full_name) == ("sam", "sales", "Sam Seller")
    with pytest.raises(auth.SignInFailed):
        auth.sign_in(sqlite_db, "sam", "wrong-password")
    with pytest.raises(auth.SignInFailed):
        auth.sign_in(sqlite_db, "nobody", "whatever-it-is")
    with sqlite_db.read() as s:
        assert s.execute(select(User.failed_sign_ins).where(User.username == "sam")).scalar() == 1
        events = s.execute(select(SignInEvent.username, SignInEvent.success).order_by(SignInEvent.id)).all()
    assert events[-3:] == [("sam", True), ("sam", False), ("nobody", False)]
    auth.update_user(sqlite_db, admin, user.id, version=user.version, active=False)
    with pytest.raises(auth.SignInFailed):
        auth.sign_in(sqlite_db, "sam", "sales-pass-1")


def test_user_validation_names_the_field(sqlite_db: Database, admin: Actor) -> None:
    with pytest.raises(ValidationError) as info:
        auth.create_user(sqlite_db, admin, "has space", "", "wizard", "short")
    fields = {p.field for p in info.value.problems}
    assert fields == {"username", "full_name", "role", "password"}
    auth.create_user(sqlite_db, admin, "kim", "Kim", "finance", "finance-pass")
    with pytest.raises(ValidationError, match="taken"):
        auth.create_user(sqlite_db, admin, "kim", "Kim Two", "finance", "finance-pass")


def test_the_last_administrator_cannot_be_demoted(sqlite_db: Database, admin: Actor) -> None:
    me = next(u for u in auth.list_users(sqlite_db, admin) if u.username == "root")
    with pytest.raises(ValidationError, match="administrator must remain"):
        auth.update_user(sqlite_db, admin, me.id, version=me.version, role="sales")
    assert next(u for u in auth.list_users(sqlite_db, admin) if u.username == "root").role == "admin"


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_user_management_is_enforced_in_the_service(sqlite_db: Database, admin: Actor, role: str) -> None:
    actor = Actor(f"{role}-user", role)
    if role == "admin":
        auth.create_user(sqlite_db, actor, f"new-{role}", "New Person", "sales", "password-123")
        assert any(u.username == f"new-{role}" for u in auth.list_users(sqlite_db, actor))
    else:
        with pytest.raises(PermissionDenied, match=f"Your role \\({role}\\)"):
            auth.create_user(sqlite_db, actor, f"new-{role}", "New Person", "sales", "password-123")
        with pytest.raises(PermissionDenied):
            auth.list_users(sqlite_db, actor)
        with sqlite_db.read() as s:
            assert s.execute(select(User).where(User.username == f"new-{role}")).first() is None


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_every_role_may_view_the_cycle_overview(sqlite_db: Database, role: str) -> None:
    rows = overview.cycle_overview(sqlite_db, Actor("x", role))
    assert [r.status for r in rows][:3] == ["quote", "confirmed", "in_production"]
    with pytest.raises(PermissionDenied):
        overview.cycle_overview(sqlite_db, Actor("x", "intruder"))


def test_matrix_shape_follows_the_stories() -> None:
    assert allowed("marketing", "planning.edit_marketing") and not allowed("production", "planning.edit_marketing")
    assert allowed("production", "expedite.decide") and not allowed("marketing", "expedite.decide")
    assert allowed("management", "expedite.over_quota") and not allowed("sales", "expedite.over_quota")
    assert allowed("sales", "orders.edit") and not allowed("shipping", "orders.edit")
    assert allowed("finance", "billing.edit") and not allowed("sales", "billing.edit")
    assert not allowed("admin", "orders.edit"), "admins manage the system, not the business"
    for action, (_desc, roles) in MATRIX.items():
        assert roles, f"{action} allowed to nobody"
    with pytest.raises(KeyError):
        allowed("sales", "no.such.action")


def test_roles_doc_is_generated_from_the_matrix() -> None:
    doc = (ROOT / "docs" / "roles.md").read_text(encoding="utf-8")
    assert roles_markdown() in doc, "docs/roles.md is stale: run `make roles-doc`"


def test_data_model_diagram_is_current() -> None:
    from app.models import Base
    from app.models.diagram import GROUPS, mermaid

    doc = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
    assert mermaid() in doc, "docs/data-model.md diagram is stale: python -m app.models.diagram"
    grouped = {t for ts in GROUPS.values() for t in ts}
    assert grouped == set(Base.metadata.tables) - {"alembic_version"}
    for table in Base.metadata.tables:
        assert f"`{table}`" in doc, f"{table} not described in docs/data-model.md"
