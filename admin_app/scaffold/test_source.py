"""The scaffolded view's test module: it proves what the declarations promise
(search, each filter through what the list offers, the order, money typed in
either language, choices by their labels, relations picked by typing, the role
table), so that the view ships as it is written and a change that breaks it fails."""
from __future__ import annotations

from datetime import date, datetime

from ..storable import python_type
from .plan import FilterPlan, RelationPlan, ViewPlan, _q

# Distinct words that no example value holds: a search for one finds one row.
SOUGHT_TEXT = "Zephyrine"
SOUGHT_NAME = "Quintessa"
# Two days and a range that holds the first only, typed as ISO (either language reads it).
EARLY, LATE, RANGE = "(2026, 1, 10)", "(2026, 3, 10)", "2026-01-01 – 2026-01-31"


def render_test(plan: ViewPlan) -> str:
    writer = _TestWriter(plan)
    return writer.module()


class _TestWriter:
    def __init__(self, plan: ViewPlan):
        self.plan = plan
        self.model = plan.model.__name__
        self.pages = {"get_page", "listed_ids"}
        self.uses: set[str] = set()  # "date", "datetime", "select", "db", "pytest"

    # -- the module -------------------------------------------------------------
    def module(self) -> str:
        tests = [self.list_and_details(), self.roles(), self.saving(),
                 *(self.choice_in_form(key) for key in self.plan.choices),
                 *(self.relation_in_form(r) for r in self.plan.relations.values()
                   if r.name_field), self.default_order()]
        if self.plan.sortable:
            tests.append(self.sorting())
        if self.plan.searchable:
            tests.append(self.search())
        tests += [self.filtering(flt) for flt in self.plan.filters]
        body = "\n\n".join(tests)
        return "\n".join([self.docstring(), *self.imports(), "", f'URL = "/admin/{self.plan.url}/"',
                          *self.form(), "", "", body])

    def docstring(self) -> str:
        plan = self.plan
        return (f'"""{plan.url}: the {plan.nouns[1]} list, search, filters and order, the form,\n'
                "and who may do what (scaffolded: add a test for each rule this view adds).\n"
                "Every registered view is also opened by every role in test_smoke.py and in\n"
                'both languages in test_bilingual_pages.py."""')

    def imports(self) -> list[str]:
        plan = self.plan
        stdlib = sorted(name for name in ("date", "datetime") if name in self.uses)
        third = (["import pytest"] if "pytest" in self.uses else []) + (
            ["from sqlalchemy import select"] if "select" in self.uses else [])
        first = _from_imports([("admin_app.choices", "Role"),
                               *((c.__module__, c.__name__) for c in plan.choices.values()),
                               *((("admin_app.extensions", "db"),) if "db" in self.uses else ()),
                               (plan.model.__module__, self.model),
                               *((r.target.__module__, r.target.__name__)
                                 for r in plan.relations.values()),
                               (f"admin_app.views.{plan.module}", plan.view_class)])
        local = _from_imports([("..factories", "example"),
                               *(("..pages", name) for name in self.pages),
                               ("..view_checks", "role_gets_what_the_table_allows")])
        sections = [["from __future__ import annotations"],
                    [f"from datetime import {', '.join(stdlib)}"] if stdlib else [],
                    third, first, local]
        lines: list[str] = []
        for section in filter(None, sections):
            lines += [*section, ""]
        return lines[:-1]

    def form(self) -> list[str]:
        """FORM: what a person fills in for a valid new record (amounts aside)."""
        values = {key: _typed(self.plan.model.__table__.columns[key], self.plan)
                  for key in self.plan.form_columns
                  if key not in self.plan.money and key not in self.plan.relations}
        values = {key: value for key, value in values.items() if value is not None}
        items = [f"{_q(key)}: {_q(value)}" for key, value in values.items()]
        form = f"FORM = {{{', '.join(items)}}}"
        if len(form) > 100:  # one field a line
            form = "\n".join(["FORM = {", *(f"    {item}," for item in items), "}"])
        return ["# A valid new record as its form takes it; each test adds amounts and relations.",
                form]

    # -- the tests ----------------------------------------------------------------
    def list_and_details(self) -> str:
        return f'''def test_the_list_and_details_show_a_row(login):
    row = example({self.model})
    client = login(Role.VIEWER)
    assert listed_ids(get_page(client, URL)) == [row.id]
    assert client.get(f"{{URL}}details/?id={{row.id}}").status_code == 200
'''

    def roles(self) -> str:
        self.uses.add("pytest")
        return f'''@pytest.mark.parametrize("role", Role.values())
def test_each_role_gets_what_the_role_table_allows(login, role):
    row = example({self.model})
    role_gets_what_the_table_allows(login(role), {self.plan.view_class}, role, row.id)
'''

    def saving(self) -> str:
        self.uses |= {"select", "db"}
        self.pages.add("form_errors")
        relations = "".join(
            f'    form[{_q(r.key)}] = str(example({r.target.__name__}).id)\n'
            for r in self.plan.relations.values() if r.required)
        if not self.plan.money:
            return f'''def test_a_new_{_snake(self.plan.nouns[0])}_is_saved_from_the_form(login):
    form = dict(FORM)
{relations}    response = login(Role.ADMIN).post_form(f"{{URL}}new/", form)
    assert response.status_code == 302, form_errors(response.get_data(as_text=True))
    assert db.session.scalars(select({self.model})).one() is not None
'''
        self.uses.add("pytest")
        typed = ", ".join(f"{_q(key)}: typed" for key in self.plan.money)
        saved = " and ".join(f"saved.{key} == 1250" for key in self.plan.money)
        return f'''@pytest.mark.parametrize("language, typed", [("en", "12.50"), ("es", "12,50")])
def test_amounts_are_typed_as_the_users_language_writes_them(login, users, language, typed):
    users[Role.ADMIN].language = language
    db.session.commit()
    form = {{**FORM, {typed}}}
{relations}    response = login(Role.ADMIN).post_form(f"{{URL}}new/", form)
    assert response.status_code == 302, form_errors(response.get_data(as_text=True))
    saved = db.session.scalars(select({self.model})).one()
    assert {saved}  # in minor units
'''

    def choice_in_form(self, key: str) -> str:
        self.pages.add("select_options")
        choices = self.plan.choices[key].__name__
        return f'''def test_the_form_offers_each_{key}_by_its_label(login):
    page = get_page(login(Role.ADMIN), f"{{URL}}new/")
    labelled = [(value, str(label)) for value, label in {choices}.choices()]
    assert select_options(page, {_q(key)}) == labelled
'''

    def relation_in_form(self, relation: RelationPlan) -> str:
        target, key = relation.target.__name__, relation.key
        name = _fitting(SOUGHT_NAME, relation.target, relation.name_field)
        typed = _q(name[:5].lower())
        return f'''def test_the_{key}_is_picked_by_typing_not_from_a_list_of_every_one(login):
    {key} = example({target}, {relation.name_field}={_q(name)})
    client = login(Role.ADMIN)
    assert {_q(name)} not in get_page(client, f"{{URL}}new/")  # no option per record
    found = client.get(f"{{URL}}ajax/lookup/", query_string={{"name": {_q(key)}, "query": {typed}}})
    assert [hit[0] for hit in found.get_json()] == [{key}.id]
'''

    def default_order(self) -> str:
        column, descending = self.plan.default_sort
        if column == "id":
            return f'''def test_the_newest_come_first(login):
    first, second = example({self.model}), example({self.model})
    assert listed_ids(get_page(login(Role.VIEWER), URL)) == [second.id, first.id]
'''
        low, high = self._pair(column)
        first, second = ("high", "low") if descending else ("low", "high")
        return f'''def test_the_list_is_in_{column}_order_at_first(login):
    high = example({self.model}, {column}={high})
    low = example({self.model}, {column}={low})
    assert listed_ids(get_page(login(Role.VIEWER), URL)) == [{first}.id, {second}.id]
'''

    def sorting(self) -> str:
        self.uses.add("pytest")
        self.pages.add("sort_link")
        cases = ",\n    ".join(f"({_q(key)}, {', '.join(self._pair(key))})"
                               for key in self.plan.sortable)
        return f'''@pytest.mark.parametrize("column, low, high", [
    {cases},
])
def test_each_sortable_column_sorts_both_ways(login, column, low, high):
    high_row = example({self.model}, **{{column: high}})
    low_row = example({self.model}, **{{column: low}})
    client = login(Role.VIEWER)
    ascending = get_page(client, sort_link(get_page(client, URL), column))
    assert listed_ids(ascending) == [low_row.id, high_row.id]
    descending = get_page(client, sort_link(ascending, column))
    assert listed_ids(descending) == [high_row.id, low_row.id]
'''

    def search(self) -> str:
        """A row found by its first text column and by its related record's name."""
        fields, words, by, related = [], [], [], ""
        for key in [key for key in self.plan.searchable if "." not in key][:1]:
            value = _fitting(SOUGHT_TEXT, self.plan.model, key)
            fields.append(f"{key}={_q(value)}")
            words.append(value.lower())
            by.append(f"its {key}")
        for relation in [r for r in self.plan.relations.values() if r.searched][:1]:
            name = _fitting(SOUGHT_NAME, relation.target, relation.name_field)
            related = (f"    {relation.key} = example({relation.target.__name__}, "
                       f"{relation.name_field}={_q(name)})\n")
            fields.append(f"{relation.key}={relation.key}")
            words.append(name.lower())
            by.append(f"its {relation.key}s name")
        searches = "".join(f"    assert listed_ids(get_page(client, URL, search={_q(word)})) "
                           "== [row.id]\n" for word in words)
        return f'''def test_search_finds_a_row_by_{_snake(" or ".join(by))}(login):
{related}    row = example({self.model}, {", ".join(fields)})
    example({self.model})
    client = login(Role.VIEWER)
{searches}    assert listed_ids(get_page(client, URL, search="no such text at all")) == []
'''

    def filtering(self, flt: FilterPlan) -> str:
        self.pages.add("apply_filter")
        name = f"test_the_{_snake(flt.label)}_filter"
        if flt.kind == "choice":
            self.pages.add("filter_offered")
            choices = self.plan.choices[flt.key]
            one, other = choices.values()[:2]
            return f'''def {name}_offers_each_{flt.key}_by_its_label(login):
    one = example({self.model}, {flt.key}={_q(one)})
    other = example({self.model}, {flt.key}={_q(other)})
    client = login(Role.VIEWER)
    offered = filter_offered(get_page(client, URL), {_q(flt.label)})["options"]
    assert [tuple(option) for option in offered] == [
        (value, str(label)) for value, label in {choices.__name__}.choices()]
    assert listed_ids(apply_filter(client, URL, {_q(flt.label)}, {_q(one)})) == [one.id]
    assert listed_ids(apply_filter(client, URL, {_q(flt.label)}, {_q(other)})) == [other.id]
'''
        if flt.kind == "yes_no":
            return f'''def {name}(login):
    yes = example({self.model}, {flt.key}=True)
    no = example({self.model}, {flt.key}=False)
    client = login(Role.VIEWER)
    assert listed_ids(apply_filter(client, URL, {_q(flt.label)}, "1")) == [yes.id]
    assert listed_ids(apply_filter(client, URL, {_q(flt.label)}, "0")) == [no.id]
'''
        if flt.kind == "date_range":
            early, late = self._pair(flt.key, EARLY, LATE)
            return f'''def {name}_takes_a_range_of_days(login):
    inside = example({self.model}, {flt.key}={early})
    example({self.model}, {flt.key}={late})
    client = login(Role.VIEWER)
    january = apply_filter(client, URL, {_q(flt.label)}, {_q(RANGE)})
    assert listed_ids(january) == [inside.id]
'''
        relation = self.plan.relations[flt.key]
        target = relation.target.__name__
        return f'''def {name}_lists_that_{_snake(relation.key)}s_rows(login):
    mine = example({self.model}, {relation.key}=example({target}))
    example({self.model}, {relation.key}=example({target}))
    client = login(Role.VIEWER)
    value = str(mine.{relation.foreign_key})
    assert listed_ids(apply_filter(client, URL, {_q(flt.label)}, value)) == [mine.id]
'''

    # -- values -------------------------------------------------------------------
    def _pair(self, key: str, early: str = EARLY, late: str = LATE) -> tuple[str, str]:
        """Two values of column ``key`` in ascending order, as Python source."""
        column = self.plan.model.__table__.columns[key]
        if key in self.plan.choices:
            low, high = sorted(self.plan.choices[key].values())[:2]
            return _q(low), _q(high)
        kind = python_type(column)
        if kind is datetime:
            self.uses.add("datetime")
            return f"datetime{early[:-1]}, 9, 0)", f"datetime{late[:-1]}, 9, 0)"
        if kind is date:
            self.uses.add("date")
            return f"date{early}", f"date{late}"
        if kind is bool:
            return "False", "True"
        if kind is int:
            return "100", "200"
        return _q("A"), _q("B")


def _fitting(word: str, model: type, key: str) -> str:
    """``word``, cut to what ``model``'s column ``key`` holds."""
    return word[:getattr(model.__table__.columns[key].type, "length", None)]


def _typed(column, plan: ViewPlan) -> str | None:
    """What a person types into ``column``'s field for a valid record; None where
    the field may stay empty."""
    if column.key in plan.choices:
        return plan.choices[column.key].values()[0]
    required = not column.nullable and column.default is None
    kind = python_type(column)
    length = getattr(column.type, "length", None) or 200
    if kind is str and (required or column.unique):
        examples = {"email": "someone@example.com", "phone": "+34600111222"}
        return examples.get(column.key, f"Example {column.key.replace('_', ' ')}")[:length]
    if not required:
        return None
    if kind is int:
        return "1"
    if kind is date:
        return "2026-11-22"
    if kind is datetime:
        return "2026-11-22 09:00:00"
    return None


def _from_imports(pairs) -> list[str]:
    """``from module import a, b`` lines, modules and names in ruff's order."""
    by_module: dict[str, set[str]] = {}
    for module, name in pairs:
        by_module.setdefault(module, set()).add(name)
    lines = []
    for module in sorted(by_module, key=lambda m: (m.startswith("."), m.lstrip("."))):
        names = sorted(by_module[module], key=_name_order)
        line = f"from {module} import {', '.join(names)}"
        if len(line) > 100:  # one name a line, as ruff wraps them
            line = "\n".join([f"from {module} import (", *(f"    {n}," for n in names), ")"])
        lines.append(line)
    return lines


def _name_order(name: str) -> tuple[int, str]:
    # Ruff's order: CONSTANTS, then Classes, then functions and modules.
    kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return kind, name


def _snake(text: str) -> str:
    return "_".join(text.lower().replace("'", "").split())
