"""The customers' duplicates page: groups of customers (and guests) that look like
one person, strongest reason first, each with a link to merge them. The groups are
the latest scan's (services/duplicates.py): the page reads them, never looks for them."""
from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user

from ..changes import committed_or_refused
from ..choices import DuplicateReason
from ..forms import SecureForm
from ..i18n import duration
from ..jobs import after_commit
from ..jobs import duplicates as duplicate_jobs
from ..models import utcnow
from ..services import duplicates, permissions
from ..storable import whole_number
from .base import needs


def _reason_asked() -> str | None:
    """The ``reason=`` of the address when it names a reason; anything else shows all."""
    reason = request.args.get("reason")
    return reason if reason in DuplicateReason.values() else None


class DuplicatesPages:
    """Mixed into the customers' view: /admin/customers/duplicates/."""

    def list_page_links(self) -> list[tuple[str, str]]:
        """The link to this page above the customers' list, for those who may open it."""
        if not permissions.can(current_user, permissions.CUSTOMER_DATA):
            return []
        return [(_("Duplicates"), url_for(".duplicates_view"))]

    @expose("/duplicates/", methods=("GET", "POST"))
    @needs(permissions.CUSTOMER_DATA)
    def duplicates_view(self):
        form = SecureForm()
        reason = _reason_asked()
        if request.method == "POST":
            if form.validate():
                self._look_again()
                return redirect(url_for(".duplicates_view", reason=reason))
            flash(_("The form expired: send it again."), "error")
        scan = duplicates.latest_scan()
        counts = duplicates.counts(scan) if scan else {}
        total = counts.get(reason, 0) if reason else sum(counts.values())
        pages = max(1, -(-total // duplicates.PAGE_SIZE))
        page = min(max(whole_number(request.args.get("page")) or 0, 0), pages - 1)
        under_way = duplicates.scan_under_way()
        now = utcnow()
        status = 400 if request.method == "POST" else 200
        return self.render(
            "admin/customer_duplicates.html", form=form, scan=scan, counts=counts, total=total,
            reason=reason, reasons=DuplicateReason, page=page, pages=pages,
            groups=duplicates.page_of_groups(scan, reason, page) if scan else [],
            age=duration(now - scan.finished_at) if scan else None,
            under_way=under_way,
            asked_ago=duration(now - under_way.started_at) if under_way else None), status

    def _look_again(self) -> None:
        """Queue a scan, unless one is under way already."""
        if duplicates.scan_under_way() is not None:
            flash(_("A new look for duplicates is already under way."), "info")
            return
        with committed_or_refused() as outcome:
            scan = duplicates.ask_for_scan()
            after_commit(duplicate_jobs.scan, scan.id)
        if outcome.committed:
            flash(_("A new look for duplicates is queued: this page shows its groups once it "
                    "is done."), "success")

    @expose("/duplicates/merge/")
    @needs(permissions.CUSTOMER_DATA)
    def duplicates_merge_view(self):
        """The group's checked customers, to the merge page (which asks before it merges)."""
        ids = [whole_number(value) for value in request.args.getlist("ids")]
        chosen = list(dict.fromkeys(i for i in ids if i is not None and i > 0))
        if len(chosen) < 2:
            flash(_("Check two customers or more to merge them."), "error")
            return redirect(url_for(".duplicates_view", reason=_reason_asked()))
        return redirect(url_for(".merge_view", ids=",".join(map(str, chosen))))
