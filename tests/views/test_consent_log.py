"""The consent log as staff see it: the customer form's opt-in (create, edit) is
logged as "form" with who saved it; the customer page's "Marketing consent" table
shows when, yes/no, where from and who, in English and Spanish; the list's
marketing filter reads the opt-in as it is now."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from admin_app.choices import ConsentSource, Role
from admin_app.extensions import db
from admin_app.models import ConsentChange, Customer

from ..pages import get_page, listed_ids, speak, text

CUSTOMERS = "/admin/customers/"


def form(**fields) -> dict:
    data = {"first_name": "Lucía", "surname": "Moreno", "email": "", "phone": "",
            "postcode": "", "country": "", "birthday": "", "card_number": "", "tax_id": "",
            "group": "__None", "language": "en", "channel": "in_store", "notes": ""}
    data.update(fields)
    return data


def logged() -> list[tuple[bool, str, int | None]]:
    db.session.expire_all()
    return [(c.opted_in, c.source, c.actor_id)
            for c in db.session.scalars(select(ConsentChange).order_by(ConsentChange.id))]


def consent_table(page: str) -> list[list[str]]:
    block = page.split('id="consents"', 1)[1].split("</table>", 1)[0]
    body = block.split("<tbody>", 1)[1] if "<tbody>" in block else ""
    return [[text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in body.split("<tr>")[1:]]


def test_the_form_logs_the_opt_in_with_who_saved_it(login, users):
    operator = login(Role.OPERATOR)
    operator_id = users[Role.OPERATOR].id
    assert operator.post_form(f"{CUSTOMERS}new/", form(marketing_opt_in="y")).status_code == 302
    customer = db.session.scalars(select(Customer)).one()
    assert logged() == [(True, "form", operator_id)]
    edit = f"{CUSTOMERS}edit/?id={customer.id}"
    # Saved again with the opt-in unchanged: nothing to log. Then taken off, then on.
    operator.post_form(edit, form(marketing_opt_in="y", notes="Called"))
    assert len(logged()) == 1
    operator.post_form(edit, form())
    login(Role.MANAGER).post_form(edit, form(marketing_opt_in="y"))
    assert logged() == [(True, "form", operator_id), (False, "form", operator_id),
                        (True, "form", users[Role.MANAGER].id)]


def test_a_customer_created_without_the_opt_in_logs_nothing(operator):
    operator.post_form(f"{CUSTOMERS}new/", form())
    assert logged() == []


def test_a_form_refused_logs_nothing(operator, make):
    make.customer(email="taken@example.com")
    response = operator.post_form(f"{CUSTOMERS}new/", form(marketing_opt_in="y",
                                                           email="taken@example.com"))
    assert response.status_code == 200  # the form again, with the reason
    assert logged() == []


@pytest.fixture
def history(make, users):
    """A customer whose opt-in went on (the operator, by form), off (an import by the
    manager), on (a merge the system made)."""
    customer = make.customer("Ana", "García", marketing_opt_in=True)
    db.session.execute(ConsentChange.__table__.delete())
    rows = [(True, ConsentSource.FORM, users[Role.OPERATOR].id, datetime(2026, 3, 1, 9, 30)),
            (False, ConsentSource.IMPORT, users[Role.MANAGER].id, datetime(2026, 3, 2, 16, 5)),
            (True, ConsentSource.MERGE, None, datetime(2026, 3, 3, 11, 0))]
    for opted_in, source, actor, at in rows:
        db.session.add(ConsentChange(customer_id=customer.id, opted_in=opted_in, source=source,
                                     actor_id=actor, at=at))
    db.session.commit()
    return customer


@pytest.mark.parametrize("language, heading, expected", [
    ("en", "Marketing consent", [
        ["3/3/2026 11:00 AM", "Yes", "Merge", "the system"],
        ["3/2/2026 4:05 PM", "No", "Import", "Manager"],
        ["3/1/2026 9:30 AM", "Yes", "Form", "Operator"]]),
    ("es", "Consentimiento de marketing", [
        ["3/3/2026 11:00", "Sí", "Fusión", "el sistema"],
        ["2/3/2026 16:05", "No", "Importación", "Manager"],
        ["1/3/2026 9:30", "Sí", "Formulario", "Operator"]]),
])
def test_the_customer_page_shows_the_log_newest_first(login, users, history, language,
                                                      heading, expected):
    viewer = login(Role.VIEWER)
    speak(users[Role.VIEWER], language)
    page = get_page(viewer, f"{CUSTOMERS}details/?id={history.id}")
    block = page.split('id="consents"', 1)[1]
    assert text(block.split("</h3>", 1)[0]).lstrip(">").strip() == heading
    assert consent_table(page) == expected


def test_a_customer_with_no_change_says_so(login, make):
    customer = make.customer()
    page = get_page(login(Role.VIEWER), f"{CUSTOMERS}details/?id={customer.id}")
    assert "No changes of marketing consent recorded." in text(page.split('id="consents"')[1])


def test_the_marketing_filter_reads_the_opt_in_as_it_is_now(admin_client, make):
    ana = make.customer("Ana", "Uno", marketing_opt_in=True)
    bea = make.customer("Bea", "Dos", marketing_opt_in=False)
    edit = f"{CUSTOMERS}edit/?id="

    def opted(value: str) -> list[int]:
        return sorted(listed_ids(get_page(admin_client, CUSTOMERS,
                                          flt0_marketing_optin_is=value)))

    assert (opted("1"), opted("0")) == ([ana.id], [bea.id])
    admin_client.post_form(f"{edit}{ana.id}", form(first_name="Ana", surname="Uno",
                                                   email=ana.email))
    admin_client.post_form(f"{edit}{bea.id}", form(first_name="Bea", surname="Dos",
                                                   email=bea.email, marketing_opt_in="y"))
    assert (opted("1"), opted("0")) == ([bea.id], [ana.id])
    assert len(logged()) == 3  # Ana's creation, then one change each
