"""A model and its view in a package of their own, written to a temporary folder and
registered on a new app over the suite's database: how a developer's new view is met."""
from __future__ import annotations

import importlib
import sys
import textwrap
from contextlib import contextmanager

from admin_app import create_app
from admin_app.extensions import db

from .conftest import AdminClient


@contextmanager
def throwaway_view(app, folder, package: str, models_source: str, views_source: str,
                   view_name: str):
    """Yield (the new app, the models module, the view class); the model's tables are
    made in the suite's database and dropped, and the package forgotten, afterwards."""
    root = folder / package
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "models.py").write_text(textwrap.dedent(models_source))
    (root / "views.py").write_text(textwrap.dedent(views_source))
    sys.path.insert(0, str(folder))
    models = importlib.import_module(f"{package}.models")
    view_class = getattr(importlib.import_module(f"{package}.views"), view_name)
    models.Base.metadata.create_all(db.engine)
    new_app = create_app({key: app.config[key] for key in (
        "TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "WTF_CSRF_ENABLED",
        "PASSWORD_HASH_METHOD")})
    new_app.test_client_class = AdminClient
    new_app.extensions["admin"][0].add_view(view_class())
    try:
        yield new_app, models, view_class
    finally:
        db.session.rollback()
        models.Base.metadata.drop_all(db.engine)
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n.startswith(package)]:
            del sys.modules[name]
