"""A wallet ID ("PP92-TWYW") is read and dictated whole: in every list that shows
one, on a tablet and on a laptop, in both languages, it stays on one line rather
than breaking at its dash."""
from __future__ import annotations

import pytest

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.services import ledger

from .conftest import open_in
from .test_accessibility_and_layout import LANGUAGES

LISTS = ("/admin/wallets/", "/admin/wallet-history/")
WIDTHS = (820, 1024, 1366)
# How many line boxes each wallet ID cell's text takes on screen.
LINES_PER_CELL = """cells => cells.map(cell => {
  const range = document.createRange();
  range.selectNodeContents(cell);
  const tops = new Set([...range.getClientRects()].map(box => Math.round(box.top)));
  return [cell.innerText.trim(), tops.size];
})"""


@pytest.mark.parametrize("language", LANGUAGES)
def test_wallet_ids_stay_on_one_line_in_the_lists(logged_in, make, language):
    outlet = make.outlet("Madrid Centro Comercial Príncipe Pío")
    for n in range(3):
        customer = make.customer("María José", f"Fernández-Castellanos {n}",
                                 email=f"maria.jose.fernandez.castellanos{n}@correo-ejemplo.es")
        wallet = make.wallet(customer, outlet=outlet)
        ledger.add_balance(wallet, 12_345, actor=None, reason="Regalo de cumpleaños",
                           idempotency_key=f"w{n}")
    db.session.commit()
    page = logged_in(Role.MANAGER, language)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for url in LISTS:
            open_in(page, url, language)
            cells = page.locator("table.model-list td.col-wallet_code, "
                                 "table.model-list td.col-wallet")
            lines = cells.evaluate_all(LINES_PER_CELL)
            assert len(lines) == 3, (url, lines)
            assert all(count == 1 for _, count in lines), (width, url, lines)
