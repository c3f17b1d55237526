"""A wallet ID is found however a person types it ("PP92-TWYW", "pp92twyw",
"pp92 twyw"), in every list that searches wallet IDs."""
from __future__ import annotations

import pytest

from admin_app.extensions import db
from admin_app.services import ledger

from ..pages import get_page, listed_ids

CODE = "PP92-TWYW"
TYPED = ("PP92-TWYW", "pp92-twyw", "pp92twyw", "PP92TWYW", "pp92 twyw", "pp92tw")


@pytest.fixture
def wallet_and_movement(make):
    wallet = make.wallet(make.customer("Ana", "Alpha"), wallet_code=CODE)
    make.wallet(make.customer("Bob", "Beta"), wallet_code="QQ93-TWYW")
    movement = ledger.add_balance(wallet, 500, actor=None, reason="Gift card sale",
                                  idempotency_key="typed-1")
    db.session.commit()
    return wallet.id, movement.id


@pytest.mark.parametrize("typed", TYPED)
def test_the_wallets_list_and_the_wallet_history_read_a_typed_id_alike(
        admin_client, wallet_and_movement, typed):
    wallet_id, movement_id = wallet_and_movement
    assert listed_ids(get_page(admin_client, "/admin/wallets/", search=typed)) == [wallet_id]
    assert listed_ids(get_page(admin_client, "/admin/wallet-history/", search=typed)) == [
        movement_id]
