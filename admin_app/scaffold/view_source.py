"""The scaffolded view module: a class of declarations, written as the project
writes its views."""
from __future__ import annotations

import textwrap

from .plan import ViewPlan, _q


def render_view(plan: ViewPlan) -> str:
    name = plan.model.__name__
    imports = ["from flask_babel import lazy_gettext as _l", ""]
    filter_imports = sorted({n for flt in plan.filters for n in flt.imports})
    if filter_imports:
        imports.append(f"from ..filters import {', '.join(filter_imports)}")
    imports += [f"from ..models import {name}", "from .base import MARKET, BaseModelView"]
    lines = [
        f'"""{plan.menu_name}: listed, searched, filtered and edited in the admin.',
        "",
        "Amounts (*_minor) are typed as money in the user's language and related records",
        'are picked by typing: the base view does both for every view."""',
        *imports, "", "",
        f"class {plan.view_class}(BaseModelView):",
        f"    model_class = {name}",
        f"    menu_name = _l({_q(plan.menu_name)})",
        f"    view_url = {_q(plan.url)}",
        f"    record_nouns = (_l({_q(plan.nouns[0])}), _l({_q(plan.nouns[1])}))",
        "    # The top row of the menu is full at 1,366 px in Spanish: new views join a group.",
        "    menu_category = MARKET",
        "    success_messages = {",
        *(f"        {_q(change)}: _l({_q(f'{noun} %(name)s {change}.')}),"
          for change, noun in (("created", plan.nouns[0].capitalize()),
                               ("saved", plan.nouns[0].capitalize()),
                               ("deleted", plan.nouns[0].capitalize()))),
        "    }",
        "",
        _assign("column_list", plan.columns),
    ]
    if plan.searchable:
        lines.append(_assign("column_searchable_list", plan.searchable))
    if plan.filters:
        lines.append("    column_filters = (")
        lines += [f"        {flt.expression}," for flt in plan.filters]
        lines.append("    )")
    lines += [
        "    # Sorted on indexed columns only: any other order reads the whole table at",
        "    # a million rows. Index a column in the model (and its migration) to add it.",
        _assign("column_sortable_list", plan.sortable),
        f"    column_default_sort = ({_q(plan.default_sort[0])}, {plan.default_sort[1]})",
    ]
    if plan.labels:
        lines.append("    column_labels = {")
        lines += [f"        {_q(key)}: _l({_q(label)})," for key, label in plan.labels.items()]
        lines.append("    }")
    lines.append(_assign("form_columns", plan.form_columns))
    return "\n".join(lines) + "\n"


def _assign(name: str, names: list[str]) -> str:
    """``    name = ("a", "b")``, over several lines when it is longer than a line."""
    items = [_q(n) for n in names]
    line = f"    {name} = (" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if len(line) <= 99:
        return line
    wrapped = textwrap.wrap(" ".join(f"{item}," for item in items), width=91)
    return "\n".join([f"    {name} = (", *(f"        {part}" for part in wrapped), "    )"])
