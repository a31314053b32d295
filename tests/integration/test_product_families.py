"""Product families (issue 20): create, rename, the checks that name a field (duplicate code, bad
code characters, hostile text), two desks on one family, who may change them, delete refused while
products use the family (named) and allowed when none does, the audit rows, a product saved into a
new family, and ``ensure_default`` giving a new firm its first family (once). On the demo company
(or an empty database), SQLite and, when configured, PostgreSQL (the ``demo`` and ``db`` fixtures)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from app.actor import Actor
from app.errors import ConflictError, PermissionDenied, UserError, ValidationError
from app.models import AuditLog, Product, ProductFamily, Promotion
from app.services import product_families as svc
from app.services import products
from app.services.product_families import FamilyForm
from app.services.products import ProductForm
from app.services.service_jobs import needs_installation


def _fields(exc: ValidationError) -> set[str | None]:
    return {p.field for p in exc.problems}


def _new(db, actor, **kw) -> svc.FamilyView:
    form = FamilyForm(**{"code": " racks-2 ", "name": "Racking accessories", **kw})
    return svc.save_family(db, actor, form)


def test_production_creates_renames_and_finds_a_family(demo) -> None:
    db, actor = demo
    prod = actor("production")
    made = _new(db, prod, needs_installation=True)
    assert (made.code, made.name, made.needs_installation, made.products) == ("RACKS-2", "Racking accessories",
                                                                               True, 0)
    assert svc.family(db, prod, made.id) == made
    assert [r.code for r in svc.families(db, prod, "racking")] == ["RACKS-2"]
    assert [r.code for r in svc.families(db, actor("sales"), "rack")] == ["RACKS-2"]  # everyone reads them
    assert svc.families(db, prod, "%") == []  # LIKE's % is literal
    renamed = svc.save_family(db, prod, replace(made.form(), code="racks_2", name="Racking parts",
                                                needs_installation=False))
    assert (renamed.code, renamed.name, renamed.needs_installation) == ("RACKS_2", "Racking parts", False)
    assert renamed.version > made.version and renamed.updated_by == "production"
    rows = {r.code: r for r in svc.families(db, prod)}
    assert list(rows) == sorted(rows)  # by code
    assert rows["SHU"].products == 8 and rows["SHU"].archived == 0 and rows["RACKS_2"].products == 0
    with db.read() as s:
        audit = {(a.action, a.field) for a in s.execute(select(AuditLog).where(
            AuditLog.entity == "product_family", AuditLog.entity_id == made.id)).scalars()}
    assert {("insert", None), ("update", "code"), ("update", "name"), ("update", "needs_installation")} <= audit


def test_duplicate_code_and_name_are_refused_at_their_fields(demo) -> None:
    db, actor = demo
    prod = actor("production")
    with pytest.raises(ValidationError) as err:
        _new(db, prod, code=" shu ")
    assert _fields(err.value) == {"code"} and "family code SHU is already taken by Shelving units" in str(err.value)
    with pytest.raises(ValidationError) as err:
        _new(db, prod, code="NEW", name="workbenches")
    assert _fields(err.value) == {"name"} and "the family WB already has the name workbenches" in str(err.value)
    wb = next(r for r in svc.families(db, prod) if r.code == "WB")
    with pytest.raises(ValidationError) as err:  # renaming onto another family's code
        svc.save_family(db, prod, replace(svc.family(db, prod, wb.id).form(), code="mg"))
    assert _fields(err.value) == {"code"}
    same = svc.save_family(db, prod, replace(svc.family(db, prod, wb.id).form(), code="wb"))  # its own code
    assert same.code == "WB"


@pytest.mark.parametrize("code, why", [
    ("", "the family code is required"),
    ("  ", "the family code is required"),
    ("A B", "(a space at position 2)"),
    ("RACK/2", "('/' at position 5)"),
    ("GERÄTE", "('Ä' at position 4)"),
    ("C" * 33, "at most 32 characters (33 typed)"),
    ("X\x00Y", "control character"),
])
def test_a_bad_code_is_refused_at_the_code_field(demo, code: str, why: str) -> None:
    db, actor = demo
    with pytest.raises(ValidationError) as err:
        _new(db, actor("production"), code=code)
    assert _fields(err.value) == {"code"} and why in str(err.value)


def test_every_problem_at_once_and_hostile_names_are_refused(demo) -> None:
    db, actor = demo
    prod = actor("production")
    with pytest.raises(ValidationError) as err:
        svc.save_family(db, prod, FamilyForm("", " "))
    assert _fields(err.value) == {"code", "name"} and "the name is required" in str(err.value)
    for name, why in (("Racks\nand more", "line break"), ("R" * 201, "at most 200 characters"),
                      ("Racks\x1b[31m", "control character (U+001B)"), ("Racks\ud800", "invalid character")):
        with pytest.raises(ValidationError) as err:
            _new(db, prod, name=name)
        assert _fields(err.value) == {"name"} and why in str(err.value), name
    with db.read() as s:
        assert s.execute(select(func.count()).select_from(ProductFamily)).scalar() == 5  # nothing saved


def test_who_may_change_families(demo) -> None:
    db, actor = demo
    for role in ("management", "admin"):
        assert _new(db, actor(role), code=f"T-{role}", name=role).code == f"T-{role.upper()}"
    sales = actor("sales")
    assert svc.families(db, sales) and svc.family(db, sales, svc.families(db, sales)[0].id)
    with pytest.raises(PermissionDenied):
        _new(db, sales)
    row = svc.families(db, sales, "SP")[0]
    with pytest.raises(PermissionDenied):
        svc.save_family(db, sales, replace(svc.family(db, sales, row.id).form(), name="Spares"))
    with pytest.raises(PermissionDenied):
        svc.delete_family(db, sales, row.id, version=row.version)


def test_two_desks_the_second_save_is_refused_and_nothing_is_overwritten(demo) -> None:
    db, actor = demo
    made = _new(db, actor("production"))
    first = svc.save_family(db, actor("management"), replace(made.form(), name="Racking extras"))
    with pytest.raises(ConflictError) as err:
        svc.save_family(db, actor("production"), replace(made.form(), needs_installation=True))
    assert "management" in str(err.value)
    with pytest.raises(ConflictError):  # a delete from a list read before their save
        svc.delete_family(db, actor("production"), made.id, version=made.version)
    assert svc.family(db, actor("production"), made.id) == first
    svc.delete_family(db, actor("production"), made.id, version=first.version)
    with pytest.raises(ConflictError) as err:  # saving a form of a family deleted meanwhile
        svc.save_family(db, actor("management"), first.form())
    assert err.value.deleted


def test_delete_is_refused_while_products_use_the_family_naming_them(demo) -> None:
    db, actor = demo
    prod = actor("production")
    shu = next(r for r in svc.families(db, prod) if r.code == "SHU")
    with pytest.raises(UserError) as err:
        svc.delete_family(db, prod, shu.id, version=shu.version)
    assert err.value.message.startswith("The product family SHU (Shelving units) cannot be deleted: 8 products are "
                                        "in it: SH-1200-4, SH-1200-5, SH-1200-5-GV,")
    assert err.value.message.endswith("SH-900-5.") and "Move those products" in (err.value.hint or "")
    made = _new(db, prod)
    item = products.save_product(db, prod, ProductForm("RK-100", "Rack connector", made.id))
    products.archive_product(db, prod, item.id)
    with pytest.raises(UserError) as err:  # an archived product still keeps its family
        svc.delete_family(db, prod, made.id)
    assert "1 product is in it: RK-100." in err.value.message
    assert svc.families(db, prod, made.code)[0].archived == 1
    with db.read() as s:
        assert s.get(ProductFamily, shu.id) is not None


def test_a_family_of_more_than_ten_products_names_ten_and_counts_the_rest(demo) -> None:
    db, actor = demo
    prod = actor("production")
    made = _new(db, prod)
    for p in products.products(db, prod)[:12]:
        products.save_product(db, prod, replace(products.product(db, prod, p.id).form(), family_id=made.id))
    with pytest.raises(UserError) as err:
        svc.delete_family(db, prod, made.id)
    assert "12 products are in it:" in err.value.message and err.value.message.endswith(" and 2 more.")


def test_an_unused_family_is_deleted_audited_with_its_promotion(demo) -> None:
    db, actor = demo
    prod = actor("production")
    made = _new(db, prod)
    with db.uow(actor("admin")) as uow:  # a promotion on the (empty) family: no screen makes one
        import datetime as dt
        from decimal import Decimal as D

        uow.add(Promotion(name="Racking offer", family_id=made.id, discount=D("0.1"), starts_on=dt.date(2026, 1, 1),
                          ends_on=dt.date(2026, 1, 31)))
        uow.commit()
    row = svc.families(db, prod, made.code)[0]
    svc.delete_family(db, prod, row.id, version=row.version)
    assert svc.families(db, prod, made.code) == []
    with pytest.raises(UserError, match="does not exist"):
        svc.family(db, prod, made.id)
    with db.read() as s:
        assert s.execute(select(Promotion).where(Promotion.name == "Racking offer")).first() is None
        deleted = {a.entity for a in s.execute(select(AuditLog).where(AuditLog.action == "delete")).scalars()}
        assert {"product_family", "promotion"} <= deleted


def test_a_product_is_saved_into_a_new_family_and_its_flag_counts_for_installation(demo) -> None:
    db, actor = demo
    prod = actor("production")
    made = _new(db, prod, needs_installation=True)
    choices = products.choices(db, prod)
    assert made.id in {c.id for c in choices.families}  # the product form offers it
    saved = products.save_product(db, prod, ProductForm("RK-100", "Rack connector", made.id, unit="pcs"))
    assert saved.family_id == made.id and saved.family == "Racking accessories" and not saved.needs_installation
    assert svc.family(db, prod, made.id).products == 1
    with db.read() as s:
        assert needs_installation(s, [saved.id]) == ["RK-100"]  # the family's flag
    svc.save_family(db, prod, replace(svc.family(db, prod, made.id).form(), needs_installation=False))
    with db.read() as s:
        assert needs_installation(s, [saved.id]) == []


def _families(db) -> list[tuple[str, str]]:
    with db.read() as s:
        return [(f.code, f.name) for f in s.execute(select(ProductFamily).order_by(ProductFamily.id)).scalars()]


def test_ensure_default_gives_an_empty_firm_one_family_once_and_its_first_product_saves(db) -> None:
    admin = Actor("root", "admin", "Ruth Admin", workstation="desk-1")
    first = db.write(admin, lambda uow: svc.ensure_default(uow.session))
    again = db.write(admin, lambda uow: svc.ensure_default(uow.session))
    assert first == again and _families(db) == [("GENERAL", "General")]
    with db.read() as s:
        family = s.get(ProductFamily, first)
        assert family is not None and not family.needs_installation and family.updated_by == "root"
        assert s.execute(select(AuditLog).where(AuditLog.entity == "product_family")).scalars().all()
    made = products.save_product(db, admin, ProductForm("FIRST-1", "Our first product", first))
    assert made.family == "General"
    with db.read() as s:
        assert s.execute(select(func.count()).select_from(Product)).scalar() == 1


def test_ensure_default_leaves_a_firm_with_families_alone(demo) -> None:
    db, actor = demo
    before = _families(db)
    ident = db.write(actor("admin"), lambda uow: svc.ensure_default(uow.session))
    assert _families(db) == before
    assert ident == min(svc.families(db, actor("admin")), key=lambda r: r.id).id  # the first family
    general = _new(db, actor("production"), code="general", name="General")
    assert db.write(actor("admin"), lambda uow: svc.ensure_default(uow.session)) == general.id
