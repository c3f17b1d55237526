"""Browser tests: an operator tracks an order from a filtered list, in a real Chromium."""
from __future__ import annotations

from datetime import datetime, timedelta

from admin_app.choices import OrderStatus, Role
from admin_app.extensions import db
from admin_app.models import Order, OrderLine

from .conftest import expect

ROWS = "table.model-list tbody tr"


def test_move_an_order_on_and_return_to_the_filtered_page(logged_in, make):
    ana = make.customer("Ana", "García")
    start = datetime(2026, 11, 1, 9)
    for n in range(25):  # two pages of paid orders, newest first
        make.order(ana, sale_code=f"S{n:09d}", status=OrderStatus.PAID, total_minor=1_250,
                   created_at=start + timedelta(hours=n))
    make.order(ana, sale_code="S999999999", status=OrderStatus.PLACED)
    oldest = db.session.query(Order).filter_by(sale_code="S000000000").one()
    db.session.add(OrderLine(order=oldest, product="Café molido", sku="CAF-1", quantity=2,
                             unit_price_minor=625))
    db.session.commit()
    page = logged_in(Role.OPERATOR)
    page.goto("/admin/orders/?flt0_status_is=paid")
    page.get_by_role("link", name="2", exact=True).click()
    expect(page.locator(ROWS)).to_have_count(5)
    list_url = page.url

    row = page.locator(ROWS).filter(has_text="S000000000")
    row.get_by_title("Edit Record").click()
    summary = page.locator("#sale-summary")
    expect(summary).to_contain_text("S000000000")
    expect(summary).to_contain_text("Ana García")
    expect(summary).to_contain_text("€12.50")
    expect(summary).to_contain_text("Café molido")
    # Only the moves a paid order may make are offered.
    options = page.locator("select#status option")
    expect(options).to_have_text(["Paid", "Shipped", "Delivered", "Cancelled"])
    page.locator("#s2id_status .select2-choice").click()
    page.keyboard.type("Shipp")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".alert-success")).to_be_visible()
    assert page.url == list_url
    expect(page.locator(ROWS)).to_have_count(4)  # it left the "paid" filter
    db.session.expire_all()
    assert db.session.query(Order).filter_by(sale_code="S000000000").one().status == "shipped"


def test_a_forged_move_backwards_is_refused_in_the_users_language(logged_in, make):
    order = make.order(make.customer("Ana", "García"), sale_code="S000000042",
                       status=OrderStatus.SHIPPED)
    db.session.commit()
    page = logged_in(Role.OPERATOR)
    edit = f"/admin/orders/edit/?id={order.id}"
    for language, message in (
        ("English", "Order S000000042 cannot go from Shipped to Placed. "
                    "From Shipped it can go to: Delivered, Returned."),
        ("Español", "El pedido S000000042 no puede pasar de Enviado a Realizado. "
                    "Desde Enviado puede pasar a: Entregado, Devuelto."),
    ):
        page.goto(edit)
        if language == "Español":
            page.get_by_role("button", name=language).click()
        token = page.locator("form.admin-form input[name=csrf_token]").input_value()
        response = page.request.post(edit, form={"csrf_token": token, "status": "placed"})
        assert response.ok
        assert message in response.text()
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.SHIPPED
