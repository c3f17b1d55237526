"""The files the scaffold writes into the project: the view and test modules,
the registry line, and the new texts in the catalogues."""
from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .plan import ViewPlan, model_named, plan_for
from .test_source import render_test
from .view_source import render_view

REGISTRY = Path("admin_app/views/__init__.py")


@dataclass
class Outcome:
    written: list[Path]
    kept: list[Path]
    registered: bool
    untranslated: int
    test_module: Path


def scaffold_view(model_name: str, root: Path, *, force: bool = False,
                  translations: bool = True) -> Outcome:
    plan = plan_for(model_named(model_name))
    test_module = root / "tests" / "views" / f"test_{plan.module}.py"
    files = {
        root / "admin_app" / "views" / f"{plan.module}.py": render_view(plan),
        test_module: render_test(plan),
    }
    written, kept = [], []
    for path, text in files.items():
        (written if write(path, text, force) else kept).append(path)
    registered = register(plan, root)
    untranslated = extract_strings(root) if translations else 0
    return Outcome(written, kept, registered, untranslated, test_module)


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
