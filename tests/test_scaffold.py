"""`flask scaffold view MODEL` (admin_app/scaffold/): declarations derived from
the model, and, in a copy of the project, a new model taken the way the recipe
in docs/adding-a-view.md goes: its migration, the files the scaffold writes, the
registry line, the catalogues, no overwrite without --force, and a generated
test that passes as written, with the smoke tests every view gets and ruff."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from admin_app import scaffold
from admin_app.models import Address, OfferEvent, Wallet

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FLASK = [str(BIN / "flask"), "--app", "wsgi"]


def test_declarations_follow_the_columns_kinds():
    plan = scaffold.plan_for(Address)
    assert (plan.view_class, plan.url, plan.nouns) == ("AddressView", "addresses",
                                                       ("address", "addresses"))
    assert plan.columns == ["customer", "line1", "line2", "city", "postcode", "country",
                            "is_default"]
    # A customer is searched by name through the customers' own indexed search.
    assert plan.searchable == ["customer.first_name", "customer.surname", "line1", "line2",
                               "city", "postcode", "country"]
    assert [flt.expression for flt in plan.filters] == [
        'IntegerEqualFilter(Address.customer_id, _l("Customer number"))',
        'YesNoFilter(Address.is_default, _l("Is default"))']
    events = scaffold.plan_for(OfferEvent)
    assert '"kind"' in [flt.expression for flt in events.filters]  # filtered by its labels
    assert 'DateRangeFilter(OfferEvent.occurred_at, _l("Occurred at"))' in [
        flt.expression for flt in events.filters]
    assert events.searchable == ["customer.first_name", "customer.surname"]


def test_lists_sort_on_indexes_and_amounts_carry_their_currency():
    plan = scaffold.plan_for(Wallet)
    # The currency shows with each amount (and is exported beside them): not twice.
    assert "currency" not in plan.columns and "currency" not in plan.form_columns
    assert plan.money == ["balance_minor"]
    # Only indexed columns sort; the date added is indexed, so the newest come first.
    assert plan.sortable == ["wallet_code", "created_at"]
    assert plan.default_sort == ("created_at", True)
    # Times the row keeps itself are shown, never typed.
    assert "created_at" in plan.columns and "created_at" not in plan.form_columns
    assert plan.choices == {"status": Wallet.status.info["choices"]}
    # Only a searchable model's name is searched; every relation is filtered by number.
    assert plan.searchable == ["wallet_code", "customer.first_name", "customer.surname"]
    assert "customer" in plan.form_columns and plan.relations["customer"].searched
    assert not plan.relations["outlet"].searched


def test_without_an_indexed_date_the_newest_come_first_by_their_key():
    addresses = scaffold.plan_for(Address)
    assert (addresses.sortable, addresses.default_sort) == ([], ("id", True))
    source = scaffold.render_view(addresses)
    assert "    column_sortable_list = ()\n" in source
    assert '    column_default_sort = ("id", True)\n' in source


def test_an_unknown_model_is_named():
    with pytest.raises(scaffold.ScaffoldError, match="No model named 'Gizmo'"):
        scaffold.model_named("Gizmo")


# As a developer adds it: a code, money, a choice, a day, a customer, a date added.
GIFT_CARD = '''

class GiftCard(db.Model):
    __tablename__ = "gift_cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    balance_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default=default_currency)
    status: Mapped[str] = choice_column(WalletStatus, 10, default=WalletStatus.ACTIVE)
    expires_on: Mapped[date | None] = mapped_column(Date)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    customer: Mapped[Customer | None] = relationship()

    def __str__(self) -> str:
        return self.code
'''


@pytest.fixture
def project_copy(tmp_path) -> Path:
    copy = tmp_path / "project"
    copy.mkdir()
    for name in ("admin_app", "translations", "migrations", "tests"):
        shutil.copytree(PROJECT / name, copy / name,
                        ignore=shutil.ignore_patterns("__pycache__", "e2e", "*.mo"))
    for name in ("babel.cfg", "wsgi.py", "pytest.ini", "ruff.toml"):
        shutil.copy(PROJECT / name, copy / name)
    return copy


def _run(command, cwd: Path):
    # The copy runs on its own SQLite files, never on the suite's database.
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "DATABASE_URL")}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


# What the developer translates: every text of the new view the catalogue lacks.
SPANISH = {
    "Gift cards": "Tarjetas regalo",
    "gift card": "tarjeta regalo",
    "gift cards": "tarjetas regalo",
    "Expires on": "Caduca el",
    "Customer first name": "Nombre del cliente",
    "Customer surname": "Apellidos del cliente",
    "Gift card %(name)s created.": "Tarjeta regalo %(name)s creada.",
    "Gift card %(name)s saved.": "Tarjeta regalo %(name)s guardada.",
    "Gift card %(name)s deleted.": "Tarjeta regalo %(name)s eliminada.",
}


def _translate_new_texts(copy: Path) -> set[str]:
    """Fill the Spanish entries the scaffold left empty, as the developer does;
    return their English texts."""
    path = copy / "translations/es/LC_MESSAGES/messages.po"
    catalogue = path.read_text(encoding="utf-8")
    empty = re.compile(r'^msgid "((?:[^"\\]|\\.)+)"\nmsgstr ""(?=\n\n|\n?\Z)', re.M)
    path.write_text(empty.sub(lambda m: f'msgid "{m[1]}"\nmsgstr "{SPANISH.get(m[1], "")}"',
                              catalogue), encoding="utf-8")
    return set(empty.findall(catalogue))


def test_a_new_model_and_its_view_ship_as_scaffolded(project_copy):
    models = project_copy / "admin_app/models.py"
    models.write_text(models.read_text(encoding="utf-8") + GIFT_CARD, encoding="utf-8")
    # The recipe: the database up to date, then the migration of the new table.
    assert _run([*FLASK, "db", "upgrade"], project_copy).returncode == 0
    migrated = _run([*FLASK, "db", "migrate", "-m", "Gift cards"], project_copy)
    assert migrated.returncode == 0, migrated.stderr
    (migration,) = (project_copy / "migrations/versions").glob("*_gift_cards.py")

    result = _run([*FLASK, "scaffold", "view", "GiftCard"], project_copy)
    assert result.returncode == 0, result.stderr
    assert "wrote    admin_app/views/gift_cards.py" in result.stdout
    assert "wrote    tests/views/test_gift_cards.py" in result.stdout
    module = (project_copy / "admin_app/views/gift_cards.py").read_text()
    assert "class GiftCardView(BaseModelView):" in module
    assert 'column_searchable_list = ("code", "customer.first_name", "customer.surname")' in module
    assert 'column_default_sort = ("id", True)' in module  # created_at has no index
    assert '"currency"' not in module
    assert "    menu_category = MARKET\n" in module  # the top row is full in Spanish
    registry = (project_copy / "admin_app/views/__init__.py").read_text()
    assert registry.count("from .gift_cards import GiftCardView\n") == 1
    assert "    GiftCardView,\n    AdminUserView,\n" in registry
    assert _translate_new_texts(project_copy) == set(SPANISH)

    # Again: nothing is overwritten or registered twice; --force rewrites the files.
    (project_copy / "admin_app/views/gift_cards.py").write_text(module + "# edited by hand\n")
    again = _run([*FLASK, "scaffold", "view", "gift_cards"], project_copy)
    assert "kept     admin_app/views/gift_cards.py (exists; --force overwrites it)" in again.stdout
    assert "# edited by hand" in (project_copy / "admin_app/views/gift_cards.py").read_text()
    assert (project_copy / "admin_app/views/__init__.py").read_text() == registry
    forced = _run([*FLASK, "scaffold", "view", "GiftCard", "--force"], project_copy)
    assert "wrote    admin_app/views/gift_cards.py" in forced.stdout
    assert (project_copy / "admin_app/views/gift_cards.py").read_text() == module

    # What was written passes lint as it is: the view, its test and the migration.
    lint = _run([sys.executable, "-m", "ruff", "check", "admin_app/views/gift_cards.py",
                 "tests/views/test_gift_cards.py", str(migration)], project_copy)
    assert lint.returncode == 0, lint.stdout
    # Its own tests pass, and so do the tests every registered view gets: smoke
    # (roles, export), every page in one language, the catalogues complete.
    _run([str(BIN / "pybabel"), "compile", "-d", "translations", "-D", "messages admin"],
         project_copy)
    tests = _run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                  "tests/views/test_gift_cards.py", "tests/views/test_smoke.py",
                  "tests/test_bilingual_pages.py", "tests/test_catalogues.py",
                  "-k", "gift or speaks_one_language or catalogue"], project_copy)
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert "29 passed" in tests.stdout, tests.stdout[-500:]


def test_an_unknown_model_fails_the_command(project_copy):
    result = _run([*FLASK, "scaffold", "view", "Gizmo"], project_copy)
    assert result.returncode != 0
    assert "No model named 'Gizmo'" in result.stderr
    assert not (project_copy / "admin_app/views/gizmo.py").exists()
