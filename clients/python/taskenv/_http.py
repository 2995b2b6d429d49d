"""One request to the API with the SDK's retry policy: 429, 5xx and dropped connections are
retried with exponential backoff and full jitter, waiting at least what ``Retry-After`` asks."""
from __future__ import annotations

import email.utils
import http.client
import json
import random
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple

from .errors import APIConnectionError, APIError, APITimeoutError, TaskenvError, api_error_for

RETRYABLE_ALWAYS = {429, 500, 502, 503, 504}
RETRYABLE_UNSENT = {429, 503}

# "always": the request may be sent twice (reads, PUT, DELETE, creates with an idempotency key).
# "unsent": only where the server did not act on it (429, 503, connection refused).
ALWAYS = "always"
UNSENT = "unsent"


def retry_after_seconds(headers: Mapping[str, str], now: Optional[float] = None) -> Optional[float]:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None or value.strip() == "":
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


class Response:
    def __init__(self, status: int, headers: Mapping[str, str], body: Any):
        self.status = status
        self.headers = dict(headers)
        self.body = body


def _envelope(status: int, reason: str, body: Any) -> Dict[str, Any]:
    if isinstance(body, dict) and isinstance(body.get("code"), int) and isinstance(body.get("detail"), str) \
            and isinstance(body.get("type"), str):
        return body
    # A proxy's own page: a stand-in, so every error has one shape.
    kind = "rate_limit_error" if status == 429 else "internal_error" if status >= 500 else "invalid_request_error"
    return {"code": status, "detail": f"HTTP {status} {reason}".strip(), "type": kind}


class Transport:
    def __init__(self, base_url: str, api_key: Optional[str], user_agent: str, max_retries: int = 3,
                 timeout: float = 60.0, initial_backoff: float = 0.5, max_backoff: float = 8.0,
                 max_retry_after: float = 60.0):
        self.base_url = base_url
        self.api_key = api_key
        self.user_agent = user_agent
        self.max_retries = max_retries
        self.timeout = timeout
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after

    def request(self, method: str, path: str, *, query: Iterable[Tuple[str, Any]] = (), body: Any = None,
                headers: Optional[Mapping[str, str]] = None, retry: str = ALWAYS) -> Response:
        pairs = [(k, str(v)) for k, v in query if v is not None]
        url = self.base_url + path + ("?" + urllib.parse.urlencode(pairs) if pairs else "")
        attempt = 0
        while True:
            outcome, unsent = self._attempt(method, url, body, headers or {})
            if isinstance(outcome, Response):
                return outcome
            error = outcome
            retryable = isinstance(error, APIConnectionError) or error.status in RETRYABLE_ALWAYS
            allowed = retry == ALWAYS or (
                retry == UNSENT and (unsent if isinstance(error, APIConnectionError)
                                     else error.status in RETRYABLE_UNSENT))
            if attempt >= self.max_retries or not retryable or not allowed:
                raise error
            asked = retry_after_seconds(error.headers) if isinstance(error, APIError) else None
            if asked is not None and asked > self.max_retry_after:
                raise error
            backoff = min(self.max_backoff, self.initial_backoff * 2 ** attempt)
            time.sleep(max(asked or 0.0, random.uniform(0, backoff)))
            attempt += 1

    def _attempt(self, method: str, url: str, body: Any, extra: Mapping[str, str]):
        headers = {"Accept": "application/json", "User-Agent": self.user_agent, **extra}
        if self.api_key is not None:
            headers["Authorization"] = f"Bearer {self.api_key}"
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return self._ok(method, url, answer.status, answer.headers, answer.read()), False
        except urllib.error.HTTPError as answer:
            text = answer.read()
            parsed = _parse(text)
            return api_error_for(answer.code, _envelope(answer.code, answer.reason or "", parsed),
                                 dict(answer.headers.items())), False
        except urllib.error.URLError as failure:
            reason = failure.reason
            if isinstance(reason, socket.timeout):
                return APITimeoutError(f"no answer from {url} within {self.timeout} s"), False
            refused = isinstance(reason, ConnectionRefusedError)
            return APIConnectionError(f"cannot reach {url} ({reason})"), refused
        except socket.timeout:
            return APITimeoutError(f"no answer from {url} within {self.timeout} s"), False
        except (http.client.HTTPException, ConnectionError, OSError) as failure:
            return APIConnectionError(f"cannot reach {url} ({failure!r})"), False

    @staticmethod
    def _ok(method: str, url: str, status: int, headers: Any, raw: bytes) -> Response:
        parsed = _parse(raw)
        if parsed is None and raw.strip() != b"":
            raise TaskenvError(f"the API answered {method} {url} with a body that is not JSON")
        return Response(status, dict(headers.items()), parsed)


def _parse(raw: bytes) -> Any:
    if raw.strip() == b"":
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except ValueError:
        return None
