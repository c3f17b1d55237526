"""`flask scaffold view MODEL`: a new admin view's first draft, from its model.

It writes the view module (declarations derived from the model's columns,
indexes and relations), one line in the views' registry, a test module that
proves what the declarations promise, and extracts the new texts into the
catalogues. A file that exists is left alone unless ``force`` is given.
"""
from .plan import ScaffoldError, ViewPlan, model_named, plan_for
from .project import Outcome, scaffold_view
from .test_source import render_test
from .view_source import render_view

__all__ = ["Outcome", "ScaffoldError", "ViewPlan", "model_named", "plan_for", "render_test",
           "render_view", "scaffold_view"]
