"""The suite's own contract (conftest.SharedRows): read-only tests share rows made
once; every other test starts from empty tables; a reader that writes fails.
The tests run in file order, which this module relies on."""
from __future__ import annotations

import pytest

from admin_app.models import Customer

from . import factories
from .conftest import SharedRows
from .pages import row_count

builds = []


def _one_customer() -> int:
    builds.append(1)
    return factories.customer("Ana", "Compartida").id


@pytest.fixture(scope="module")
def shared_rows():
    return SharedRows(_one_customer)


@pytest.fixture
def ana_id(shared_rows):
    return shared_rows.rows()


def test_a_reader_gets_the_rows_made_for_it(ana_id):
    assert row_count(Customer) == 1 and builds == [1]


def test_the_next_reader_gets_the_same_rows_made_once(ana_id):
    assert row_count(Customer) == 1 and builds == [1]


def test_a_test_that_writes_starts_from_empty_tables(make):
    assert row_count(Customer) == 0
    make.customer("Eva", "Propia")


def test_after_it_the_rows_are_made_again_for_a_reader(ana_id):
    assert row_count(Customer) == 1 and builds == [1, 1]


def test_a_reader_that_adds_a_row_is_caught(ana_id, shared_rows):
    factories.customer("Eva", "Intrusa")
    with pytest.raises(AssertionError, match="changed them"):
        shared_rows.check_unchanged()
    # Forget them, so that the teardown empties the tables instead of failing again.
    SharedRows.held = None
