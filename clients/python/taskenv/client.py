"""``Taskenv()``: the Python SDK's entry point. Settings come from the arguments, then
``TASKENV_API_URL`` / ``TASKENV_API_KEY`` / ``TASKENV_ORG`` / ``TASKENV_WORKSPACE``, then a running
local stack (found through the nearest ``.taskenv/stack.json``), then the local defaults."""
from __future__ import annotations

import os
import time
import urllib.parse
import uuid
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Union

from ._http import ALWAYS, UNSENT, Transport
from ._local_stack import find_local_stack
from .errors import EnvironmentFailedError, NotFoundError, WaitTimeoutError

__version__ = "0.1.0"

Json = Dict[str, Any]

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _segment(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _versioned(ref: str) -> str:
    """``name@version`` as one path segment; ``@`` stays literal, the API splits on it."""
    name, at, version = ref.rpartition("@")
    if not at or not name:
        raise ValueError(f"'{ref}' must be name@version")
    return f"{_segment(name)}@{_segment(version)}"


def _present(value: Optional[str]) -> Optional[str]:
    return value.strip() if value is not None and value.strip() != "" else None


class Environment:
    """One environment: what create returned (the execute token included, which no later read
    returns) and the data-plane calls on it. As a context manager it is torn down on exit."""

    def __init__(self, environments: "Environments", data: Json, execute_token: Optional[str]):
        self._environments = environments
        self.data = data
        self.execute_token = execute_token

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def state(self) -> str:
        return str(self.data["state"])

    @property
    def service_urls(self) -> Optional[Json]:
        return self.data.get("service_urls")

    @property
    def instruction(self) -> Optional[str]:
        return self.data.get("instruction")

    def refresh(self) -> Json:
        self.data = self._environments.get(self.id)
        return self.data

    def status(self) -> Json:
        return self._environments.status(self.id)

    def wait_until_ready(self, timeout: float = 600.0, interval: float = 0.5) -> Json:
        self.data = self._environments.wait_until_ready(self.id, timeout=timeout, interval=interval)
        return self.data

    def execute(self, command: str, *, timeout_sec: Optional[int] = None, service: Optional[str] = None,
                env: Optional[Mapping[str, str]] = None, workdir: Optional[str] = None) -> Json:
        """Runs ``command`` (as ``/bin/sh -c``); returns ``{id, exit_code, output, truncated, timed_out, duration_ms}``."""
        if self.execute_token is None:
            raise ValueError(f"environment {self.id} has no execute token: only the create answer carries it")
        return self._environments.execute(self.id, command, execute_token=self.execute_token,
                                          timeout_sec=timeout_sec, service=service, env=env, workdir=workdir)

    def verify(self, answer: Optional[str] = None) -> Json:
        return self._environments.verify(self.id, answer=answer)

    def logs(self, service: Optional[str] = None, tail: Optional[int] = None) -> Json:
        return self._environments.logs(self.id, service=service, tail=tail)

    def keepalive(self, extend_seconds: int) -> Json:
        return self._environments.keepalive(self.id, extend_seconds)

    def delete(self) -> Json:
        self.data = self._environments.delete(self.id)
        return self.data

    def __enter__(self) -> "Environment":
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            self.delete()
        except NotFoundError:
            pass


class Environments:
    def __init__(self, transport: Transport, workspace_path: str):
        self._t = transport
        self._base = f"{workspace_path}/environments"

    def _path(self, environment_id: str, tail: str = "") -> str:
        return f"{self._base}/{_segment(environment_id)}{tail}"

    def create(self, task_ref: str, *, inputs: Optional[Mapping[str, Any]] = None,
               project_id: Optional[str] = None, secret_ids: Optional[Sequence[str]] = None,
               timeout_sec: Optional[int] = None, wait: bool = False, wait_timeout: float = 600.0,
               idempotency_key: Optional[str] = None) -> Environment:
        """Provisions an environment. Retries are safe: the request carries an ``Idempotency-Key``
        (generated when not given), so a repeat gets the first answer and launches nothing new."""
        body: Json = {"task_ref": task_ref}
        for key, value in (("inputs", inputs), ("project_id", project_id), ("secret_ids", secret_ids),
                           ("timeout_sec", timeout_sec)):
            if value is not None:
                body[key] = dict(value) if key == "inputs" else list(value) if key == "secret_ids" else value
        answer = self._t.request("POST", self._base, body=body, retry=ALWAYS,
                                 headers={"Idempotency-Key": idempotency_key or str(uuid.uuid4())})
        environment = Environment(self, answer.body, answer.body.get("execute_token"))
        if wait:
            try:
                environment.wait_until_ready(timeout=wait_timeout)
            except BaseException:
                # Nobody holds it yet: a wait that did not end in ready must not leak it.
                try:
                    self.delete(environment.id)
                except Exception:  # noqa: BLE001 - the wait's own error is the one to raise
                    pass
                raise
        return environment

    def get(self, environment_id: str) -> Json:
        return self._t.request("GET", self._path(environment_id)).body

    def status(self, environment_id: str) -> Json:
        return self._t.request("GET", self._path(environment_id, "/status")).body

    def page(self, page: int = 1, *, state: Union[str, Sequence[str], None] = None,
             project_id: Optional[str] = None, limit: Optional[int] = None) -> Json:
        states = [] if state is None else [state] if isinstance(state, str) else list(state)
        query = [("state", s) for s in states] + [("project_id", project_id), ("page", page), ("limit", limit)]
        return self._t.request("GET", self._base, query=query).body

    def list(self, *, state: Union[str, Sequence[str], None] = None, project_id: Optional[str] = None,
             limit: Optional[int] = None) -> Iterator[Json]:
        """Every environment matching the filter, newest first, fetching pages as iteration goes."""
        number = 1
        while True:
            answer = self.page(number, state=state, project_id=project_id, limit=limit)
            yield from answer["environments"]
            if not answer["has_next"]:
                return
            number += 1

    def keepalive(self, environment_id: str, extend_seconds: int) -> Json:
        return self._t.request("POST", self._path(environment_id, "/keepalive"),
                               body={"extend_seconds": extend_seconds}).body

    def delete(self, environment_id: str) -> Json:
        """Tears it down; idempotent on the server."""
        return self._t.request("DELETE", self._path(environment_id)).body

    def wait_until_ready(self, environment_id: str, timeout: float = 600.0, interval: float = 0.5) -> Json:
        """Polls the status until ``ready`` (every health probe passed, ``service_urls`` set), then
        reads the full resource; ``failed``/``torn_down`` raise EnvironmentFailedError."""
        started = time.monotonic()
        while True:
            status = self.status(environment_id)
            if status["state"] == "ready":
                return self.get(environment_id)
            if status["state"] in ("failed", "torn_down"):
                raise EnvironmentFailedError(environment_id, status["state"], status.get("error"))
            waited = time.monotonic() - started
            if waited >= timeout:
                raise WaitTimeoutError(environment_id, status["state"], waited)
            time.sleep(min(interval, timeout - waited))
            interval = min(2.0, interval * 1.5)

    def execute(self, environment_id: str, command: str, *, execute_token: str,
                timeout_sec: Optional[int] = None, service: Optional[str] = None,
                env: Optional[Mapping[str, str]] = None, workdir: Optional[str] = None,
                poll_interval: float = 1.0) -> Json:
        """Runs a command; a 202 (still running after the server's wait) is polled to completion.
        Only refusals the server did not act on are retried: a command is never run twice."""
        body: Json = {"command": command}
        for key, value in (("timeout_sec", timeout_sec), ("service", service), ("env", env), ("workdir", workdir)):
            if value is not None:
                body[key] = dict(value) if key == "env" else value
        answer = self._t.request("POST", self._path(environment_id, "/execute"), body=body, retry=UNSENT,
                                 headers={"X-Environment-Token": execute_token})
        if answer.status != 202:
            return answer.body
        execution = answer.body
        while execution["state"] != "completed":
            time.sleep(poll_interval)
            execution = self.execution(environment_id, execution["id"])
        return {key: execution.get(key) for key in
                ("id", "exit_code", "output", "truncated", "timed_out", "duration_ms")}

    def execution(self, environment_id: str, execution_id: str) -> Json:
        return self._t.request("GET", self._path(environment_id, f"/executions/{_segment(execution_id)}")).body

    def verify(self, environment_id: str, answer: Optional[str] = None) -> Json:
        body: Json = {} if answer is None else {"answer": answer}
        return self._t.request("POST", self._path(environment_id, "/verify"), body=body, retry=UNSENT).body

    def logs(self, environment_id: str, service: Optional[str] = None, tail: Optional[int] = None) -> Json:
        return self._t.request("GET", self._path(environment_id, "/logs"),
                               query=[("service", service), ("tail", tail)]).body


class Tasks:
    def __init__(self, transport: Transport, org: str):
        self._t = transport
        self._org = org

    def publish(self, manifest: Mapping[str, Any]) -> Json:
        """Publishes a version; an existing name@version is an AlreadyExistsError."""
        return self._t.request("POST", f"/api/v1/org/{_segment(self._org)}/tasks", body=dict(manifest),
                               retry=UNSENT).body

    def list(self) -> Json:
        return self._t.request("GET", f"/api/v1/org/{_segment(self._org)}/tasks").body

    def get(self, ref: str, org: Optional[str] = None) -> Json:
        name = _versioned(ref) if "@" in ref else _segment(ref)
        return self._t.request("GET", f"/api/v1/org/{_segment(org or self._org)}/tasks/{name}").body


class Secrets:
    def __init__(self, transport: Transport, workspace_path: str):
        self._t = transport
        self._base = f"{workspace_path}/secrets"

    def put(self, secret_id: str, value: str, env_var: Optional[str] = None) -> Json:
        body: Json = {"value": value} if env_var is None else {"value": value, "env_var": env_var}
        return self._t.request("PUT", f"{self._base}/{_segment(secret_id)}", body=body).body

    def list(self) -> Json:
        return self._t.request("GET", self._base).body

    def delete(self, secret_id: str) -> None:
        self._t.request("DELETE", f"{self._base}/{_segment(secret_id)}")


class Pools:
    def __init__(self, transport: Transport, org: str):
        self._t = transport
        self._base = f"/api/v1/org/{_segment(org)}/pools"

    def set(self, ref: str, size: int) -> Json:
        """Keeps ``size`` (0..100) started environments of ``name@version`` waiting."""
        return self._t.request("PUT", f"{self._base}/{_versioned(ref)}", body={"size": size}).body

    def list(self) -> Json:
        return self._t.request("GET", self._base).body

    def get(self, ref: str) -> Json:
        return self._t.request("GET", f"{self._base}/{_versioned(ref)}").body

    def delete(self, ref: str) -> None:
        self._t.request("DELETE", f"{self._base}/{_versioned(ref)}")


class Keys:
    def __init__(self, transport: Transport, org: str):
        self._t = transport
        self._base = f"/api/v1/org/{_segment(org)}/keys"

    def create(self, name: str, role: str, workspaces: List[str]) -> Json:
        """Creates a key; ``key`` is in this answer only (not retried once sent: a repeat would mint another)."""
        return self._t.request("POST", self._base, body={"name": name, "role": role, "workspaces": workspaces},
                               retry=UNSENT).body

    def list(self) -> Json:
        return self._t.request("GET", self._base).body

    def delete(self, key_id: str) -> None:
        self._t.request("DELETE", f"{self._base}/{_segment(key_id)}")


class Taskenv:
    """The taskenv API: ``client.environments``, ``.tasks``, ``.secrets``, ``.pools``, ``.keys``."""

    def __init__(self, api_url: Optional[str] = None, api_key: Optional[str] = None, org: Optional[str] = None,
                 workspace: Optional[str] = None, *, max_retries: int = 3, timeout: float = 60.0,
                 initial_backoff: float = 0.5, max_backoff: float = 8.0, cwd: Optional[str] = None,
                 env: Optional[Mapping[str, str]] = None):
        env = os.environ if env is None else env
        explicit_url = _present(api_url) or _present(env.get("TASKENV_API_URL"))
        explicit_key = _present(api_key) or _present(env.get("TASKENV_API_KEY"))
        stack = None if explicit_url and explicit_key else find_local_stack(cwd or os.getcwd(), env)
        self.api_url = (explicit_url or (stack[0] if stack else None) or "http://127.0.0.1:8787").rstrip("/")
        loopback = urllib.parse.urlsplit(self.api_url).hostname in _LOOPBACK
        key = explicit_key or (stack[1] if stack and loopback else None)
        self.org = _present(org) or _present(env.get("TASKENV_ORG")) or "local"
        self.workspace = _present(workspace) or _present(env.get("TASKENV_WORKSPACE")) or "default"
        transport = Transport(self.api_url, key, f"taskenv-sdk-python/{__version__}", max_retries=max_retries,
                              timeout=timeout, initial_backoff=initial_backoff, max_backoff=max_backoff)
        workspace_path = f"/api/v1/org/{_segment(self.org)}/ws/{_segment(self.workspace)}"
        self.environments = Environments(transport, workspace_path)
        self.tasks = Tasks(transport, self.org)
        self.secrets = Secrets(transport, workspace_path)
        self.pools = Pools(transport, self.org)
        self.keys = Keys(transport, self.org)

    def environment(self, task_ref: str, *, inputs: Optional[Mapping[str, Any]] = None,
                    wait_timeout: float = 600.0, **options: Any) -> Environment:
        """A ready environment for a ``with`` block, torn down when the block ends::

            with client.environment("hello-http", inputs={"name": "world"}) as env:
                print(env.execute("ls")["output"])
        """
        return self.environments.create(task_ref, inputs=inputs, wait=True, wait_timeout=wait_timeout, **options)
