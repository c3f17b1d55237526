"""Error pages in the user's language, instead of the server's English ones."""
from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException

from .choices import AuditAction
from .database import stopped_before_finishing
from .extensions import db

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
STOPPED_MESSAGE = (
    _l("The database stopped this request"),
    _l("It took too long, was cancelled, or waited too long for other work to finish. "
       "Try again in a moment; if a list or search keeps doing this, narrow it with a filter."))
CSRF_MESSAGE = (_l("The form has expired"),
                _l("Nothing was saved. Go back, reload the page and send the form again."))


def _page(status: int, title, message):
    return render_template("errors/error.html", status=status, title=title, message=message), status


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
        db.session.rollback()
        app.logger.warning("value the database refused: %s", error)
        return _page(400, *MESSAGES[400])

    @app.errorhandler(OperationalError)
    def stopped_database_work(error: OperationalError):
        if not stopped_before_finishing(error):
            raise error
        db.session.rollback()
        app.logger.warning("database work stopped: %s", error.orig)
        page, status = _page(503, *STOPPED_MESSAGE)
        return page, status, {"Retry-After": "5"}

    @app.errorhandler(500)
    def server_error(error):
        return _page(500, *MESSAGES[500])

