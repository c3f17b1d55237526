"""Error pages in the user's language, instead of the server's English ones."""
from __future__ import annotations

from flask import Flask, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException

from .choices import AuditAction
from .database import stopped_before_finishing
from .extensions import db
from .redirects import sent_from

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    403: (_l("Not allowed"),
          _l("Your role does not allow this. Ask an administrator if you need it.")),
    404: (_l("Not found"), _l("This page or record does not exist, or no longer exists.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    413: (_l("Too large"), _l("The file or form is larger than this site accepts.")),
    429: (_l("Too many attempts"),
          _l("Too many failed attempts. Wait a few minutes, then try again.")),
    500: (_l("Something went wrong"),
          _l("The server could not finish this request. Try again; if it happens again, "
             "tell an administrator.")),
}
# A change that failed for an unforeseen reason may or may not have been saved (a
# connection lost during the commit): sending it again blindly could save it twice.
UNFINISHED_CHANGE = _l("The server could not finish this. Check whether it was saved before "
                       "you try again; if it happens again, tell an administrator.")
# A form whose save the database stopped comes back as it was sent, with this.
STOPPED_SAVE_MESSAGE = _l("The database was busy or took too long, and nothing was changed. "
                          "Try again in a moment.")
STOPPED_TITLE = _l("The database stopped this request")
STOPPED_PAGE = _l("It took too long, was cancelled, or waited too long for other work to "
                  "finish. Try again in a moment; if a list or search keeps doing this, "
                  "narrow it with a filter.")
STOPPED_SENT = _l("It took too long, was cancelled, or waited too long for other work to "
                  "finish, and nothing was changed. Go back and send it again in a moment.")
CSRF_MESSAGE = (_l("The form has expired"),
                _l("Nothing was saved. Go back, reload the page and send the form again."))


# When even the error page cannot be drawn (it reads the user and their language
# through the database, which may be what failed): both languages, no database.
UNDRAWABLE = """<!DOCTYPE html><html><head><meta charset="UTF-8"><title>Backoffice</title></head>
<body style="font-family: sans-serif; margin: 10vh auto; max-width: 36rem">
<h1 lang="en">Something went wrong</h1><p lang="en">The server could not finish this
request. Try again in a moment; if it happens again, tell an administrator.</p>
<h1 lang="es">Algo salió mal</h1><p lang="es">El servidor no ha podido completar la
solicitud. Inténtelo de nuevo en un momento; si vuelve a ocurrir, avise a un
administrador.</p><p><a href="/admin/">Backoffice</a></p></body></html>"""


def _page(status: int, title, message, headers: dict | None = None, back_url: str | None = None):
    # Nothing of a request that ends in an error page is kept; and the page reads
    # the user (their language) through the session, which a failed statement
    # before the error would have left unusable.
    db.session.rollback()
    try:
        page = render_template("errors/error.html", status=status, title=title, message=message,
                               back_url=back_url)
    except Exception:  # noqa: BLE001 - an error page must not fail in turn
        current_app.logger.exception("the error page for %s could not be drawn", status)
        db.session.rollback()
        page = UNDRAWABLE
    return page, status, headers or {}


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        # A forged cross-site form looks like this: kept in the audit trail.
        from .extensions import db
        from .services import audit

        db.session.rollback()
        audit.record(db.session, AuditAction.REFUSED, object_type="CSRF",
                     summary=f"{request.method} {request.full_path.rstrip('?')}: "
                             f"{error.description}"[:300])
        db.session.commit()
        return _page(400, *CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code not in MESSAGES:
            return error
        return _page(error.code, *MESSAGES[error.code])

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def unstorable_value(error):
        # The last guard: a value the database cannot hold (a number past its
        # range) that no view caught first is the request's fault, not the server's.
        app.logger.warning("value the database refused: %s", error)
        return _page(400, *MESSAGES[400])

    @app.errorhandler(OperationalError)
    def stopped_database_work(error: OperationalError):
        if not stopped_before_finishing(error):
            raise error
        app.logger.warning("database work stopped: %s", error.orig)
        if request.method == "POST":  # a form sent: nothing of it was kept
            return _page(503, STOPPED_TITLE, STOPPED_SENT, {"Retry-After": "5"},
                         back_url=sent_from())
        return _page(503, STOPPED_TITLE, STOPPED_PAGE, {"Retry-After": "5"},
                     back_url=request.full_path)

    @app.errorhandler(500)
    def server_error(error):
        if request.method == "POST":
            return _page(500, MESSAGES[500][0], UNFINISHED_CHANGE)
        return _page(500, *MESSAGES[500])

