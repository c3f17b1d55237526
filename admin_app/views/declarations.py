"""Start-up checks of a view's declarations, as Django's admin checks its own:
a column, sort, search, filter, form, form-field option or label name that the
model does not have fails the start-up, naming the view and the name, instead
of showing an empty column, quietly ignoring a filter or a field's options."""
from __future__ import annotations

from sqlalchemy.orm import RelationshipProperty


class DeclarationError(Exception):
    """A view declares a name its model does not have."""


# Declarations whose entries name the model's fields (or dotted paths through
# its relations), and which declared extras may stand in for a field.
NAMED_IN = {
    "column_list": ("column_formatters",),
    "column_details_list": ("column_formatters_detail", "column_formatters"),
    "column_export_list": ("column_formatters_export", "column_formatters"),
    "column_searchable_list": (),
    "column_filters": (),
    "column_sortable_list": ("column_formatters",),
    "column_default_sort": (),
    "form_columns": ("form_extra_fields",),
    "column_labels": ("column_formatters", "column_formatters_detail", "form_extra_fields"),
    # Options of a form's fields, by field name: a typo would leave the field as it was.
    "form_args": ("form_extra_fields",),
    "form_overrides": ("form_extra_fields",),
    "form_widget_args": ("form_extra_fields",),
    "form_choices": ("form_extra_fields",),
    "column_descriptions": ("column_formatters", "form_extra_fields"),
    # Columns left out, or edited in the list: a typo would leave them in, or crash.
    "form_excluded_columns": ("form_extra_fields",),
    "column_exclude_list": ("column_formatters",),
    "column_editable_list": (),
    # A formatter may also format a listed column the model computes elsewhere.
    "column_formatters": ("column_list", "column_details_list", "column_export_list"),
}


def check_view(view_class, model) -> None:
    """Raise DeclarationError listing every name ``view_class`` declares that
    ``model`` lacks."""
    unknown = []
    for declaration, extras in NAMED_IN.items():
        allowed = set()
        for extra in extras:
            allowed |= set(_declared(view_class, extra) or ())
        for name in _names(_declared(view_class, declaration), declaration):
            if name not in allowed and not has_field(model, name):
                unknown.append(f"{declaration}: {name!r}")
    # Type-to-search fields pick a related record: each key names a relation.
    for name in _declared(view_class, "form_ajax_refs") or ():
        if not is_relation(model, name):
            unknown.append(f"form_ajax_refs: {name!r} (a relation)")
    if unknown:
        raise DeclarationError(
            f"{view_class.__module__}.{view_class.__name__} declares what "
            f"{model.__name__} does not have: {'; '.join(unknown)}")


def _declared(view_class, name: str):
    value = getattr(view_class, name, None)
    # Flask-Admin keeps some old names as descriptors, not values.
    return value if isinstance(value, (dict, list, tuple, str)) else None


def has_field(model, path: str) -> bool:
    """Whether ``path`` ("email", "customer.group.name") leads to an attribute."""
    current = model
    for part in path.split("."):
        attribute = getattr(current, part, None)
        if attribute is None:
            return False
        prop = getattr(attribute, "property", None)
        if isinstance(prop, RelationshipProperty):
            current = prop.mapper.class_
        elif part != path.rsplit(".", 1)[-1]:
            return False  # only relations lead further
    return True


def is_relation(model, name: str) -> bool:
    """Whether ``name`` is one of ``model``'s relations ("customer")."""
    prop = getattr(getattr(model, name, None), "property", None)
    return isinstance(prop, RelationshipProperty)


def _names(declared, declaration: str) -> list[str]:
    """The field names in a declaration (filters and sorts may hold objects and pairs)."""
    if not declared:
        return []
    if declaration == "column_default_sort":
        pairs = declared if isinstance(declared, list) else [declared]
        return [_field_name(p[0] if isinstance(p, tuple) else p) for p in pairs
                if _field_name(p[0] if isinstance(p, tuple) else p)]
    names = []
    for entry in declared:
        if isinstance(entry, tuple):  # ("full_name", ("sort_name", "id")) in a sort list
            label, paths = entry
            names.append(label)
            names += [_field_name(p) for p in (paths if isinstance(paths, tuple) else (paths,))
                      if _field_name(p)]
        elif _field_name(entry):
            names.append(_field_name(entry))
    return names


def _field_name(entry) -> str | None:
    # A string names a field; a column object or a filter object checked itself.
    return entry if isinstance(entry, str) else None

