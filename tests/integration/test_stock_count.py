"""Stock counts (issue 20): the products window's Count stock… and the stock import follow one
rule — a count ≥ 0, whole for pieces, the difference booked as a 'count' movement, reservations
left alone — on SQLite and PostgreSQL (the ``demo`` fixture)."""

from __future__ import annotations

import threading
from decimal import Decimal as D
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from app.errors import ConflictError, PermissionDenied, ValidationError
from app.exchange import importer
from app.models import Product, StockMovement
from app.services import stock


def _product(db, sku: str | None = None) -> Product:
    with db.read() as s:
        q = select(Product).where(Product.active.is_(True), Product.make_to_stock.is_(True))
        if sku:
            q = q.where(Product.sku == sku)
        return s.scalars(q.order_by(Product.sku)).first()


def _moves(db, product_id: int) -> list[tuple[D, str, str | None, str]]:
    with db.read() as s:
        return [tuple(r) for r in s.execute(select(StockMovement.quantity, StockMovement.reason,
                                                   StockMovement.reference, StockMovement.user)
                                            .where(StockMovement.product_id == product_id)
                                            .order_by(StockMovement.id))]


def test_a_count_sets_stock_on_hand_and_books_the_difference(demo) -> None:
    db, actor = demo
    p = _product(db)
    before = len(_moves(db, p.id))
    done = stock.count_stock(db, actor("production"), p.id, str(p.stock_on_hand + 7), "annual count", version=p.version)
    assert done.before == p.stock_on_hand and done.counted == p.stock_on_hand + 7 and done.difference == 7
    assert _product(db, p.sku).stock_on_hand == p.stock_on_hand + 7
    assert _product(db, p.sku).stock_reserved == p.stock_reserved  # reservations are not counted
    assert _moves(db, p.id)[before:] == [(D(7), "count", "annual count", "production")]
    # the same count again books nothing
    stock.count_stock(db, actor("production"), p.id, p.stock_on_hand + 7)
    assert len(_moves(db, p.id)) == before + 1


def test_a_count_below_what_is_reserved_is_saved_and_says_the_shortfall(demo) -> None:
    db, actor = demo
    with db.read() as s:
        p = s.scalars(select(Product).where(Product.stock_reserved > 0).order_by(Product.sku)).first()
    assert p is not None, "the demo reserves stock for open orders"
    done = stock.count_stock(db, actor("production"), p.id, "0")
    assert done.counted == 0 and done.short == p.stock_reserved


@pytest.mark.parametrize(("typed", "field", "words"), [
    ("-3", "counted", "cannot be negative"),
    ("2.5", "counted", "whole"),
    ("lots", "counted", "not a quantity"),
    ("NaN", "counted", "not a quantity"),
])
def test_bad_counts_are_refused_at_the_field_and_nothing_changes(demo, typed: str, field: str, words: str) -> None:
    db, actor = demo
    p = _product(db)
    with pytest.raises(ValidationError) as err:
        stock.count_stock(db, actor("production"), p.id, typed)
    assert [pr.field for pr in err.value.problems] == [field] and words in err.value.problems[0].reason
    assert _product(db, p.sku).stock_on_hand == p.stock_on_hand


def test_a_hostile_note_is_refused(demo) -> None:
    db, actor = demo
    p = _product(db)
    with pytest.raises(ValidationError) as err:
        stock.count_stock(db, actor("production"), p.id, "3", "shelf\x00A")
    assert [pr.field for pr in err.value.problems] == ["note"]


def test_sales_may_not_count_and_a_stale_form_conflicts(demo) -> None:
    db, actor = demo
    p = _product(db)
    with pytest.raises(PermissionDenied):
        stock.count_stock(db, actor("sales"), p.id, "3")
    stock.count_stock(db, actor("production"), p.id, str(p.stock_on_hand + 1), version=p.version)
    with pytest.raises(ConflictError):
        stock.count_stock(db, actor("management"), p.id, "3", version=p.version)


def test_two_desks_counting_at_once_leave_movements_that_add_up(demo) -> None:
    db, actor = demo
    p = _product(db)
    before = sum(m[0] for m in _moves(db, p.id))
    gate = threading.Barrier(2)
    errors: list[BaseException] = []

    def desk(qty: int) -> None:
        gate.wait()
        try:
            stock.count_stock(db, actor("production"), p.id, str(qty))
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=desk, args=(q,)) for q in (40, 55)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    on_hand = _product(db, p.sku).stock_on_hand
    assert on_hand in (40, 55)
    # whichever came second booked its difference against what the first had written
    assert p.stock_on_hand + sum(m[0] for m in _moves(db, p.id)) - before == on_hand


def test_the_stock_import_follows_the_same_rule(demo, tmp_path: Path) -> None:
    db, actor = demo
    p = _product(db)
    wb = Workbook()
    ws = wb.active
    ws.append(["SKU", "On hand"])
    ws.append([p.sku, 2.5])
    path = tmp_path / "stock.xlsx"
    wb.save(path)
    plan = importer.dry_run(db, actor("production"), "stock", path)
    assert not plan.ok
    assert any(pr.row == 2 and pr.column == "B" and "whole" in pr.reason for pr in plan.problems), \
        plan.problems
    ws["B2"] = int(p.stock_on_hand) + 4
    wb.save(path)
    plan = importer.dry_run(db, actor("production"), "stock", path)
    assert plan.ok, plan.problems
    importer.run_import(db, actor("production"), plan)
    assert _moves(db, p.id)[-1] == (D(int(p.stock_on_hand) + 4) - p.stock_on_hand, "count", "Excel import",
                                    "production")
