"""What the SDK raises: every non-2xx answer is an APIError subclass chosen by the envelope's
``type`` (docs/api.md, "Errors") and carrying the envelope; no answer at all is APIConnectionError."""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional


class TaskenvError(Exception):
    """The base of every error the SDK raises."""


class APIError(TaskenvError):
    """The API answered with a non-2xx status."""

    def __init__(self, status: int, envelope: Dict[str, Any], headers: Mapping[str, str]):
        super().__init__(f"{status} {envelope.get('type')}: {envelope.get('detail')}")
        self.status = status
        self.type: str = str(envelope.get("type"))
        self.detail: str = str(envelope.get("detail"))
        self.envelope = envelope
        self.headers = dict(headers)


class InvalidRequestError(APIError):
    pass


class AuthenticationError(APIError):
    pass


class PermissionDeniedError(APIError):
    pass


class NotFoundError(APIError):
    pass


class AlreadyExistsError(APIError):
    """409 ``already_exists_error``: a task version that exists, an idempotency key reused with another body."""


class ConflictError(APIError):
    """409 ``conflict_error``: the environment's state does not allow the operation."""


class ValidationError(APIError):
    pass


class UpgradeRequiredError(APIError):
    pass


class RateLimitError(APIError):
    pass


class InternalServerError(APIError):
    pass


class BadGatewayError(APIError):
    pass


class GatewayTimeoutError(APIError):
    pass


_BY_TYPE = {
    "invalid_request_error": InvalidRequestError,
    "authentication_error": AuthenticationError,
    "permission_error": PermissionDeniedError,
    "not_found_error": NotFoundError,
    "already_exists_error": AlreadyExistsError,
    "conflict_error": ConflictError,
    "validation_error": ValidationError,
    "upgrade_required_error": UpgradeRequiredError,
    "rate_limit_error": RateLimitError,
    "internal_error": InternalServerError,
    "bad_gateway_error": BadGatewayError,
    "gateway_timeout_error": GatewayTimeoutError,
}


def api_error_for(status: int, envelope: Dict[str, Any], headers: Mapping[str, str]) -> APIError:
    """The class for an envelope's type; a type newer than this SDK is a plain APIError."""
    return _BY_TYPE.get(str(envelope.get("type")), APIError)(status, envelope, headers)


class APIConnectionError(TaskenvError):
    """No HTTP answer: refused, reset, DNS, TLS."""


class APITimeoutError(APIConnectionError):
    """No answer within the request timeout."""


class EnvironmentFailedError(TaskenvError):
    """A wait for ``ready`` ended in ``failed`` or ``torn_down``."""

    def __init__(self, environment_id: str, state: str, error: Optional[str]):
        super().__init__(f"environment {environment_id} is {state}" + ("" if error is None else f": {error}"))
        self.environment_id = environment_id
        self.state = state
        self.error = error


class WaitTimeoutError(TaskenvError):
    """A wait ran out of time; the environment goes on."""

    def __init__(self, environment_id: str, state: str, waited: float):
        super().__init__(f"environment {environment_id} is still {state} after {round(waited)} s")
        self.environment_id = environment_id
        self.state = state
