"""`flask scaffold view MODEL` (admin_app/scaffold.py): declarations derived from
the model, and, in a copy of the project, the files it writes, the registry
line, the catalogues, no overwrite without --force, and generated tests that
pass with the smoke tests every view gets."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from admin_app import scaffold
from admin_app.models import Address, OfferEvent

PROJECT = Path(__file__).resolve().parents[1]
FLASK = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi"]


def test_declarations_follow_the_columns_kinds():
    plan = scaffold.plan_for(Address)
    assert (plan.view_class, plan.url, plan.nouns) == ("AddressView", "addresses",
                                                       ("address", "addresses"))
    assert plan.columns == ["customer", "line1", "line2", "city", "postcode", "country",
                            "is_default"]
    assert plan.searchable == ["line1", "line2", "city", "postcode", "country"]
    assert plan.filters == ['IntegerEqualFilter(Address.customer_id, _l("Customer number"))',
                            'YesNoFilter(Address.is_default, _l("Is default"))']
    events = scaffold.plan_for(OfferEvent)
    assert '"kind"' in events.filters  # a choice column: filtered by its labels
    assert 'DateRangeFilter(OfferEvent.occurred_at, _l("Occurred at"))' in events.filters
    assert events.searchable == []


def test_an_unknown_model_is_named():
    with pytest.raises(scaffold.ScaffoldError, match="No model named 'Gizmo'"):
        scaffold.model_named("Gizmo")


@pytest.fixture
def project_copy(tmp_path) -> Path:
    copy = tmp_path / "project"
    copy.mkdir()
    for name in ("admin_app", "translations", "migrations", "tests"):
        shutil.copytree(PROJECT / name, copy / name,
                        ignore=shutil.ignore_patterns("__pycache__", "e2e", "*.mo"))
    for name in ("babel.cfg", "wsgi.py", "pytest.ini"):
        shutil.copy(PROJECT / name, copy / name)
    return copy


def _run(command, cwd: Path):
    # The copy tests on its own SQLite file, never on the suite's database.
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "DATABASE_URL")}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def test_scaffolding_a_view_end_to_end(project_copy):
    result = _run([*FLASK, "scaffold", "view", "Offer"], project_copy)
    assert result.returncode == 0, result.stderr
    assert "wrote    admin_app/views/offers.py" in result.stdout
    assert "wrote    tests/views/test_offers.py" in result.stdout
    module = (project_copy / "admin_app/views/offers.py").read_text()
    assert "class OfferView(BaseModelView):" in module
    assert 'column_searchable_list = ("title", "description")' in module
    registry = (project_copy / "admin_app/views/__init__.py").read_text()
    assert registry.count("from .offers import OfferView\n") == 1
    assert "    OfferView,\n    AdminUserView,\n" in registry
    spanish = (project_copy / "translations/es/LC_MESSAGES/messages.po").read_text()
    assert 'msgid "offer"\nmsgstr ""' in spanish  # new, waiting for its translation

    # Again: nothing is overwritten or registered twice; --force rewrites the files.
    (project_copy / "admin_app/views/offers.py").write_text(module + "# edited by hand\n")
    again = _run([*FLASK, "scaffold", "view", "offers"], project_copy)
    assert "kept     admin_app/views/offers.py (exists; --force overwrites it)" in again.stdout
    assert "# edited by hand" in (project_copy / "admin_app/views/offers.py").read_text()
    assert (project_copy / "admin_app/views/__init__.py").read_text() == registry
    forced = _run([*FLASK, "scaffold", "view", "Offer", "--force"], project_copy)
    assert "wrote    admin_app/views/offers.py" in forced.stdout
    assert "# edited by hand" not in (project_copy / "admin_app/views/offers.py").read_text()

    # The generated tests pass, and so do the smoke tests every registered view gets.
    _run([str(Path(sys.executable).parent / "pybabel"), "compile", "-d", "translations",
          "-D", "messages admin"], project_copy)
    tests = _run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                  "tests/views/test_offers.py", "tests/views/test_smoke.py", "-k", "offers"],
                 project_copy)
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert "9 passed" in tests.stdout


def test_an_unknown_model_fails_the_command(project_copy):
    result = _run([*FLASK, "scaffold", "view", "Gizmo"], project_copy)
    assert result.returncode != 0
    assert "No model named 'Gizmo'" in result.stderr
    assert not (project_copy / "admin_app/views/gizmo.py").exists()
