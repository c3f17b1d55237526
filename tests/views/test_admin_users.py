"""Admin users, for admins: create with a password that meets the policy, change a
role, reset a password, deactivate; never leave the app without an active admin."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import AdminUser

from ..conftest import CHEAP_PASSWORD_HASH
from ..pages import get_page, still_logged_in, text

URL = "/admin/users/"


def form(user: AdminUser | None = None, **fields) -> dict:
    data = {"email": "new@example.com", "name": "New", "role": "operator", "language": "es",
            "active": "y"}
    if user is not None:
        data.update(email=user.email, name=user.name, role=user.role, language=user.language)
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def test_an_admin_creates_a_user_whose_password_meets_the_policy(admin_client):
    response = admin_client.post_form(f"{URL}new/", form(new_password="short"))
    assert response.status_code == 200
    assert "at least 12 characters" in text(response.get_data(as_text=True))
    assert db.session.scalar(select(AdminUser).where(AdminUser.email == "new@example.com")) \
        is None
    response = admin_client.post_form(f"{URL}new/", form(new_password="a-long-enough-one"))
    assert response.status_code == 302
    user = db.session.scalar(select(AdminUser).where(AdminUser.email == "new@example.com"))
    assert user.role == "operator" and user.check_password("a-long-enough-one")
    # Hashed with the app's method (scrypt in production, the suite's cheap one here).
    assert user.password_hash.startswith(f"{CHEAP_PASSWORD_HASH}$")


def test_a_role_change_and_a_password_reset(admin_client, users):
    target = users[Role.VIEWER]
    response = admin_client.post_form(f"{URL}edit/?id={target.id}",
                                      form(target, role="manager", active="y",
                                           new_password="reset-by-the-admin"))
    assert response.status_code == 302
    db.session.expire_all()
    assert target.role == "manager" and target.check_password("reset-by-the-admin")
    # Leaving the password empty keeps it.
    admin_client.post_form(f"{URL}edit/?id={target.id}", form(target, active="y"))
    db.session.expire_all()
    assert target.check_password("reset-by-the-admin")


def test_the_last_active_admin_stays(admin_client, users):
    me = users[Role.ADMIN]
    response = admin_client.post_form(f"{URL}edit/?id={me.id}", form(me, role="viewer",
                                                                      active="y"))
    assert response.status_code == 200
    assert "At least one active admin must remain" in text(response.get_data(as_text=True))
    db.session.expire_all()
    assert me.role == "admin"


def test_users_are_deactivated_not_deleted(admin_client, users):
    page = get_page(admin_client, URL)
    assert f"{URL}delete/" not in page
    response = admin_client.post_form(f"{URL}delete/", {"id": str(users[Role.VIEWER].id)})
    assert response.status_code == 403
    assert db.session.get(AdminUser, users[Role.VIEWER].id) is not None


def test_only_admins_manage_users(login):
    manager = login(Role.MANAGER)
    assert manager.get(URL).status_code == 403
    assert "/admin/users/" not in get_page(manager, "/admin/")


def test_an_admins_password_reset_ends_the_users_sessions(admin_client, login, users):
    target = users[Role.OPERATOR]
    operator = login(Role.OPERATOR)
    assert still_logged_in(operator)
    response = admin_client.post_form(f"{URL}edit/?id={target.id}",
                                      form(target, active="y", new_password="reset-by-the-admin"))
    assert response.status_code == 302
    assert not still_logged_in(operator)
    assert still_logged_in(admin_client)


def test_an_admin_who_resets_their_own_password_stays_logged_in(admin_client, users):
    me = users[Role.ADMIN]
    response = admin_client.post_form(f"{URL}edit/?id={me.id}",
                                      form(me, active="y", new_password="reset-by-the-admin"))
    assert response.status_code == 302
    assert still_logged_in(admin_client)


def test_reactivating_a_user_does_not_revive_their_old_sessions(admin_client, login, users):
    target = users[Role.OPERATOR]
    operator = login(Role.OPERATOR)
    admin_client.post_form(f"{URL}edit/?id={target.id}", form(target, active=None))
    assert not still_logged_in(operator)
    admin_client.post_form(f"{URL}edit/?id={target.id}", form(target, active="y"))
    db.session.expire_all()
    assert target.active
    assert not still_logged_in(operator)
    assert still_logged_in(login(Role.OPERATOR))  # a new login works


@pytest.mark.parametrize("language, expected", [
    ("en", {"aaaaaaaaaaaa": "one character repeated", " " * 12: "only spaces",
            "x" * 200_000: "at most 128 characters", "iloveyou1234": "too common"}),
    ("es", {"aaaaaaaaaaaa": "un mismo carácter repetido", " " * 12: "solo por espacios",
            "x" * 200_000: "como máximo 128 caracteres", "iloveyou1234": "demasiado común"}),
])
def test_a_reset_to_a_weak_password_is_refused_in_the_admins_language(
        app, users, language, expected):
    admin = users[Role.ADMIN]
    admin.language = language
    db.session.commit()
    client = app.test_client()
    assert client.login(admin).status_code == 302
    target = users[Role.VIEWER]
    for password, message in expected.items():
        response = client.post_form(f"{URL}edit/?id={target.id}",
                                    form(target, active="y", new_password=password))
        assert response.status_code == 200, password[:20]
        assert message in text(response.get_data(as_text=True)), password[:20]
    db.session.expire_all()
    assert target.check_password("correct-horse-battery")
