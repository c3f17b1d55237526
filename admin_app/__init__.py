"""Backoffice: the application factory."""
from __future__ import annotations

import os

from flask import Flask

from .config import Config
from .storable import DatabaseIntConverter


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    # Before any route: an id in a URL past the database's range is a 404, not a 500.
    app.url_map.converters["int"] = DatabaseIntConverter
    app.config.from_object(Config)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app)

    register_extensions(app)
    register_blueprints(app)
    register_admin(app)
    register_cli(app)
    return app


def database_url(app: Flask) -> str:
    """The configured URL, or the SQLite file in instance/; postgres URLs use psycopg 3."""
    url = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        return "sqlite:///" + os.path.join(app.instance_path, app.config["SQLITE_FILENAME"])
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def register_extensions(app: Flask) -> None:
    from . import database, i18n, jobs
    from .extensions import babel, csrf, db, login_manager, mail, migrate
    from .services import audit, consent, mail_delivery, search  # noqa: F401 (consent: its listener)

    db.init_app(app)
    database.configure_engines(app)
    migrate.init_app(
        app, db, directory=os.path.join(app.root_path, "..", "migrations"), render_as_batch=True,
        include_object=search.include_in_migrations,
    )
    # Babel must be bound before Flask-Admin renders anything.
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        default_translation_directories=i18n.TRANSLATIONS_DIR,
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)
    audit.init_app()
    jobs.init_app(app)
    mail.init_app(app)
    mail_delivery.check_configuration(app)


def register_blueprints(app: Flask) -> None:
    from . import account_reset, auth, errors, security, share

    app.register_blueprint(auth.bp)
    app.register_blueprint(share.bp)
    app.register_blueprint(account_reset.bp)
    errors.init_app(app)
    security.init_app(app)


def register_admin(app: Flask) -> None:
    from . import redirects
    from .views import build_admin

    redirects.init_app(app)  # Flask-Admin's url= targets: paths on this site only
    build_admin(app)


def register_cli(app: Flask) -> None:
    from . import cli

    cli.init_app(app)
