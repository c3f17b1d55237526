"""Reading an import's rows: a value that repeats down a column (a country, a group,
yes or no, tags) is read the same on every row, and a refused one is refused on
every row it is on, with its reason."""
from __future__ import annotations

from admin_app.services import imports


def test_repeated_values_are_read_alike_on_every_row(make):
    students = make.group("Students")
    rows = ["First name,Surname,Email,Country,Group,Marketing opt-in,Tags"]
    for n in range(6):
        country = ("Spain", "ES", "España", "Atlantis")[n % 4]
        group = "students" if n % 3 else "Nobody"
        rows.append(f"Ana{n},Ruiz,ana{n}@example.com,{country},{group},"
                    f"{'yes' if n % 2 else 'maybe'},\"VIP, Students\"")
    _batch, plan = imports.preview("customers", "list.csv", "\n".join(rows).encode(), actor=None)
    problems = sorted((problem.line, str(problem.field), str(problem.message))
                      for problem in plan.problems)
    assert problems == [
        (2, "Group", "There is no group with this name; create it first."),
        (2, "Marketing opt-in", "Write yes or no."),
        (4, "Marketing opt-in", "Write yes or no."),
        (5, "Country", "Unknown country: write its name or its two-letter code."),
        (5, "Group", "There is no group with this name; create it first."),
        (6, "Marketing opt-in", "Write yes or no."),
    ]
    assert [(line, values["country"], values["group_id"], values["marketing_opt_in"])
            for line, values in plan.creates] == [(3, "ES", students.id, True),
                                                  (7, "ES", students.id, True)]


def test_a_tag_naming_one_group_puts_every_row_with_it_there(make):
    vip = make.group("VIP")
    content = "First name,Surname,Tags\n" + "".join(
        f"Ana{n},Ruiz,\"{tags}\"\n" for n, tags in enumerate(
            ["vip, newsletter", "vip, newsletter", "Other", "vip, newsletter"]))
    _batch, plan = imports.preview("customers", "list.csv", content.encode(), actor=None)
    assert [values.get("group_id") for _line, values in plan.creates] == [
        vip.id, vip.id, None, vip.id]
