"""Default settings, read from the environment; instance/config.py may override any."""
import os

from flask import current_app

DEFAULT_SECRET_KEY = "dev-only-insecure-key"
# "production" turns on Secure cookies and HSTS, and refuses the default SECRET_KEY.
ENVIRONMENT = os.environ.get("BACKOFFICE_ENV") or os.environ.get("FLASK_ENV") or "development"


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    PRODUCTION = ENVIRONMENT == "production"
    # None means "SQLite in the instance folder" (filled in by create_app).
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or None
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLITE_FILENAME = "backoffice.db"
    SQLITE_CACHE_MB = 32  # page cache per SQLite connection
    SQLITE_BULK_LOAD_CACHE_MB = 1024  # the same while a seed loads millions of rows

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ("en", "es")
    CURRENCY = "EUR"  # of every amount that names none; read it with default_currency()

    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = PRODUCTION
    SESSION_IDLE_TIMEOUT = 60 * 60        # seconds without a request before a new login
    SESSION_MAX_AGE = 12 * 3600           # seconds after login, whatever the activity
    # How passwords are hashed (Werkzeug's method string): scrypt is memory-hard and
    # takes about 0.1 s a check. Production refuses anything else; the test suite
    # sets a cheap one so that its thousands of logins do not take minutes.
    PASSWORD_HASH_METHOD = "scrypt"

    # Failed logins allowed before a pause, per account and per address.
    LOGIN_LIMIT_PER_ACCOUNT = "5 per 15 minutes"
    LOGIN_LIMIT_PER_IP = "20 per 15 minutes"
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = False
    # Reverse proxies (load balancer, TLS terminator) in front of the app servers.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))

    # The seller as every invoice must state it (Spain: legal name, NIF/CIF, address),
    # the series its numbers belong to and the VAT rate (percent) included in prices.
    # An invoice PDF is refused until the first three are set.
    INVOICE_SELLER_NAME = os.environ.get("INVOICE_SELLER_NAME", "")
    INVOICE_SELLER_TAX_ID = os.environ.get("INVOICE_SELLER_TAX_ID", "")
    INVOICE_SELLER_ADDRESS = os.environ.get("INVOICE_SELLER_ADDRESS", "")
    INVOICE_SERIES = os.environ.get("INVOICE_SERIES", "A")
    INVOICE_VAT_RATE = os.environ.get("INVOICE_VAT_RATE", "21")

    ADMIN_NAME = "Backoffice"
    SHARE_LINK_MAX_AGE = 24 * 3600  # seconds a wallet share link stays valid
    LIST_EXACT_COUNT = 100_000  # lists count rows exactly up to this; past it, estimates
    SEARCH_EXACT_COUNT = 1_000  # and searches up to this
    # and filtered lists up to this: a broad filter (opt-in, country) counted to
    # 100,000 read that many index entries, most of a page's 50 ms at a million rows.
    FILTER_EXACT_COUNT = 10_000
    DASHBOARD_MAX_AGE = 300  # seconds the home page's figures are kept before recomputing
    # The largest request (413 past it): every form fits many times over.
    MAX_CONTENT_LENGTH = 1024 * 1024
    IMPORT_MAX_BYTES = 32 * 1024 * 1024  # the largest CSV file an import accepts
    IMPORT_MAX_ROWS = 100_000            # and the most rows
    # Where an imported phone without its country code is read when its row names
    # no country (ISO 3166 alpha-2).
    DEFAULT_PHONE_REGION = os.environ.get("DEFAULT_PHONE_REGION", "ES")

    # Work outside the request (admin_app/jobs/): the queue the worker reads. None
    # means Huey's SQLite storage in the instance folder (one machine); production
    # with several app servers sets redis://host:6379/0.
    QUEUE_URL = os.environ.get("QUEUE_URL") or None
    QUEUE_WORKERS = int(os.environ.get("QUEUE_WORKERS", "2"))  # threads of one worker
    # An import of more rows than this is applied and undone by the worker, with a
    # progress bar; a smaller one at once. Jobs commit every JOB_CHUNK_ROWS rows, so
    # other users' changes wait at most one chunk for the database.
    IMPORT_JOB_MIN_ROWS = int(os.environ.get("IMPORT_JOB_MIN_ROWS", "2000"))
    JOB_CHUNK_ROWS = int(os.environ.get("JOB_CHUNK_ROWS", "1000"))
    # An import (or undo) that changes at least this many records leaves PostgreSQL's
    # tables vacuumed and analysed when it commits (services/import_statistics.py).
    IMPORT_REFRESH_MIN_ROWS = int(os.environ.get("IMPORT_REFRESH_MIN_ROWS", "10000"))
    # SQLite has one writer at a time and no queue: a request waiting to write retries
    # every 100 ms, so a job leaves the database free this long between its chunks.
    SQLITE_JOB_PAUSE = float(os.environ.get("SQLITE_JOB_PAUSE", "0.1"))
    # A running job silent this long is taken to be dead: resumed from its last chunk.
    JOB_STALL_SECONDS = int(os.environ.get("JOB_STALL_SECONDS", "120"))
    # Seconds an unapplied preview keeps its file and rows (then it is discarded).
    IMPORT_PREVIEW_MAX_AGE = int(os.environ.get("IMPORT_PREVIEW_MAX_AGE", str(7 * 24 * 3600)))
    EXPIRY_HOUR = int(os.environ.get("EXPIRY_HOUR", "2"))  # daily credit expiry, local hour
    # A scheduled run queued this many seconds ago and not finished was lost (its
    # worker was killed): the next look queues it again.
    SCHEDULED_RUN_LOST = int(os.environ.get("SCHEDULED_RUN_LOST", "3600"))

    # Mail, the Flask way (Flask-Mailman). Without MAIL_SERVER, messages are written
    # as .eml files in instance/mail/ (readable from the outbox) and never leave.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "").lower() in ("1", "true", "yes")
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "").lower() in ("1", "true", "yes")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", "30"))  # seconds an SMTP server has
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER",
                                         "Backoffice Demo <shop@example.com>")
    SHOP_NAME = os.environ.get("SHOP_NAME", "Backoffice Demo")  # signs every message
    # Seconds before each retry of a message that failed; after the last, it is failed.
    MAIL_RETRY_DELAYS = tuple(int(seconds) for seconds in os.environ.get(
        "MAIL_RETRY_DELAYS", "60,300,1800,7200").split(","))
    # A message "sending" this long was interrupted (its worker killed during or after
    # the SMTP call): it is sent again once, with the same Message-ID. Well above
    # MAIL_TIMEOUT, so that a slow server is never taken for a dead worker.
    MAIL_IN_DOUBT_AFTER = int(os.environ.get("MAIL_IN_DOUBT_AFTER", "300"))
    # Where messages are written without MAIL_SERVER (None: instance/mail/).
    MAIL_FILE_PATH = os.environ.get("MAIL_FILE_PATH") or None
    # The SMS provider: the dotted path of a factory taking the app's config and
    # returning an SmsSender (services/sms.py). None: text messages wait, "not sendable".
    SMS_SENDER = os.environ.get("SMS_SENDER") or None
    # Where links in messages point (the worker has no request to read it from).
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")
    # Seconds a customer's password reset link is valid.
    CUSTOMER_RESET_MAX_AGE = int(os.environ.get("CUSTOMER_RESET_MAX_AGE", "3600"))


def default_currency() -> str:
    """The currency of amounts that name none, as the app's settings decide it:
    new records' currency, money shown or typed without one, exports."""
    return current_app.config["CURRENCY"]
