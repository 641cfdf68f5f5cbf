"""Security headers of a page.

Stricter than the default page policy in `souk.api.middleware` (which Swagger UI needs):
no inline script or style at all, so an injected `<script>` or `style=` attribute does
nothing. Pages keep their data for scripts in `<script type="application/json">` blocks,
which are never executed.
"""

from __future__ import annotations

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'; form-action 'self'"
)


def page_headers(*, private: bool) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": PAGE_CSP,
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }
    if private:
        # A signed-in page is someone's work: neither a shared cache nor the back button
        # after sign-out may show it again.
        headers["Cache-Control"] = "no-store"
    return headers
