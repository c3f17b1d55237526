"""Admin users: creation and password rules."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..choices import Language, Role
from ..extensions import db
from ..models import AdminUser
from .emails import normalise_email
from .errors import ValidationError

MIN_PASSWORD_LENGTH = 12


def check_password_policy(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            _("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)
        )


def create_user(email: str, password: str, role: str, name: str | None = None,
                language: str = Language.EN) -> AdminUser:
    """Add an admin user (not committed); refuses a taken email or a weak password."""
    address = normalise_email(email)
    if address is None:
        raise ValidationError(_("An email address is required."))
    if role not in Role.values():
        raise ValidationError(_("Unknown role: %(role)s.", role=role))
    check_password_policy(password)
    taken = db.session.scalar(
        select(func.count(AdminUser.id)).where(func.lower(AdminUser.email) == address)
    )
    if taken:
        raise ValidationError(_("An admin user with this email already exists."))
    user = AdminUser(email=address, name=name or address.split("@")[0], role=role,
                     language=language, active=True)
    user.set_password(password)
    db.session.add(user)
    return user


def check_keeps_an_admin(user_id: int | None, *, was_active_admin: bool, role: str,
                         active: bool) -> None:
    """Refuse the change that would leave no active admin (nobody could manage users)."""
    if was_active_admin and (role != Role.ADMIN or not active):
        others = db.session.scalar(
            select(func.count(AdminUser.id)).where(
                AdminUser.role == Role.ADMIN, AdminUser.active.is_(True),
                AdminUser.id != user_id))
        if not others:
            raise ValidationError(_("At least one active admin must remain."))


def change_password(user: AdminUser, current: str, new: str) -> None:
    """A user's own password change: the current one must be right."""
    if not user.check_password(current or ""):
        raise ValidationError(_("The current password is not right."))
    check_password_policy(new)
    user.set_password(new)
