"""One browser page for the whole run, handed to each test as if it were new.

A new browser context, or only a new page, costs a test a renderer process, and
its first page pays again for compiling every script of the app: about 1.5 s of
CPU a test. The run keeps one page instead, and before each test empties it of all
a test can leave behind: the tabs it opened, its document, the pointer over it, its
viewport size, the cookies, the requests it intercepted (``page.route``) and the
event handlers it added (``page.on`` / ``page.once``), so that no test answers
another's dialog. The app keeps nothing else in the browser (no local or session
storage). A test that needs settings of its own (init scripts, exposed functions,
emulated media) opens a context of its own, as the copied-session test does.
"""
from __future__ import annotations

from typing import Any


class RunPage:
    """``start()`` before each test gives the page as new; ``end()`` after it removes
    the event handlers the test added."""

    def __init__(self, context, viewport: dict[str, int]):
        self.context = context
        self.viewport = viewport
        self.added: list[tuple[str, Any]] = []
        self.page = None

    def start(self):
        context = self.context
        if self.page is None or self.page.is_closed():
            self.page = context.new_page()
        for other in context.pages:  # a tab the last test opened (a PDF, a popup)
            if other != self.page:
                other.close()
        page = self.page
        if page.url != "about:blank":
            page.goto("about:blank")
        page.mouse.move(-1, -1)  # outside the page: the next one opens with nothing hovered
        if page.viewport_size != self.viewport:
            page.set_viewport_size(self.viewport)
        context.clear_cookies()
        page.unroute_all()
        self.end()
        page.on, page.once = self._noting(page.on), self._noting(page.once)
        return page

    def end(self) -> None:
        page = self.page
        for name in ("on", "once"):
            vars(page).pop(name, None)  # the class's own method again
        for event, handler in self.added:
            page.remove_listener(event, handler)  # nothing happens for a spent "once"
        self.added.clear()

    def _noting(self, add):
        def adding(event: str, handler) -> None:
            self.added.append((event, handler))
            add(event, handler)

        return adding
