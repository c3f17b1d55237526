"""The consent log (services/consent.py): every change of a customer's marketing
opt-in, with when, where from and who, in the transaction of the change; the ORM's
changes caught by its listener, an import's (bulk statements, undo included) by
``record_bulk``; the opt-in column stays the current state."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from admin_app.choices import ConsentSource, Role
from admin_app.extensions import db
from admin_app.models import ConsentChange, Customer, Job
from admin_app.services import audit, consent

from ..pages import apply_import, batch_id, fresh, upload

CUSTOMERS_IMPORT = "/admin/customers/import/"


def log(customer_id: int | None = None) -> list[tuple[int, bool, str, int | None]]:
    """(customer, opted in, source, actor) of every consent change, oldest first."""
    db.session.expire_all()
    query = select(ConsentChange).order_by(ConsentChange.id)
    if customer_id is not None:
        query = query.where(ConsentChange.customer_id == customer_id)
    return [(c.customer_id, c.opted_in, c.source, c.actor_id) for c in db.session.scalars(query)]


# -- the listener: changes made through the ORM -------------------------------------------

def test_a_customer_created_opted_in_is_logged_one_created_without_is_not(make):
    yes = make.customer(marketing_opt_in=True)
    make.customer(marketing_opt_in=False)
    make.customer()
    assert log() == [(yes.id, True, ConsentSource.FORM, None)]


def test_each_change_is_logged_and_a_save_that_keeps_it_is_not(make):
    customer = make.customer(marketing_opt_in=False)
    for value in (True, True, False, True):
        customer = fresh(Customer, customer.id)  # read again: as a new request would
        customer.marketing_opt_in = value
        customer.notes = f"saved with {value}"
        db.session.commit()
    assert [(opted, source) for _c, opted, source, _a in log(customer.id)] == [
        (True, "form"), (False, "form"), (True, "form")]


def test_a_change_on_a_customer_not_read_since_the_last_commit_is_logged(make):
    # After a commit the row is expired: the value before is loaded as it is set.
    customer = make.customer(marketing_opt_in=True)
    db.session.commit()
    customer.marketing_opt_in = False
    db.session.commit()
    assert [opted for _c, opted, _s, _a in log(customer.id)] == [True, False]


def test_the_change_is_logged_with_who_made_it_and_when(make, users):
    manager = users[Role.MANAGER]
    customer = make.customer()
    before = datetime.utcnow()
    with audit.acting_for(manager):
        customer.marketing_opt_in = True
        db.session.commit()
    [change] = consent.history(customer)
    assert change.actor_id == manager.id and change.actor.name == manager.name
    assert before.replace(microsecond=0) <= change.at.replace(microsecond=0)


def test_changes_from_names_the_source_and_restores_it_after(make):
    customer = make.customer()
    with consent.changes_from(ConsentSource.MERGE):
        assert consent.current_source() == ConsentSource.MERGE
        with consent.changes_from(ConsentSource.ERASURE):
            customer.marketing_opt_in = True
            db.session.flush()
        assert consent.current_source() == ConsentSource.MERGE
        customer.marketing_opt_in = False
        db.session.commit()
    assert consent.current_source() == ConsentSource.FORM
    assert [source for _c, _o, source, _a in log(customer.id)] == ["erasure", "merge"]


def test_a_rolled_back_change_leaves_no_trace(make):
    customer = make.customer()
    customer.marketing_opt_in = True
    db.session.flush()
    db.session.rollback()
    assert log() == []


def test_record_bulk_logs_changes_made_with_statements(make):
    a, b = make.customer(), make.customer()
    consent.record_bulk([(a.id, True), (b.id, 0)], ConsentSource.IMPORT)
    consent.record_bulk([], ConsentSource.IMPORT)  # nothing to write: no statement
    db.session.commit()
    assert log() == [(a.id, True, "import", None), (b.id, False, "import", None)]


def test_history_is_newest_first_and_can_be_limited(make):
    customer = make.customer()
    for n, value in enumerate((True, False, True)):
        db.session.add(ConsentChange(customer_id=customer.id, opted_in=value,
                                     source=ConsentSource.FORM, at=datetime(2026, 1, 1 + n)))
    db.session.add(ConsentChange(customer_id=make.customer().id, opted_in=True,
                                 source=ConsentSource.FORM, at=datetime(2026, 2, 1)))
    db.session.commit()
    assert [c.at.day for c in consent.history(customer)] == [3, 2, 1]
    assert [c.at.day for c in consent.history(customer, limit=2)] == [3, 2]


def test_deleting_a_customer_takes_their_consent_log_with_them(make):
    customer = make.customer(marketing_opt_in=True)
    db.session.delete(customer)
    db.session.commit()
    assert log() == []


# -- imports: bulk statements, undo, the job ------------------------------------------------

CSV_HEADER = "First name,Surname,Email,Accepts marketing\n"


def test_an_import_logs_its_opt_ins_as_import_by_who_applied_it(manager, users, make):
    kept = make.customer("Ana", "Dentro", email="ana@example.com", marketing_opt_in=False)
    same = make.customer("Bea", "Igual", email="bea@example.com", marketing_opt_in=True)
    before = log()
    batch = batch_id(upload(manager, CUSTOMERS_IMPORT, CSV_HEADER
                            + "Ana,Dentro,ana@example.com,yes\n"
                            + "Bea,Igual,bea@example.com,yes\n"
                            + "Carla,Nueva,carla@example.com,yes\n"
                            + "Dora,Nueva,dora@example.com,no\n"))
    assert apply_import(manager, CUSTOMERS_IMPORT, batch).status_code == 302
    carla = db.session.scalar(select(Customer.id).where(Customer.email == "carla@example.com"))
    manager_id = users[Role.MANAGER].id
    assert sorted(log()[len(before):]) == [(kept.id, True, "import", manager_id),
                                           (carla, True, "import", manager_id)]
    assert same.id not in [c for c, *_rest in log()[len(before):]]


def test_undoing_an_import_logs_the_opt_in_put_back_as_import(manager, users, make):
    customer = make.customer("Ana", "Dentro", email="ana@example.com", marketing_opt_in=True)
    batch = batch_id(upload(manager, CUSTOMERS_IMPORT,
                            CSV_HEADER + "Ana,Dentro,ana@example.com,no\n"
                            + "Carla,Nueva,carla@example.com,yes\n"))
    apply_import(manager, CUSTOMERS_IMPORT, batch)
    assert manager.post_form(f"{CUSTOMERS_IMPORT}{batch}/undo/").status_code == 302
    assert fresh(Customer, customer.id).marketing_opt_in is True
    manager_id = users[Role.MANAGER].id
    assert log(customer.id) == [(customer.id, True, "form", None),
                                (customer.id, False, "import", manager_id),
                                (customer.id, True, "import", manager_id)]
    # The customer the import created is gone, and their consent with them.
    assert [c for c, *_rest in log()] == [customer.id] * 3


@pytest.fixture
def small_jobs(app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_JOB_MIN_ROWS", 10)
    monkeypatch.setitem(app.config, "JOB_CHUNK_ROWS", 7)


def test_a_large_import_applied_by_the_worker_logs_as_import(manager, users, small_jobs,
                                                             drain):
    rows = "".join(f"P{n},S{n},p{n}@example.com,{'yes' if n % 2 else 'no'}\n"
                   for n in range(30))
    batch = batch_id(upload(manager, CUSTOMERS_IMPORT, CSV_HEADER + rows))
    apply_import(manager, CUSTOMERS_IMPORT, batch)
    assert db.session.scalar(select(Job.id).where(Job.subject_id == batch)) is not None
    drain()
    changes = log()
    assert len(changes) == 15
    assert {(opted, source, actor) for _c, opted, source, actor in changes} == {
        (True, "import", users[Role.MANAGER].id)}
    opted_in = set(db.session.scalars(select(Customer.id).where(
        Customer.marketing_opt_in.is_(True))))
    assert {customer for customer, *_rest in changes} == opted_in
