"""A new firm on a new, empty database (issue 20, item 4): services.firm_setup and `ordercycle new-firm`.

The service tests run on every backend of the ``db`` fixture (SQLite file; PostgreSQL when
ORDERCYCLE_TEST_PG_URL is set); the command-line tests on SQLite files."""

from __future__ import annotations

from decimal import Decimal as D

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.db.uow import Database
from app.errors import UserError, ValidationError
from app.main import main
from app.models import AuditLog, NumberSequence, Setting, User
from app.models.base import Base
from app.services import auth, firm_calendar, numbers
from app.services.firm_setup import FirmSetup, SeriesStart, check, new_firm, suggest
from app.services.settings import get_settings, load_settings

PASSWORD = "correct horse battery"
DE_VAT = "DE 136 695 976"  # python-stdnum's own example of a valid German VAT number
DE_IBAN = "DE89 3704 0044 0532 0130 00"


def german_firm(**changes: Any) -> FirmSetup:
    setup = suggest("DE", FirmSetup(
        firm_name="Muster Metallbau GmbH", address_lines=("Industriestraße 12",), postcode="80331", city="München",
        region="Bayern", holiday_region="BY", vat_number=DE_VAT, bank="Commerzbank", iban=DE_IBAN, bic="COBADEFFXXX",
        admin_username="anna", admin_full_name="Anna Adler", admin_password=PASSWORD,
        numbering={"invoice": SeriesStart("RE-2027-", 412)}))
    return dataclasses.replace(setup, **changes)


def _count(db: Database, model: type[Base]) -> int:
    with db.read() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def _counters(db: Database) -> dict[str, tuple[str, int]]:
    with db.read() as s:
        return {r.name: (r.prefix, r.next_value) for r in s.execute(select(NumberSequence))
                .scalars()}


def test_suggest_fills_the_countrys_currency_and_time_zone() -> None:
    assert (suggest("de").currency, suggest("de").time_zone) == ("EUR", "Europe/Berlin")
    assert (suggest("GB").currency, suggest("GB").time_zone) == ("GBP", "Europe/London")
    assert (suggest("AT").currency, suggest("AT").time_zone) == ("EUR", "Europe/Vienna")
    assert (suggest("CH").currency, suggest("CH").time_zone) == ("CHF", "Europe/Zurich")
    assert (suggest("US").currency, suggest("US").time_zone) == ("USD", "")  # several zones: the firm chooses
    assert (suggest("ZZ").currency, suggest("ZZ").time_zone) == ("", "")
    assert suggest("PE").time_zone == "America/Lima"  # not in the table: the zone data's only zone of Peru
    kept = suggest("AT", FirmSetup(firm_name="Kept"))
    assert kept.firm_name == "Kept" and kept.country == "AT"


def test_suggest_fills_the_countrys_standard_vat_rate_and_the_firm_gets_it(db) -> None:
    assert (suggest("DE").tax_rate, suggest("AT").tax_rate, suggest("GB").tax_rate) == (D("0.19"), D("0.2"), D("0.2"))
    assert suggest("FI").tax_rate == D("0.255") and suggest("ZZ").tax_rate is None
    assert (suggest("DE").locale, suggest("CH").locale, suggest("ZZ").locale) == ("de_DE", "de_CH", "")
    assert suggest("DE", FirmSetup(tax_rate=D("0.07"))).tax_rate == D("0.07")  # typed: kept
    new_firm(db, german_firm())
    with db.read() as s:
        firm = load_settings(s)
    assert firm.default_tax_rate == D("0.19")  # a German firm's products get 19 %, not 20 %
    assert firm.locale == "de_DE"  # and its amounts read 1.234,50 €


def test_a_german_firm_is_created_in_one_go(db) -> None:
    actor = new_firm(db, german_firm())
    assert (actor.username, actor.role, actor.full_name) == ("anna", "admin", "Anna Adler") and actor.user_id
    with db.read() as s:
        firm = load_settings(s)
    assert firm.firm_name == "Muster Metallbau GmbH"
    assert (firm.country, firm.region, firm.currency, firm.time_zone) == ("DE", "BY", "EUR", "Europe/Berlin")
    assert firm.vat_number == "DE136695976"
    assert dict(firm.bank_details) == {"bank": "Commerzbank", "account_name": "Muster Metallbau GmbH",
                                       "iban": DE_IBAN, "bic": "COBADEFFXXX"}
    assert dict(firm.firm_address) == {"line1": "Industriestraße 12", "postcode": "80331", "city": "München",
                                       "region": "Bayern", "country": "DE"}
    assert not firm.demo_company and auth.sign_in_hint(db) is None  # nothing of the demo company
    # the administrator signs in at any desk
    again = auth.sign_in(db, "anna", PASSWORD, workstation="desk-2")
    assert again.user_id == actor.user_id and again.role == "admin"
    # the invoices continue the old system's series; the others start at 1 with their own prefix
    drawn = db.write(actor, lambda uow: (numbers.next_number(uow.session, "invoice"),
                                         numbers.next_number(uow.session, "invoice"),
                                         numbers.next_number(uow.session, "order")))
    assert drawn == ("RE-2027-000412", "RE-2027-000413", "SO-000001")
    calendar = firm_calendar.get_calendar(db)
    assert (calendar.country, calendar.region) == ("DE", "BY")
    assert calendar.holiday(dt.date(2027, 1, 6))  # Epiphany: a holiday in Bavaria
    assert calendar.holiday(dt.date(2027, 10, 3))  # German Unity Day
    # audited, under the new administrator's name
    with db.read() as s:
        rows = s.execute(select(AuditLog.action, AuditLog.entity, AuditLog.username)).all()
    assert ("new_firm", "setting", "anna") in rows
    assert {r.entity for r in rows} >= {"setting", "app_user", "number_sequence"}
    assert {r.username for r in rows if r.action != "sign_in"} == {"anna"}


def test_every_problem_is_named_at_its_field_and_nothing_is_saved(db) -> None:
    bad = german_firm(firm_name=" ", vat_number="DE 136 695 977", iban="DE89 3704 0044 0532 0130 01", bic="NOPE",
                      admin_username="anna adler", admin_password="short",
                      numbering={"invoice": SeriesStart("SO-", "412a"), "credit_note": SeriesStart("GUTSCHRIFT-")})
    counters = _counters(db)  # a new database has every series at 1 with its own prefix (app.db.migrate)
    with pytest.raises(ValidationError) as err:
        new_firm(db, bad)
    fields = {p.field for p in err.value.problems}
    assert fields == {"firm_name", "vat_number", "iban", "bic", "admin_username", "admin_password",
                      "numbering.invoice.next", "numbering.invoice.prefix", "numbering.credit_note.prefix"}
    assert check(bad) == err.value.problems  # what the wizard shows before it saves
    for model in (User, Setting, AuditLog):
        assert _count(db, model) == 0, model.__tablename__
    assert _counters(db) == counters
    # the same with the firm's country missing or unknown, a region not of the country, a logo that is no image
    with pytest.raises(ValidationError) as err:
        new_firm(db, german_firm(country="", currency=""))
    assert {p.field for p in err.value.problems} == {"country", "currency"}
    with pytest.raises(ValidationError) as err:
        new_firm(db, german_firm(country="XX"))
    assert {p.field for p in err.value.problems} == {"country"}
    with pytest.raises(ValidationError) as err:
        new_firm(db, german_firm(holiday_region="ENG", time_zone="Europe/Munich", currency="EURO"))
    assert sorted(p.field or "" for p in err.value.problems) == ["currency", "holiday_region", "time_zone"]
    assert "three-letter ISO currency code" in str(err.value)  # the setting's own declaration says why
    assert _count(db, User) == 0 and _count(db, Setting) == 0


def test_the_logo_must_be_a_png_or_jpeg_that_exists(db, tmp_path: Path) -> None:
    text = tmp_path / "logo.png"
    text.write_text("not an image")
    problems = check(german_firm(logo_path=str(text)))
    assert [p.field for p in problems] == ["logo_path"] and "PNG or JPEG" in problems[0].reason
    assert [p.field for p in check(german_firm(logo_path=str(tmp_path / "missing.png")))] == ["logo_path"]
    png = tmp_path / "logo-ok.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    new_firm(db, german_firm(logo_path=str(png)))
    assert get_settings(db).logo_path == str(png.absolute())


def test_a_second_new_firm_is_refused(db) -> None:
    new_firm(db, german_firm())
    before = get_settings(db)
    with pytest.raises(UserError, match="already holds a firm"):
        new_firm(db, german_firm(firm_name="Another GmbH", admin_username="bob"))
    assert get_settings(db).firm_name == before.firm_name and _count(db, User) == 1


def test_settings_set_before_on_the_empty_database_give_way(db) -> None:
    """`settings set` works on a database without users; the new firm's values then replace them."""
    from app.cli_auth import NOBODY_YET
    from app.services.settings import set_settings

    set_settings(db, NOBODY_YET, {"firm_name": "Draft", "currency": "USD", "vat_number": "123"})
    new_firm(db, german_firm(vat_number=""))
    firm = get_settings(db)
    assert (firm.firm_name, firm.currency, firm.vat_number) == ("Muster Metallbau GmbH", "EUR", "")


def test_the_demo_company_is_refused(demo) -> None:
    db, _actor = demo
    users, name = _count(db, User), get_settings(db).firm_name
    with pytest.raises(UserError, match="already holds a firm"):
        new_firm(db, german_firm())
    assert _count(db, User) == users and get_settings(db).firm_name == name


# --- the command line ------------------------------------------------------------------------------
CLI = ["--name", "Muster Metallbau GmbH", "--country", "DE", "--admin", "anna", "--full-name", "Anna Adler",
       "--vat", DE_VAT, "--iban", DE_IBAN, "--address-line", "Industriestraße 12", "--postcode", "80331",
       "--city", "München", "--invoice-prefix", "RE-2027-", "--invoice-next", "412"]


@pytest.fixture
def cli_env(monkeypatch) -> None:
    monkeypatch.setenv("ORDERCYCLE_PASSWORD", PASSWORD)
    monkeypatch.delenv("ORDERCYCLE_USER", raising=False)
    monkeypatch.setattr("sys.stdin", None)  # no terminal: nobody to prompt


def test_new_firm_command_creates_the_file_and_says_so_in_one_line(tmp_path: Path, cli_env, capsys) -> None:
    target = tmp_path / "firm.db"
    assert main(["new-firm", "--db", str(target), *CLI]) == 0
    out = capsys.readouterr().out.strip()
    assert out.count("\n") == 0 and "Muster Metallbau GmbH" in out and "EUR" in out and "anna" in out
    from app.db.open import open_database

    db = open_database(target, create=False)
    try:
        assert auth.sign_in(db, "anna", PASSWORD).full_name == "Anna Adler"
        assert get_settings(db).time_zone == "Europe/Berlin"
        assert db.write(auth.sign_in(db, "anna", PASSWORD),
                        lambda uow: numbers.next_number(uow.session, "invoice")) == "RE-2027-000412"
    finally:
        db.dispose()
    # a database that has a firm is refused, in one line, and left as it was
    before = target.read_bytes()
    assert main(["new-firm", "--db", str(target), *CLI]) == 1
    err = capsys.readouterr().err
    assert "already holds a firm" in err and "Traceback" not in err
    assert target.read_bytes() == before


def test_new_firm_command_names_each_problem_and_leaves_no_file(tmp_path: Path, cli_env, capsys) -> None:
    target = tmp_path / "firm.db"
    args = ["new-firm", "--db", str(target), *CLI, "--vat", "DE 136 695 977", "--iban", "DE00 1234",
            "--credit-note-next", "-3"]
    assert main(args) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0].startswith("ordercycle: the firm was not created")
    assert sorted(line.split(":")[0] for line in lines[1:]) == ["iban", "numbering.credit_note.next", "vat_number"]
    assert not target.exists()


def test_new_firm_command_needs_a_password(tmp_path: Path, cli_env, monkeypatch, capsys) -> None:
    monkeypatch.delenv("ORDERCYCLE_PASSWORD")
    target = tmp_path / "firm.db"
    assert main(["new-firm", "--db", str(target), *CLI]) == 1
    assert "ORDERCYCLE_PASSWORD" in capsys.readouterr().err
    assert not target.exists()
    monkeypatch.setenv("ORDERCYCLE_PASSWORD", "short")
    assert main(["new-firm", "--db", str(target), *CLI]) == 1
    assert "admin_password: the password needs at least 8 characters" in capsys.readouterr().err


def test_db_check_accepts_a_series_continued_from_an_old_system(tmp_path: Path, cli_env, capsys) -> None:
    target = tmp_path / "firm.db"
    assert main(["new-firm", "--db", str(target), *CLI]) == 0
    capsys.readouterr()
    main(["db", "check", "--db", str(target)])
    assert "Numbers:" not in capsys.readouterr().err


def test_new_firm_command_asks_for_the_password_twice(tmp_path: Path, cli_env, monkeypatch, capsys) -> None:
    import getpass
    import io

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("ORDERCYCLE_PASSWORD")
    monkeypatch.setattr("sys.stdin", Terminal())
    typed = iter([PASSWORD, PASSWORD + "!", PASSWORD, PASSWORD])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(typed))
    target = tmp_path / "firm.db"
    assert main(["new-firm", "--db", str(target), *CLI]) == 1
    assert "the two passwords differ" in capsys.readouterr().err and not target.exists()
    assert main(["new-firm", "--db", str(target), *CLI]) == 0
    assert "New firm 'Muster Metallbau GmbH'" in capsys.readouterr().out
