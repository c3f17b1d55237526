"""Public, read-only wallet summaries opened from a signed share link: no login.

Whoever holds the link sees the summary until it expires, so the page shows
nothing more than the summary and is kept out of caches, search engines and
Referer headers.
"""
from __future__ import annotations

from flask import Blueprint, render_template

from .services import sharing

bp = Blueprint("share", __name__, url_prefix="/share")

PRIVATE_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
}


@bp.after_request
def keep_private(response):
    # On every answer, errors included: even a refusal names a token.
    response.headers.update(PRIVATE_PAGE_HEADERS)
    return response


@bp.route("/wallet/<token>")
def wallet(token: str):
    try:
        link = sharing.read_share_link(token)
        summary = sharing.wallet_summary(sharing.shared_wallet(link))
    except sharing.ShareLinkExpired as error:
        # 410: the link was real; a new one is needed, not a corrected one.
        return render_template("share/unavailable.html", message=error.message), 410
    except sharing.ShareLinkError as error:
        return render_template("share/unavailable.html", message=error.message), 404
    return render_template("share/wallet.html", summary=summary, expires_at=link.expires_at)
