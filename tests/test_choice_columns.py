"""A choice column's values are guarded by the database too: its model's table gets
a CHECK constraint as the model is mapped, wherever the model is defined, even after
every model of admin_app.models."""
from __future__ import annotations

import pytest
from sqlalchemy import CheckConstraint, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from admin_app.choices import Channel, WalletStatus
from admin_app.extensions import db
from admin_app.models import choice_column


def _checks(table) -> dict[str, str]:
    return {c.name: str(c.sqltext) for c in table.constraints if isinstance(c, CheckConstraint)}


@pytest.fixture(scope="module")
def late_model(app):
    """A model on the app's base, defined after all the others (once: a class name is
    registered once), with its table in the suite's database. Afterwards the table is
    dropped and leaves the metadata, which the schema tests compare with the
    migrations; the mapped class cannot be unmapped alone, and nothing names it."""
    class LateArrival(db.Model):
        __tablename__ = "late_arrivals"
        id: Mapped[int] = mapped_column(primary_key=True)
        channel: Mapped[str] = choice_column(Channel, 20)
        status: Mapped[str | None] = choice_column(WalletStatus, 10, nullable=True)

    table = LateArrival.__table__
    with app.app_context():
        table.create(db.engine)
        try:
            yield LateArrival
        finally:
            db.session.remove()
            table.drop(db.engine)
            db.metadata.remove(table)


def test_a_model_defined_after_the_others_gets_a_check_per_choice_column(late_model):
    assert _checks(late_model.__table__) == {
        "ck_late_arrivals_channel_valid": Channel.check_sql("channel"),
        "ck_late_arrivals_status_valid": WalletStatus.check_sql("status"),
    }


def test_the_database_refuses_a_value_outside_the_choices(late_model):
    table = late_model.__table__
    db.session.execute(insert(table).values(channel=Channel.ONLINE, status=None))
    db.session.commit()
    for wrong in ({"channel": "carrier pigeon"},
                  {"channel": Channel.IN_STORE, "status": "frozen"}):
        with pytest.raises(IntegrityError):
            db.session.execute(insert(table).values(**wrong))
        db.session.rollback()
    assert db.session.execute(select(table.c.channel, table.c.status)).all() == [
        (Channel.ONLINE, None)]


def test_every_choice_column_of_the_app_models_has_its_check():
    checked = 0
    for table in db.metadata.sorted_tables:
        checks = _checks(table)
        for column in table.columns:
            choices = column.info.get("choices")
            if choices is not None:
                name = f"ck_{table.name}_{column.name}_valid"
                assert checks.get(name) == choices.check_sql(column.name), name
                checked += 1
    assert checked >= 20
