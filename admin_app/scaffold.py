"""`flask scaffold view MODEL`: a new admin view's first draft, from its model.

It writes the view module (declarations derived from the model's columns), one
line in the views' registry, a test module, and extracts the new texts into the
catalogues. A file that exists is left alone unless ``force`` is given.
"""
from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.orm import RelationshipProperty

from .extensions import db
from .storable import python_type as _python_type
from .views.conventions import COMMON_LABELS

# Kept by the code, never typed or shown: not listed, searched or edited.
INTERNAL_COLUMNS = {"search_text", "sort_name", "password_hash", "idempotency_key"}
REGISTRY = Path("admin_app/views/__init__.py")


class ScaffoldError(Exception):
    pass


@dataclass
class ViewPlan:
    """What the scaffolded view declares, derived from its model."""

    model: type
    module: str             # "wishlist_items"
    view_class: str         # "WishlistItemView"
    url: str                # "wishlist-items"
    menu_name: str          # "Wishlist items"
    nouns: tuple[str, str]  # ("wishlist item", "wishlist items")
    columns: list[str] = field(default_factory=list)
    searchable: list[str] = field(default_factory=list)
    filters: list[str] = field(default_factory=list)  # Python expressions
    filter_imports: set[str] = field(default_factory=set)
    labels: dict[str, str] = field(default_factory=dict)
    default_sort: tuple[str, bool] | None = None


def model_named(name: str) -> type:
    """A model by its class name ("WishlistItem") or table name ("wishlist_items")."""
    for mapper in db.Model.registry.mappers:
        model = mapper.class_
        if name.lower() in (model.__name__.lower(), model.__tablename__):
            return model
    raise ScaffoldError(f"No model named {name!r} in admin_app/models.py.")


def plan_for(model: type) -> ViewPlan:
    table = model.__tablename__
    words = table.replace("_", " ")
    singular = _singular(words.split(" ")[-1])
    plan = ViewPlan(model=model, module=table, view_class=f"{model.__name__}View",
                    url=table.replace("_", "-"), menu_name=words.capitalize(),
                    nouns=(" ".join([*words.split(" ")[:-1], singular]), words))
    relations = {prop.key: prop for prop in inspect(model).relationships
                 if prop.direction.name == "MANYTOONE"}
    by_foreign_key = {next(iter(prop.local_columns)).key: key for key, prop in relations.items()}
    for column in model.__table__.columns:
        key = column.key
        if column.primary_key or key in INTERNAL_COLUMNS:
            continue
        if key in by_foreign_key:
            _add_relation(plan, by_foreign_key[key], relations[by_foreign_key[key]])
            continue
        plan.columns.append(key)
        _label(plan, key)
        kind = _python_type(column)
        if "choices" in column.info:
            plan.filters.append(_q(key))
        elif kind is str:
            plan.searchable.append(key)
        elif kind is bool:
            plan.filters.append(f"YesNoFilter({model.__name__}.{key}, _l({_q(_title(key))}))")
            plan.filter_imports.add("YesNoFilter")
        elif kind in (date, datetime):
            plan.filters.append(f"DateRangeFilter({model.__name__}.{key}, _l({_q(_title(key))}))")
            plan.filter_imports.add("DateRangeFilter")
    if "created_at" in plan.columns:
        plan.default_sort = ("created_at", True)
    elif plan.searchable:
        plan.default_sort = (plan.searchable[0], False)
    return plan


def _singular(word: str) -> str:
    """'entries' -> 'entry', 'addresses' -> 'address', 'offers' -> 'offer'."""
    if word.endswith("ies"):
        return word[:-3] + "y"
    if re.search(r"(ss|ch|sh|x)es$", word):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _add_relation(plan: ViewPlan, key: str, prop: RelationshipProperty) -> None:
    plan.columns.append(key)
    _label(plan, key)
    target = prop.mapper.class_
    foreign_key = next(iter(prop.local_columns)).key
    if "name" in target.__table__.columns:
        plan.filters.append(_q(f"{key}.name"))  # Flask-Admin's text filters, joined
    else:
        plan.filters.append(f"IntegerEqualFilter({plan.model.__name__}.{foreign_key}, "
                            f"_l({_q(_title(key) + ' number')}))")
        plan.filter_imports.add("IntegerEqualFilter")


def _label(plan: ViewPlan, key: str) -> None:
    if key not in COMMON_LABELS:
        plan.labels[key] = _title(key)


def _title(key: str) -> str:
    """A column's label: the shared one ("Date added"), or its name in words."""
    if key in COMMON_LABELS:
        return COMMON_LABELS[key]._args[0]  # the English text of the lazy label
    return key.removesuffix("_minor").replace("_", " ").capitalize()


def _q(text: str) -> str:
    """A Python string literal in double quotes, as the project writes them."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'



# -- writing --------------------------------------------------------------------

def render_view(plan: ViewPlan) -> str:
    name = plan.model.__name__
    imports = ["from flask_babel import lazy_gettext as _l", ""]
    if plan.filter_imports:
        imports.append(f"from ..filters import {', '.join(sorted(plan.filter_imports))}")
    imports += [f"from ..models import {name}", "from .base import BaseModelView"]
    lines = [
        f'"""{plan.menu_name}: listed, searched, filtered and edited in the admin."""',
        *imports, "", "",
        f"class {plan.view_class}(BaseModelView):",
        f"    model_class = {name}",
        f"    menu_name = _l({_q(plan.menu_name)})",
        f"    view_url = {_q(plan.url)}",
        f"    record_nouns = (_l({_q(plan.nouns[0])}), _l({_q(plan.nouns[1])}))",
        "",
        _assign("column_list", plan.columns),
    ]
    if plan.searchable:
        lines.append(_assign("column_searchable_list", plan.searchable))
    if plan.filters:
        lines.append("    column_filters = (")
        lines += [f"        {expression}," for expression in plan.filters]
        lines.append("    )")
    if plan.default_sort:
        column, descending = plan.default_sort
        lines.append(f"    column_default_sort = ({_q(column)}, {descending})")
    if plan.labels:
        lines.append("    column_labels = {")
        lines += [f"        {_q(key)}: _l({_q(label)})," for key, label in plan.labels.items()]
        lines.append("    }")
    lines.append(_assign("form_columns", plan.columns))
    return "\n".join(lines) + "\n"


def render_test(plan: ViewPlan) -> str:
    name = plan.model.__name__
    search_test = ""
    if plan.searchable:
        column = plan.searchable[0]
        search_test = f'''

def test_search_finds_a_row_by_its_{column}(login):
    row = example({name})
    client = login(Role.VIEWER)
    assert listed_ids(get_page(client, URL, search=row.{column})) == [row.id]
    assert listed_ids(get_page(client, URL, search="no such text at all")) == []
'''
    return f'''"""{plan.url}: the {plan.nouns[1]} list and details (scaffolded: add a test
for each rule this view adds to its declarations). Login, roles, CSRF, export
and languages are tested for every registered view in test_smoke.py and
test_bilingual_pages.py."""
from __future__ import annotations

from admin_app.choices import Role
from admin_app.models import {name}

from ..factories import example
from ..pages import get_page, listed_ids

URL = "/admin/{plan.url}/"


def test_the_list_and_details_show_a_row(login):
    row = example({name})
    client = login(Role.VIEWER)
    assert listed_ids(get_page(client, URL)) == [row.id]
    assert client.get(f"{{URL}}details/?id={{row.id}}").status_code == 200


def test_a_viewer_cannot_create_or_delete(login):
    row = example({name})
    client = login(Role.VIEWER)
    assert client.get(f"{{URL}}new/").status_code == 403
    assert client.post_form(f"{{URL}}delete/", {{"id": row.id}}).status_code == 403
{search_test}'''


def _assign(name: str, names: list[str]) -> str:
    """``    name = ("a", "b")``, over several lines when it is longer than a line."""
    items = [_q(n) for n in names]
    line = f"    {name} = (" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if len(line) <= 99:
        return line
    wrapped = textwrap.wrap(" ".join(f"{item}," for item in items), width=91)
    return "\n".join([f"    {name} = (", *(f"        {part}" for part in wrapped), "    )"])


def register(plan: ViewPlan, root: Path) -> bool:
    """Add the view to the registry (its import, in order among the others, and a
    line in VIEWS before the admin-only views). False when it is there already."""
    path = root / REGISTRY
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    import_line = f"from .{plan.module} import {plan.view_class}\n"
    if import_line in lines:
        return False
    views = [i for i, line in enumerate(lines) if re.match(r"from \.\w+ import \w+$", line)]
    first, last = views[0], views[-1] + 1  # the views' imports are one block
    lines[first:last] = sorted([*lines[first:last], import_line])
    text = "".join(lines).replace("    AdminUserView,\n",
                                  f"    {plan.view_class},\n    AdminUserView,\n", 1)
    path.write_text(text, encoding="utf-8")
    return True


def write(path: Path, text: str, force: bool) -> bool:
    """Write ``text`` to ``path`` unless it exists (and ``force`` is not given)."""
    if path.exists() and not force:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def extract_strings(root: Path) -> int:
    """Collect the texts of the code into both catalogues (as `make translations`
    does, without compiling) and say how many Spanish entries wait for a translation."""
    pybabel = str(Path(sys.executable).parent / "pybabel")
    template = root / "translations" / "messages.pot"
    subprocess.run([pybabel, "-q", "extract", "-F", "babel.cfg", "-k", "_l", "-k",
                    "lazy_gettext", "-k", "lazy_pgettext:1c,2", "--no-location",
                    "--sort-output", "-o", str(template), "."], cwd=root, check=True)
    subprocess.run([pybabel, "-q", "update", "-i", str(template), "-d", "translations",
                    "-D", "messages", "--no-fuzzy-matching", "--ignore-obsolete"],
                   cwd=root, check=True)
    spanish = (root / "translations/es/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    return len(re.findall(r'\nmsgstr ""\n\n', spanish + "\n"))


@dataclass
class Outcome:
    written: list[Path]
    kept: list[Path]
    registered: bool
    untranslated: int


def scaffold_view(model_name: str, root: Path, *, force: bool = False,
                  translations: bool = True) -> Outcome:
    plan = plan_for(model_named(model_name))
    files = {
        root / "admin_app" / "views" / f"{plan.module}.py": render_view(plan),
        root / "tests" / "views" / f"test_{plan.module}.py": render_test(plan),
    }
    written, kept = [], []
    for path, text in files.items():
        (written if write(path, text, force) else kept).append(path)
    registered = register(plan, root)
    untranslated = extract_strings(root) if translations else 0
    return Outcome(written, kept, registered, untranslated)
