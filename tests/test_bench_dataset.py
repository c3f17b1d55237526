"""`make bench` and `make load` seed their database through bench/dataset.py: a
change of the seed's signature once broke it on the first chunk, unseen by the suite."""
from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import func, select

from admin_app import create_app
from admin_app.extensions import db
from admin_app.models import AdminUser, Customer

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_the_benchmark_database_seeds_and_tops_up(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    import dataset

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'bench.db'}",
                      "TESTING": True, "SECRET_KEY": "tests-only"})
    dataset.prepare(app, 30)
    dataset.prepare(app, 40)  # a top-up adds the difference
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 40
        db.session.remove()
    sys.modules.pop("dataset", None)


def test_a_bench_user_who_switched_language_reads_english_again(tmp_path, monkeypatch):
    """The bench's filter values and expected texts are English: a run after someone
    logged in as its operator and chose Spanish once failed on the Spanish message."""
    monkeypatch.syspath_prepend(str(BENCH))
    import dataset
    from apps import OURS, client_for, our_app

    app = our_app(f"sqlite:///{tmp_path / 'bench.db'}")
    dataset.prepare(app, 5)
    with app.app_context():
        user = db.session.scalar(select(AdminUser).where(AdminUser.email == dataset.USER_EMAIL))
        user.language, user.role = "es", "viewer"
        user.set_password("someone else's choice")
        db.session.commit()
        db.session.remove()
    dataset.prepare(app, 5)
    page = client_for(OURS, app).get("/admin/customers/")
    assert page.status_code == 200
    assert b'<html lang="en"' in page.data
    with app.app_context():
        user = db.session.scalar(select(AdminUser).where(AdminUser.email == dataset.USER_EMAIL))
        assert (user.language, user.role) == ("en", "operator")
        db.session.remove()
    for module in ("dataset", "apps"):
        sys.modules.pop(module, None)
