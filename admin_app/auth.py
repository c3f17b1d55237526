"""Login, logout and who the current admin user is."""
from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, EqualTo

from . import security
from .changes import committed_or_refused
from .choices import AuditAction
from .extensions import db, login_manager
from .forms import SecureForm
from .i18n import LANGUAGE_COOKIE
from .models import AdminUser, utcnow
from .passwords import check_against_nothing
from .redirects import same_site
from .services import audit, users

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to see this page.")
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(session_id: str) -> AdminUser | None:
    """The user a session names, while that session has not been ended.

    A session names "<user id>.<session version>" (AdminUser.get_id); a logout, a
    new password or a deactivation raises the version in the database, so every
    older session, copied cookies included, stops working on every app server.
    """
    user_id, _, version = session_id.partition(".")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(AdminUser, int(user_id))
    # A deactivated user's session stops working at once.
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


class LoginForm(SecureForm):
    email = EmailField(_l("Email"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    next = HiddenField()


def safe_next_url(target: str | None) -> str | None:
    """Only a path on this site (see redirects.is_same_site)."""
    return same_site(target)


def _known_user(email: str) -> AdminUser | None:
    return db.session.execute(
        db.select(AdminUser).where(db.func.lower(AdminUser.email) == email.strip().lower())
    ).scalar_one_or_none()


def authenticate(email: str, password: str) -> AdminUser | None:
    user = _known_user(email)
    if user is None:
        # As slow as a known account's check, so the time taken does not tell
        # which emails are accounts.
        check_against_nothing(password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


@bp.route("/login", methods=["GET", "POST"])
def login():  # throttled per account and address: see security.throttle_login
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next_url(form.next.data) or url_for("admin.index"))
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            audit.record_for(_known_user(form.email.data), AuditAction.LOGIN_FAILED,
                             email=form.email.data.strip()[:254])
            db.session.commit()
            # One message whatever was wrong: no hint whether the account exists.
            flash(_("Invalid email or password."), "error")
        else:
            security.start_session()
            login_user(user)
            user.last_login_at = utcnow()
            audit.record_for(user, AuditAction.LOGIN)
            db.session.commit()
            return redirect(safe_next_url(form.next.data) or url_for("admin.index"))
    elif request.method == "POST":
        flash(_("Please fill in both fields and try again."), "error")
    return render_template("auth/login.html", form=form), (400 if request.method == "POST" else 200)


class PasswordForm(SecureForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(_l("New password"), validators=[DataRequired()])
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))])


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """A user changes their own password (the current one is asked for)."""
    form = PasswordForm()
    if form.validate_on_submit():
        # A password the rules refuse is said under the new password's box.
        with committed_or_refused(show=form.new.errors.append) as outcome:
            users.change_password(current_user, form.current.data, form.new.data)
        if outcome.committed:
            login_user(current_user._get_current_object())  # this session goes on
            flash(_("Your password was changed."), "success")
            return redirect(url_for("admin.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form,
                           password_rule=users.password_rule()), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    audit.record(db.session, AuditAction.LOGOUT)
    users.end_sessions(current_user)  # a copy of this session's cookie ends with it
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch the interface language in one click: saved on the user and in a cookie."""
    language = request.form.get("language", "")
    target = safe_next_url(request.form.get("next")) or url_for("admin.index")
    response = redirect(target)
    if language not in current_app.config["LANGUAGES"]:
        return response
    if current_user.is_authenticated:
        current_user.language = language
        db.session.commit()
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600,
                        httponly=True, samesite="Lax")
    return response


@bp.route("/favicon.ico")
def favicon():
    return "", 204  # no icon: browsers ask on every page; answer without an error


@bp.route("/")
def home():
    return redirect(url_for("admin.index"))
