"""Default settings, read from the environment; instance/config.py may override any."""
import os


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key")
    # None means "SQLite in the instance folder" (filled in by create_app).
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or None
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLITE_FILENAME = "backoffice.db"

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ("en", "es")
    CURRENCY = "EUR"

    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"

    ADMIN_NAME = "Backoffice"
    SHARE_LINK_MAX_AGE = 24 * 3600  # seconds a wallet share link stays valid
    PAGE_SIZE = 20
    IMPORT_MAX_BYTES = 32 * 1024 * 1024  # the largest CSV file an import accepts
    IMPORT_MAX_ROWS = 100_000            # and the most rows
