"""The taskenv Python SDK (standard library only, Python >= 3.9)::

    from taskenv import Taskenv

    client = Taskenv()
    with client.environment("hello-http", inputs={"name": "world"}) as env:
        print(env.execute("ls /")["output"])
"""
from .client import Environment, Environments, Keys, Pools, Secrets, Taskenv, Tasks, __version__
from .errors import (
    AlreadyExistsError,
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadGatewayError,
    ConflictError,
    EnvironmentFailedError,
    GatewayTimeoutError,
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    TaskenvError,
    UpgradeRequiredError,
    ValidationError,
    WaitTimeoutError,
)

__all__ = [
    "AlreadyExistsError", "APIConnectionError", "APIError", "APITimeoutError", "AuthenticationError",
    "BadGatewayError", "ConflictError", "Environment", "EnvironmentFailedError", "Environments",
    "GatewayTimeoutError", "InternalServerError", "InvalidRequestError", "Keys", "NotFoundError",
    "PermissionDeniedError", "Pools", "RateLimitError", "Secrets", "Taskenv", "TaskenvError", "Tasks",
    "UpgradeRequiredError", "ValidationError", "WaitTimeoutError", "__version__",
]
