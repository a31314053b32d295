"""Customers (issue 20): create, edit with contacts and addresses, the checks that name a field
(duplicate code, VAT numbers per country, terms, credit limit, e-mail, one invoice contact), what
sales may not change, two desks on one customer, archive and restore. On the demo company, on
SQLite and, when configured, PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from app.errors import ConflictError, PermissionDenied, UserError, ValidationError
from app.models import AuditLog, Customer, CustomerContact, SalesOrder
from app.services import customers as svc
from app.services import queries
from app.services.customers import AddressForm, ContactForm, CustomerForm
from app.services.order_views import search_customers
from app.services.settings import set_setting

BILLING = AddressForm("Hauptstraße 5", "", "1010", "Wien", "", "AT")


def _fields(exc: ValidationError) -> set[str | None]:
    return {p.field for p in exc.problems}


def _new(db, actor, **kw) -> svc.CustomerView:
    form = CustomerForm(**{"code": "alpen", "name": "Alpen Stahl GmbH", "billing": BILLING, **kw})
    return svc.save_customer(db, actor, form)


def test_sales_creates_a_customer_with_two_contacts_and_the_firms_terms(demo) -> None:
    db, actor = demo
    boss, sales = actor("management"), actor("sales")
    set_setting(db, boss, "default_payment_terms_days", 21)
    made = _new(db, sales, vat_number="ATU 1358 5627", email="office@alpen.example", phone="+43 1 234",
                salesperson_id=sales.user_id,
                contacts=[ContactForm("Eva Huber", "buyer", "eva@alpen.example"),
                          ContactForm("Karl Berger", "accounts", "ap@alpen.example", for_invoices=True)],
                delivery=AddressForm("Werkstraße 1", "", "4020", "Linz", "Oberösterreich", "at"))
    assert made.code == "ALPEN" and made.payment_terms_days == 21 and made.vat_number == "ATU13585627"
    assert [c.name for c in made.contacts] == ["Eva Huber", "Karl Berger"]
    assert [c.for_invoices for c in made.contacts] == [False, True]
    assert made.billing.city == "Wien" and made.delivery.region == "Oberösterreich" and made.delivery.country == "AT"
    again = svc.customer(db, sales, made.id)
    assert again == made
    rows = svc.customers(db, sales, "alpen")
    assert [r.code for r in rows] == ["ALPEN"] and rows[0].city == "Wien" and rows[0].salesperson
    assert [r.code for r in svc.customers(db, sales, "wien")] == ["ALPEN"]  # found by city too
    with db.read() as s:  # audited as every unit of work audits
        assert s.execute(select(AuditLog).where(AuditLog.entity == "customer_contact")).scalars().all()


def test_edit_keeps_updates_and_removes_contacts_and_addresses(demo) -> None:
    db, actor = demo
    sales = actor("sales")
    made = _new(db, sales, contacts=[ContactForm("Eva Huber"), ContactForm("Karl Berger")])
    eva, karl = made.contacts
    form = replace(made.form(), name="Alpen Stahl AG", notes="gate 3",
                   contacts=[ContactForm("Eva Huber-Moser", "head buyer", id=eva.id),
                             ContactForm("Lena Wolf", "site", "lena@alpen.example", for_invoices=True)],
                   delivery=AddressForm("Werkstraße 1", "", "4020", "Linz", "", "AT"))
    saved = svc.save_customer(db, sales, form)
    assert saved.name == "Alpen Stahl AG" and saved.notes == "gate 3" and saved.version > made.version
    assert [(c.name, c.role) for c in saved.contacts] == [("Eva Huber-Moser", "head buyer"), ("Lena Wolf", "site")]
    assert saved.contacts[0].id == eva.id  # kept, not replaced
    with db.read() as s:
        assert s.get(CustomerContact, karl.id) is None
    cleared = svc.save_customer(db, sales, replace(saved.form(), delivery=AddressForm()))
    assert cleared.delivery == AddressForm() and cleared.billing.city == "Wien"


def test_duplicate_code_is_refused_naming_who_has_it(demo) -> None:
    db, actor = demo
    sales = actor("sales")
    with db.read() as s:
        code, name = s.execute(select(Customer.code, Customer.name).order_by(Customer.id).limit(1)).one()
    with pytest.raises(ValidationError) as err:
        _new(db, sales, code=f" {code.lower()} ")
    assert err.value.problems[0].field == "code"
    assert f"customer code {code} is already taken by {name}" in str(err.value)


def test_all_problems_are_named_at_their_fields(demo) -> None:
    db, actor = demo
    with pytest.raises(ValidationError) as err:
        svc.save_customer(db, actor("sales"), CustomerForm(
            code="", name=" ", payment_terms_days="400", credit_limit="-5", email="not mail",
            contacts=[ContactForm("A", for_invoices=True), ContactForm("B", email="b@", for_invoices=True)],
            billing=AddressForm("1 Road", "", "X1", "Town", "", "UK")))
    assert _fields(err.value) == {"code", "name", "payment_terms_days", "credit_limit", "email", "contacts",
                                  "billing.country"}
    assert "only one contact can receive the invoices" in str(err.value)


def test_a_too_long_or_broken_text_in_a_contact_or_address_names_the_forms_field(demo) -> None:
    db, actor = demo
    with pytest.raises(ValidationError) as err:
        _new(db, actor("sales"), contacts=[ContactForm("Eva", phone="1" * 41)],
             billing=replace(BILLING, city="Wien\nZentrum"))
    assert _fields(err.value) == {"contacts", "billing.city"}
    assert "contact 1 phone: at most 40 characters" in str(err.value)


@pytest.mark.parametrize("typed, country, stored", [
    ("ATU13585627", "AT", "ATU13585627"),
    ("DE 136 695 976", "DE", "DE136695976"),
    ("136695976", "DE", "DE136695976"),  # the prefix comes from the billing country
    ("GB980780684", "GB", "GB980780684"),
    ("  CHE-116.281.710 MWST ", "CH", "CHE-116.281.710 MWST"),  # no checker: as typed, trimmed
    ("EL094259216", "GR", "EL094259216"),
    ("094259216", "GR", "EL094259216"),
])
def test_valid_vat_numbers_are_accepted(demo, typed: str, country: str, stored: str) -> None:
    db, actor = demo
    made = _new(db, actor("management"), vat_number=typed, billing=replace(BILLING, country=country))
    assert made.vat_number == stored


@pytest.mark.parametrize("typed, country", [("ATU13585628", "AT"), ("DE136695977", "DE"), ("GB980780685", "GB"),
                                            ("QQ136695976", "DE"), ("12345", "AT")])
def test_an_invalid_vat_number_is_refused_at_the_field(demo, typed: str, country: str) -> None:
    db, actor = demo
    with pytest.raises(ValidationError) as err:
        _new(db, actor("sales"), vat_number=typed, billing=replace(BILLING, country=country))
    assert _fields(err.value) == {"vat_number"} and "not a valid" in str(err.value)


def test_sales_may_not_change_the_credit_limit_or_tier_management_may(demo) -> None:
    db, actor = demo
    sales, boss = actor("sales"), actor("management")
    made = _new(db, sales)
    assert made.credit_limit == 0 and made.tier == "B"
    with pytest.raises(PermissionDenied, match="credit limit"):
        svc.save_customer(db, sales, replace(made.form(), credit_limit="5000"))
    with pytest.raises(PermissionDenied, match="tier"):
        svc.save_customer(db, sales, replace(made.form(), tier="A"))
    with pytest.raises(PermissionDenied, match="credit limit"):
        _new(db, sales, code="NEWCO", credit_limit=D(100))
    raised = svc.save_customer(db, boss, replace(made.form(), credit_limit="5,000.00", tier="a"))
    assert raised.credit_limit == D("5000.00") and raised.tier == "A"
    # sales still edits everything else, the limit as it stands
    renamed = svc.save_customer(db, sales, replace(raised.form(), name="Alpen Stahl AG"))
    assert renamed.credit_limit == D("5000.00") and renamed.name == "Alpen Stahl AG"
    with pytest.raises(PermissionDenied):
        svc.save_customer(db, actor("shipping"), replace(renamed.form(), name="x"))
    assert not svc.may_set_credit(sales) and svc.may_set_credit(boss)


def test_a_stale_version_is_a_conflict_and_nothing_is_overwritten(demo) -> None:
    db, actor = demo
    sales, boss = actor("sales"), actor("management")
    made = _new(db, sales)
    svc.save_customer(db, boss, replace(made.form(), phone="+43 1 999"))
    with pytest.raises(ConflictError) as err:
        svc.save_customer(db, sales, replace(made.form(), name="Mine"))
    assert err.value.changed_by == boss.username
    now = svc.customer(db, sales, made.id)
    assert now.phone == "+43 1 999" and now.name == "Alpen Stahl GmbH"


def test_archive_is_refused_while_orders_are_open_and_names_them(demo) -> None:
    db, actor = demo
    sales = actor("sales")
    with db.read() as s:
        cid = s.execute(select(SalesOrder.customer_id).where(SalesOrder.status.in_(svc.OPEN_STATUSES))).scalar()
        assert cid is not None
        numbers = svc.open_orders(s, cid)
    with pytest.raises(UserError) as err:
        svc.archive_customer(db, sales, cid)
    assert "cannot be archived" in err.value.message and numbers[0] in err.value.message
    assert svc.customer(db, sales, cid).active


def test_archive_and_restore(demo) -> None:
    db, actor = demo
    sales = actor("sales")
    made = _new(db, sales)
    gone = svc.archive_customer(db, sales, made.id, version=made.version)
    assert not gone.active
    assert made.id not in {c[0] for c in queries.customers(db, sales)}  # not offered in order entry
    assert not search_customers(db, sales, "ALPEN")
    assert not svc.customers(db, sales, "alpen")
    assert [r.code for r in svc.customers(db, sales, "alpen", include_archived=True)] == ["ALPEN"]
    back = svc.restore_customer(db, sales, made.id, version=gone.version)
    assert back.active and search_customers(db, sales, "ALPEN")[0][0] == made.id
