"""What a scaffolded view declares, derived from its model's columns, indexes and
relations, and what its generated test needs to know to prove it."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import UniqueConstraint, inspect

from ..extensions import db
from ..models import Searchable
from ..storable import python_type
from ..views.conventions import COMMON_LABELS
from ..views.relations import NOT_TYPED, lookup_fields


class ScaffoldError(Exception):
    pass


@dataclass
class FilterPlan:
    """One entry of ``column_filters``."""

    kind: str          # "choice", "yes_no", "date_range" or "record_number"
    key: str           # the column or relation it reads: "status", "customer"
    label: str         # its English label: "Status", "Customer number"
    expression: str    # as the view declares it
    imports: tuple[str, ...] = ()  # names from admin_app/filters.py


@dataclass
class RelationPlan:
    """A many-to-one relation: picked by typing in forms (a base-view convention),
    searched by the related record's name, filtered by its number."""

    key: str           # "customer"
    target: type       # Customer
    foreign_key: str   # "customer_id"
    required: bool
    name_field: str | None  # the first field its type-to-search box finds it by: "first_name"
    searched: bool     # the list's search looks in the target's indexed search text


@dataclass
class ViewPlan:
    model: type
    module: str             # "wishlist_items"
    view_class: str         # "WishlistItemView"
    url: str                # "wishlist-items"
    menu_name: str          # "Wishlist items"
    nouns: tuple[str, str]  # ("wishlist item", "wishlist items")
    columns: list[str] = field(default_factory=list)
    form_columns: list[str] = field(default_factory=list)
    searchable: list[str] = field(default_factory=list)
    sortable: list[str] = field(default_factory=list)
    filters: list[FilterPlan] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    default_sort: tuple[str, bool] = ("id", True)
    relations: dict[str, RelationPlan] = field(default_factory=dict)
    money: list[str] = field(default_factory=list)        # "*_minor" columns in the form
    choices: dict[str, type] = field(default_factory=dict)  # column -> its Choices set


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
    # Internal columns (search copies, hashes, keys) are never listed, searched or edited.
    columns = [c for c in model.__table__.columns
               if not c.primary_key and c.key not in NOT_TYPED]
    has_money = any(c.key.endswith("_minor") for c in columns)
    for column in columns:
        if column.key in by_foreign_key:
            _add_relation(plan, relations[by_foreign_key[column.key]], column)
        elif not (has_money and column.key == "currency"):
            # A currency is shown with each amount ("€12.50") and exported beside
            # them: a column of its own would say it twice.
            _add_column(plan, column)
    _choose_order(plan, _indexed(model.__table__))
    return plan


def _add_column(plan: ViewPlan, column) -> None:
    key, kind = column.key, python_type(column)
    plan.columns.append(key)
    _label(plan, key)
    if not _kept_by_the_code(column):
        plan.form_columns.append(key)
        if key.endswith("_minor"):
            plan.money.append(key)
    name = plan.model.__name__
    if "choices" in column.info:
        plan.choices[key] = column.info["choices"]
        plan.filters.append(FilterPlan("choice", key, _title(key), _q(key)))
    elif kind is str:
        plan.searchable.append(key)
    elif kind is bool:
        plan.filters.append(FilterPlan(
            "yes_no", key, _title(key), f"YesNoFilter({name}.{key}, _l({_q(_title(key))}))",
            ("YesNoFilter",)))
    elif kind in (date, datetime) and key in _indexed(column.table):
        # Only an indexed date is filtered: any other range reads every row.
        plan.filters.append(FilterPlan(
            "date_range", key, _title(key),
            f"DateRangeFilter({name}.{key}, _l({_q(_title(key))}))", ("DateRangeFilter",)))


def _kept_by_the_code(column) -> bool:
    """A time the row keeps itself (date added, date updated), never typed."""
    return python_type(column) is datetime and (column.default is not None
                                                or column.onupdate is not None)


def _add_relation(plan: ViewPlan, prop, foreign_key) -> None:
    key, target = prop.key, prop.mapper.class_
    plan.columns.append(key)
    plan.form_columns.append(key)
    _label(plan, key)
    # A searchable model (a customer) is found by its name through its own indexed
    # search text; searching other tables' names would read every row they join.
    searched = issubclass(target, Searchable)
    plan.relations[key] = RelationPlan(key, target, foreign_key.key,
                                       required=not foreign_key.nullable,
                                       name_field=next(iter(lookup_fields(target)), None),
                                       searched=searched)
    for name in _name_fields(target) if searched else ():
        plan.searchable.append(f"{key}.{name}")
        # The search box names what it searches: "Customer first name", in any language.
        plan.labels[f"{key}.{name}"] = f"{_title(key)} {name.replace('_', ' ')}"
    label = f"{_title(key)} number"
    plan.filters.append(FilterPlan(
        "record_number", key, label,
        f"IntegerEqualFilter({plan.model.__name__}.{foreign_key.key}, _l({_q(label)}))",
        ("IntegerEqualFilter",)))


def _name_fields(target) -> list[str]:
    """A searchable model's search fields that make up its name ("first_name",
    "surname"): the base view serves their paths through that model's index."""
    names = [name for name in target.search_fields if "name" in name]
    return names or list(target.search_fields[:1])


def _indexed(table) -> set[str]:
    """Columns an index leads with: sorting on them reads the index, not the table."""
    keys = {c.key for c in table.columns if c.primary_key or c.unique or c.index}
    leading = [list(index.columns) for index in table.indexes] + [
        list(c.columns) for c in table.constraints if isinstance(c, UniqueConstraint)]
    return keys | {columns[0].key for columns in leading if columns}


def _choose_order(plan: ViewPlan, indexed: set[str]) -> None:
    """Sorting is offered on indexed columns only, and the default order reads an
    index: at a million rows any other order sorts the whole table on every page."""
    plan.sortable = [key for key in plan.columns if key in indexed]
    if "created_at" in plan.columns:
        # The newest first: by the date if it is indexed, else by the key, which
        # grows in the same order.
        plan.default_sort = ("created_at", True) if "created_at" in indexed else ("id", True)
        return
    texts = [key for key in plan.sortable if key in plan.searchable]
    plan.default_sort = (texts[0], False) if texts else ("id", True)


def _singular(word: str) -> str:
    """'entries' -> 'entry', 'addresses' -> 'address', 'offers' -> 'offer'."""
    if word.endswith("ies"):
        return word[:-3] + "y"
    if re.search(r"(ss|ch|sh|x)es$", word):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


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
