"""Products (issue 20): create with a BOM and a routing, edit in place, the checks that name a field
(duplicate SKU, a unit not in the list, a negative price, a BOM that contains its own product —
directly or two levels deep —, a routing step on an archived work centre), who may change what
(management the prices, production the BOM and the routing), two desks on one product, archive
refused while the product is on open orders, archive and restore. On the demo company, on SQLite
and, when configured, PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from app.errors import ConflictError, PermissionDenied, UserError, ValidationError
from app.models import AuditLog, Product, SalesOrder, SalesOrderLine, WorkCenter
from app.services import products as svc
from app.services.customers import OPEN_STATUSES
from app.services.products import BomLineForm, OperationForm, PriceBreakForm, ProductForm


def _fields(exc: ValidationError) -> set[str | None]:
    return {p.field for p in exc.problems}


def _ids(db, actor):
    c = svc.choices(db, actor("production"))
    return c, {x.code: x.id for x in c.work_centers}, {x.code: x.id for x in c.skills}, \
        {x.code: x.id for x in c.materials}


def _form(db, actor, **kw) -> ProductForm:
    c, wc, sk, mat = _ids(db, actor)
    base = dict(sku="BR-100", name="Wall bracket 100", family_id=c.families[0].id, unit="pcs",
                bom=[BomLineForm("material", mat["STL-SHEET-2"], "2.5")],
                routing=[OperationForm("Laser cut", wc["LASER"], sk["laser"], "10", "1.5"),
                         OperationForm("Powder coat", wc["COAT"], sk["coating"], 20, "0.5")])
    return ProductForm(**{**base, **kw})


def test_production_creates_a_product_with_a_bom_and_a_routing_management_prices_it(demo) -> None:
    db, actor = demo
    made = svc.save_product(db, actor("production"), _form(db, actor, location="B-02-1", make_to_stock=False,
                                                          needs_installation=True))
    assert made.sku == "BR-100" and made.list_price == 0 and not made.make_to_stock and made.needs_installation
    assert [(b.code, b.quantity) for b in made.bom] == [("STL-SHEET-2", D("2.5"))]
    assert [(o.seq, o.name, o.work_center) for o in made.routing] == [(10, "Laser cut", "LASER"),
                                                                    (20, "Powder coat", "COAT")]
    assert svc.product(db, actor("sales"), made.id) == made
    priced = svc.save_product(db, actor("management"), replace(
        made.form(), list_price="24.50", standard_cost="9.10",
        price_breaks=[PriceBreakForm(10, 5), PriceBreakForm("50", "7.5")]))
    assert priced.list_price == D("24.50") and priced.standard_cost == D("9.10")
    assert [(b.min_quantity, b.discount_percent) for b in priced.price_breaks] == [(D(10), D(5)), (D(50), D("7.5"))]
    assert priced.version > made.version
    assert [r.sku for r in svc.products(db, actor("sales"), "wall bracket")] == ["BR-100"]
    with db.read() as s:
        assert s.execute(select(AuditLog).where(AuditLog.entity == "routing_operation")).scalars().all()


def test_routing_edited_in_place_keeps_rows_and_moves_the_version(demo) -> None:
    db, actor = demo
    prod = actor("production")
    made = svc.save_product(db, prod, _form(db, actor))
    _c, wc, sk, _m = _ids(db, actor)
    cut, coat = made.form().routing
    saved = svc.save_product(db, prod, replace(made.form(), routing=[
        OperationForm("Bend", wc["BRAKE"], sk["bending"], 5, 1), replace(coat, run_minutes="0.8"), cut]))
    assert [(o.seq, o.name) for o in saved.routing] == [(10, "Bend"), (20, "Powder coat"), (30, "Laser cut")]
    assert saved.routing[2].id == cut.id and saved.routing[1].run_minutes == D("0.8")
    assert saved.version > made.version  # only the routing changed: the product's version moved all the same


def test_bad_input_is_named_at_its_field_and_nothing_is_saved(demo) -> None:
    db, actor = demo
    with db.read() as s:
        sku, name = s.execute(select(Product.sku, Product.name).order_by(Product.id).limit(1)).one()
        count = len(s.execute(select(Product.id)).all())
    with pytest.raises(ValidationError) as err:
        svc.save_product(db, actor("management"), _form(
            db, actor, sku=sku.lower(), unit="barrels", list_price="-1", bom=[], routing=[]))
    assert _fields(err.value) == {"sku", "unit", "list_price"}
    assert f"SKU {sku.lower()} is already taken by {name}" in str(err.value)
    assert "'barrels' is not a unit in the list" in str(err.value)
    assert "a price cannot be negative" in str(err.value)
    with db.read() as s:
        assert len(s.execute(select(Product.id)).all()) == count


def test_a_routing_step_on_an_archived_work_centre_is_refused(demo) -> None:
    db, actor = demo
    with db.uow(actor("admin")) as uow:
        wc = uow.session.execute(select(WorkCenter).where(WorkCenter.code == "WELD2")).scalar_one()
        wc.active = False
        uow.commit()
    _c, _wc, sk, _m = _ids(db, actor)
    with pytest.raises(ValidationError) as err:
        svc.save_product(db, actor("production"), _form(db, actor, routing=[
            OperationForm("Weld", wc.id, sk["welding"], 5, 5)]))
    assert _fields(err.value) == {"routing"}
    assert "work centre WELD2 is archived" in str(err.value)


def test_a_bom_that_contains_its_own_product_is_refused_directly_and_two_levels_deep(demo) -> None:
    db, actor = demo
    prod = actor("production")
    a = svc.save_product(db, prod, _form(db, actor, sku="ASM-A", bom=[], routing=[]))
    b = svc.save_product(db, prod, _form(db, actor, sku="ASM-B", bom=[BomLineForm("product", a.id, 2)], routing=[]))
    c = svc.save_product(db, prod, _form(db, actor, sku="ASM-C", bom=[BomLineForm("product", b.id, 1)], routing=[]))
    assert [(x.kind, x.code) for x in c.bom] == [("product", "ASM-B")]
    with pytest.raises(ValidationError) as err:  # A ← B ← C, and now A would contain C
        svc.save_product(db, prod, replace(a.form(), bom=[BomLineForm("product", c.id, 1)]))
    assert _fields(err.value) == {"bom"}
    assert "contains its own product: ASM-A → ASM-C → ASM-B → ASM-A" in str(err.value)
    with pytest.raises(ValidationError) as err:
        svc.save_product(db, prod, replace(a.form(), bom=[BomLineForm("product", a.id, 1)]))
    assert "a product cannot contain itself" in str(err.value)
    assert svc.product(db, prod, a.id).bom == ()  # nothing saved


def test_management_sets_prices_production_the_bom_and_routing(demo) -> None:
    db, actor = demo
    with pytest.raises(PermissionDenied, match="list price"):
        svc.save_product(db, actor("production"), _form(db, actor, list_price="10"))
    with pytest.raises(PermissionDenied, match="bill of materials or routing"):
        svc.save_product(db, actor("management"), _form(db, actor))
    with pytest.raises(PermissionDenied):
        svc.save_product(db, actor("sales"), _form(db, actor, bom=[], routing=[]))
    made = svc.save_product(db, actor("management"), _form(db, actor, bom=[], routing=[], list_price="12"))
    # management renames it: the routing (empty) is untouched, so this goes through
    assert svc.save_product(db, actor("management"), replace(made.form(), name="Bracket")).name == "Bracket"


def test_two_desks_on_one_product_conflict(demo) -> None:
    db, actor = demo
    prod = actor("production")
    made = svc.save_product(db, prod, _form(db, actor))
    svc.save_product(db, prod, replace(made.form(), routing=made.form().routing[:1]))
    with pytest.raises(ConflictError):
        svc.save_product(db, actor("management"), replace(made.form(), name="Renamed"))
    assert svc.product(db, prod, made.id).name == "Wall bracket 100"


def test_archive_is_refused_naming_the_open_orders_then_allowed_and_restored(demo) -> None:
    db, actor = demo
    boss = actor("management")
    with db.read() as s:
        pid, number = s.execute(select(SalesOrderLine.product_id, SalesOrder.number).join(
            SalesOrder, SalesOrder.id == SalesOrderLine.order_id).where(SalesOrder.status.in_(OPEN_STATUSES))
            .limit(1)).one()
    with pytest.raises(UserError) as err:
        svc.archive_product(db, boss, pid)
    assert "cannot be archived" in str(err.value) and number in str(err.value)
    made = svc.save_product(db, boss, _form(db, actor, bom=[], routing=[]))
    gone = svc.archive_product(db, boss, made.id)
    assert not gone.active
    assert made.id not in {r.id for r in svc.products(db, boss, "BR-100")}
    assert made.id in {r.id for r in svc.products(db, boss, "BR-100", include_archived=True)}
    assert made.id not in {x.id for x in svc.choices(db, boss).products}
    assert svc.restore_product(db, boss, made.id).active


def test_a_new_product_starts_at_the_firms_default_vat_rate(demo) -> None:
    from app.services.settings import set_setting

    db, actor = demo
    assert svc.choices(db, actor("production")).default_tax_percent == D(20)
    set_setting(db, actor("admin"), "default_tax_rate", "0.19")
    assert svc.choices(db, actor("production")).default_tax_percent == D(19)
