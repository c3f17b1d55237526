"""`make bench` and `make load` seed their database through bench/dataset.py: a
change of the seed's signature once broke it on the first chunk, unseen by the suite."""
from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import func, select

from admin_app import create_app
from admin_app.extensions import db
from admin_app.models import Customer

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
