"""/admin/orders/: every sale with its buyer (customer or guest), outlet, type,
date, total and status; search by sale code; filters by status, type, outlet and
date; order tracking (the status moves on, nothing else is edited); and the
orders a guest's and a customer's details pages list."""
from __future__ import annotations

import html
import re
from datetime import datetime

import pytest
from sqlalchemy import event

from admin_app.choices import OfferEventKind, OrderStatus, OrderType, Role
from admin_app.extensions import db
from admin_app.models import Offer, OfferEvent, Order, OrderLine

from ..pages import flashes, get_page, list_headers, listed_ids, table_rows, text

ORDERS = "/admin/orders/"


@pytest.fixture
def sales(make):
    ana = make.customer("Ana", "García")
    guest = make.guest("Pablo Invitado", phone="+34600999888")
    centro, web = make.outlet("Centro"), make.outlet("Web")
    made = {
        "ana": ana, "guest": guest, "centro": centro, "web": web,
        "paid": make.order(ana, sale_code="S000000101", outlet=centro, total_minor=12_345,
                           status=OrderStatus.PAID, order_type=OrderType.IN_STORE,
                           created_at=datetime(2026, 11, 2, 10)),
        "shipped": make.order(guest=guest, sale_code="S000000102", outlet=web, total_minor=990,
                              status=OrderStatus.SHIPPED, order_type=OrderType.ONLINE,
                              created_at=datetime(2026, 11, 20, 9)),
        "cancelled": make.order(ana, sale_code="S000000230", outlet=web, total_minor=500,
                                status=OrderStatus.CANCELLED, order_type=OrderType.ONLINE,
                                created_at=datetime(2026, 10, 1, 9)),
    }
    db.session.commit()
    return made


def test_the_list_shows_each_sale_newest_first(login, sales):
    page = get_page(login(Role.VIEWER), ORDERS)
    assert list_headers(page) == ["Sale code", "Customer or guest", "Outlet", "Order type",
                                  "Date", "Total", "Status"]
    rows = table_rows(page)
    assert [r["sale_code"] for r in rows] == ["S000000102", "S000000101", "S000000230"]
    guest_row, customer_row = rows[0], rows[1]
    assert guest_row["buyer"] == "Pablo Invitado Guest"
    assert f"/admin/guests/details/?id={sales['guest'].id}" in guest_row["buyer_html"]
    assert f"/admin/customers/details/?id={sales['ana'].id}" in customer_row["buyer_html"]
    assert customer_row["total_minor"] == "€123.45"
    assert 'badge badge-primary">Paid<' in customer_row["status_html"]


def test_a_blacklisted_buyer_is_marked(login, sales, make):
    make.blacklist("+34600999888")
    db.session.commit()
    rows = table_rows(get_page(login(Role.VIEWER), ORDERS))
    assert "Blacklisted" in rows[0]["buyer"]


@pytest.mark.parametrize("typed, found", [
    ("S000000102", ["shipped"]),
    ("s0000001", ["shipped", "paid"]),  # the beginning of a code, in any case
    ("  S00000023 ", ["cancelled"]),
    ("X1", []),
])
def test_search_by_sale_code(login, sales, typed, found):
    page = get_page(login(Role.VIEWER), ORDERS, search=typed)
    assert listed_ids(page) == [sales[name].id for name in found]


def test_filters_by_status_type_outlet_and_date_combine(login, sales):
    client = login(Role.VIEWER)
    web = sales["web"].id

    def ids(**filters):
        return listed_ids(get_page(client, ORDERS, **filters))

    assert ids(flt0_status_is="shipped") == [sales["shipped"].id]
    assert ids(flt0_order_type_is="online") == [sales["shipped"].id, sales["cancelled"].id]
    assert ids(flt0_outlet_any_of=str(web), flt1_date_between="2026-11-01 to 2026-11-30") == [
        sales["shipped"].id]
    assert ids(flt0_outlet_any_of=str(sales["centro"].id), flt1_status_is="shipped") == []


def test_an_impossible_filter_value_is_explained(login, sales):
    page = get_page(login(Role.VIEWER), ORDERS, flt0_date_between="31/02/2026 – yesterday")
    assert any("is not a valid value for the filter" in message and "11/1/2026" in message
               for _category, message in flashes(page))


def test_details_show_what_was_sold(login, sales):
    order = sales["paid"]
    db.session.add(OrderLine(order=order, product="Café molido", sku="CAF-1", quantity=2,
                             unit_price_minor=450))
    db.session.commit()
    page = text(get_page(login(Role.VIEWER), f"{ORDERS}details/?id={order.id}"))
    assert "Café molido CAF-1 2 €4.50 €9.00" in page
    assert "Ana García" in page


def test_an_operator_moves_the_status_on_and_nothing_else(login, sales):
    client = login(Role.OPERATOR)
    order = sales["paid"]
    edit = f"{ORDERS}edit/?id={order.id}"
    response = client.post_form(edit, {"status": "shipped", "total_minor": "1"})
    assert response.status_code == 302
    db.session.refresh(order)
    assert (order.status, order.total_minor) == (OrderStatus.SHIPPED, 12_345)


def test_a_viewer_cannot_change_an_order_and_nobody_creates_or_deletes_one(login, sales):
    order = sales["paid"]
    viewer = login(Role.VIEWER)
    assert viewer.post_form(f"{ORDERS}edit/?id={order.id}",
                            {"status": "cancelled"}).status_code == 403
    admin = login(Role.ADMIN)
    assert admin.get(f"{ORDERS}new/").status_code == 403
    assert admin.post_form(f"{ORDERS}delete/", {"id": order.id}).status_code == 403
    db.session.refresh(order)
    assert order.status == OrderStatus.PAID
    assert db.session.get(Order, order.id) is not None


def test_a_guests_details_list_their_orders(login, sales):
    page = get_page(login(Role.VIEWER), f"/admin/guests/details/?id={sales['guest'].id}")
    orders = text(page.split('id="orders"', 1)[1])
    assert "S000000102" in orders and "€9.90" in orders and "Shipped" in orders
    assert "S000000101" not in orders
    see_all = f"/admin/orders/?flt0_guest_number_is={sales['guest'].id}"
    assert see_all in page
    assert listed_ids(get_page(login(Role.VIEWER), see_all)) == [sales["shipped"].id]


def test_a_customers_details_link_to_all_their_orders(login, sales):
    client = login(Role.VIEWER)
    page = get_page(client, f"/admin/customers/details/?id={sales['ana'].id}")
    see_all = f"/admin/orders/?flt0_customer_number_is={sales['ana'].id}"
    assert see_all in page
    assert listed_ids(get_page(client, see_all)) == [sales["paid"].id, sales["cancelled"].id]


def test_no_orders_says_so(login):
    page = get_page(login(Role.VIEWER), ORDERS)
    assert "No orders yet." in text(page)
    page = get_page(login(Role.VIEWER), ORDERS, search="S1")
    assert "Nothing matches this search and these filters. Show everything" in text(page)


def _statements(client, url: str) -> int:
    """How many SQL statements the page takes."""
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        get_page(client, url)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_a_buyers_orders_are_read_in_a_fixed_number_of_queries(login, make):
    few, many = make.guest("Pocos Pedidos"), make.guest("Muchos Pedidos")
    for n in range(2):
        make.order(guest=few, outlet=make.outlet(f"Few {n}"))
    for n in range(12):
        make.order(guest=many, outlet=make.outlet(f"Many {n}"))
    db.session.commit()
    client = login(Role.VIEWER)
    get_page(client, f"/admin/guests/details/?id={few.id}")  # warm: login, caches
    db.session.expire_all()
    few_queries = _statements(client, f"/admin/guests/details/?id={few.id}")
    db.session.expire_all()
    assert _statements(client, f"/admin/guests/details/?id={many.id}") == few_queries


def test_a_customers_page_is_read_in_a_fixed_number_of_queries(login, make):
    """Its orders, wallets (and their balances), invoices and offers."""
    def customer_with(n: int):
        customer = make.customer("Cliente", f"Con {n}")
        for i in range(n):
            outlet = make.outlet(f"Outlet {n}-{i}")
            make.invoice(customer, order=make.order(customer, outlet=outlet))
            make.wallet(customer, outlet=outlet)
            db.session.add(OfferEvent(offer=Offer(title=f"Offer {n}-{i}"), customer=customer,
                                      kind=OfferEventKind.CLAIMED))
        return customer

    few, many = customer_with(2), customer_with(12)
    db.session.commit()
    client = login(Role.VIEWER)
    get_page(client, f"/admin/customers/details/?id={few.id}")
    db.session.expire_all()
    few_queries = _statements(client, f"/admin/customers/details/?id={few.id}")
    db.session.expire_all()
    assert _statements(client, f"/admin/customers/details/?id={many.id}") == few_queries


# -- order tracking: allowed moves only ------------------------------------------------

def _post_status(client, order, status: str):
    return client.post_form(f"{ORDERS}edit/?id={order.id}", {"status": status})


@pytest.mark.parametrize("start, wanted, english, spanish", [
    (OrderStatus.SHIPPED, OrderStatus.PLACED,
     "Order S1 cannot go from Shipped to Placed. From Shipped it can go to: Delivered, "
     "Returned.",
     "El pedido S1 no puede pasar de Enviado a Realizado. Desde Enviado puede pasar a: "
     "Entregado, Devuelto."),
    (OrderStatus.CANCELLED, OrderStatus.DELIVERED,
     "Order S1 cannot go from Cancelled to Delivered: Cancelled is a final status.",
     "El pedido S1 no puede pasar de Cancelado a Entregado: Cancelado es un estado final."),
    (OrderStatus.DELIVERED, OrderStatus.PAID,
     "Order S1 cannot go from Delivered to Paid. From Delivered it can go to: Returned.",
     "El pedido S1 no puede pasar de Entregado a Pagado. Desde Entregado puede pasar a: "
     "Devuelto."),
    (OrderStatus.PLACED, OrderStatus.DELIVERED,
     "Order S1 cannot go from Placed to Delivered. From Placed it can go to: Paid, Cancelled.",
     "El pedido S1 no puede pasar de Realizado a Entregado. Desde Realizado puede pasar a: "
     "Pagado, Cancelado."),
])
def test_a_move_the_rules_do_not_allow_is_refused_naming_both_statuses(
        login, make, start, wanted, english, spanish):
    order = make.order(make.customer("Ana", "García"), sale_code="S1", status=start)
    db.session.commit()
    for language, message in (("en", english), ("es", spanish)):
        client = login(Role.OPERATOR)
        client.post_form("/language", {"language": language})
        response = _post_status(client, order, wanted)
        assert response.status_code == 200  # the form again, with the message
        assert ("danger", message) in flashes(response.get_data(as_text=True))
        db.session.expire_all()
        assert db.session.get(Order, order.id).status == start


@pytest.mark.parametrize("start, wanted", [
    (OrderStatus.PLACED, OrderStatus.PAID), (OrderStatus.PAID, OrderStatus.DELIVERED),
    (OrderStatus.SHIPPED, OrderStatus.RETURNED), (OrderStatus.DELIVERED, OrderStatus.RETURNED),
])
def test_allowed_moves_are_saved_and_the_form_offers_only_those(login, make, start, wanted):
    order = make.order(make.customer("Ana", "García"), status=start)
    db.session.commit()
    client = login(Role.OPERATOR)
    page = get_page(client, f"{ORDERS}edit/?id={order.id}")
    offered = re.findall(r'<option[^>]*value="(\w+)"', page.split('id="status"', 1)[1]
                         .split("</select>", 1)[0])
    assert wanted in offered and OrderStatus.PLACED not in offered[1:]
    assert _post_status(client, order, wanted).status_code == 302
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == wanted


def test_the_edit_page_shows_the_sale(login, sales):
    order = sales["paid"]
    db.session.add(OrderLine(order=order, product="Café molido", sku="CAF-1", quantity=2,
                             unit_price_minor=450))
    db.session.commit()
    page = get_page(login(Role.OPERATOR), f"{ORDERS}edit/?id={order.id}")
    summary = text(page.split('id="sale-summary"', 1)[1].split("</dl>", 1)[0])
    assert "Sale code S000000101" in summary
    assert "Customer or guest Ana García" in summary
    assert "Total €123.45" in summary
    assert "Café molido CAF-1 2 €4.50 €9.00" in summary


def test_after_saving_the_user_returns_where_they_came_from(login, sales):
    client = login(Role.OPERATOR)
    ana = sales["ana"]
    # From the customer's page: the order, its edit page, Save, and back there.
    customer_page = f"/admin/customers/details/?id={ana.id}"
    page = get_page(client, customer_page)
    details = html.unescape(re.search(r'href="([^"]*/orders/details/[^"]*)"', page).group(1))
    edit = html.unescape(re.search(r'href="([^"]*/orders/edit/[^"]*)"',
                                   get_page(client, details)).group(1))
    response = client.post_form(edit, {"status": OrderStatus.SHIPPED})
    assert response.status_code == 302
    assert response.headers["Location"] == customer_page
    # A return address on another site is never followed.
    response = client.post_form(f"{ORDERS}edit/?id={sales['paid'].id}"
                                "&url=https://evil.example/admin/orders/",
                                {"status": OrderStatus.DELIVERED})
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


@pytest.mark.parametrize("language, saved", [
    ("en", "Order S1 saved."), ("es", "Pedido S1 guardado."),
])
def test_saving_an_order_names_it_like_every_other_record(login, make, language, saved):
    order = make.order(make.customer("Ana", "García"), sale_code="S1", status=OrderStatus.PAID)
    db.session.commit()
    client = login(Role.OPERATOR)
    client.post_form("/language", {"language": language})
    response = _post_status(client, order, OrderStatus.SHIPPED)
    assert response.status_code == 302
    shown = flashes(get_page(client, response.headers["Location"]))
    assert [m for kind, m in shown if kind == "success"] == [saved]
