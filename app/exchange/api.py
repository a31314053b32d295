"""Export and template entry points (the tabs, the command line and the tests use these)."""

from __future__ import annotations

from pathlib import Path

from app.progress import TaskState
from app.db.uow import Actor, Database
from app.exchange.kinds import kind
from app.exchange.writing import write_table, write_template
from app.services.permissions import require
from app.services.settings import load_settings


def export_kind(db: Database, actor: Actor, kind_name: str, target: Path | str, *,
                state: TaskState | None = None) -> int:
    """Everything of a kind to .xlsx (streamed). Returns the rows written."""
    k = kind(kind_name)
    require(actor, k.export_permission)
    with db.read() as s:  # money in the firm's currency as saved, whichever desk or command exports
        firm = load_settings(s)
        return write_table(target, k.title, k.columns(), k.export(s, actor), state=state, currency=firm.currency,
                           locale=firm.locale)


def template(db: Database, actor: Actor, kind_name: str, target: Path | str) -> Path:
    k = kind(kind_name)
    require(actor, k.import_permission or k.export_permission)
    with db.read() as s:
        lists = k.choice_lists(s)
        if any(f.lookup == "sku" for f in k.fields):
            from sqlalchemy import select

            from app.models import Product

            lists["sku"] = list(s.scalars(select(Product.sku).order_by(Product.sku).limit(5000)))
        if any(f.lookup == "customer" for f in k.fields):
            from sqlalchemy import select

            from app.models import Customer

            lists["customer"] = list(s.scalars(select(Customer.code).order_by(Customer.code).limit(5000)))
    return write_template(target, k, lists)
