"""Login, logout, the return to where the user was going, and CSRF."""
from __future__ import annotations

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import AdminUser

from .conftest import TEST_PASSWORD


def test_login_page_renders_with_csrf_token(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'name="csrf_token"' in html
    assert 'name="password"' in html


def test_login_sends_user_back_where_they_were_going(client, users):
    first = client.get("/admin/customers/?search=ana")
    assert first.status_code == 302
    target = first.headers["Location"].split("next=", 1)[1]
    token = client.csrf_token()
    response = client.post("/login", data={
        "email": users[Role.OPERATOR].email, "password": TEST_PASSWORD,
        "next": "/admin/customers/?search=ana", "csrf_token": token,
    })
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/customers/?search=ana"
    assert target  # the login link carried where the user was going
    assert client.get("/admin/customers/").status_code == 200


def test_login_never_redirects_off_site(client, users):
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example",
                 "javascript:alert(1)"):
        response = client.post_form("/login", {
            "email": users[Role.VIEWER].email, "password": TEST_PASSWORD, "next": evil,
        })
        assert response.status_code == 302
        assert response.headers["Location"] == "/admin/", evil
        client.post_form("/logout")


def test_wrong_password_gets_one_message_and_no_session(client, users):
    wrong = client.post_form("/login", {"email": users[Role.ADMIN].email, "password": "nope"})
    unknown = client.post_form("/login", {"email": "nobody@example.com", "password": "nope"})
    for response in (wrong, unknown):
        assert response.status_code == 400
        assert "Invalid email or password." in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_email_is_matched_whatever_its_case(client, users):
    response = client.post_form("/login", {"email": "ADMIN@Example.com", "password": TEST_PASSWORD})
    assert response.status_code == 302


def test_login_without_csrf_token_is_refused(client, users):
    response = client.post("/login", data={"email": users[Role.ADMIN].email,
                                           "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_admin_form_without_csrf_token_is_refused(login, make):
    client = login(Role.ADMIN)
    response = client.post("/admin/groups/new/", data={"name": "No token"})
    assert response.status_code == 400
    from admin_app.models import CustomerGroup
    assert db.session.query(CustomerGroup).count() == 0


def test_logout_ends_the_session(login):
    client = login(Role.ADMIN)
    assert client.get("/admin/").status_code == 200
    response = client.post_form("/logout")
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 302


def test_logout_is_not_a_get(login):
    client = login(Role.ADMIN)
    assert client.get("/logout").status_code == 405
    assert client.get("/admin/").status_code == 200


def test_deactivated_user_is_logged_out_at_once(login, users):
    client = login(Role.MANAGER)
    assert client.get("/admin/customers/").status_code == 200
    user = db.session.get(AdminUser, users[Role.MANAGER].id)
    user.active = False
    db.session.commit()
    assert client.get("/admin/customers/").status_code == 302


def test_inactive_user_cannot_log_in(client, users):
    user = db.session.get(AdminUser, users[Role.VIEWER].id)
    user.active = False
    db.session.commit()
    response = client.post_form("/login", {"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 400


def test_login_records_last_login(client, users):
    client.login(users[Role.VIEWER])
    db.session.expire_all()
    assert db.session.get(AdminUser, users[Role.VIEWER].id).last_login_at is not None


def test_users_change_their_own_password(login, users, client):
    viewer = login(Role.VIEWER)
    assert viewer.get("/account/password").status_code == 200
    wrong = viewer.post_form("/account/password", {
        "current": "not-it", "new": "a-new-long-password", "confirm": "a-new-long-password"})
    assert wrong.status_code == 400 and "not right" in wrong.get_data(as_text=True)
    short = viewer.post_form("/account/password", {
        "current": TEST_PASSWORD, "new": "short", "confirm": "short"})
    assert short.status_code == 400 and "at least 12" in short.get_data(as_text=True)
    done = viewer.post_form("/account/password", {
        "current": TEST_PASSWORD, "new": "a-new-long-password",
        "confirm": "a-new-long-password"})
    assert done.status_code == 302
    db.session.expire_all()
    assert users[Role.VIEWER].check_password("a-new-long-password")
    assert client.get("/account/password").status_code == 302  # anonymous: to the login page
