"""The security headers of every response, in one place: the middleware adds them to every
answer, and the handler of unexpected errors (which runs outside every middleware) adds them to
its 500.

- nosniff, DENY framing, no referrer and a Content-Security-Policy. The API answers JSON, so its
  policy allows nothing but same-origin scripts, styles, images and fetches (the console is
  served from this origin); the interactive docs get a policy that also allows the inline
  bootstrap script of Swagger UI / ReDoc (their files come from this server, never a CDN).
- Answers that may hold personal data or a secret carry `Cache-Control: no-store`.
"""

from __future__ import annotations

API_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src blob:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
# Answers that may hold personal data (referrals, their CSV, conversations, LINE turns, what the
# matcher counted) or a secret (a new API key), the admin answers and the yearly review that
# only admin and analyst keys may read: no cache may keep them.
NO_STORE_PATHS = (
    "/v1/referrals",
    "/v1/exports/referrals",
    "/v1/progress",
    "/v1/exports/progress",
    "/v1/admin",
    "/v1/conversations",
    "/v1/integrations",
    "/v1/match/stats",
)


def _headers(csp: str, no_store: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"content-security-policy", csp.encode()),
    ]
    if no_store:
        headers.append((b"cache-control", b"no-store"))
    return headers


# Built once: a request only picks one of them.
_BY_KIND = {
    (docs, no_store): _headers(DOCS_CSP if docs else API_CSP, no_store)
    for docs in (False, True)
    for no_store in (False, True)
}


def security_headers(path: str) -> list[tuple[bytes, bytes]]:
    """The headers every answer on `path` carries (names in lower case; do not modify)."""
    return _BY_KIND[(path.startswith(DOCS_PATHS), path.startswith(NO_STORE_PATHS))]
