"""Login, logout, the return to where the user was going, and CSRF."""
from __future__ import annotations

import statistics
import time

import pytest

from admin_app.choices import Role
from admin_app.config import Config
from admin_app.extensions import db
from admin_app.models import AdminUser

from .conftest import TEST_PASSWORD
from .pages import still_logged_in


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


def test_a_session_cannot_guess_the_current_password_faster_than_the_login(login, users):
    viewer = login(Role.VIEWER)
    guess = {"new": "a-new-long-password", "confirm": "a-new-long-password"}
    for attempt in range(5):
        wrong = viewer.post_form("/account/password", {"current": f"guess-{attempt}", **guess})
        assert wrong.status_code == 400
    right = viewer.post_form("/account/password", {"current": TEST_PASSWORD, **guess})
    assert right.status_code == 429
    assert "Too many failed attempts" in right.get_data(as_text=True)
    db.session.expire_all()
    assert users[Role.VIEWER].check_password(TEST_PASSWORD)  # unchanged
    # Another user's own attempts are counted apart.
    assert login(Role.OPERATOR).post_form(
        "/account/password", {"current": TEST_PASSWORD, **guess}).status_code == 302


# -- sessions end for good: logout, new password, deactivation ---------------------------

def _copy_session(source, target) -> None:
    """What someone who copied the cookie out of the browser does."""
    cookie = source.get_cookie("session")
    target.set_cookie("session", cookie.value, domain=cookie.domain or "localhost")


def _second_server(app):
    """Another app server on the same database, with the same SECRET_KEY."""
    from admin_app import create_app
    from tests.conftest import AdminClient

    other = create_app({"TESTING": True, "SECRET_KEY": app.config["SECRET_KEY"],
                        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    other.test_client_class = AdminClient
    return other


def test_a_cookie_copied_before_logout_stops_working_on_every_server(app, login):
    viewer = login(Role.VIEWER)
    other = _second_server(app)
    with other.app_context():
        thief = other.test_client()
        _copy_session(viewer, thief)
        assert still_logged_in(thief)  # the copy is as good as the original...
    assert viewer.post_form("/logout").status_code == 302
    with other.app_context():
        response = thief.get("/admin/customers/")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert not still_logged_in(thief)  # ...until the user logs out, on whichever server


def test_a_password_change_ends_the_users_other_sessions_but_not_this_one(app, login, users):
    laptop, phone, stolen = login(Role.OPERATOR), login(Role.OPERATOR), app.test_client()
    _copy_session(laptop, stolen)
    assert still_logged_in(phone) and still_logged_in(stolen)
    done = laptop.post_form("/account/password", {
        "current": TEST_PASSWORD, "new": "a-new-long-password", "confirm": "a-new-long-password"})
    assert done.status_code == 302
    assert still_logged_in(laptop)
    assert not still_logged_in(phone) and not still_logged_in(stolen)


@pytest.mark.slow  # the real, slow hash
def test_login_takes_as_long_for_an_unknown_email_as_for_an_account(app, client, users,
                                                                   monkeypatch):
    """Timing the refusal must not tell which emails are accounts: with the real hash
    (the suite's cheap one is too quick to tell anything apart)."""
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", Config.PASSWORD_HASH_METHOD)
    for role in (Role.VIEWER, Role.OPERATOR):
        users[role].set_password(TEST_PASSWORD)
    db.session.commit()

    def median_seconds(emails) -> float:
        times = []
        for number, email in enumerate(emails):
            started = time.perf_counter()
            response = client.post_form("/login", {"email": email, "password": "not-the-one-1"},
                                        environ_base={"REMOTE_ADDR": f"10.0.0.{number + 1}"})
            times.append(time.perf_counter() - started)
            assert response.status_code == 400
        return statistics.median(times)

    accounts = [users[Role.VIEWER].email, users[Role.OPERATOR].email] * 3
    unknown = [f"nobody{n}@example.com" for n in range(6)]
    known_time, unknown_time = median_seconds(accounts), median_seconds(unknown)
    assert unknown_time > known_time * 0.5, (unknown_time, known_time)


# -- the password policy, on a user's own change -----------------------------------------

WEAK_PASSWORDS = {
    "aaaaaaaaaaaa": "one character repeated",
    "x" * 200_000: "at most 128",
    "password1234": "too common",
    "qwertyuiop123": "too common",
}


@pytest.mark.parametrize("password", WEAK_PASSWORDS)
def test_a_weak_password_is_refused_with_the_reason(login, users, password):
    viewer = login(Role.VIEWER)
    response = viewer.post_form("/account/password", {
        "current": TEST_PASSWORD, "new": password, "confirm": password})
    assert response.status_code == 400
    assert WEAK_PASSWORDS[password] in response.get_data(as_text=True)
    db.session.expire_all()
    assert users[Role.VIEWER].check_password(TEST_PASSWORD)


def test_the_policy_speaks_spanish(app, users):
    user = users[Role.VIEWER]
    user.language = "es"
    db.session.commit()
    spanish = app.test_client()
    assert spanish.login(user).status_code == 302
    page = spanish.post_form("/account/password", {
        "current": TEST_PASSWORD, "new": "aaaaaaaaaaaa", "confirm": "aaaaaaaaaaaa"})
    assert "un mismo carácter repetido" in page.get_data(as_text=True)
    page = spanish.post_form("/account/password", {
        "current": TEST_PASSWORD, "new": "password1234", "confirm": "password1234"})
    assert "demasiado común" in page.get_data(as_text=True)


def test_both_password_forms_state_the_policy_the_service_applies(login, users):
    """The hint is written from the policy's own limits, on the user's own form and on
    an admin's reset, in the reader's language."""
    from admin_app.services.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

    admin = login(Role.ADMIN)
    own = admin.get("/account/password").get_data(as_text=True)
    reset = admin.get(f"/admin/users/edit/?id={users[Role.VIEWER].id}").get_data(as_text=True)
    for page in (own, reset):
        assert f"{MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters" in page
    users[Role.ADMIN].language = "es"
    db.session.commit()
    spanish = admin.get("/account/password").get_data(as_text=True)
    assert f"De {MIN_PASSWORD_LENGTH} a {MAX_PASSWORD_LENGTH} caracteres" in spanish
