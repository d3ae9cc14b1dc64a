"""The app's error tree; each class knows its HTTP status, mapped in one handler (api/errors.py).

AppError (500)
├── InvalidInput (422)          input that fails validation
├── Unauthorized (401)          wrong password (the access guard answers missing logins itself)
├── NotFound (404)              unknown job, source
├── Conflict (409)              file not ready, nothing to retry
├── Gone (410)                  file expired or deleted
├── Forbidden (403)             bad image token, refused image target
├── PayloadTooLarge (413)       a request body over the API's cap
├── TooManyRequests (429)       login attempts too fast (Retry-After kept)
└── UpstreamError (502)         Consumet or an image host failed
    ├── UpstreamUnreachable     connect error, timeout
    ├── UpstreamStatus          4xx/5xx from upstream (status kept)
    ├── UpstreamBadResponse     not JSON, or not the contract's shape
    ├── ImageFetchError         one page could not be fetched (reason kept)
    │   ├── TargetRefused (403) the address guard or the URL check said no
    │   └── BadImageURL (422)   the source handed out an unusable URL
    └── (images.ImageRejected is not an HTTP error: a page's body failed the checks)
"""

from __future__ import annotations

from .outbound import RETRY_STATUSES


class AppError(Exception):
    status_code = 500

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(AppError):
    status_code = 422


class Unauthorized(AppError):
    status_code = 401


class NotFound(AppError):
    status_code = 404


class Conflict(AppError):
    status_code = 409


class Gone(AppError):
    status_code = 410


class Forbidden(AppError):
    status_code = 403


class PayloadTooLarge(AppError):
    status_code = 413


class TooManyRequests(AppError):
    status_code = 429

    def __init__(self, detail: str, retry_after: float) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class UpstreamError(AppError):
    status_code = 502
    retryable = False


class UpstreamUnreachable(UpstreamError):
    retryable = True


class UpstreamStatus(UpstreamError):
    def __init__(self, detail: str, upstream_status: int, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.upstream_status = upstream_status
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:  # type: ignore[override]
        return self.upstream_status in RETRY_STATUSES


class UpstreamBadResponse(UpstreamError):
    pass


class ImageFetchError(UpstreamError):
    """A page could not be fetched; `detail` is the short human reason shown in `failed`."""


class TargetRefused(ImageFetchError):
    status_code = 403


class BadImageURL(ImageFetchError):
    """A page URL that cannot be requested at all (unparsable, no host, bad port): the source's
    data is broken, so it is a 4xx to the reader and a failed page in a job, never a crash."""

    status_code = 422
