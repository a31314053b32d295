"""Product families: the groups every product belongs to (issue 20). Qt-free.

A product cannot be saved without a family (``Product.family_id`` is required), the Excel import
looks a product's family up by its CODE ("no product family 'X'"), planning filters and totals by
family, promotions may cover a whole family, and a family's "installed on site" flag makes every
product in it need installing: the first shipment of an order with such a product creates the
order's installation job (``service_jobs.needs_installation`` and ``on_shipment`` read the
product's flag OR its family's). A new firm starts with none, so this module is how it gets its
first (``ensure_default`` gives the new-firm wizard a "GENERAL" family).

- ``families`` lists them by code (search by code or name), each with how many products it holds
  (archived ones counted apart: they keep a family too); ``family`` reads one with the
  ``version`` the form sends back when it saves.
- ``save_family`` creates or updates one in ONE unit of work. Permission ``products.edit``
  (production, management, the administrator); reading needs ``orders.view``. A form opened at
  version *n* of a family someone else has saved since gets ``ConflictError`` (nothing is
  overwritten); the unit of work audits every field.
- Every problem of the input is a ``Problem`` naming the form's field, all of them at once:
  ``code`` — required, stored upper-cased, at most ``CODE_LIMIT`` characters, only the letters
  A–Z, digits, "-" and "_" (it is typed into import sheets and offered in their drop-downs), not
  already another family's (case-insensitively); ``name`` — required, one line, at most 200
  characters, not already another family's (planning's family filter shows names only).
  A code that is unchanged up to its case is not checked again (a family from an older import
  keeps working). Renaming the code is allowed: products refer to the family row, not to the
  code; only the next import sheets must use the new code.
- Changing "installed on site" counts from the next shipment on: installation jobs already
  created stay, and an order that already shipped does not get one.
- ``delete_family`` deletes a family no product uses (archived products too: they still point at
  it); otherwise it is refused naming up to ten SKUs and how many more. A promotion that covers
  the family (it could only concern products that are no longer there) goes with it, audited.
  There is no archive: the table has no ``active`` column.
- ``ensure_default(session)`` inside someone's unit of work: a firm without any family gets
  ``GENERAL`` ("General"); returns the firm's default family's id either way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from app.actor import Actor
from app.db.hygiene import text_problem
from app.db.uow import Database, UnitOfWork
from app.errors import Problem, UserError, ValidationError
from app.models import Product, ProductFamily, Promotion
from app.services.master_data import like, listed, plural
from app.services.permissions import require

VIEW = "orders.view"
EDIT = "products.edit"
CODE_LIMIT = 32  # product_family.code is String(32)
NAME_LIMIT = 200  # product_family.name is String(200)
_CODE_CHARS = re.compile(r"[A-Z0-9_-]")
DEFAULT_CODE, DEFAULT_NAME = "GENERAL", "General"  # what a new firm starts with (``ensure_default``)


# --- what the screens get and send ----------------------------------------------------------------
@dataclass(frozen=True)
class FamilyRow:
    """One line of the families list; ``version`` goes back with a delete."""

    id: int
    version: int
    code: str
    name: str
    needs_installation: bool
    products: int  # every product in the family, archived ones included
    archived: int  # of these, how many are archived

    @property
    def active(self) -> bool:
        """Families are never archived (the list window asks every row)."""
        return True


@dataclass(frozen=True)
class FamilyForm:
    """What the family form sends. ``id`` None: a new family; else ``version`` is the version the
    form was opened at."""

    code: str
    name: str
    needs_installation: bool = False
    id: int | None = None
    version: int | None = None


@dataclass(frozen=True)
class FamilyView:
    """One family as the form shows it; ``version`` goes back with the save."""

    id: int
    version: int
    code: str
    name: str
    needs_installation: bool
    products: int
    updated_by: str

    def form(self) -> FamilyForm:
        """The same family as a form would send it unchanged."""
        return FamilyForm(self.code, self.name, self.needs_installation, self.id, self.version)


# --- reading ------------------------------------------------------------------------------------------
def _counts(s: Session, ids: list[int] | None = None) -> dict[int, tuple[int, int]]:
    """(products, archived products) per family id."""
    q = select(Product.family_id, func.count(), func.sum(case((Product.active.is_(False), 1), else_=0))) \
        .group_by(Product.family_id)
    if ids is not None:
        q = q.where(Product.family_id.in_(ids))
    counts: dict[int, tuple[int, int]] = {}
    for row in s.execute(q).all():
        fid, n, archived = row[0], row[1], row[2]
        counts[int(fid)] = (int(n), int(archived or 0))
    return counts


def families(db: Database, actor: Actor, search: str = "", limit: int = 2000) -> list[FamilyRow]:
    """The families whose code or name contains ``search``, by code, with their product counts."""
    require(actor, VIEW)
    text = like(search.strip().lower())
    with db.read() as s:
        q = select(ProductFamily).order_by(ProductFamily.code).limit(limit)
        if text:
            pattern = f"%{text}%"
            q = q.where(or_(func.lower(ProductFamily.code).like(pattern, escape="\\"),
                            func.lower(ProductFamily.name).like(pattern, escape="\\")))
        found = list(s.execute(q).scalars())
        counts = _counts(s, [f.id for f in found]) if found else {}
        return [FamilyRow(f.id, f.version, f.code, f.name, f.needs_installation, *counts.get(f.id, (0, 0)))
                for f in found]


def _view(s: Session, f: ProductFamily) -> FamilyView:
    n = _counts(s, [f.id]).get(f.id, (0, 0))[0]
    return FamilyView(f.id, f.version, f.code, f.name, f.needs_installation, n, f.updated_by)


def family(db: Database, actor: Actor, id: int) -> FamilyView:
    """One family, with how many products it holds."""
    require(actor, VIEW)
    with db.read() as s:
        f = s.get(ProductFamily, id)
        if f is None:
            raise UserError(f"Product family #{id} does not exist (any more).",
                            hint="Someone deleted it meanwhile: reload the list.")
        return _view(s, f)


def family_products(s: Session, family_id: int) -> list[str]:
    """The SKUs of every product in the family (archived ones too), by SKU."""
    return list(s.execute(select(Product.sku).where(Product.family_id == family_id).order_by(Product.sku)).scalars())


# --- checking what was typed ----------------------------------------------------------------------
def code_problem(code: str) -> str | None:
    """Why ``code`` (trimmed and upper-cased) cannot be a family code (None: it can)."""
    if not code:
        return "the family code is required"
    why = text_problem(code, CODE_LIMIT)
    if why:
        return why
    for pos, ch in enumerate(code, start=1):
        if not _CODE_CHARS.fullmatch(ch):
            shown = "a space" if ch == " " else f"'{ch}'"
            return (f"a family code has only the letters A–Z, digits, '-' and '_' ({shown} at position {pos}): "
                    "it is typed into import sheets")
    return None


def _checked(s: Session, form: FamilyForm, current: ProductFamily | None) -> tuple[dict[str, object], list[Problem]]:
    """The family's values as they will be stored, and every problem of the form."""
    problems: list[Problem] = []
    code = form.code.strip().upper()
    unchanged = current is not None and code == current.code.upper()
    why = None if unchanged and code else code_problem(code)
    if why:
        problems.append(Problem(why, field="code"))
    else:
        q = select(ProductFamily.name).where(func.upper(ProductFamily.code) == code)
        if current is not None:
            q = q.where(ProductFamily.id != current.id)
        taken = s.execute(q).scalar()
        if taken is not None:
            problems.append(Problem(f"family code {code} is already taken by {taken}", field="code"))
    name = form.name.strip()
    if not name:
        problems.append(Problem("the name is required", field="name"))
    elif why := text_problem(name, NAME_LIMIT):
        problems.append(Problem(why, field="name"))
    else:
        q = select(ProductFamily.code).where(func.lower(ProductFamily.name) == name.lower())
        if current is not None:
            q = q.where(ProductFamily.id != current.id)
        other = s.execute(q).scalar()
        if other is not None:
            problems.append(Problem(f"the family {other} already has the name {name}: planning's filters show "
                                    "families by name", field="name"))
    return {"code": code, "name": name, "needs_installation": bool(form.needs_installation)}, problems


# --- writing --------------------------------------------------------------------------------------
def save_family(db: Database, actor: Actor, form: FamilyForm) -> FamilyView:
    """Create (``form.id`` None) or update a family; returns it as saved (see the module's text)."""
    require(actor, EDIT)

    def run(uow: UnitOfWork) -> FamilyView:
        s = uow.session
        current = None if form.id is None else uow.get(ProductFamily, form.id, expected_version=form.version)
        values, problems = _checked(s, form, current)
        if problems:
            raise ValidationError(problems)
        f = current or uow.add(ProductFamily(**values))
        for key, value in values.items():
            if getattr(f, key, None) != value:
                setattr(f, key, value)
        uow.flush()
        return _view(s, f)

    return db.write(actor, run)


def delete_family(db: Database, actor: Actor, id: int, *, version: int | None = None) -> None:
    """Delete a family no product uses (refused naming the products otherwise); ``version``: the
    version the list read (``ConflictError`` when someone changed it since)."""
    require(actor, EDIT)

    def run(uow: UnitOfWork) -> None:
        s = uow.session
        f = uow.get(ProductFamily, id, expected_version=version)
        skus = family_products(s, id)
        if skus:
            raise UserError(f"The product family {f.code} ({f.name}) cannot be deleted: {plural(len(skus), 'product')} "
                            f"{'is' if len(skus) == 1 else 'are'} in it: {listed(skus)}.",
                            hint="Move those products to another family first (Family in each product's form), "
                                 "then delete this one.")
        promotions = list(s.execute(select(Promotion).where(Promotion.family_id == id)).scalars())
        for promo in promotions:  # it can only concern products no longer there; audited (the database's cascade
            s.delete(promo)       # would not be), and first: the flush does not know they hang on the family
        if promotions:
            uow.flush()
        s.delete(f)
        uow.flush()

    db.write(actor, run)


def ensure_default(session: Session) -> int:
    """Inside a unit of work (the new-firm wizard's): a firm without any product family gets
    ``GENERAL`` ("General", not installed on site), so its first product can be saved and its first
    import finds a family. Returns the default family's id: GENERAL's when there is one, else the
    first family's. Running it again creates nothing."""
    general = session.execute(select(ProductFamily.id).where(func.upper(ProductFamily.code) == DEFAULT_CODE)).scalar()
    if general is not None:
        return int(general)
    first = session.execute(select(ProductFamily.id).order_by(ProductFamily.id).limit(1)).scalar()
    if first is not None:
        return int(first)
    made = ProductFamily(code=DEFAULT_CODE, name=DEFAULT_NAME, needs_installation=False)
    session.add(made)
    session.flush()
    return made.id
