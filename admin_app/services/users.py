"""Admin users: creation and password rules."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from zxcvbn import zxcvbn

from ..choices import Language, Role
from ..extensions import db
from ..models import AdminUser
from .emails import normalise_email
from .errors import ValidationError

MIN_PASSWORD_LENGTH = 12
# Long enough for any passphrase; a longer one only makes every login slow to hash.
MAX_PASSWORD_LENGTH = 128
# zxcvbn's score from 0 to 4: 3 takes some 10^8 guesses or more. It knows tens of
# thousands of passwords from public breaches, common words, names, keyboard runs,
# dates and repeats, offline.
MIN_PASSWORD_SCORE = 3


def password_rule() -> str:
    """The policy in one sentence, as the password forms explain it."""
    return _("%(min)s to %(max)s characters, not a common or easily guessed password: a "
             "phrase of unrelated words is best.", min=MIN_PASSWORD_LENGTH,
             max=MAX_PASSWORD_LENGTH)


def check_password_policy(password: str, own_words: tuple[str | None, ...] = ()) -> None:
    """Refuse a password that is short, overlong, blank, one repeated character,
    or common enough to be guessed (breached lists, words, the user's own name)."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            _("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(
            _("The password may have at most %(n)s characters.", n=MAX_PASSWORD_LENGTH))
    if not password.strip():
        raise ValidationError(_("The password cannot be only spaces."))
    if len(set(password)) == 1:
        raise ValidationError(_("The password cannot be one character repeated."))
    if zxcvbn(password, user_inputs=[w for w in own_words if w],
              max_length=MAX_PASSWORD_LENGTH)["score"] < MIN_PASSWORD_SCORE:
        raise ValidationError(_(
            "This password is too common or too easy to guess (it appears in lists of "
            "leaked passwords, or is made of common words, names, dates or keyboard "
            "runs). Choose a longer phrase of unrelated words."))


def create_user(email: str, password: str, role: str, name: str | None = None,
                language: str = Language.EN) -> AdminUser:
    """Add an admin user (not committed); refuses a taken email or a weak password."""
    address = normalise_email(email)
    if address is None:
        raise ValidationError(_("An email address is required."))
    if role not in Role.values():
        raise ValidationError(_("Unknown role: %(role)s.", role=role))
    check_password_policy(password, (address, name))
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


def end_sessions(user: AdminUser) -> None:
    """End every session of ``user``, on every app server and device: sessions
    carry the version they started with (AdminUser.get_id), the user loader
    refuses an older one."""
    user.session_version = (user.session_version or 0) + 1


def set_password(user: AdminUser, password: str) -> None:
    """A new password (the user's own or an admin's reset) ends the user's sessions."""
    check_password_policy(password, (user.email, user.name))
    user.set_password(password)
    if user.id is not None:
        end_sessions(user)


def change_password(user: AdminUser, current: str, new: str) -> None:
    """A user's own password change: the current one must be right."""
    if not user.check_password(current or ""):
        raise ValidationError(_("The current password is not right."))
    set_password(user, new)
